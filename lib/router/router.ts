import { createServer, type Server, type Socket } from 'node:net';
import { ProxyConnection, type ProxyContext, type ProxySite, type RouteEntry } from './proxy-connection.js';
import { TrafficCounter, type TrafficStats } from './traffic-counter.js';
import { UpstreamPool } from './upstream-pool.js';

export type { TrafficStats };

export interface Upstream {
  host: string;
  port: number;
}

export interface RouterOptions {
  log?: (app: string, message: string) => void;
  /** Largest request or response head accepted (default 64 KiB); bigger requests get 431. */
  maxHeadBytes?: number;
  /**
   * Time allowed to receive a whole request head (default 30 s), counted from
   * the connection's start for its first request and from the previous
   * response for the next: a partial head then gets 408, a connection that
   * sent nothing is closed.
   */
  headersTimeoutMs?: number;
  /** Idle keep-alive client connections close after this (default 60 s). */
  keepAliveTimeoutMs?: number;
  /**
   * A request body that makes no progress for this long (no byte from the
   * client while the upstream would take one) fails with 408 and the
   * connection closes (default 30 s).
   */
  bodyTimeoutMs?: number;
  /**
   * Client connections open at once per app (default 1000); connections over
   * it are closed as soon as they are accepted. `listen` can set it per app.
   */
  maxConnectionsPerApp?: number;
  /** Time allowed to connect to an upstream before trying the next one (default 5 s). */
  connectTimeoutMs?: number;
  /** An exchange with no progress in either direction for this long fails with 504 (default 60 s). */
  upstreamTimeoutMs?: number;
  /**
   * Pooled upstream connections close after this much idleness (default 1.5 s,
   * so at most about 1.9 s with the sweep's granularity). Keep it below the
   * upstreams' own keep-alive timeouts (Node 5 s, gunicorn 2 s): a request sent
   * on a connection the upstream is closing can only be retried when idempotent.
   */
  upstreamIdleTimeoutMs?: number;
  /** Idle connections kept per upstream (default 256). */
  maxIdlePerUpstream?: number;
  /** How long closeApp lets in-flight exchanges finish before cutting them (default 5 s). */
  closeGraceMs?: number;
}

interface Site extends ProxySite {
  server: Server | null;
  /** Connections refused over the cap since the last report, and when the last report was logged. */
  dropped: number;
  droppedReportedAt: number;
}

export interface ListenOptions {
  /** Overrides RouterOptions.maxConnectionsPerApp for this app. */
  maxConnections?: number;
}

// Connections refused over the cap are reported at most this often.
const DROP_REPORT_INTERVAL_MS = 10_000;

interface Settings extends ProxyContext {
  now: number;
  readonly upstreamIdleTimeoutMs: number;
  readonly maxIdlePerUpstream: number;
  readonly closeGraceMs: number;
  readonly maxConnectionsPerApp: number;
}

function checkCap(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`invalid connection cap ${n}: expected a positive integer`);
}

function checkUpstream(u: Upstream): void {
  if (typeof u?.host !== 'string' || u.host === '' || !Number.isInteger(u.port) || u.port < 1 || u.port > 65535) {
    throw new TypeError(`invalid upstream ${JSON.stringify(u)}: expected { host, port } with port 1-65535`);
  }
}

/**
 * The data plane: one listener per app, each request routed round-robin to
 * the app's current upstreams. Routes are swapped atomically; requests
 * already in flight finish on the upstreams they started on, which `drain`
 * waits for before the old processes are stopped.
 */
export class Router {
  private readonly sites = new Map<string, Site>();
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly settings: Settings;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: RouterOptions = {}) {
    const log = options.log ?? (() => {});
    this.settings = {
      now: Date.now(),
      maxHeadBytes: options.maxHeadBytes ?? 64 * 1024,
      headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 60_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000,
      maxConnectionsPerApp: options.maxConnectionsPerApp ?? 1000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 60_000,
      upstreamIdleTimeoutMs: options.upstreamIdleTimeoutMs ?? 1_500,
      maxIdlePerUpstream: options.maxIdlePerUpstream ?? 256,
      closeGraceMs: options.closeGraceMs ?? 5_000,
      lingerMs: 2_000,
      log: (app, message) => {
        try {
          log(app, message);
        } catch {
          // A failing logger must not take the data plane down.
        }
      },
    };
    const s = this.settings;
    checkCap(s.maxConnectionsPerApp);
    const shortest = Math.min(
      s.headersTimeoutMs,
      s.keepAliveTimeoutMs,
      s.bodyTimeoutMs,
      s.connectTimeoutMs,
      s.upstreamTimeoutMs,
      s.upstreamIdleTimeoutMs,
    );
    // Timeouts are enforced by one coarse sweep instead of a timer per socket: nothing to re-arm per request.
    const interval = Math.max(20, Math.min(1000, Math.floor(shortest / 4)));
    this.sweeper = setInterval(() => this.sweep(), interval);
    this.sweeper.unref();
  }

  /** Starts the app's listener; resolves with the bound port. */
  listen(app: string, port: number, host = '127.0.0.1', options: ListenOptions = {}): Promise<number> {
    const cap = options.maxConnections ?? this.settings.maxConnectionsPerApp;
    checkCap(cap);
    const site = this.site(app);
    if (site.server !== null) {
      return Promise.reject(Object.assign(new Error(`${app} is already listening`), { code: 'ERR_ALREADY_LISTENING' }));
    }
    // allowHalfOpen: a client's FIN after its request must not cut the response short.
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    this.serve(site, server, cap);
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        if (site.server === server) site.server = null;
        this.forgetSite(site);
        reject(error);
      };
      server.once('error', onError);
      server.listen({ port, host, exclusive: true }, () => {
        server.off('error', onError);
        server.on('error', (error) => this.settings.log(app, `listener error: ${error.message}`));
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /**
   * Serves the app on a listener that is already bound — one another
   * process handed over (an agent taking over from the one it replaces):
   * both accept on it until that process closes its copy.
   */
  adoptListener(app: string, server: Server, options: ListenOptions & { held?: readonly Socket[] } = {}): void {
    const cap = options.maxConnections ?? this.settings.maxConnectionsPerApp;
    checkCap(cap);
    const site = this.site(app);
    if (site.server !== null) {
      throw Object.assign(new Error(`${app} is already listening`), { code: 'ERR_ALREADY_LISTENING' });
    }
    // A server received over IPC was made with node:net's defaults.
    Object.assign(server, { allowHalfOpen: true, noDelay: true });
    this.serve(site, server, cap);
    server.on('error', (error) => this.settings.log(app, `listener error: ${error.message}`));
    // Connections it accepted before the route was known, held (paused) until now.
    for (const socket of options.held ?? []) {
      if (socket.destroyed) continue;
      socket.setNoDelay(true);
      new ProxyConnection(socket, site, this.settings);
      socket.resume();
    }
  }

  /** The app listeners this router accepts on, to hand over to a successor. */
  listeners(): Map<string, Server> {
    const found = new Map<string, Server>();
    for (const [app, site] of this.sites) if (site.server !== null && !site.closing) found.set(app, site.server);
    return found;
  }

  private serve(site: Site, server: Server, cap: number): void {
    server.on('connection', (socket) => {
      new ProxyConnection(socket, site, this.settings);
    });
    // Over the cap, node:net closes a new connection right after accepting it ('drop').
    server.maxConnections = cap;
    server.on('drop', () => {
      site.dropped++;
    });
    site.server = server;
    site.closing = false;
  }

  /** Points the app at `upstreams` from the next request on. An empty list is the same as clearRoute. */
  setRoute(app: string, upstreams: Upstream[]): void {
    for (const u of upstreams) checkUpstream(u);
    if (upstreams.length === 0) {
      this.clearRoute(app);
      return;
    }
    const pools = upstreams.map((u) => this.pool(u));
    for (const pool of pools) pool.routeRefs++;
    const site = this.site(app);
    const old = site.route;
    const entry: RouteEntry = { pools, next: 0 };
    site.route = entry;
    if (old !== null) this.unref(old);
  }

  /** From the next request on, the app answers 404. */
  clearRoute(app: string): void {
    const site = this.sites.get(app);
    if (site === undefined || site.route === null) return;
    const old = site.route;
    site.route = null;
    this.unref(old);
    this.forgetSite(site);
  }

  route(app: string): Upstream[] | undefined {
    return this.sites.get(app)?.route?.pools.map((p) => ({ host: p.host, port: p.port }));
  }

  /** The app's response counters since its listener or route was first set up; undefined for an unknown app. */
  stats(app: string): TrafficStats | undefined {
    return this.sites.get(app)?.traffic.snapshot();
  }

  inFlight(upstreams: Upstream[]): number {
    let n = 0;
    for (const pool of this.existingPools(upstreams)) n += pool.inFlight;
    return n;
  }

  /**
   * Resolves once none of `upstreams` serves a request (or after `timeoutMs`),
   * closing their idle keep-alive connections so the processes can exit.
   */
  drain(upstreams: Upstream[], timeoutMs: number): Promise<{ drained: boolean; remaining: number }> {
    const pools = this.existingPools(upstreams);
    const count = (): number => pools.reduce((n, p) => n + p.inFlight, 0);
    for (const pool of pools) pool.closeIdle();
    if (count() === 0) return Promise.resolve({ drained: true, remaining: 0 });
    return new Promise((resolve) => {
      const finish = (drained: boolean): void => {
        clearTimeout(timer);
        for (const pool of pools) pool.idleWaiters.delete(check);
        // Connections released while waiting went back to the pool when the upstream was still routed.
        for (const pool of pools) pool.closeIdle();
        resolve({ drained, remaining: count() });
      };
      const check = (): void => {
        if (count() === 0) finish(true);
      };
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      for (const pool of pools) pool.idleWaiters.add(check);
    });
  }

  /**
   * Stops the app's listener. Idle connections close now; in-flight
   * exchanges get `closeGraceMs` to finish. The route is kept.
   */
  /**
   * Stops accepting for the app and closes its connections once their
   * exchange is done. With `lingerIdle` (a handover: a successor accepts on
   * the same port), an idle keep-alive connection is not cut at once but
   * left a grace period to send one more request, answered with
   * `Connection: close` — closing it while its client may be sending is the
   * one moment a request could fail.
   */
  async closeApp(app: string, options: { lingerIdle?: boolean } = {}): Promise<void> {
    const site = this.sites.get(app);
    if (site === undefined || site.server === null) return;
    const server = site.server;
    site.closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const shutdownAll = () => {
      for (const conn of [...site.connections]) conn.shutdown();
    };
    if (options.lingerIdle) {
      for (const conn of [...site.connections]) if (conn.busy) conn.shutdown();
    } else {
      shutdownAll();
    }
    if (site.connections.size > 0) {
      const destroyAll = () => {
        for (const conn of site.connections) conn.destroy();
      };
      let grace = setTimeout(() => {
        if (!options.lingerIdle) return destroyAll();
        shutdownAll();
        grace = setTimeout(destroyAll, this.settings.closeGraceMs);
      }, this.settings.closeGraceMs);
      await closed;
      clearTimeout(grace);
    } else {
      await closed;
    }
    if (site.server === server) site.server = null;
    site.closing = false;
    this.forgetSite(site);
  }

  /** Stops every listener, forgets all routes and closes pooled connections. */
  async close(): Promise<void> {
    await Promise.all([...this.sites.keys()].map((app) => this.closeApp(app)));
    clearInterval(this.sweeper);
    for (const app of [...this.sites.keys()]) this.clearRoute(app);
    for (const pool of [...this.pools.values()]) pool.closeIdle();
  }

  private site(app: string): Site {
    let site = this.sites.get(app);
    if (site === undefined) {
      site = {
        app,
        route: null,
        closing: false,
        connections: new Set(),
        server: null,
        dropped: 0,
        droppedReportedAt: 0,
        traffic: new TrafficCounter(),
      };
      this.sites.set(app, site);
    }
    return site;
  }

  private forgetSite(site: Site): void {
    if (site.route === null && site.server === null && site.connections.size === 0) {
      if (this.sites.get(site.app) === site) this.sites.delete(site.app);
    }
  }

  private pool(u: Upstream): UpstreamPool {
    const key = `${u.host}:${u.port}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new UpstreamPool(u.host, u.port, this.settings, (p) => {
        if (this.pools.get(p.key) === p) this.pools.delete(p.key);
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  private existingPools(upstreams: Upstream[]): UpstreamPool[] {
    const found = new Set<UpstreamPool>();
    for (const u of upstreams) {
      const pool = this.pools.get(`${u.host}:${u.port}`);
      if (pool !== undefined) found.add(pool);
    }
    return [...found];
  }

  private unref(entry: RouteEntry): void {
    for (const pool of entry.pools) {
      pool.routeRefs--;
      if (pool.unused) this.pools.delete(pool.key);
    }
  }

  private sweep(): void {
    const s = this.settings;
    const now = Date.now();
    s.now = now;
    for (const site of this.sites.values()) {
      for (const conn of site.connections) conn.sweep(now);
      if (site.dropped > 0 && now - site.droppedReportedAt >= DROP_REPORT_INTERVAL_MS) {
        const cap = site.server?.maxConnections ?? s.maxConnectionsPerApp;
        s.log(site.app, `connection cap reached: refused ${site.dropped} connection(s) over ${cap} open at once`);
        site.dropped = 0;
        site.droppedReportedAt = now;
      }
    }
    for (const pool of this.pools.values()) pool.sweep(now, s.upstreamIdleTimeoutMs);
  }
}
