/**
 * HTTP/1.x message heads, parsed just enough to proxy them, directly on the
 * received bytes: field lines are recorded as offsets into the buffer (no
 * string or object per field), so a head can be re-emitted by copying byte
 * runs, in its original order and case.
 *
 * The parser is strict where leniency would let a client and an upstream
 * disagree about where a message ends (request smuggling): bare CR or LF,
 * control bytes, obs-fold, whitespace before the colon, duplicate or
 * malformed Content-Length, Transfer-Encoding with Content-Length, a
 * request coding that does not end in chunked, a method Node's parser does
 * not know, or a request target outside origin, absolute or asterisk form.
 * What it accepts, a strict parser (llhttp) frames the same way.
 */

import { METHODS } from 'node:http';

/** The message has no body (or the body length is zero). */
export const NO_BODY = 0;
/** The body is `length` bytes long. */
export const LENGTH_BODY = 1;
/** The body is chunked; it ends after the last chunk and the trailer section. */
export const CHUNKED_BODY = 2;
/** The response body runs until the upstream closes the connection. */
export const CLOSE_BODY = 3;

export type BodyFraming = typeof NO_BODY | typeof LENGTH_BODY | typeof CHUNKED_BODY | typeof CLOSE_BODY;

// Field kinds the proxy cares about; everything else is OTHER and passed through.
export const OTHER = 0;
export const CONTENT_LENGTH = 1;
export const TRANSFER_ENCODING = 2;
export const CONNECTION = 3;
export const KEEP_ALIVE = 4;
export const PROXY_CONNECTION = 5;
export const TE = 6;
export const TRAILER = 7;
export const UPGRADE = 8;
export const HOST = 9;
export const X_FORWARDED_FOR = 10;
export const X_FORWARDED_PROTO = 11;
export const X_FORWARDED_HOST = 12;
export const X_FORWARDED_PORT = 13;

// Per field, FIELD_STRIDE numbers in `spans`.
const F_START = 0; // first byte of the line
const F_NAME_END = 1; // the colon
const F_VALUE_START = 2; // value without leading whitespace
const F_VALUE_END = 3; // value without trailing whitespace
const F_LINE_END = 4; // the CR ending the line
const F_KIND = 5;
const FIELD_STRIDE = 6;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);

/** Index just past the `\r\n\r\n` ending a head in `buf`, or -1 if not there yet. */
export function findHeadEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf(HEAD_END, from);
  return i < 0 ? -1 : i + 4;
}

const TOKEN_CHARS = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHARS[c.charCodeAt(0)] = 1;
}

// Bytes that may not appear in a head line: controls except HTAB (CR is handled as the line end).
const FORBIDDEN = new Uint8Array(256);
for (let c = 0; c < 32; c++) FORBIDDEN[c] = c === 9 ? 0 : 1;
FORBIDDEN[127] = 1;

/** Case-insensitive compare of buf[at, at + lower.length) with a lower-case token. */
function equalsLower(buf: Buffer, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    // Only token bytes reach here, and OR 0x20 folds exactly the letters onto lower case.
    if ((buf[at + k] | 0x20) !== lower.charCodeAt(k)) return false;
  }
  return true;
}

function classify(buf: Buffer, at: number, length: number): number {
  switch (length) {
    case 2:
      return equalsLower(buf, at, 'te') ? TE : OTHER;
    case 4:
      return equalsLower(buf, at, 'host') ? HOST : OTHER;
    case 7:
      if (equalsLower(buf, at, 'upgrade')) return UPGRADE;
      return equalsLower(buf, at, 'trailer') ? TRAILER : OTHER;
    case 10:
      if (equalsLower(buf, at, 'connection')) return CONNECTION;
      return equalsLower(buf, at, 'keep-alive') ? KEEP_ALIVE : OTHER;
    case 14:
      return equalsLower(buf, at, 'content-length') ? CONTENT_LENGTH : OTHER;
    case 15:
      return equalsLower(buf, at, 'x-forwarded-for') ? X_FORWARDED_FOR : OTHER;
    case 16:
      if (equalsLower(buf, at, 'proxy-connection')) return PROXY_CONNECTION;
      if (equalsLower(buf, at, 'x-forwarded-host')) return X_FORWARDED_HOST;
      return equalsLower(buf, at, 'x-forwarded-port') ? X_FORWARDED_PORT : OTHER;
    case 17:
      if (equalsLower(buf, at, 'transfer-encoding')) return TRANSFER_ENCODING;
      return equalsLower(buf, at, 'x-forwarded-proto') ? X_FORWARDED_PROTO : OTHER;
    default:
      return OTHER;
  }
}

/**
 * A parsed head: offsets into `buf`, plus the facts needed for framing and
 * forwarding. A connection reuses one instance per direction, so parsing
 * allocates next to nothing.
 */
export abstract class MessageHead {
  /** The bytes the head was parsed from (it starts at offset 0). */
  buf: Buffer = EMPTY;
  /** Index just past the empty line ending the head. */
  end = 0;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor = 1;
  framing: BodyFraming = NO_BODY;
  /** Body length in bytes when framing is LENGTH_BODY, else 0. */
  length = 0;
  /** The connection may carry another message after this one. */
  keepAlive = true;
  /** Index of the CR ending the start line. */
  startLineEnd = 0;
  fieldCount = 0;
  /** FIELD_STRIDE numbers per field; see fieldStart() and friends. */
  readonly spans: number[] = [];
  contentLength = -1;
  transferEncoding: string | undefined = undefined;
  /**
   * The framing fields must be re-emitted rather than copied: a request's
   * Transfer-Encoding (as one normalised line), or a Content-Length with
   * whitespace other than one SP before the value, which RFC 9110 allows but
   * strict parsers such as llhttp refuse (`Content-Length:\t42\t`).
   */
  reframe = false;
  /** Lower-cased Connection options other than close / keep-alive / upgrade: more hop-by-hop field names. */
  connectionOptions: string[] | null = null;
  connectionClose = false;
  connectionKeepAlive = false;
  connectionUpgrade = false;
  /** Index of the Host field, or -1. */
  hostField = -1;
  hasUpgrade = false;

  protected reset(buf: Buffer): void {
    this.buf = buf;
    this.end = 0;
    this.minor = 1;
    this.framing = NO_BODY;
    this.length = 0;
    this.keepAlive = true;
    this.startLineEnd = 0;
    this.fieldCount = 0;
    this.contentLength = -1;
    this.transferEncoding = undefined;
    this.reframe = false;
    this.connectionOptions = null;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.connectionUpgrade = false;
    this.hostField = -1;
    this.hasUpgrade = false;
  }

  fieldStart(i: number): number {
    return this.spans[i * FIELD_STRIDE + F_START];
  }
  fieldNameEnd(i: number): number {
    return this.spans[i * FIELD_STRIDE + F_NAME_END];
  }
  fieldValueStart(i: number): number {
    return this.spans[i * FIELD_STRIDE + F_VALUE_START];
  }
  fieldValueEnd(i: number): number {
    return this.spans[i * FIELD_STRIDE + F_VALUE_END];
  }
  /** Index of the CR ending the field line. */
  fieldLineEnd(i: number): number {
    return this.spans[i * FIELD_STRIDE + F_LINE_END];
  }
  fieldKind(i: number): number {
    return this.spans[i * FIELD_STRIDE + F_KIND];
  }
  fieldName(i: number): string {
    return this.buf.toString('latin1', this.fieldStart(i), this.fieldNameEnd(i));
  }
  fieldValue(i: number): string {
    return this.buf.toString('latin1', this.fieldValueStart(i), this.fieldValueEnd(i));
  }
  /** All fields as [name, value] pairs, in order (for inspection; the proxy path never builds this). */
  fields(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.fieldCount; i++) out.push([this.fieldName(i), this.fieldValue(i)]);
    return out;
  }
  get startLine(): string {
    return this.buf.toString('latin1', 0, this.startLineEnd);
  }
}

export class RequestHead extends MessageHead {
  /** One of the *_METHOD constants. */
  methodCode = OTHER_METHOD;
  /** Index of the space after the method. */
  methodEnd = 0;
  /** Index of the space after the request target. */
  targetEnd = 0;
  /** The client asks to switch protocols (Upgrade + Connection: upgrade). */
  upgrade = false;

  override reset(buf: Buffer): void {
    super.reset(buf);
    this.methodCode = OTHER_METHOD;
    this.methodEnd = 0;
    this.targetEnd = 0;
    this.upgrade = false;
  }

  get method(): string {
    return this.buf.toString('latin1', 0, this.methodEnd);
  }
  get target(): string {
    return this.buf.toString('latin1', this.methodEnd + 1, this.targetEnd);
  }
  get host(): string | undefined {
    return this.hostField < 0 ? undefined : this.fieldValue(this.hostField);
  }
}

export class ResponseHead extends MessageHead {
  status = 0;

  override reset(buf: Buffer): void {
    super.reset(buf);
    this.status = 0;
  }
}

/** The head is not complete within the bytes given (parse functions return it instead of a head). */
export const INCOMPLETE = null;
/** Error returned when no head end was found within the size limit. */
export const HEAD_TOO_LARGE = 'head too large';

/**
 * Finds the end of the head while splitting it into lines, validating bytes
 * and recording field spans and framing facts, all in one pass over
 * `buf[0, limit)`. Returns an error message, INCOMPLETE, or '' when done.
 */
function scanHead(head: MessageHead, buf: Buffer, limit: number): string | null {
  const len = Math.min(buf.length, limit);
  const incomplete = len === limit ? HEAD_TOO_LARGE : INCOMPLETE;
  let i = 0;
  for (;;) {
    if (i >= len) return incomplete;
    const c = buf[i];
    if (c === 13) break;
    if (FORBIDDEN[c] === 1) return 'invalid character in head';
    i++;
  }
  if (i + 1 >= len) return incomplete;
  if (buf[i + 1] !== 10) return 'invalid line ending';
  head.startLineEnd = i;
  i += 2;
  const spans = head.spans;
  let n = 0;
  let k = 0;
  for (;;) {
    if (i + 1 >= len) return incomplete;
    if (buf[i] === 13) {
      if (buf[i + 1] !== 10) return 'invalid line ending';
      head.end = i + 2;
      break;
    }
    const start = i;
    // Field name: token bytes up to the colon (this also refuses obs-fold and space before the colon).
    while (i < len && TOKEN_CHARS[buf[i]] === 1) i++;
    if (i >= len) return incomplete;
    if (i === start || buf[i] !== 58) return 'malformed header line';
    const colon = i++;
    while (i < len && (buf[i] === 32 || buf[i] === 9)) i++;
    const valueStart = i;
    let valueEnd = i;
    for (;;) {
      if (i >= len) return incomplete;
      const c = buf[i];
      if (c === 13) break;
      if (FORBIDDEN[c] === 1) return 'invalid character in header value';
      i++;
      if (c !== 32 && c !== 9) valueEnd = i;
    }
    if (i + 1 >= len) return incomplete;
    if (buf[i + 1] !== 10) return 'invalid line ending';
    const kind = classify(buf, start, colon - start);
    // Assigned by index: the array keeps its capacity from one head to the next.
    spans[k] = start;
    spans[k + 1] = colon;
    spans[k + 2] = valueStart;
    spans[k + 3] = valueEnd;
    spans[k + 4] = i;
    spans[k + 5] = kind;
    k += FIELD_STRIDE;
    if (kind !== OTHER) {
      const error = noteField(head, kind, n, valueStart, valueEnd);
      if (error !== null) return error;
      // Anything but `Content-Length: N` exactly is re-emitted in that form.
      if (kind === CONTENT_LENGTH && (valueStart !== colon + 2 || buf[colon + 1] !== 32 || valueEnd !== i)) {
        head.reframe = true;
      }
    }
    n++;
    i += 2;
  }
  head.fieldCount = n;
  return '';
}

function noteField(head: MessageHead, kind: number, index: number, start: number, end: number): string | null {
  const buf = head.buf;
  switch (kind) {
    case CONTENT_LENGTH: {
      if (head.contentLength !== -1) return 'duplicate content-length';
      if (end === start || end - start > 15) return 'invalid content-length';
      let v = 0;
      for (let k = start; k < end; k++) {
        const d = buf[k] - 48;
        if (d < 0 || d > 9) return 'invalid content-length';
        v = v * 10 + d;
      }
      head.contentLength = v;
      break;
    }
    case TRANSFER_ENCODING: {
      const value = buf.toString('latin1', start, end);
      head.transferEncoding = head.transferEncoding === undefined ? value : `${head.transferEncoding},${value}`;
      break;
    }
    case CONNECTION:
      noteConnection(head, start, end);
      break;
    case HOST:
      if (head.hostField !== -1) return 'duplicate host';
      head.hostField = index;
      break;
    case UPGRADE:
      head.hasUpgrade = true;
      break;
  }
  return null;
}

function noteConnection(head: MessageHead, start: number, end: number): void {
  const buf = head.buf;
  // The usual single options, without building strings.
  const length = end - start;
  if (length === 10 && equalsLower(buf, start, 'keep-alive')) head.connectionKeepAlive = true;
  else if (length === 5 && equalsLower(buf, start, 'close')) head.connectionClose = true;
  else if (length === 7 && equalsLower(buf, start, 'upgrade')) head.connectionUpgrade = true;
  else {
    for (const option of buf.toString('latin1', start, end).split(',')) {
      const t = option.trim().toLowerCase();
      if (t === 'keep-alive') head.connectionKeepAlive = true;
      else if (t === 'close') head.connectionClose = true;
      else if (t === 'upgrade') head.connectionUpgrade = true;
      else if (t !== '') {
        if (head.connectionOptions === null) head.connectionOptions = [];
        head.connectionOptions.push(t);
      }
    }
  }
}

/** The codings listed, trimmed and lower-cased, empty list elements left out. */
function codings(te: string): string[] {
  const out: string[] = [];
  for (const c of te.split(',')) {
    const t = c.trim().toLowerCase();
    if (t !== '') out.push(t);
  }
  return out;
}

/** True when chunked is the final coding (and appears once); undefined when chunked is applied before another coding. */
function endsChunked(te: string): boolean | undefined {
  const list = codings(te);
  const at = list.indexOf('chunked');
  if (at === -1) return false;
  return at === list.length - 1 ? true : undefined;
}

function isToken(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (TOKEN_CHARS[s.charCodeAt(k)] !== 1) return false;
  return s.length > 0;
}

/**
 * A request's Transfer-Encoding as forwarded: one list of token codings
 * ending in chunked (chunked once), or undefined when it must be refused.
 */
export function requestCodings(te: string): string | undefined {
  const list = codings(te);
  if (list.length === 0 || list.indexOf('chunked') !== list.length - 1) return undefined;
  for (const c of list) if (!isToken(c)) return undefined;
  return list.join(', ');
}

// Request methods the proxy treats specially (RFC 9110 §9); anything else is OTHER_METHOD.
export const OTHER_METHOD = 0;
export const GET = 1;
export const HEAD = 2;
export const POST = 3;
export const PUT = 4;
export const DELETE = 5;
export const OPTIONS = 6;
export const TRACE = 7;
export const CONNECT = 8;

const IDEMPOTENT = new Uint8Array(16);
for (const code of [GET, HEAD, PUT, DELETE, OPTIONS, TRACE]) IDEMPOTENT[code] = 1;

/** RFC 9110 §9.2.2: repeating the request has the same effect as sending it once. */
export function isIdempotent(methodCode: number): boolean {
  return IDEMPOTENT[methodCode] === 1;
}

/** Extension methods accepted besides those with a code: the ones Node's own parser knows (WebDAV, PURGE, ...). */
const KNOWN_METHODS = new Set(METHODS);

function bytesAre(buf: Buffer, text: string): boolean {
  for (let k = 0; k < text.length; k++) if (buf[k] !== text.charCodeAt(k)) return false;
  return true;
}

/** Methods are case-sensitive (RFC 9110 §9.1): compares the exact bytes of buf[0, length). */
function methodCode(buf: Buffer, length: number): number {
  switch (length) {
    case 3:
      if (bytesAre(buf, 'GET')) return GET;
      if (bytesAre(buf, 'PUT')) return PUT;
      break;
    case 4:
      if (bytesAre(buf, 'HEAD')) return HEAD;
      if (bytesAre(buf, 'POST')) return POST;
      break;
    case 5:
      if (bytesAre(buf, 'TRACE')) return TRACE;
      break;
    case 6:
      if (bytesAre(buf, 'DELETE')) return DELETE;
      break;
    case 7:
      if (bytesAre(buf, 'OPTIONS')) return OPTIONS;
      if (bytesAre(buf, 'CONNECT')) return CONNECT;
      break;
  }
  return OTHER_METHOD;
}

/** Reads `HTTP/1.0` or `HTTP/1.1` at buf[at, at + 8); returns the minor version or -1. */
function httpVersion(buf: Buffer, at: number): number {
  if (
    buf[at] !== 72 || // H
    buf[at + 1] !== 84 || // T
    buf[at + 2] !== 84 || // T
    buf[at + 3] !== 80 || // P
    buf[at + 4] !== 47 || // /
    buf[at + 5] !== 49 || // 1
    buf[at + 6] !== 46 // .
  ) {
    return -1;
  }
  const minor = buf[at + 7];
  return minor === 48 ? 0 : minor === 49 ? 1 : -1;
}

/**
 * Parses the request head at the start of `buf` (into `into` when given; a
 * connection reuses one). Returns INCOMPLETE when the head has not fully
 * arrived, or an error message when the request must be refused
 * (HEAD_TOO_LARGE when no head ends within `limit` bytes).
 */
// Bytes allowed in a request target: visible ASCII except '#' (a fragment is never sent, RFC 9112 §3.2).
const TARGET_CHARS = new Uint8Array(256);
for (let c = 33; c < 127; c++) TARGET_CHARS[c] = c === 35 ? 0 : 1;

/** Origin form (`/...`), asterisk form (`*`), or absolute form (`scheme://...`, letters only in the scheme, as llhttp). */
function targetFormValid(buf: Buffer, start: number, end: number): boolean {
  const c = buf[start];
  if (c === 47) return true; // '/'
  if (c === 42) return end === start + 1; // '*'
  let i = start;
  while (i < end && (buf[i] | 0x20) >= 97 && (buf[i] | 0x20) <= 122) i++;
  return i > start && i + 3 <= end && buf[i] === 58 && buf[i + 1] === 47 && buf[i + 2] === 47;
}

export function parseRequestHead(
  buf: Buffer,
  limit: number,
  into = new RequestHead(),
): RequestHead | string | typeof INCOMPLETE {
  const head = into;
  head.reset(buf);
  const error = scanHead(head, buf, limit);
  if (error !== '') return error;

  const lineEnd = head.startLineEnd;
  let i = 0;
  while (i < lineEnd && TOKEN_CHARS[buf[i]] === 1) i++;
  if (i === 0 || buf[i] !== 32) return 'malformed request line';
  head.methodEnd = i;
  i++;
  const targetStart = i;
  while (i < lineEnd && TARGET_CHARS[buf[i]] === 1) i++;
  if (i === targetStart || buf[i] !== 32 || i + 9 !== lineEnd) return 'malformed request line';
  head.targetEnd = i;
  const minor = httpVersion(buf, i + 1);
  if (minor < 0) return 'malformed request line';
  head.minor = minor;
  const code = methodCode(buf, head.methodEnd);
  head.methodCode = code;
  if (code === OTHER_METHOD && !KNOWN_METHODS.has(buf.toString('latin1', 0, head.methodEnd))) return 'unknown method';
  // CONNECT (authority form) is answered 405 by the proxy, not refused as malformed.
  if (code !== CONNECT && !targetFormValid(buf, targetStart, i)) return 'malformed request target';
  if (minor === 1 && head.hostField < 0) return 'missing host';

  if (head.transferEncoding !== undefined) {
    if (minor === 0) return 'transfer-encoding in an HTTP/1.0 request';
    if (head.contentLength !== -1) return 'both transfer-encoding and content-length';
    const list = requestCodings(head.transferEncoding);
    if (list === undefined) return 'unsupported transfer-encoding';
    head.transferEncoding = list;
    head.reframe = true;
    head.framing = CHUNKED_BODY;
  } else if (head.contentLength > 0) {
    head.framing = LENGTH_BODY;
    head.length = head.contentLength;
  }
  head.keepAlive = !head.connectionClose && (minor === 1 || head.connectionKeepAlive);
  head.upgrade = head.hasUpgrade && head.connectionUpgrade;
  return head;
}

/**
 * Parses the response head at the start of `buf`, like parseRequestHead.
 * `headRequest` tells that the request was HEAD, so the response has no body
 * whatever its fields say.
 */
export function parseResponseHead(
  buf: Buffer,
  limit: number,
  headRequest: boolean,
  into = new ResponseHead(),
): ResponseHead | string | typeof INCOMPLETE {
  const head = into;
  head.reset(buf);
  const error = scanHead(head, buf, limit);
  if (error !== '') return error;

  const minor = httpVersion(buf, 0);
  const d0 = buf[9] - 48;
  const d1 = buf[10] - 48;
  const d2 = buf[11] - 48;
  const lineEnd = head.startLineEnd;
  if (
    minor < 0 ||
    buf[8] !== 32 ||
    lineEnd < 12 ||
    d0 < 1 ||
    d0 > 5 ||
    d1 < 0 ||
    d1 > 9 ||
    d2 < 0 ||
    d2 > 9 ||
    (lineEnd > 12 && buf[12] !== 32)
  ) {
    return 'malformed status line';
  }
  const status = d0 * 100 + d1 * 10 + d2;
  head.status = status;
  head.minor = minor;

  if (headRequest || status < 200 || status === 204 || status === 304) {
    head.framing = NO_BODY;
  } else if (head.transferEncoding !== undefined) {
    // RFC 9112 §6.3: a response whose final coding is not chunked is delimited by close.
    head.framing = endsChunked(head.transferEncoding) === true ? CHUNKED_BODY : CLOSE_BODY;
  } else if (head.contentLength >= 0) {
    head.framing = head.contentLength === 0 ? NO_BODY : LENGTH_BODY;
    head.length = head.contentLength;
  } else {
    head.framing = CLOSE_BODY;
  }
  head.keepAlive = head.framing !== CLOSE_BODY && !head.connectionClose && (minor === 1 || head.connectionKeepAlive);
  return head;
}
