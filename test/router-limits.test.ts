import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Router, type RouterOptions } from '../lib/router/router.js';
import { destroyRawClients, RawClient, within } from './support/raw-client.js';
import { StrictServer } from './support/strict-http.js';

// Hostile clients: slow heads (slowloris), slow bodies, idle keep-alive connections and too many connections must
// not take the router down for everyone else.

const cleanups: Array<() => unknown> = [];
test.after.each(async () => {
  destroyRawClients();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Logged {
  app: string;
  message: string;
}

async function setUp(options: RouterOptions) {
  const logs: Logged[] = [];
  const router = new Router({ ...options, log: (app, message) => logs.push({ app, message }) });
  cleanups.push(() => router.close());
  const upstream = await new StrictServer().listen();
  cleanups.push(() => upstream.close());
  const port = await router.listen('app', 0);
  router.setRoute('app', [{ host: '127.0.0.1', port: upstream.port }]);
  return { router, upstream, port, logs };
}

function get(port: number, path: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

function keepAliveAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => agent.destroy());
  return agent;
}

/** Writes `text` one byte at a time, `gapMs` apart, until done or the connection closes; returns the bytes sent. */
async function trickle(client: RawClient, text: string, gapMs: number): Promise<number> {
  let sent = 0;
  while (sent < text.length && !client.closed) {
    client.write(text[sent++]);
    await sleep(gapMs);
  }
  return sent;
}

test('a slowloris head is cut off with 408 after headersTimeoutMs while other clients are served', async () => {
  const { port, upstream } = await setUp({ headersTimeoutMs: 400 });
  const head = `GET /slow HTTP/1.1\r\nHost: h\r\nX-Pad: ${'a'.repeat(300)}\r\n\r\n`;
  const slow = new RawClient(port);
  const trickling = trickle(slow, head, 10);
  const agent = keepAliveAgent();
  const statuses: number[] = [];
  while (!slow.closed) statuses.push(await get(port, `/normal/${statuses.length}`, agent));
  const sent = await trickling;
  assert.ok(sent < head.length, 'the connection was closed before the head was complete');
  assert.match(await slow.untilClosed(), /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*\r\nConnection: close\r\n/);
  assert.ok(statuses.length > 0, 'normal requests were served meanwhile');
  assert.ok(
    statuses.every((s) => s === 200),
    `${statuses}`,
  );
  assert.not.ok(
    upstream.allRequests().some((r) => r.url === '/slow'),
    'the slow request never reached the upstream',
  );
  assert.is(await get(port, '/after', agent), 200);
});

test('a head that trickles in byte by byte within headersTimeoutMs is forwarded exactly', async () => {
  const { port, upstream } = await setUp({});
  const pad = 'p'.repeat(5000);
  const stream = `\r\nPOST /trickled HTTP/1.1\r\nHost: h\r\nX-Pad: ${pad}\r\nContent-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: h\r\n\r\n`;
  const client = new RawClient(port);
  client.socket.setNoDelay(true);
  for (const byte of stream) {
    client.write(byte);
    await new Promise((r) => setImmediate(r));
  }
  await client.until((t) => t.split('HTTP/1.1 200 OK').length === 3, 'both responses');
  const [trickled, next] = upstream.allRequests();
  assert.is(trickled.url, '/trickled');
  assert.equal(
    trickled.headers.filter(([name]) => !name.startsWith('x-forwarded-')),
    [
      ['host', 'h'],
      ['x-pad', pad],
      ['content-length', '3'],
    ],
  );
  assert.is(trickled.body, 'abc');
  assert.is(next.url, '/next');
});

test('empty lines or silence do not keep a connection past headersTimeoutMs', async () => {
  // The idle timeout is far away: only the header timeout can close these.
  const { port } = await setUp({ headersTimeoutMs: 300, keepAliveTimeoutMs: 60_000 });
  const crlf = new RawClient(port);
  const silent = new RawClient(port);
  const trickling = trickle(crlf, '\r\n'.repeat(10_000), 20);
  // Closed without a word, or with 408 when the cut fell between a CR and its LF.
  const text = await crlf.untilClosed();
  assert.ok(text === '' || text.startsWith('HTTP/1.1 408 '), JSON.stringify(text));
  assert.is(await silent.untilClosed(), '');
  await trickling;
});

test('a request body that stops coming gets 408; one that keeps coming slowly is served', async () => {
  const { port, upstream, logs } = await setUp({ bodyTimeoutMs: 500 });
  const stalled = new RawClient(port);
  stalled.write('POST /stalled HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly ten b');
  const text = await stalled.untilClosed();
  assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*\r\nConnection: close\r\n/);
  assert.ok(logs.some((l) => /request body timeout/.test(l.message)));
  const seen = upstream.allRequests().find((r) => r.url === '/stalled');
  assert.ok(seen !== undefined && !seen.complete, 'the upstream got the head and never a complete request');

  // 30 bytes, 50 ms apart: longer than bodyTimeoutMs in all, but never that long without a byte.
  const body = 'x'.repeat(30);
  const steady = new RawClient(port);
  steady.write(`POST /steady HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`);
  assert.is(await trickle(steady, body, 50), body.length);
  await steady.until((t) => t.endsWith('ok'), 'the response');
  assert.match(steady.text(), /^HTTP\/1\.1 200 OK\r\n/);
  assert.is(upstream.allRequests().find((r) => r.url === '/steady')?.body, body);
});

test('many idle keep-alive connections are closed after keepAliveTimeoutMs; a busy one stays', async () => {
  const { port } = await setUp({ keepAliveTimeoutMs: 300 });
  const idle = Array.from({ length: 50 }, () => new RawClient(port));
  for (const [i, client] of idle.entries()) client.write(`GET /idle/${i} HTTP/1.1\r\nHost: h\r\n\r\n`);
  for (const client of idle) await client.until((t) => t.endsWith('ok'), 'a response');
  const busy = new RawClient(port);
  let answered = 0;
  while (idle.some((c) => !c.closed)) {
    busy.write(`GET /busy/${answered} HTTP/1.1\r\nHost: h\r\n\r\n`);
    await busy.until((t) => t.split('HTTP/1.1 200 OK').length - 1 === answered + 1, 'the busy response');
    answered++;
    await sleep(50);
  }
  for (const client of idle) assert.is(client.text().split('HTTP/1.1 ').length - 1, 1, 'one response, then closed');
  assert.not.ok(busy.closed, 'the connection in use stays open');
  assert.ok(answered > 0);
});

test('a connection over the cap is refused while the existing ones keep working', async () => {
  const { router, port, upstream, logs } = await setUp({ maxConnectionsPerApp: 3 });
  const ask = async (client: RawClient, path: string) => {
    const before = client.text().split('HTTP/1.1 200 OK').length;
    client.write(`GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`);
    await client.until((t) => t.split('HTTP/1.1 200 OK').length > before && t.endsWith('ok'), `${path} answered`);
  };
  const open = [new RawClient(port), new RawClient(port), new RawClient(port)];
  for (const [i, client] of open.entries()) await ask(client, `/first/${i}`);
  const over = new RawClient(port);
  over.write('GET /over HTTP/1.1\r\nHost: h\r\n\r\n');
  assert.is(await over.untilClosed(), '', 'refused without an answer');
  for (const [i, client] of open.entries()) await ask(client, `/second/${i}`);
  assert.not.ok(
    upstream.allRequests().some((r) => r.url === '/over'),
    'the refused request never reached the upstream',
  );
  await within(
    (async () => {
      while (!logs.some((l) => /connection cap reached: refused 1 connection\(s\) over 3/.test(l.message)))
        await sleep(20);
    })(),
    'the refusal to be logged',
  );
  // A slot that frees up is available again.
  open[0].socket.destroy();
  await within(
    (async () => {
      for (;;) {
        const next = new RawClient(port);
        next.write('GET /again HTTP/1.1\r\nHost: h\r\n\r\n');
        await next.until((t) => t.endsWith('ok'), 'an answer').catch(() => {});
        if (next.text().endsWith('ok')) return;
        await sleep(20);
      }
    })(),
    'a new connection to be served once one closed',
  );

  // listen can set the cap per app.
  const other = await router.listen('other', 0, '127.0.0.1', { maxConnections: 1 });
  router.setRoute('other', [{ host: '127.0.0.1', port: upstream.port }]);
  const first = new RawClient(other);
  await ask(first, '/other');
  const second = new RawClient(other);
  assert.is(await second.untilClosed(), '');
});

test('connection caps must be positive integers', async () => {
  assert.throws(() => new Router({ maxConnectionsPerApp: 0 }), /invalid connection cap 0/);
  const router = new Router();
  cleanups.push(() => router.close());
  try {
    await router.listen('app', 0, '127.0.0.1', { maxConnections: 1.5 });
    assert.unreachable('listen should have refused the cap');
  } catch (error) {
    assert.match(String(error), /invalid connection cap 1\.5/);
  }
});

test.run();
