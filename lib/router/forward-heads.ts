import {
  CHUNKED_BODY,
  CONNECTION,
  CONTENT_LENGTH,
  HOST,
  KEEP_ALIVE,
  type MessageHead,
  PROXY_CONNECTION,
  type RequestHead,
  type ResponseHead,
  TE,
  TRAILER,
  TRANSFER_ENCODING,
  UPGRADE,
  X_FORWARDED_FOR,
  X_FORWARDED_HOST,
  X_FORWARDED_PORT,
  X_FORWARDED_PROTO,
} from './http-head.js';

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1, plus Trailer), by field kind.
 * Transfer-Encoding is hop-by-hop too, but bodies are relayed byte for byte,
 * so the coding the sender chose stays true: a request's codings are
 * re-emitted as one normalised line, a response's field is kept.
 */
const HOP_BY_HOP = new Uint8Array(32);
for (const kind of [CONNECTION, KEEP_ALIVE, PROXY_CONNECTION, TE, TRAILER, UPGRADE]) HOP_BY_HOP[kind] = 1;

/** Whether field `i` must not be forwarded: hop-by-hop, or named by Connection. */
function isHopByHop(head: MessageHead, i: number, kind: number): boolean {
  if (HOP_BY_HOP[kind] === 1) return true;
  const options = head.connectionOptions;
  // Options naming framing or routing fields are ignored: dropping those would change what the upstream sees.
  if (options === null || kind === HOST || kind === CONTENT_LENGTH || kind === TRANSFER_ENCODING) return false;
  return options.includes(head.fieldName(i).toLowerCase());
}

/** Byte length of field line `i` with its CRLF. */
function lineLength(head: MessageHead, i: number): number {
  return head.fieldLineEnd(i) + 2 - head.fieldStart(i);
}

// Field indexes left out of the current rewrite (the first droppedCount entries; the array keeps its
// capacity). Heads are rewritten synchronously, one at a time.
const dropped: number[] = [];
let droppedCount = 0;

/** Copies buf[start, end) to out at pos; returns the new pos. Short runs use a loop: a native call costs more. */
function copyBytes(out: Buffer, pos: number, buf: Buffer, start: number, end: number): number {
  if (end - start > 64) return pos + buf.copy(out, pos, start, end);
  for (let i = start; i < end; i++) out[pos++] = buf[i];
  return pos;
}

/** Writes ASCII text to out at pos; returns the new pos. */
function writeText(out: Buffer, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}

/**
 * Copies the head minus the `dropped` fields to out, up to and excluding the
 * empty line (so lines can be appended); returns the new pos.
 */
function copyKept(out: Buffer, head: MessageHead): number {
  const buf = head.buf;
  let pos = 0;
  let runStart = 0;
  for (let d = 0; d < droppedCount; d++) {
    const i = dropped[d];
    pos = copyBytes(out, pos, buf, runStart, head.fieldStart(i));
    runStart = head.fieldLineEnd(i) + 2;
  }
  return copyBytes(out, pos, buf, runStart, head.end - 2);
}

const CRLF = '\r\n';
const XFF = 'X-Forwarded-For: ';
const XFP_LINE = 'X-Forwarded-Proto: http\r\n';
const XFH = 'X-Forwarded-Host: ';
const TE_FIELD = 'Transfer-Encoding: ';
const CL_FIELD = 'Content-Length: ';
const CONNECTION_UPGRADE_LINE = 'Connection: upgrade\r\n';
const CONNECTION_KEEP_ALIVE_LINE = 'Connection: keep-alive\r\n';
const CONNECTION_CLOSE_LINE = 'Connection: close\r\n';

/** The framing line re-emitted for a head whose framing fields are not copied (see MessageHead.reframe), or ''. */
function framingLine(head: RequestHead): string {
  if (!head.reframe) return '';
  if (head.framing === CHUNKED_BODY) return `${TE_FIELD}${head.transferEncoding}${CRLF}`;
  return head.contentLength >= 0 ? `${CL_FIELD}${head.contentLength}${CRLF}` : '';
}

/**
 * The request head as sent upstream: fields in their original order and case
 * minus hop-by-hop ones, then the framing field when it is re-emitted
 * (Transfer-Encoding as one normalised line; Content-Length when it had
 * unusual whitespace), then X-Forwarded-For (the client's list with the
 * client appended; several lines merge into one, RFC 9110 §5.3) and
 * X-Forwarded-Proto / X-Forwarded-Host (client-supplied values of these two
 * are replaced, never trusted; a client's X-Forwarded-Port is dropped).
 * Ends with the empty line.
 */
export function forwardRequestHead(head: RequestHead, clientIp: string): Buffer {
  const buf = head.buf;
  const n = head.fieldCount;
  droppedCount = 0;
  let size = head.end;
  // The X-Forwarded-For line: "X-Forwarded-For: " + each earlier value + ", " + client + CRLF.
  let forwardedFor = XFF.length + clientIp.length + 2;
  for (let i = 0; i < n; i++) {
    const kind = head.fieldKind(i);
    if (kind === 0 && head.connectionOptions === null) continue;
    if (kind === X_FORWARDED_FOR) {
      // Re-emitted as one merged line after the other fields.
      const length = head.fieldValueEnd(i) - head.fieldValueStart(i);
      if (length > 0) forwardedFor += length + 2;
    } else if (kind === CONTENT_LENGTH || kind === TRANSFER_ENCODING) {
      if (!head.reframe) continue;
    } else if (kind !== X_FORWARDED_PROTO && kind !== X_FORWARDED_HOST && kind !== X_FORWARDED_PORT) {
      if (kind === UPGRADE ? head.upgrade : !isHopByHop(head, i, kind)) continue;
    }
    dropped[droppedCount++] = i;
    size -= lineLength(head, i);
  }
  const host = head.hostField;
  const framing = framingLine(head);
  size += framing.length + forwardedFor + XFP_LINE.length;
  if (host >= 0) size += XFH.length + head.fieldValueEnd(host) - head.fieldValueStart(host) + 2;
  const connectionLine = head.upgrade
    ? CONNECTION_UPGRADE_LINE
    : // HTTP/1.0 is not persistent by default; ask for it so the upstream connection can be pooled.
      head.minor === 0
      ? CONNECTION_KEEP_ALIVE_LINE
      : '';
  size += connectionLine.length;

  const out = Buffer.allocUnsafe(size);
  let pos = copyKept(out, head);
  pos = writeText(out, pos, framing);
  pos = writeText(out, pos, XFF);
  for (let d = 0; d < droppedCount; d++) {
    const i = dropped[d];
    if (head.fieldKind(i) !== X_FORWARDED_FOR || head.fieldValueEnd(i) === head.fieldValueStart(i)) continue;
    pos = copyBytes(out, pos, buf, head.fieldValueStart(i), head.fieldValueEnd(i));
    pos = writeText(out, pos, ', ');
  }
  pos = writeText(out, pos, clientIp);
  pos = writeText(out, pos, CRLF);
  pos = writeText(out, pos, XFP_LINE);
  if (host >= 0) {
    pos = writeText(out, pos, XFH);
    pos = copyBytes(out, pos, buf, head.fieldValueStart(host), head.fieldValueEnd(host));
    pos = writeText(out, pos, CRLF);
  }
  pos = writeText(out, pos, connectionLine);
  writeText(out, pos, CRLF);
  return out;
}

/** The client connection stays open after the response. */
export const KEEP_OPEN = 0;
/** The client connection closes after this response: say so. */
export const CLOSE = 1;
/** The client spoke HTTP/1.0 and the connection stays open: persistence must be announced. */
export const KEEP_OPEN_HTTP10 = 2;
/** A 101 answer to an upgrade request: keep Upgrade and announce it. */
export const UPGRADE_101 = 3;

export type ClientConnectionMode = typeof KEEP_OPEN | typeof CLOSE | typeof KEEP_OPEN_HTTP10 | typeof UPGRADE_101;

const MODE_LINES = ['', CONNECTION_CLOSE_LINE, CONNECTION_KEEP_ALIVE_LINE, CONNECTION_UPGRADE_LINE];

/** Fills `dropped` with the response fields this hop removes; returns their total byte length. */
function collectResponseDrops(head: ResponseHead, mode: ClientConnectionMode): number {
  const chunked = head.framing === CHUNKED_BODY;
  const n = head.fieldCount;
  droppedCount = 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const kind = head.fieldKind(i);
    if (kind === 0 && head.connectionOptions === null) continue;
    let keep = kind === UPGRADE ? mode === UPGRADE_101 : !isHopByHop(head, i, kind);
    // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3); sending both invites desync downstream.
    if (chunked && kind === CONTENT_LENGTH) keep = false;
    if (keep) continue;
    dropped[droppedCount++] = i;
    bytes += lineLength(head, i);
  }
  return bytes;
}

/** True when forwardResponseHead would return the head unchanged, so the received bytes can be relayed as they are. */
export function responseHeadUnchanged(head: ResponseHead, mode: ClientConnectionMode): boolean {
  return mode === KEEP_OPEN && collectResponseDrops(head, mode) === 0;
}

/**
 * The response head as sent to the client (hop-by-hop fields replaced by
 * this hop's Connection), followed by `body` when given: the bytes that came
 * with the head, copied in so that head and body leave in one write.
 */
export function forwardResponseHead(head: ResponseHead, mode: ClientConnectionMode, body: Buffer | null): Buffer {
  const modeLine = MODE_LINES[mode];
  const bodyLength = body === null ? 0 : body.length;
  const out = Buffer.allocUnsafe(head.end - collectResponseDrops(head, mode) + modeLine.length + bodyLength);
  let pos = copyKept(out, head);
  pos = writeText(out, pos, modeLine);
  pos = writeText(out, pos, CRLF);
  if (body !== null) copyBytes(out, pos, body, 0, bodyLength);
  return out;
}
