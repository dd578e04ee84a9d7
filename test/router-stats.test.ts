// Router.stats: each app's responses counted by status and by the upstream
// that answered, the router's own answers included, across a route switch.
import http from 'node:http';
import type net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Router, type Upstream } from '../lib/router/router.js';

const closers: Array<() => Promise<void>> = [];
test.after.each(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function upstream(status: number, body: string): Promise<Upstream> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

test('responses are counted by status and by upstream; the router counts its own answers as `router`', async () => {
  const router = new Router();
  closers.push(() => router.close());
  const port = await router.listen('shop', 0);
  const before = Date.now();
  assert.is(await get(port), 404); // no route yet: the router's own answer
  const a = await upstream(200, 'a');
  const b = await upstream(503, 'b');
  router.setRoute('shop', [a]);
  for (let i = 0; i < 3; i++) assert.is(await get(port), 200);
  router.setRoute('shop', [b]);
  for (let i = 0; i < 2; i++) assert.is(await get(port), 503);
  const stats = router.stats('shop')!;
  assert.is(stats.requests, 6);
  assert.equal(stats.byStatus, { 200: 3, 404: 1, 503: 2 });
  assert.equal(stats.byUpstream, { router: 1, [`127.0.0.1:${a.port}`]: 3, [`127.0.0.1:${b.port}`]: 2 });
  assert.ok(stats.since <= before + 5);
  // A snapshot is a copy: later requests do not change it.
  await get(port);
  assert.is(stats.requests, 6);
  assert.is(router.stats('shop')!.requests, 7);
});

test('an unreachable upstream is counted as the router answering 502; other apps are counted apart', async () => {
  const router = new Router({ connectTimeoutMs: 1000 });
  closers.push(() => router.close());
  const port = await router.listen('shop', 0);
  const other = await router.listen('blog', 0);
  const gone = await upstream(200, 'x');
  await closers.pop()!();
  router.setRoute('shop', [gone]);
  assert.is(await get(port), 502);
  assert.equal(router.stats('shop')!.byStatus, { 502: 1 });
  assert.equal(router.stats('shop')!.byUpstream, { router: 1 });
  assert.is(await get(other), 404);
  assert.is(router.stats('blog')!.requests, 1);
  assert.is(router.stats('nowhere'), undefined);
});

test.run();
