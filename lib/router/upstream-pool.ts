import { connect, type Socket } from 'node:net';

/** The exchange an upstream socket currently serves; it receives the socket's events. */
export interface UpstreamOwner {
  onUpstreamConnect(up: UpstreamSocket): void;
  /**
   * `chunk` lives in a buffer the socket reuses for its next read: return
   * true when it may still be referenced afterwards (queued in a write that
   * did not complete), so the socket reads into a fresh buffer instead.
   */
  onUpstreamData(up: UpstreamSocket, chunk: Buffer): boolean;
  onUpstreamEnd(up: UpstreamSocket): void;
  onUpstreamClose(up: UpstreamSocket, error: Error | undefined): void;
  onUpstreamDrain(up: UpstreamSocket): void;
}

export interface PoolSettings {
  /** Coarse clock (ms), advanced by the router's sweep. */
  readonly now: number;
  readonly maxIdlePerUpstream: number;
}

// Upstream reads land in a buffer owned by the socket (node:net `onread`): no Buffer per read and no trip
// through the stream machinery. nginx reads upstream responses in 4-8 KiB buffers; 16 KiB keeps the memory of
// a pooled connection small while a typical response still arrives in one read.
const READ_BUFFER_SIZE = 16 * 1024;

/**
 * One TCP connection to an upstream. Listeners are bound once for the
 * socket's lifetime and dispatch to whichever exchange owns it, so reusing a
 * pooled connection costs no listener churn.
 */
export class UpstreamSocket {
  readonly socket: Socket;
  owner: UpstreamOwner | null;
  connected = false;
  /** Served an earlier exchange: a failure before any response may just be a stale keep-alive. */
  reused = false;
  ended = false;
  idleSince = 0;
  private error: Error | undefined;
  private readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
  private readBufferTaken = false;

  constructor(
    readonly pool: UpstreamPool,
    owner: UpstreamOwner,
  ) {
    this.owner = owner;
    // allowHalfOpen: the upstream's FIN ends a close-delimited body; the router decides what to close.
    const socket = connect({
      host: pool.host,
      port: pool.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: { buffer: this.nextReadBuffer, callback: this.onRead },
    });
    this.socket = socket;
    socket.on('connect', this.onConnect);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
  }

  private readonly onConnect = (): void => {
    this.connected = true;
    this.owner?.onUpstreamConnect(this);
  };

  private readonly onRead = (nread: number): boolean => {
    if (this.owner !== null) this.readBufferTaken = this.owner.onUpstreamData(this, this.readBuffer.subarray(0, nread));
    else this.socket.destroy(); // unsolicited bytes on an idle connection: it can no longer be trusted
    return true;
  };

  /** Called before the first read and after each one: the buffer the next read goes into. */
  private readonly nextReadBuffer = (): Buffer => {
    if (this.readBufferTaken) {
      this.readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
      this.readBufferTaken = false;
    }
    return this.readBuffer;
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.owner !== null) this.owner.onUpstreamEnd(this);
    else this.socket.destroy();
  };

  private readonly onError = (error: Error): void => {
    this.error = error;
  };

  private readonly onClose = (): void => {
    this.pool.forget(this);
    const owner = this.owner;
    this.owner = null;
    owner?.onUpstreamClose(this, this.error);
  };

  private readonly onDrain = (): void => {
    this.owner?.onUpstreamDrain(this);
  };

  /** Detaches and closes; no event reaches the former owner. */
  destroy(): void {
    this.owner = null;
    this.socket.destroy();
  }
}

/**
 * Keep-alive connections to one upstream (host:port), shared by every app
 * routed there, and the count of exchanges it is serving.
 */
export class UpstreamPool {
  readonly key: string;
  /** Exchanges assigned to this upstream and not finished (including WebSocket tunnels). */
  inFlight = 0;
  /** Routes that list this upstream; with none, finished connections are closed rather than kept. */
  routeRefs = 0;
  /** Called whenever inFlight drops to zero. */
  readonly idleWaiters = new Set<() => void>();
  private readonly idle: UpstreamSocket[] = [];

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly settings: PoolSettings,
    private readonly onUnused: (pool: UpstreamPool) => void,
  ) {
    this.key = `${host}:${port}`;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get unused(): boolean {
    return this.routeRefs === 0 && this.inFlight === 0 && this.idle.length === 0 && this.idleWaiters.size === 0;
  }

  begin(): void {
    this.inFlight++;
  }

  end(): void {
    if (--this.inFlight > 0) return;
    for (const waiter of this.idleWaiters) waiter();
    if (this.unused) this.onUnused(this);
  }

  /** A pooled connection (most recently used first, the likeliest to be alive), or null. */
  take(owner: UpstreamOwner): UpstreamSocket | null {
    const idle = this.idle;
    while (idle.length > 0) {
      const up = idle.pop()!;
      if (up.ended || up.socket.destroyed) continue;
      up.owner = owner;
      up.reused = true;
      return up;
    }
    return null;
  }

  open(owner: UpstreamOwner): UpstreamSocket {
    return new UpstreamSocket(this, owner);
  }

  /** Takes back a connection whose exchange completed cleanly. */
  release(up: UpstreamSocket): void {
    up.owner = null;
    if (this.routeRefs === 0 || up.ended || this.idle.length >= this.settings.maxIdlePerUpstream) {
      up.destroy();
      return;
    }
    if (up.socket.isPaused()) up.socket.resume();
    up.idleSince = this.settings.now;
    this.idle.push(up);
  }

  /** Called when a socket closes: drops it from the idle list if it was there. */
  forget(up: UpstreamSocket): void {
    const i = this.idle.indexOf(up);
    if (i < 0) return;
    this.idle.splice(i, 1);
    if (this.unused) this.onUnused(this);
  }

  closeIdle(): void {
    const idle = this.idle.splice(0);
    for (const up of idle) up.destroy();
    if (this.unused) this.onUnused(this);
  }

  /** Closes connections idle for longer than `idleTimeoutMs` (before the upstream's own keep-alive timeout hits). */
  sweep(now: number, idleTimeoutMs: number): void {
    const idle = this.idle;
    let kept = 0;
    for (const up of idle) {
      if (now - up.idleSince >= idleTimeoutMs) up.destroy();
      else idle[kept++] = up;
    }
    if (kept === idle.length) return;
    idle.length = kept;
    if (this.unused) this.onUnused(this);
  }
}
