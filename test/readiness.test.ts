// Readiness of a web process: a TCP connection to its port, then the health
// check. A line of output from the process brings the next attempt forward.
import { createServer, type Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../lib/core/ports.js';
import { waitUntilReady } from '../lib/core/readiness.js';

const never = new Promise<never>(() => {});
const servers: Server[] = [];
test.after(() => {
  for (const s of servers) s.close();
});

function listen(port: number, handler: Parameters<typeof createServer>[1] = (_req, res) => res.end('ok')) {
  const server = createServer(handler);
  servers.push(server);
  return new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}

test('a port that accepts is ready', async () => {
  const port = await freePort();
  await listen(port);
  assert.is(await waitUntilReady({ port, deadline: Date.now() + 10_000, exited: never }), 'ready');
});

test('a process that exits first is reported as exited', async () => {
  const port = await freePort();
  assert.is(await waitUntilReady({ port, deadline: Date.now() + 10_000, exited: Promise.resolve() }), 'exited');
});

test('output from the process makes the next attempt happen without waiting for the poll interval', async () => {
  const port = await freePort();
  const listeners = new Set<() => void>();
  // With this interval, only the activity can get a second attempt in before the deadline.
  const result = waitUntilReady({
    port,
    deadline: Date.now() + 20_000,
    exited: never,
    intervalMs: 60_000,
    onActivity: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(listeners.size, 1, 'subscribed while waiting');
  await listen(port);
  for (const listener of listeners) listener();
  assert.is(await result, 'ready');
  assert.is(listeners.size, 0, 'unsubscribed once ready');
});

test('output does not hurry the health check: it is asked again only after its interval', async () => {
  const port = await freePort();
  let asked = 0;
  await listen(port, (_req, res) => {
    asked++;
    res.statusCode = 503;
    res.end();
  });
  const listeners = new Set<() => void>();
  const result = waitUntilReady({
    port,
    deadline: Date.now() + 300,
    exited: never,
    healthcheck: { path: '/health', timeoutMs: 1000 },
    intervalMs: 60_000,
    onActivity: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (let i = 0; i < 20; i++) for (const listener of listeners) listener();
  assert.is(await result, 'unhealthy');
  assert.is(asked, 1);
});

test.run();
