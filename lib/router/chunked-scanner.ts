/**
 * Finds where a chunked body ends without decoding it: the bytes are passed
 * on untouched, the scanner only follows chunk sizes, CRLFs and the trailer
 * section. It accepts exactly what a strict parser (llhttp without lenient
 * flags) accepts, or less: line endings must be CRLF, the size line is hex
 * digits then optional `;name[=value]` extensions with no whitespace
 * (`a \r\n` is refused), and trailer fields follow the header field syntax
 * without obs-fold or framing fields. Anything a peer could read differently
 * fails the scan.
 */

const SIZE_START = 0;
const SIZE = 1;
const SIZE_LF = 2;
const EXT_START = 3; // after ';'
const EXT_NAME = 4;
const EXT_VALUE_START = 5; // after '='
const EXT_VALUE = 6;
const EXT_QUOTED = 7;
const EXT_QUOTED_PAIR = 8;
const EXT_QUOTED_DONE = 9;
const DATA = 10;
const DATA_CR = 11;
const DATA_LF = 12;
const TRAILER_START = 13;
const TRAILER_NAME = 14;
const TRAILER_VALUE = 15;
const TRAILER_LF = 16;
const END_LF = 17;
const DONE = 18;
const FAILED = 19;

// 13 significant hex digits keep the size exact in a double (< 2^53).
const MAX_SIZE_DIGITS = 13;
/** Longest chunk-size line (size and extensions) accepted. */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** Largest trailer section accepted. */
export const MAX_TRAILER_BYTES = 64 * 1024;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[97 + c] = 10 + c;
  HEX[65 + c] = 10 + c;
}

const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN[c.charCodeAt(0)] = 1;
}

// qdtext (RFC 9110 §5.6.4): HTAB, SP, VCHAR except '"' and '\', obs-text.
const QDTEXT = new Uint8Array(256);
QDTEXT[9] = 1;
for (let c = 32; c < 256; c++) QDTEXT[c] = c === 34 || c === 92 || c === 127 ? 0 : 1;

// Bytes a field value may hold: anything but controls (HTAB excepted) and DEL.
const FIELD_VALUE = new Uint8Array(256);
for (let c = 0; c < 256; c++) FIELD_VALUE[c] = (c < 32 && c !== 9) || c === 127 ? 0 : 1;

// Framing fields have no place in a trailer section (RFC 9110 §6.5.1); a peer that merged them would re-frame.
const CONTENT_LENGTH = 'content-length';
const TRANSFER_ENCODING = 'transfer-encoding';

export class ChunkedScanner {
  private state = SIZE_START;
  private size = 0;
  private digits = 0;
  /** Bytes of the current size line, or of the trailer section. */
  private lineBytes = 0;
  /** Length of the trailer field name so far, and which framing names it still matches (bit 1, bit 2). */
  private nameLength = 0;
  private nameMatch = 0;

  /** The last chunk and the trailer section have been seen. */
  get done(): boolean {
    return this.state === DONE;
  }

  reset(): void {
    this.state = SIZE_START;
    this.size = 0;
    this.digits = 0;
    this.lineBytes = 0;
  }

  /**
   * Advances over `buf[start, end)`. Returns the index just past the last
   * byte of the body (== end when the body goes on), or -1 when the framing
   * is invalid.
   */
  scan(buf: Buffer, start: number, end: number): number {
    let i = start;
    let state = this.state;
    if (state === DONE) return start;
    if (state === FAILED) return -1;
    while (i < end) {
      if (state === DATA) {
        const n = Math.min(this.size, end - i);
        this.size -= n;
        i += n;
        if (this.size === 0) state = DATA_CR;
        continue;
      }
      const c = buf[i++];
      if (state < DATA || state >= TRAILER_START) {
        if (++this.lineBytes > (state < DATA ? MAX_CHUNK_LINE_BYTES : MAX_TRAILER_BYTES)) state = FAILED;
      }
      switch (state) {
        case SIZE_START:
        case SIZE: {
          const v = HEX[c];
          if (v >= 0) {
            // Leading zeros do not count towards the digit limit.
            if ((this.size !== 0 || v !== 0) && ++this.digits > MAX_SIZE_DIGITS) state = FAILED;
            else {
              this.size = this.size * 16 + v;
              state = SIZE;
            }
          } else if (state === SIZE && c === 13) state = SIZE_LF;
          else if (state === SIZE && c === 59) state = EXT_START;
          else state = FAILED;
          break;
        }
        case EXT_START:
          state = c === 61 ? EXT_VALUE_START : c === 59 ? EXT_START : TOKEN[c] === 1 ? EXT_NAME : FAILED;
          break;
        case EXT_NAME:
          if (TOKEN[c] !== 1) state = c === 61 ? EXT_VALUE_START : c === 59 ? EXT_START : c === 13 ? SIZE_LF : FAILED;
          break;
        case EXT_VALUE_START:
          state =
            c === 34 ? EXT_QUOTED : TOKEN[c] === 1 ? EXT_VALUE : c === 59 ? EXT_START : c === 13 ? SIZE_LF : FAILED;
          break;
        case EXT_VALUE:
          if (TOKEN[c] !== 1) state = c === 59 ? EXT_START : c === 13 ? SIZE_LF : FAILED;
          break;
        case EXT_QUOTED:
          if (c === 34) state = EXT_QUOTED_DONE;
          else if (c === 92) state = EXT_QUOTED_PAIR;
          else if (QDTEXT[c] !== 1) state = FAILED;
          break;
        case EXT_QUOTED_PAIR:
          // quoted-pair: HTAB, SP, VCHAR or obs-text after the backslash.
          state = FIELD_VALUE[c] === 1 ? EXT_QUOTED : FAILED;
          break;
        case EXT_QUOTED_DONE:
          state = c === 59 ? EXT_START : c === 13 ? SIZE_LF : FAILED;
          break;
        case SIZE_LF:
          if (c !== 10) state = FAILED;
          else if (this.size === 0) state = TRAILER_START;
          else state = DATA;
          this.digits = 0;
          this.lineBytes = 0;
          break;
        case DATA_CR:
          state = c === 13 ? DATA_LF : FAILED;
          break;
        case DATA_LF:
          state = c === 10 ? SIZE_START : FAILED;
          break;
        case TRAILER_START:
          if (c === 13) state = END_LF;
          else if (TOKEN[c] === 1) {
            // Also refuses obs-fold (a line starting with whitespace) and an empty field name.
            state = TRAILER_NAME;
            this.nameLength = 0;
            this.nameMatch = 3;
            this.matchName(c);
          } else state = FAILED;
          break;
        case TRAILER_NAME:
          if (TOKEN[c] === 1) this.matchName(c);
          else if (c !== 58) state = FAILED;
          else if (
            (this.nameLength === CONTENT_LENGTH.length && (this.nameMatch & 1) !== 0) ||
            (this.nameLength === TRANSFER_ENCODING.length && (this.nameMatch & 2) !== 0)
          ) {
            state = FAILED;
          } else state = TRAILER_VALUE;
          break;
        case TRAILER_VALUE:
          if (c === 13) state = TRAILER_LF;
          else if (FIELD_VALUE[c] !== 1) state = FAILED;
          break;
        case TRAILER_LF:
          state = c === 10 ? TRAILER_START : FAILED;
          break;
        case END_LF:
          state = c === 10 ? DONE : FAILED;
          break;
      }
      if (state === DONE) {
        this.state = DONE;
        return i;
      }
      if (state === FAILED) {
        this.state = FAILED;
        return -1;
      }
    }
    this.state = state;
    return end;
  }

  /** Follows the trailer field name against the framing field names. */
  private matchName(c: number): void {
    const k = this.nameLength++;
    const lower = c | 0x20; // token bytes: folds exactly the letters
    if (k >= CONTENT_LENGTH.length || CONTENT_LENGTH.charCodeAt(k) !== lower) this.nameMatch &= ~1;
    if (k >= TRANSFER_ENCODING.length || TRANSFER_ENCODING.charCodeAt(k) !== lower) this.nameMatch &= ~2;
  }
}
