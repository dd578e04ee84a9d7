import type { Socket } from 'node:net';
import { ChunkedScanner } from './chunked-scanner.js';
import {
  CLOSE,
  type ClientConnectionMode,
  forwardRequestHead,
  forwardResponseHead,
  KEEP_OPEN,
  KEEP_OPEN_HTTP10,
  responseHeadUnchanged,
  UPGRADE_101,
} from './forward-heads.js';
import {
  type BodyFraming,
  CHUNKED_BODY,
  CLOSE_BODY,
  CONNECT,
  findHeadEnd,
  HEAD,
  HEAD_TOO_LARGE,
  INCOMPLETE,
  isIdempotent,
  LENGTH_BODY,
  NO_BODY,
  parseRequestHead,
  parseResponseHead,
  RequestHead,
  ResponseHead,
} from './http-head.js';
import { localResponse } from './local-response.js';
import type { TrafficCounter } from './traffic-counter.js';
import type { UpstreamOwner, UpstreamPool, UpstreamSocket } from './upstream-pool.js';

/** An app's current upstreams, swapped as a whole by setRoute. */
export interface RouteEntry {
  readonly pools: readonly UpstreamPool[];
  /** Round-robin cursor. */
  next: number;
}

/** Settings and clock shared by all connections of a router. */
export interface ProxyContext {
  /** Coarse clock (ms), advanced by the router's sweep; cheap to read on every event. */
  readonly now: number;
  readonly maxHeadBytes: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly upstreamTimeoutMs: number;
  readonly lingerMs: number;
  log(app: string, message: string): void;
}

/** The listener side of one app, as seen by its connections. */
export interface ProxySite {
  readonly app: string;
  route: RouteEntry | null;
  /** No new exchange starts; connections close after their current response. */
  closing: boolean;
  readonly connections: Set<ProxyConnection>;
  /** Responses counted by status and upstream (Router.stats). */
  readonly traffic: TrafficCounter;
}

// Connection phases.
const IDLE = 0; // between requests, or reading a request head
const CONNECTING = 1; // head parsed, waiting for an upstream connection
const ACTIVE = 2; // request sent (body may still stream), response pending or streaming
const TUNNEL = 3; // after a 101: raw bytes both ways
const CLOSED = 4; // closing or closed: ignore everything

// Why the client socket is paused; reading resumes when no reason is left.
const HOLD = 1; // bytes past the current request wait until its response is complete
const UPSTREAM_FULL = 2; // the upstream socket's write buffer is full

// While the request may still be replayed on a fresh connection, keep up to this much of its body.
const MAX_REPLAY_BYTES = 64 * 1024;

// Up to this size, the body bytes that came with a response head are copied in with it: one plain write beats a writev.
const COALESCE_LIMIT = 16 * 1024;

/** Writes a head and the body bytes that go with it in one system call; false on backpressure. */
function writeHeadAndBody(socket: Socket, head: Buffer, body: Buffer | null): boolean {
  if (body === null) return socket.write(head);
  socket.cork();
  socket.write(head);
  const ok = socket.write(body);
  socket.uncork();
  return ok;
}

function clientAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * One client connection: reads request heads, routes each request on its
 * own (so a route switch applies from the next request), and relays bodies
 * byte for byte while following their framing. One exchange at a time:
 * pipelined requests wait in `buffered` until the current response is
 * complete, which keeps responses in order.
 */
export class ProxyConnection implements UpstreamOwner {
  private phase = IDLE;
  private paused = 0;
  /** Client bytes not consumed yet: a partial head, or data past the current request. */
  private buffered: Buffer | null = null;
  /** Where to resume looking for the end of a partial request head; -1 when no head is partial. */
  private scanFrom = -1;
  private readonly clientIp: string;
  private clientEnded = false;
  /** Last client activity (coarse clock). */
  private lastActive: number;
  /**
   * When the current request head started (its first byte, or the start of the
   * connection for the first request, or the end of the previous exchange
   * when bytes were waiting); -1 while no head is due. Empty lines before a
   * request do not restart it, so a client trickling CRLFs is no way around
   * headersTimeoutMs.
   */
  private headSince: number;
  /** Storage a partial head grows in (see appendHead); dropped once the head is complete. */
  private headStore: Buffer | null = null;
  private closedAt = 0;

  // The current exchange.
  private route: RouteEntry | null = null;
  private firstPool = 0;
  private attempts = 0;
  private pool: UpstreamPool | null = null;
  private up: UpstreamSocket | null = null;
  private upPaused = false;
  private connectStartedAt = 0;
  private lastProgress = 0;
  private requestHead: Buffer | null = null;
  private clientMinor = 1;
  private headRequest = false;
  private wantsUpgrade = false;
  private idempotent = false;
  private closeAfter = false;
  private reqFraming: BodyFraming = NO_BODY;
  private reqRemaining = 0;
  private reqDone = true;
  private readonly reqChunks = new ChunkedScanner();
  private readonly reqHead = new RequestHead();
  private readonly resHead = new ResponseHead();
  /**
   * What an idempotent request sent upstream, to send again when the
   * connection fails before any byte of the response: a stale pooled
   * connection, or an upstream that died with the request (then another
   * upstream gets it). Null once unreplayable.
   */
  private replay: Buffer[] | null = null;
  private replayBytes = 0;
  private resend = false;
  private resPartial: Buffer | null = null;
  private resScanFrom = -1;
  private resHeadDone = false;
  /** A final response head went to the client: failures can no longer be reported as a response. */
  private resSent = false;
  private resFraming: BodyFraming = NO_BODY;
  private resRemaining = 0;
  private readonly resChunks = new ChunkedScanner();
  private upReusable = false;
  /** The final response head, written together with the first body bytes. */
  private pendingHead: ResponseHead | null = null;
  private responseMode: ClientConnectionMode = KEEP_OPEN;

  constructor(
    private readonly socket: Socket,
    private readonly site: ProxySite,
    private readonly ctx: ProxyContext,
  ) {
    this.clientIp = clientAddress(socket);
    this.lastActive = ctx.now;
    this.headSince = ctx.now;
    site.connections.add(this);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
  }

  /** Whether an exchange is in progress (for graceful shutdown). */
  get busy(): boolean {
    return this.phase === CONNECTING || this.phase === ACTIVE || this.phase === TUNNEL;
  }

  /** Stops after the current exchange; closes now when idle. */
  shutdown(): void {
    if (this.busy) this.closeAfter = true;
    else if (this.phase !== CLOSED) this.closeClient();
    // Already closing and everything written: no reason to linger any longer.
    else if (this.socket.writableFinished) this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Enforces timeouts; called by the router's periodic sweep. */
  sweep(now: number): void {
    const ctx = this.ctx;
    switch (this.phase) {
      case IDLE:
        if (this.headSince >= 0) {
          if (now - this.headSince > ctx.headersTimeoutMs) {
            // A partial head gets 408; a connection that sent nothing (or only empty lines) just closes.
            if (this.buffered !== null) this.reject(408, 'request timeout\n');
            else this.socket.destroy();
          }
        } else if (now - this.lastActive > ctx.keepAliveTimeoutMs) {
          this.socket.destroy();
        }
        break;
      case CONNECTING:
        if (now - this.connectStartedAt > ctx.connectTimeoutMs) {
          this.up?.socket.destroy(new Error('connect timeout'));
        }
        break;
      case ACTIVE:
        // The request body must keep coming, unless the upstream is the one not taking it.
        if (!this.reqDone && (this.paused & UPSTREAM_FULL) === 0 && now - this.lastActive > ctx.bodyTimeoutMs) {
          this.bodyTimedOut();
        } else if (now - this.lastProgress > ctx.upstreamTimeoutMs) {
          this.upstreamFailed('timeout', 504, false);
        }
        break;
      case CLOSED:
        // Give a slow reader time to take the last response before forcing the close.
        if (now - this.closedAt > (this.socket.writableFinished ? ctx.lingerMs : ctx.upstreamTimeoutMs)) {
          this.socket.destroy();
        }
        break;
    }
  }

  // ---- client socket events ----

  private readonly onData = (chunk: Buffer): void => {
    this.lastActive = this.ctx.now;
    switch (this.phase) {
      case ACTIVE:
        if (!this.reqDone) this.forwardRequestBody(chunk);
        else this.hold(chunk);
        return;
      case IDLE:
        if (this.headSince < 0) this.headSince = this.ctx.now;
        if (this.buffered === null) this.buffered = chunk;
        else this.appendHead(chunk);
        this.parseNext();
        return;
      case CONNECTING:
        this.hold(chunk);
        return;
      case TUNNEL:
        if (!this.up!.socket.write(chunk)) this.pause(UPSTREAM_FULL);
        return;
      // CLOSED: discard while lingering for the client's FIN.
    }
  };

  private readonly onEnd = (): void => {
    this.clientEnded = true;
    switch (this.phase) {
      case IDLE:
        // Anything buffered now is an incomplete head that can never complete.
        this.closeClient();
        return;
      case TUNNEL:
        this.up!.socket.end();
        return;
      case CONNECTING:
        // The body may be complete in the bytes held until the upstream is ready: sendRequest decides.
        return;
      case ACTIVE:
        // A request cut short cannot be completed. Complete ones (this one and any pipelined after it) still get
        // their responses; the connection closes once nothing is left to answer.
        if (!this.reqDone) this.socket.destroy();
        return;
      // CLOSED: our side is ending too; the socket destroys itself once both directions are done.
    }
  };

  private readonly onError = (): void => {
    // 'close' follows; a client's network error is not the router's concern.
  };

  private readonly onClose = (): void => {
    this.phase = CLOSED;
    this.site.connections.delete(this);
    this.buffered = null;
    this.headStore = null;
    this.replay = null;
    const up = this.up;
    this.up = null;
    up?.destroy();
    const pool = this.pool;
    this.pool = null;
    pool?.end();
  };

  private readonly onDrain = (): void => {
    if (this.upPaused) {
      this.upPaused = false;
      this.up?.socket.resume();
    }
  };

  private pause(reason: number): void {
    if (this.paused === 0) this.socket.pause();
    this.paused |= reason;
  }

  private unpause(reason: number): void {
    if ((this.paused & reason) === 0) return;
    this.paused &= ~reason;
    if (this.paused === 0 && this.phase !== CLOSED) this.socket.resume();
  }

  /**
   * Appends to a partial request head. The head grows in storage of its own,
   * doubled when full, so a head arriving a byte at a time costs linear
   * copying, not a copy of everything so far per byte.
   */
  private appendHead(chunk: Buffer): void {
    const buf = this.buffered!;
    const length = buf.length + chunk.length;
    let store = this.headStore;
    // Appending in place only while `buffered` is exactly the start of the store.
    if (store === null || buf.buffer !== store.buffer || buf.byteOffset !== store.byteOffset || length > store.length) {
      store = Buffer.allocUnsafe(Math.max(4096, length * 2));
      buf.copy(store, 0);
      this.headStore = store;
    }
    chunk.copy(store, buf.length);
    this.buffered = store.subarray(0, length);
  }

  /** Keeps client bytes that cannot be consumed yet and stops reading more. */
  private hold(chunk: Buffer): void {
    this.buffered = this.buffered === null ? chunk : Buffer.concat([this.buffered, chunk]);
    this.pause(HOLD);
  }

  // ---- requests ----

  /** Starts exchanges for complete heads in `buffered`, one at a time. */
  private parseNext(): void {
    const max = this.ctx.maxHeadBytes;
    while (this.phase === IDLE && this.buffered !== null) {
      let buf = this.buffered;
      // RFC 9112 §2.2: empty lines before a request line are ignored (some clients send CRLF after a body).
      let skip = 0;
      while (skip + 1 < buf.length && buf[skip] === 13 && buf[skip + 1] === 10) skip += 2;
      if (skip > 0) {
        buf = buf.subarray(skip);
        this.buffered = buf.length > 0 ? buf : null;
        if (this.buffered === null) break;
      }
      // After a partial head, look for its end in the new bytes only, so a head trickling in is not rescanned.
      if (this.scanFrom >= 0 && findHeadEnd(buf, this.scanFrom) < 0) {
        if (buf.length > max) this.reject(431, 'request header fields too large\n');
        else this.scanFrom = Math.max(0, buf.length - 3);
        return;
      }
      const head = parseRequestHead(buf, max, this.reqHead);
      if (head === INCOMPLETE) {
        this.scanFrom = Math.max(0, buf.length - 3);
        return;
      }
      this.scanFrom = -1;
      if (typeof head === 'string') {
        if (head === HEAD_TOO_LARGE) this.reject(431, 'request header fields too large\n');
        else this.reject(400, 'bad request\n');
        return;
      }
      this.buffered = head.end < buf.length ? buf.subarray(head.end) : null;
      this.headSince = -1;
      // What follows the head may still point into the store: it is never appended to in place again.
      this.headStore = null;
      this.begin(head);
    }
    if (this.phase === IDLE && this.clientEnded) this.closeClient();
  }

  private begin(head: RequestHead): void {
    this.clientMinor = head.minor;
    this.headRequest = head.methodCode === HEAD;
    this.closeAfter = !head.keepAlive || this.site.closing;
    const route = this.site.route;
    const hasBody = head.framing !== NO_BODY;
    if (route === null) {
      // Without an upstream to read it, a request body would have to be skipped; closing is simpler and safe.
      this.respond(404, `no live release for ${this.site.app}\n`, this.closeAfter || hasBody);
      return;
    }
    if (head.methodCode === CONNECT) {
      this.respond(405, 'method not allowed\n', true);
      return;
    }
    this.wantsUpgrade = head.upgrade;
    // Only these may be sent again after a pooled connection fails (RFC 9110 §9.2.2).
    this.idempotent = isIdempotent(head.methodCode);
    this.reqFraming = head.framing;
    this.reqRemaining = head.length;
    this.reqDone = !hasBody;
    if (head.framing === CHUNKED_BODY) this.reqChunks.reset();
    this.requestHead = forwardRequestHead(head, this.clientIp);
    this.resend = false;
    this.resPartial = null;
    this.resScanFrom = -1;
    this.resHeadDone = false;
    this.pendingHead = null;
    this.resSent = false;
    this.upReusable = false;
    this.route = route;
    this.attempts = 0;
    const n = route.pools.length;
    this.firstPool = route.next;
    route.next = route.next + 1 >= n ? 0 : route.next + 1;
    this.attach(route.pools[this.firstPool]);
  }

  private attach(pool: UpstreamPool): void {
    this.pool = pool;
    pool.begin();
    this.lastProgress = this.ctx.now;
    const up = pool.take(this);
    if (up !== null) {
      this.up = up;
      this.sendRequest();
      return;
    }
    this.phase = CONNECTING;
    this.connectStartedAt = this.ctx.now;
    if (this.buffered !== null) this.pause(HOLD);
    this.up = pool.open(this);
  }

  onUpstreamConnect(up: UpstreamSocket): void {
    if (up === this.up && this.phase === CONNECTING) this.sendRequest();
  }

  private sendRequest(): void {
    const up = this.up!;
    const s = up.socket;
    this.phase = ACTIVE;
    this.lastProgress = this.ctx.now;
    // The body timeout counts from here: the client may have been held while the upstream connection opened.
    this.lastActive = this.ctx.now;
    const replay = this.resend ? this.replay : null;
    this.replay = this.idempotent ? (replay ?? []) : null;
    this.resend = false;
    if (replay === null) {
      this.replayBytes = 0;
      this.sendHeadAndBufferedBody(this.requestHead!);
    } else {
      s.cork();
      s.write(this.requestHead!);
      for (const part of replay) s.write(part);
      this.sendHeadAndBufferedBody(null);
      s.uncork();
    }
    if (this.phase !== ACTIVE) return;
    // The client ended while the upstream was connecting, before the body was complete: it never will be.
    if (!this.reqDone && this.clientEnded) {
      this.socket.destroy();
      return;
    }
    if (this.reqDone && this.buffered !== null) this.pause(HOLD);
    else this.unpause(HOLD);
  }

  /** Sends the body bytes that arrived before the upstream was ready, after `head` if given. */
  private sendHeadAndBufferedBody(head: Buffer | null): void {
    if (!this.reqDone && this.buffered !== null) {
      const body = this.buffered;
      this.buffered = null;
      this.forwardRequestBody(body, head);
    } else if (head !== null && !this.up!.socket.write(head)) {
      this.pause(UPSTREAM_FULL);
    }
  }

  private forwardRequestBody(chunk: Buffer, head: Buffer | null = null): void {
    let end: number;
    if (this.reqFraming === LENGTH_BODY) {
      end = Math.min(this.reqRemaining, chunk.length);
      this.reqRemaining -= end;
      this.reqDone = this.reqRemaining === 0;
    } else {
      end = this.reqChunks.scan(chunk, 0, chunk.length);
      if (end < 0) {
        this.ctx.log(this.site.app, 'malformed chunked request body');
        if (this.resSent) this.socket.destroy();
        else this.failExchange(400, 'bad request\n');
        return;
      }
      this.reqDone = this.reqChunks.done;
    }
    this.lastProgress = this.ctx.now;
    const part = end === 0 ? null : end === chunk.length ? chunk : chunk.subarray(0, end);
    if (part !== null && this.replay !== null) {
      this.replayBytes += part.length;
      if (this.replayBytes > MAX_REPLAY_BYTES) this.replay = null;
      else this.replay.push(part);
    }
    const s = this.up!.socket;
    if (head !== null) {
      if (!writeHeadAndBody(s, head, part)) this.pause(UPSTREAM_FULL);
    } else if (part !== null && !s.write(part)) {
      this.pause(UPSTREAM_FULL);
    }
    if (this.reqDone && end < chunk.length) this.hold(chunk.subarray(end));
  }

  onUpstreamDrain(up: UpstreamSocket): void {
    if (up !== this.up) return;
    // The client was not read while the upstream was full: that time does not count against its body.
    if ((this.paused & UPSTREAM_FULL) !== 0) this.lastActive = this.ctx.now;
    this.unpause(UPSTREAM_FULL);
  }

  // ---- responses ----

  onUpstreamData(up: UpstreamSocket, chunk: Buffer): boolean {
    if (up !== this.up) {
      up.destroy();
      return false;
    }
    this.lastProgress = this.ctx.now;
    if (this.phase === TUNNEL) {
      if (!this.socket.write(chunk)) this.pauseUpstream();
    } else if (this.phase !== ACTIVE) {
      this.upstreamFailed('data before the request was sent', 502, false);
    } else if (this.resHeadDone) {
      this.forwardResponseBody(chunk);
    } else {
      const body = this.readResponseHead(chunk);
      if (body !== null) this.forwardResponseBody(body);
    }
    // Whatever the client socket could not send right away still points into `chunk`.
    return this.socket.writableLength > 0;
  }

  /** Consumes response heads (interim ones included); returns the body bytes after the final head, or null. */
  private readResponseHead(chunk: Buffer): Buffer | null {
    // The upstream answered: the request can no longer be safely replayed elsewhere.
    this.replay = null;
    let buf = this.resPartial === null ? chunk : Buffer.concat([this.resPartial, chunk]);
    for (;;) {
      const max = this.ctx.maxHeadBytes;
      if (this.resScanFrom >= 0 && findHeadEnd(buf, this.resScanFrom) < 0) {
        if (buf.length > max) this.upstreamFailed('response head too large', 502, false);
        else this.keepPartialResponse(buf);
        return null;
      }
      const head = parseResponseHead(buf, max, this.headRequest, this.resHead);
      if (head === INCOMPLETE) {
        this.keepPartialResponse(buf);
        return null;
      }
      this.resPartial = null;
      this.resScanFrom = -1;
      if (typeof head === 'string') {
        this.upstreamFailed(`invalid response head: ${head}`, 502, false);
        return null;
      }
      const end = head.end;
      if (head.status === 101) {
        if (this.wantsUpgrade) this.startTunnel(head, buf.subarray(end));
        else this.upstreamFailed('101 without an upgrade request', 502, false);
        return null;
      }
      if (head.status >= 200) {
        this.startResponse(head);
        return buf.subarray(end);
      }
      // Interim response (100 Continue, 103 Early Hints): relay as is; HTTP/1.0 clients do not expect them.
      if (this.clientMinor === 1) this.socket.write(buf.subarray(0, end));
      // A client that waited for 100 Continue starts its body now.
      this.lastActive = this.ctx.now;
      if (end === buf.length) return null;
      buf = buf.subarray(end);
    }
  }

  private keepPartialResponse(buf: Buffer): void {
    // A copy: `buf` may be the upstream socket's read buffer, which the next read overwrites.
    this.resPartial = Buffer.from(buf);
    this.resScanFrom = Math.max(0, buf.length - 3);
  }

  private startResponse(head: ResponseHead): void {
    this.site.traffic.count(head.status, this.pool?.key ?? 'router');
    this.resHeadDone = true;
    this.resFraming = head.framing;
    this.resRemaining = head.length;
    if (head.framing === CHUNKED_BODY) this.resChunks.reset();
    // An upgrade request that got a plain answer leaves the upstream expecting Connection: upgrade semantics.
    this.upReusable = head.keepAlive && !this.wantsUpgrade;
    const lastRequest = this.clientEnded && this.buffered === null;
    if (head.framing === CLOSE_BODY || this.site.closing || lastRequest) this.closeAfter = true;
    this.pendingHead = head;
    this.responseMode = this.closeAfter ? CLOSE : this.clientMinor === 0 ? KEEP_OPEN_HTTP10 : KEEP_OPEN;
  }

  private forwardResponseBody(data: Buffer): void {
    let end: number;
    let done: boolean;
    switch (this.resFraming) {
      case LENGTH_BODY:
        end = Math.min(this.resRemaining, data.length);
        this.resRemaining -= end;
        done = this.resRemaining === 0;
        break;
      case CHUNKED_BODY:
        end = this.resChunks.scan(data, 0, data.length);
        if (end < 0) {
          // Still unsent, the head can give way to a 502.
          this.pendingHead = null;
          this.upstreamFailed('malformed chunked response body', 502, false);
          return;
        }
        done = this.resChunks.done;
        break;
      case CLOSE_BODY:
        end = data.length;
        done = false;
        break;
      default:
        end = 0;
        done = true;
    }
    const head = this.pendingHead;
    if (head !== null) {
      this.pendingHead = null;
      this.resSent = true;
      if (!this.writeResponseHead(head, data, end)) this.pauseUpstream();
    } else if (end > 0 && !this.socket.write(end === data.length ? data : data.subarray(0, end))) {
      this.pauseUpstream();
    }
    if (!done) return;
    // Bytes past the end of the response: the upstream is confused, do not reuse it.
    if (end < data.length) this.upReusable = false;
    this.finishExchange(this.upReusable && this.reqDone);
  }

  /** Sends the response head with the first `bodyLength` body bytes (`body` follows the head in `head.buf`). */
  private writeResponseHead(head: ResponseHead, body: Buffer, bodyLength: number): boolean {
    const mode = this.responseMode;
    // Nothing to change (e.g. an HTTP/1.1 upstream that sends no Connection field): relay the bytes as they came.
    if (responseHeadUnchanged(head, mode)) return this.socket.write(head.buf.subarray(0, head.end + bodyLength));
    if (bodyLength <= COALESCE_LIMIT) {
      return this.socket.write(forwardResponseHead(head, mode, bodyLength === 0 ? null : body.subarray(0, bodyLength)));
    }
    return writeHeadAndBody(this.socket, forwardResponseHead(head, mode, null), body.subarray(0, bodyLength));
  }

  private pauseUpstream(): void {
    if (this.upPaused) return;
    this.upPaused = true;
    this.up!.socket.pause();
  }

  private startTunnel(head: ResponseHead, rest: Buffer): void {
    this.phase = TUNNEL;
    this.resSent = true;
    const s = this.socket;
    s.cork();
    s.write(forwardResponseHead(head, UPGRADE_101, null));
    if (rest.length > 0) s.write(rest);
    s.uncork();
    const pending = this.buffered;
    this.buffered = null;
    if (pending !== null && !this.up!.socket.write(pending)) this.pause(UPSTREAM_FULL);
    this.unpause(HOLD);
    if (this.clientEnded) this.up!.socket.end();
  }

  onUpstreamEnd(up: UpstreamSocket): void {
    if (up !== this.up) return;
    if (this.phase === TUNNEL) this.socket.end();
    else if (this.phase === ACTIVE && this.resHeadDone && this.resFraming === CLOSE_BODY) this.finishExchange(false);
    else this.upstreamFailed('upstream closed the connection before the response was complete', 502, true);
  }

  onUpstreamClose(up: UpstreamSocket, error: Error | undefined): void {
    if (up !== this.up) return;
    if (this.phase === TUNNEL) {
      this.up = null;
      const pool = this.pool;
      this.pool = null;
      pool?.end();
      // Let bytes already relayed reach the client; a broken upstream breaks the client connection too.
      if (error !== undefined) this.socket.destroy();
      else this.closeClient();
    } else if (this.phase === CONNECTING && !up.connected) {
      this.connectFailed(error);
    } else {
      this.upstreamFailed(error?.message ?? 'upstream connection closed', 502, true);
    }
  }

  private connectFailed(error: Error | undefined): void {
    const pool = this.pool!;
    this.up = null;
    this.pool = null;
    pool.end();
    this.ctx.log(this.site.app, `cannot connect to ${pool.key}: ${error?.message ?? 'closed'}`);
    const route = this.route!;
    const n = route.pools.length;
    if (++this.attempts < n) {
      this.attach(route.pools[(this.firstPool + this.attempts) % n]);
      return;
    }
    this.phase = ACTIVE;
    this.failExchange(502, `bad gateway: no reachable upstream for ${this.site.app}\n`);
  }

  /** The upstream connection broke (or timed out) during an exchange. */
  private upstreamFailed(reason: string, status: number, mayRetry: boolean): void {
    const up = this.up;
    const pool = this.pool;
    this.up = null;
    up?.destroy();
    this.upPaused = false;
    // A pooled connection the upstream had already closed: nothing was processed, send it again on a fresh one.
    if (mayRetry && up !== null && pool !== null && up.reused && this.replay !== null && !this.resSent) {
      this.resend = true;
      this.phase = CONNECTING;
      this.connectStartedAt = this.ctx.now;
      this.unpause(UPSTREAM_FULL);
      if (this.buffered !== null) this.pause(HOLD);
      this.up = pool.open(this);
      return;
    }
    // The upstream went away with the request and sent nothing back (a crashed process): an idempotent request
    // goes to the route's next upstream not tried yet, as nginx's proxy_next_upstream does on an error.
    const route = this.route;
    if (mayRetry && pool !== null && route !== null && this.replay !== null && !this.resSent) {
      const n = route.pools.length;
      if (++this.attempts < n) {
        const next = route.pools[(this.firstPool + this.attempts) % n];
        this.ctx.log(this.site.app, `upstream ${pool.key}: ${reason}; request sent to ${next.key} instead`);
        this.pool = null;
        pool.end();
        this.resend = true;
        this.unpause(UPSTREAM_FULL);
        this.attach(next);
        return;
      }
    }
    this.ctx.log(this.site.app, `upstream ${pool?.key ?? '?'}: ${reason}`);
    if (this.resSent) {
      // Part of the response is out; only a broken connection can tell the client it is incomplete.
      this.socket.destroy();
      return;
    }
    this.failExchange(status, status === 504 ? 'gateway timeout\n' : 'bad gateway\n');
  }

  /** The client stopped sending the request body for bodyTimeoutMs. */
  private bodyTimedOut(): void {
    this.ctx.log(this.site.app, 'request body timeout: the client stopped sending');
    if (this.resSent) this.socket.destroy();
    else this.failExchange(408, 'request timeout\n');
  }

  /** Ends the exchange with a response of our own (no final response was relayed yet). */
  private failExchange(status: number, body: string): void {
    this.finishExchange(false, () => this.respond(status, body, this.closeAfter || !this.reqDone));
  }

  /**
   * Ends the current exchange: the upstream connection goes back to the pool
   * (or is closed) and the next buffered request, if any, starts.
   */
  private finishExchange(reuse: boolean, respond?: () => void): void {
    const up = this.up;
    const pool = this.pool;
    this.up = null;
    this.pool = null;
    this.route = null;
    this.replay = null;
    if (this.upPaused) {
      this.upPaused = false;
      up?.socket.resume();
    }
    if (up !== null) {
      if (reuse) pool!.release(up);
      else up.destroy();
    }
    pool?.end();
    this.unpause(UPSTREAM_FULL);
    this.phase = IDLE;
    if (respond !== undefined) {
      respond();
      if (this.phase !== IDLE) return;
    } else if (this.closeAfter || !this.reqDone) {
      this.closeClient();
      return;
    }
    this.reqDone = true;
    this.lastActive = this.ctx.now;
    if (this.buffered !== null) {
      this.headSince = this.ctx.now;
      this.parseNext();
    } else if (this.clientEnded) {
      this.closeClient();
    }
    if (this.phase === IDLE) this.unpause(HOLD);
  }

  // ---- local responses and closing ----

  /** Writes a response of our own; closes the connection after it when `close`. */
  private respond(status: number, body: string, close: boolean): void {
    this.site.traffic.count(status, 'router');
    this.socket.write(
      localResponse(status, body, { close, http10: this.clientMinor === 0, headRequest: this.headRequest }),
    );
    if (close) this.closeClient();
  }

  /** Refuses a request that cannot be parsed; the connection's framing is lost, so it closes. */
  private reject(status: number, body: string): void {
    this.headRequest = false;
    this.buffered = null;
    this.respond(status, body, true);
  }

  /** Half-closes after pending writes, then lingers briefly so unread client bytes do not turn into a reset. */
  private closeClient(): void {
    if (this.phase === CLOSED) return;
    this.phase = CLOSED;
    this.closedAt = this.ctx.now;
    this.buffered = null;
    this.headStore = null;
    this.socket.end();
    if (this.paused !== 0) {
      this.paused = 0;
      this.socket.resume();
    }
  }
}
