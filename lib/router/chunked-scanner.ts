/**
 * Finds where a chunked body ends without decoding it: the bytes are passed
 * on untouched, the scanner only follows chunk sizes, CRLFs and the trailer
 * section. Line endings must be CRLF; a bare LF is refused because peers that
 * accept it would frame the stream differently.
 */

const SIZE_START = 0;
const SIZE = 1;
const EXTENSION = 2;
const SIZE_LF = 3;
const DATA = 4;
const DATA_CR = 5;
const DATA_LF = 6;
const TRAILER_START = 7;
const TRAILER_LINE = 8;
const TRAILER_LF = 9;
const END_LF = 10;
const DONE = 11;
const FAILED = 12;

// 13 hex digits keep the size exact in a double (< 2^53).
const MAX_SIZE_DIGITS = 13;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export class ChunkedScanner {
  private state = SIZE_START;
  private size = 0;
  private digits = 0;

  /** The last chunk and the trailer section have been seen. */
  get done(): boolean {
    return this.state === DONE;
  }

  reset(): void {
    this.state = SIZE_START;
    this.size = 0;
    this.digits = 0;
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
      switch (state) {
        case SIZE_START:
        case SIZE: {
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) state = FAILED;
            else {
              this.size = this.size * 16 + v;
              state = SIZE;
            }
          } else if (state === SIZE && c === 13) state = SIZE_LF;
          else if (state === SIZE && (c === 59 || c === 32 || c === 9)) state = EXTENSION;
          else state = FAILED;
          break;
        }
        case EXTENSION:
          if (c === 13) state = SIZE_LF;
          else if (c === 10) state = FAILED;
          break;
        case SIZE_LF:
          if (c !== 10) state = FAILED;
          else if (this.size === 0) state = TRAILER_START;
          else state = DATA;
          this.digits = 0;
          break;
        case DATA_CR:
          state = c === 13 ? DATA_LF : FAILED;
          break;
        case DATA_LF:
          state = c === 10 ? SIZE_START : FAILED;
          break;
        case TRAILER_START:
          state = c === 13 ? END_LF : c === 10 ? FAILED : TRAILER_LINE;
          break;
        case TRAILER_LINE:
          if (c === 13) state = TRAILER_LF;
          else if (c === 10) state = FAILED;
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
}
