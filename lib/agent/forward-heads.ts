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
  X_FORWARDED_PROTO,
} from './http-head.js';

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1, plus Trailer), by field kind.
 * Transfer-Encoding is hop-by-hop too, but bodies are relayed byte for byte,
 * so the coding the sender chose stays true and the field is kept.
 */
const HOP_BY_HOP = new Uint8Array(32);
for (const kind of [CONNECTION, KEEP_ALIVE, PROXY_CONNECTION, TE, TRAILER, UPGRADE]) HOP_BY_HOP[kind] = 1;

/** Marks fields that must not be forwarded: hop-by-hop ones, including those named by Connection. */
function isHopByHop(head: MessageHead, i: number, kind: number): boolean {
  if (HOP_BY_HOP[kind] === 1) return true;
  const options = head.connectionOptions;
  // Options naming framing or routing fields are ignored: dropping those would change what the upstream sees.
  if (options === null || kind === HOST || kind === CONTENT_LENGTH || kind === TRANSFER_ENCODING) return false;
  return options.includes(head.fieldName(i).toLowerCase());
}

/** Appends byte runs and ASCII text to a buffer sized in advance. */
class HeadWriter {
  readonly out: Buffer;
  pos = 0;
  constructor(size: number) {
    this.out = Buffer.allocUnsafe(size);
  }
  // Byte loops for short runs: a native copy or write call costs more than it saves below a few dozen bytes.
  copy(src: Buffer, start: number, end: number): void {
    if (end - start > 64) {
      this.pos += src.copy(this.out, this.pos, start, end);
      return;
    }
    const out = this.out;
    let pos = this.pos;
    for (let i = start; i < end; i++) out[pos++] = src[i];
    this.pos = pos;
  }
  /** `s` is ASCII. */
  text(s: string): void {
    const out = this.out;
    let pos = this.pos;
    for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }
}

const CRLF = '\r\n';
const XFF = 'X-Forwarded-For: ';
const XFP_LINE = 'X-Forwarded-Proto: http\r\n';
const XFH = 'X-Forwarded-Host: ';
const CONNECTION_UPGRADE_LINE = 'Connection: upgrade\r\n';
const CONNECTION_KEEP_ALIVE_LINE = 'Connection: keep-alive\r\n';
const CONNECTION_CLOSE_LINE = 'Connection: close\r\n';

/**
 * The request head as sent upstream: fields in their original order and case
 * minus hop-by-hop ones, with X-Forwarded-For appended to, and
 * X-Forwarded-Proto / X-Forwarded-Host set (client-supplied values of these
 * two are replaced, never trusted). Ends with the empty line.
 */
export function forwardRequestHead(head: RequestHead, clientIp: string): Buffer {
  const buf = head.buf;
  const host = head.hostField;
  // Upper bound: the original head plus every line this may add.
  const hostLength = host >= 0 ? head.fieldValueEnd(host) - head.fieldValueStart(host) : 0;
  const w = new HeadWriter(
    head.end +
      XFF.length +
      clientIp.length +
      4 +
      XFP_LINE.length +
      XFH.length +
      hostLength +
      2 +
      CONNECTION_KEEP_ALIVE_LINE.length,
  );
  const n = head.fieldCount;
  // Kept fields are copied in runs of consecutive lines.
  let runStart = 0;
  let forwardedFor = false;
  for (let i = 0; i < n; i++) {
    const kind = head.fieldKind(i);
    if (kind === 0 && head.connectionOptions === null) continue;
    const keep = kind === UPGRADE ? head.upgrade : !isHopByHop(head, i, kind);
    if (keep && kind !== X_FORWARDED_FOR && kind !== X_FORWARDED_PROTO && kind !== X_FORWARDED_HOST) continue;
    w.copy(buf, runStart, head.fieldStart(i));
    runStart = head.fieldLineEnd(i) + 2;
    if (kind !== X_FORWARDED_FOR || forwardedFor) continue;
    // Several X-Forwarded-For lines form one list (RFC 9110 §5.3): emit it once, where it first appeared.
    forwardedFor = true;
    w.copy(buf, head.fieldStart(i), head.fieldNameEnd(i));
    w.text(': ');
    for (let j = i; j < n; j++) {
      if (head.fieldKind(j) !== X_FORWARDED_FOR || head.fieldValueEnd(j) === head.fieldValueStart(j)) continue;
      w.copy(buf, head.fieldValueStart(j), head.fieldValueEnd(j));
      w.text(', ');
    }
    w.text(clientIp);
    w.text(CRLF);
  }
  // Through the last kept field (or the request line when there are no fields).
  w.copy(buf, runStart, head.end - 2);
  if (!forwardedFor) {
    w.text(XFF);
    w.text(clientIp);
    w.text(CRLF);
  }
  w.text(XFP_LINE);
  if (host >= 0) {
    w.text(XFH);
    w.copy(buf, head.fieldValueStart(host), head.fieldValueEnd(host));
    w.text(CRLF);
  }
  if (head.upgrade) w.text(CONNECTION_UPGRADE_LINE);
  // An HTTP/1.0 request is not persistent by default; ask for it so the upstream connection can be pooled.
  else if (head.minor === 0) w.text(CONNECTION_KEEP_ALIVE_LINE);
  w.text(CRLF);
  return w.out.subarray(0, w.pos);
}

/** How the client connection goes on after a response. */
export const KEEP_OPEN = 0;
/** The client connection closes after this response: say so. */
export const CLOSE = 1;
/** The client spoke HTTP/1.0 and the connection stays open: persistence must be announced. */
export const KEEP_OPEN_HTTP10 = 2;
/** A 101 answer to an upgrade request: keep Upgrade and announce it. */
export const UPGRADE_101 = 3;

export type ClientConnectionMode = typeof KEEP_OPEN | typeof CLOSE | typeof KEEP_OPEN_HTTP10 | typeof UPGRADE_101;

const MODE_LINES = ['', CONNECTION_CLOSE_LINE, CONNECTION_KEEP_ALIVE_LINE, CONNECTION_UPGRADE_LINE];

/**
 * The response head as sent to the client, followed by `body` (the bytes
 * that arrived with the head, copied in so head and body leave in one
 * write): hop-by-hop fields replaced by this hop's Connection.
 */
export function forwardResponseHead(head: ResponseHead, mode: ClientConnectionMode, body: Buffer | null): Buffer {
  const buf = head.buf;
  const chunked = head.framing === CHUNKED_BODY;
  const modeLine = MODE_LINES[mode];
  const w = new HeadWriter(head.end + modeLine.length + (body === null ? 0 : body.length));
  const n = head.fieldCount;
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    const kind = head.fieldKind(i);
    if (kind === 0 && head.connectionOptions === null) continue;
    let keep = kind === UPGRADE ? mode === UPGRADE_101 : !isHopByHop(head, i, kind);
    // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3); sending both invites desync downstream.
    if (chunked && kind === CONTENT_LENGTH) keep = false;
    if (keep) continue;
    w.copy(buf, runStart, head.fieldStart(i));
    runStart = head.fieldLineEnd(i) + 2;
  }
  w.copy(buf, runStart, head.end - 2);
  w.text(modeLine);
  w.text(CRLF);
  if (body !== null) w.copy(body, 0, body.length);
  return w.out.subarray(0, w.pos);
}

/** True when forwardResponseHead would return the head unchanged, so the received bytes can be relayed as they are. */
export function responseHeadUnchanged(head: ResponseHead, mode: ClientConnectionMode): boolean {
  if (mode !== KEEP_OPEN) return false;
  const n = head.fieldCount;
  const chunked = head.framing === CHUNKED_BODY;
  for (let i = 0; i < n; i++) {
    const kind = head.fieldKind(i);
    if (kind === 0 && head.connectionOptions === null) continue;
    if (isHopByHop(head, i, kind) || (chunked && kind === CONTENT_LENGTH)) return false;
  }
  return true;
}
