import { connect } from 'node:net';
import { type ReadyOptions, type ReadyResult, waitUntilReady } from '../../lib/core/readiness.js';

/** How long a connection through Docker's proxy must stay open to count as reaching the app. */
const HOLD_MS = 100;

/**
 * Whether a connection to 127.0.0.1:port stays open for `holdMs`. A port
 * published by Docker is held by its userland proxy, which accepts at once
 * and closes the connection when nothing listens in the container yet.
 */
export function connectionHolds(port: number, holdMs = HOLD_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let timer: NodeJS.Timeout | undefined;
    const done = (held: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(held);
    };
    socket.once('connect', () => {
      timer = setTimeout(() => done(true), holdMs);
    });
    socket.once('end', () => done(false));
    socket.once('close', () => done(false));
    socket.once('error', () => done(false));
  });
}

/**
 * Readiness of a web container whose port is published (a user network):
 * an accepted connection proves nothing there, so without a health check it
 * must also hold, until the deadline.
 */
export async function waitUntilPublishedReady(options: ReadyOptions): Promise<ReadyResult> {
  for (;;) {
    const state = await waitUntilReady(options);
    if (state !== 'ready' || options.healthcheck) return state;
    if (await connectionHolds(options.port)) return 'ready';
    if (Date.now() >= options.deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, 50));
  }
}
