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

/** The shortest gap between two connection attempts, however often the process wakes the wait. */
const MIN_GAP_MS = 2;

export interface ReadyOptions {
  port: number;
  host?: string;
  deadline: number;
  /** Resolves when the process exits: readiness then fails at once. */
  exited: Promise<unknown>;
  healthcheck?: { path: string; timeoutMs: number };
  /** Poll interval; 10 ms notices a bind within about 20 ms. */
  intervalMs?: number;
  /**
   * Subscribes to signs of life from the process (a line of output) and
   * returns the unsubscribe function. Until the port accepts, each one brings
   * the next attempt forward: many servers print a line right after they
   * bind, which is then noticed at once instead of at the next poll.
   */
  onActivity?: (listener: () => void) => () => void;
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
  // Activity seen since the last attempt, and the wake-up of the pause under way.
  let active = false;
  let wake: (() => void) | undefined;
  const unsubscribe = options.onActivity?.(() => {
    active = true;
    wake?.();
  });
  /** Waits `ms`, or less once activity is seen (not less than MIN_GAP_MS) while the port is not bound yet. */
  const pause = (ms: number) =>
    new Promise<'slept' | 'woken'>((resolve) => {
      const began = Date.now();
      let timer: NodeJS.Timeout;
      let woken = false;
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        active = false;
        resolve(woken ? 'woken' : 'slept');
      };
      const arm = (after: number) => {
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, after));
      };
      arm(ms);
      if (bound) return;
      wake = () => {
        woken = true;
        arm(began + MIN_GAP_MS - Date.now());
      };
      if (active) wake();
    });
  try {
    while (Date.now() < options.deadline) {
      if (exited) return 'exited';
      active = false;
      if (!bound) bound = await tryConnect(options.port, host);
      if (bound) {
        if (!options.healthcheck) return 'ready';
        lastStatus = await tryHttp(options.port, host, options.healthcheck.path, options.healthcheck.timeoutMs);
        if (lastStatus !== null && lastStatus >= 200 && lastStatus < 400) return 'ready';
      }
      if (exited) return 'exited';
      // Never past the deadline: the last attempt comes before it, not after a whole interval.
      // A pause cut short by the deadline ends the wait (a timer may fire a
      // millisecond early by the wall clock, which must not buy an extra attempt).
      const gap = bound ? Math.max(interval, 100) : interval;
      const left = options.deadline - Date.now();
      if ((await pause(Math.min(gap, left))) === 'slept' && left <= gap) break;
    }
    if (exited) return 'exited';
    return bound ? 'unhealthy' : 'timeout';
  } finally {
    unsubscribe?.();
  }
}
