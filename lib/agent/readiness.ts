import { request } from 'node:http';
import { connect } from 'node:net';

/** One TCP connection attempt to 127.0.0.1:port. */
function tryConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function tryHttp(port: number, host: string, path: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request({
      host,
      port,
      path,
      method: 'GET',
      timeout: timeoutMs,
      headers: { 'user-agent': 'slipway-healthcheck' },
    });
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? null);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(null));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ReadyOptions {
  port: number;
  host?: string;
  deadline: number;
  /** Resolves when the process exits: readiness then fails at once. */
  exited: Promise<unknown>;
  healthcheck?: { path: string; timeoutMs: number };
  /** Poll interval; 10 ms notices a bind within about 20 ms. */
  intervalMs?: number;
}

export type ReadyResult = 'ready' | 'exited' | 'timeout' | 'unhealthy';

/** Waits until the port accepts a connection, then until the health check answers 2xx/3xx. */
export async function waitUntilReady(options: ReadyOptions): Promise<ReadyResult> {
  const host = options.host ?? '127.0.0.1';
  const interval = options.intervalMs ?? 10;
  let exited = false;
  void options.exited.then(() => {
    exited = true;
  });
  let bound = false;
  let lastStatus: number | null = null;
  while (Date.now() < options.deadline) {
    if (exited) return 'exited';
    if (!bound) bound = await tryConnect(options.port, host);
    if (bound) {
      if (!options.healthcheck) return 'ready';
      lastStatus = await tryHttp(options.port, host, options.healthcheck.path, options.healthcheck.timeoutMs);
      if (lastStatus !== null && lastStatus >= 200 && lastStatus < 400) return 'ready';
    }
    if (exited) return 'exited';
    await sleep(bound ? Math.max(interval, 100) : interval);
  }
  return bound ? 'unhealthy' : 'timeout';
}
