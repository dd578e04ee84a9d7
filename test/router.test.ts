import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Router, type Upstream } from '../lib/router/router.js';
import { destroyRawClients, RawClient, within } from './support/raw-client.js';

// ---- harness: every server, socket and router a test opens is closed after it ----

const cleanups: Array<() => unknown> = [];
test.after.each(async () => {
  destroyRawClients();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Logged {
  app: string;
  message: string;
}

async function startRouter(app = 'app'): Promise<{ router: Router; port: number; logs: Logged[] }> {
  const logs: Logged[] = [];
  const router = new Router({ log: (a, message) => logs.push({ app: a, message }) });
  cleanups.push(() => router.close());
  const port = await router.listen(app, 0);
  return { router, port, logs };
}

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
  remotePort: number;
}

/** A node:http upstream that records every request; `handler` answers (default: 200 with `name`). */
async function startUpstream(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void,
): Promise<{ upstream: Upstream; server: http.Server; seen: Seen[]; connections: () => number }> {
  const seen: Seen[] = [];
  let connections = 0;
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    try {
      for await (const part of req) parts.push(part as Buffer);
    } catch {
      return; // the router gave up on this request (the client went away)
    }
    const body = Buffer.concat(parts);
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: req.rawHeaders,
      body,
      remotePort: req.socket.remotePort ?? 0,
    });
    if (handler) handler(req, res, body);
    else res.end(name);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as net.AddressInfo;
  return { upstream: { host: '127.0.0.1', port }, server, seen, connections: () => connections };
}

/**
 * An upstream that holds every response until `release()`, then answers
 * `body`; `arrival()` resolves when the next request reaches it.
 */
async function heldUpstream(body: string) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const arrived: Array<() => void> = [];
  const upstream = await startUpstream('A', (_req, res) => {
    arrived.shift()?.();
    void held.then(() => res.end(body));
  });
  const arrival = () => new Promise<void>((resolve) => arrived.push(resolve));
  return { upstream, release, arrival };
}

/** A raw TCP upstream for responses node:http cannot produce; `onConnection` drives each socket. */
async function startRawUpstream(onConnection: (socket: net.Socket, index: number) => void): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  let index = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket, index++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
}

/** A port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Counts response status lines in `text`. */
function responseCount(text: string): number {
  return text.split('HTTP/1.1 ').length - 1;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  reusedSocket: boolean;
}

function request(
  port: number,
  options: http.RequestOptions & { body?: Buffer | string } = {},
  agent: http.Agent | false = false,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, ...options }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(parts),
          reusedSocket: req.reusedSocket,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function keepAliveAgent(maxSockets = 1): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  cleanups.push(() => agent.destroy());
  return agent;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Lower-cased field names in a rawHeaders list. */
function names(rawHeaders: string[]): string[] {
  return rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
}

async function rejects(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch {
    return;
  }
  assert.unreachable('expected a rejection');
}

// ---- routing basics ----

test('answers 404 with a short text body while the app has no route', async () => {
  const { port } = await startRouter('shop');
  const reply = await request(port, { path: '/anything' });
  assert.is(reply.status, 404);
  assert.is(reply.body.toString(), 'no live release for shop\n');
  assert.match(String(reply.headers['content-type']), /^text\/plain/);
});

test('clearRoute goes back to 404 and route() reports the current upstreams', async () => {
  const { router, port } = await startRouter();
  const a = await startUpstream('A');
  router.setRoute('app', [a.upstream]);
  assert.equal(router.route('app'), [a.upstream]);
  assert.is((await request(port)).body.toString(), 'A');
  router.clearRoute('app');
  assert.is(router.route('app'), undefined);
  assert.is((await request(port)).status, 404);
});

test('listen rejects with EADDRINUSE when the port is taken', async () => {
  const { router, port } = await startRouter('one');
  try {
    await router.listen('two', port);
    assert.unreachable('listen should have failed');
  } catch (error) {
    assert.is((error as NodeJS.ErrnoException).code, 'EADDRINUSE');
  }
});

test('GET and POST reach the upstream with exact method, target, header order and case, and body', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A', (_req, res, body) => {
    res.setHeader('X-Reply-Case', 'Kept');
    res.end(`got ${body.length}`);
  });
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write(
    'POST /path/x?q=1&r=%20 HTTP/1.1\r\nHost: example.test\r\nX-Custom-Case: A b\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Last: z\r\n\r\nhello',
  );
  const text = await client.until((t) => t.endsWith('got 5'), 'the POST response');
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /\r\nX-Reply-Case: Kept\r\n/);
  client.write('GET /second HTTP/1.1\r\nHost: example.test\r\n\r\n');
  await client.until((t) => responseCount(t) === 2 && t.endsWith('got 0'), 'the GET response');

  assert.is(up.seen.length, 2);
  const [post, get] = up.seen;
  assert.is(post.method, 'POST');
  assert.is(post.url, '/path/x?q=1&r=%20');
  assert.equal(post.rawHeaders, [
    'Host',
    'example.test',
    'X-Custom-Case',
    'A b',
    'Content-Type',
    'text/plain',
    'Content-Length',
    '5',
    'X-Last',
    'z',
    'X-Forwarded-For',
    '127.0.0.1',
    'X-Forwarded-Proto',
    'http',
    'X-Forwarded-Host',
    'example.test',
  ]);
  assert.is(post.body.toString(), 'hello');
  assert.is(get.method, 'GET');
  assert.is(get.url, '/second');
});

test('X-Forwarded-For is appended to; X-Forwarded-Proto and X-Forwarded-Host are set, not trusted', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  router.setRoute('app', [up.upstream]);
  await request(port, {
    headers: {
      Host: 'shop.example:8080',
      'X-Forwarded-For': '203.0.113.7, 198.51.100.2',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'evil.example',
    },
  });
  const h = up.seen[0].rawHeaders;
  const values = (name: string) => h.filter((_, i) => i % 2 === 1 && h[i - 1].toLowerCase() === name);
  assert.equal(values('x-forwarded-for'), ['203.0.113.7, 198.51.100.2, 127.0.0.1']);
  assert.equal(values('x-forwarded-proto'), ['http']);
  assert.equal(values('x-forwarded-host'), ['shop.example:8080']);
  assert.equal(values('host'), ['shop.example:8080']);
});

test('several X-Forwarded-For lines become one list', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write('GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\n\r\n');
  await client.until((t) => t.endsWith('A'), 'the response');
  const h = up.seen[0].rawHeaders;
  assert.equal(
    h.filter((_, i) => i % 2 === 1 && h[i - 1] === 'X-Forwarded-For'),
    ['10.0.0.1, 10.0.0.2, 127.0.0.1'],
  );
});

test('hop-by-hop request fields are stripped, including those named by Connection', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write(
    'GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\n' +
      'Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nX-Kept: k\r\n\r\n',
  );
  await client.until((t) => t.endsWith('A'), 'the response');
  assert.equal(names(up.seen[0].rawHeaders), [
    'host',
    'x-kept',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
  ]);
});

test('hop-by-hop response fields are stripped and the client connection stays usable', async () => {
  const { router, port } = await startRouter();
  const raw = await startRawUpstream((socket) => {
    socket.on('data', () => {
      socket.write(
        'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n' +
          'Proxy-Connection: keep-alive\r\nTrailer: X-T\r\nX-Keep: yes\r\nContent-Length: 2\r\n\r\nok',
      );
    });
  });
  router.setRoute('app', [raw]);
  const agent = keepAliveAgent();
  const reply = await request(port, {}, agent);
  assert.is(reply.body.toString(), 'ok');
  assert.equal(names(reply.rawHeaders), ['x-keep', 'content-length']);
  const again = await request(port, {}, agent);
  assert.is(again.body.toString(), 'ok');
  assert.ok(again.reusedSocket);
});

// ---- bodies ----

test('a chunked request body streams to the upstream chunk by chunk', async () => {
  const { router, port } = await startRouter();
  const got: string[] = [];
  const arrivals: Array<() => void> = [];
  const up = await startUpstream('A', (_req, res) => res.end('done'));
  up.server.removeAllListeners('request');
  up.server.on('request', (req, res) => {
    assert.is(req.headers['transfer-encoding'], 'chunked');
    req.on('data', (d: Buffer) => {
      got.push(d.toString());
      arrivals.shift()?.();
    });
    req.on('end', () => res.end(`got ${got.join('|')}`));
  });
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  const arrived = () => new Promise<void>((resolve) => arrivals.push(resolve));
  let next = arrived();
  client.write('POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n');
  // The second chunk is only sent once the first reached the upstream: a proxy that buffers the body hangs here.
  await within(next, 'the first chunk at the upstream');
  assert.equal(got, ['first']);
  next = arrived();
  client.write('6\r\nsecond\r\n');
  await within(next, 'the second chunk at the upstream');
  client.write('0\r\n\r\n');
  const text = await client.until((t) => t.endsWith('got first|second'), 'the response');
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
});

test('a chunked response streams to the client chunk by chunk', async () => {
  const { router, port } = await startRouter();
  let res: http.ServerResponse | undefined;
  const started = new Promise<void>((resolve) => {
    void startUpstream('A', (_req, r) => {
      res = r;
      r.writeHead(200, { 'Content-Type': 'text/plain' });
      r.write('part-one;');
      resolve();
    }).then((up) => router.setRoute('app', [up.upstream]));
  });
  await new Promise((r) => setTimeout(r, 0));
  const client = new RawClient(port);
  client.write('GET /stream HTTP/1.1\r\nHost: h\r\n\r\n');
  await within(started, 'the upstream to start responding');
  // The upstream holds the rest back until the client has seen the first part.
  await client.until((t) => t.includes('part-one;'), 'the first chunk at the client');
  assert.match(client.text(), /\r\nTransfer-Encoding: chunked\r\n/i);
  assert.not.match(client.text(), /part-two/);
  res!.write('part-two;');
  await client.until((t) => t.includes('part-two;'), 'the second chunk at the client');
  res!.end();
  await client.until((t) => t.endsWith('0\r\n\r\n'), 'the last chunk');
  // The connection is still usable: the chunked framing was followed to its end.
  client.write('GET /after HTTP/1.1\r\nHost: h\r\n\r\n');
  await client.until((t) => responseCount(t) === 2, 'a second response');
});

test('multi-megabyte request and response bodies arrive intact', async () => {
  const { router, port } = await startRouter();
  const upload = randomBytes(6 * 1024 * 1024 + 123);
  const download = randomBytes(5 * 1024 * 1024 + 7);
  const up = await startUpstream('A', (_req, res, body) => {
    res.setHeader('X-Upload-Sha256', sha256(body));
    res.end(download);
  });
  router.setRoute('app', [up.upstream]);
  const reply = await request(port, { method: 'PUT', path: '/blob', body: upload });
  assert.is(reply.status, 200);
  assert.is(reply.headers['x-upload-sha256'], sha256(upload));
  assert.is(reply.body.length, download.length);
  assert.is(sha256(reply.body), sha256(download));
});

test('a client that stops reading gets a large response intact once it reads again (backpressure)', async () => {
  const { router, port } = await startRouter();
  const download = randomBytes(32 * 1024 * 1024);
  let upstreamSocket: net.Socket | undefined;
  const up = await startUpstream('A', (_req, res) => {
    upstreamSocket = res.socket ?? undefined;
    res.setHeader('Content-Length', String(download.length));
    for (let i = 0; i < download.length; i += 256 * 1024) res.write(download.subarray(i, i + 256 * 1024));
    res.end();
  });
  router.setRoute('app', [up.upstream]);
  const client = net.connect(port, '127.0.0.1');
  cleanups.push(() => client.destroy());
  client.pause();
  client.write('GET /big HTTP/1.1\r\nHost: h\r\n\r\n');
  // Every buffer on the way fills up until the upstream itself cannot write: the router queued writes to the
  // client and stopped reading the upstream. Data it read meanwhile must not be overwritten by later reads.
  await within(
    (async () => {
      while (!upstreamSocket || upstreamSocket.writableLength === 0) await new Promise((r) => setTimeout(r, 10));
    })(),
    'the upstream to be held back',
    20_000,
  );
  const parts: Buffer[] = [];
  let total = 0;
  let headLength = -1;
  await within(
    new Promise<void>((resolve) => {
      client.on('data', (d: Buffer) => {
        parts.push(d);
        total += d.length;
        if (headLength < 0) headLength = Buffer.concat(parts).indexOf('\r\n\r\n') + 4;
        if (headLength > 3 && total - headLength >= download.length) resolve();
      });
      client.resume();
    }),
    'the whole response',
    20_000,
  );
  const body = Buffer.concat(parts).subarray(headLength);
  assert.is(body.length, download.length);
  assert.ok(body.equals(download), 'the body is byte for byte what the upstream sent');
});

test('a large chunked upload and a large close-delimited download arrive intact', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('B', (_req, res, body) => res.end(sha256(body)));
  router.setRoute('app', [up.upstream]);
  const upload = randomBytes(4 * 1024 * 1024);
  const chunked = await new Promise<Reply>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/up', agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(parts),
          reusedSocket: false,
        }),
      );
    });
    req.on('error', reject);
    // No Content-Length: node sends Transfer-Encoding: chunked, in many chunks.
    for (let i = 0; i < upload.length; i += 64 * 1024) req.write(upload.subarray(i, i + 64 * 1024));
    req.end();
  });
  assert.is(chunked.body.toString(), sha256(upload));
  assert.is(up.seen[0].rawHeaders.includes('chunked'), true);

  // Close-delimited: no Content-Length, no chunking; the body ends when the upstream closes.
  const download = randomBytes(3 * 1024 * 1024);
  const raw = await startRawUpstream((socket) => {
    socket.once('data', () =>
      socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nX-Raw: 1\r\n\r\n'), download])),
    );
  });
  router.setRoute('app', [raw]);
  const client = new RawClient(port);
  client.write('GET /download HTTP/1.1\r\nHost: h\r\n\r\n');
  const text = await client.untilClosed();
  const at = text.indexOf('\r\n\r\n');
  const head = text.slice(0, at);
  assert.match(head, /\r\nConnection: close/i);
  assert.not.match(head, /content-length|transfer-encoding/i);
  assert.is(sha256(client.received.subarray(at + 4)), sha256(download));
});

test('Expect: 100-continue gets the upstream interim response before the body is sent', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A', (_req, res, body) => res.end(`got ${body}`));
  router.setRoute('app', [up.upstream]);
  const reply = await new Promise<string>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      agent: false,
      headers: { Expect: '100-continue', 'Content-Length': '4' },
    });
    req.on('continue', () => req.end('data'));
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.flushHeaders();
  });
  assert.is(reply, 'got data');
});

test('HEAD and 204 responses have no body and the connection goes on', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A', (req, res) => {
    if (req.url === '/empty') {
      res.writeHead(204);
      res.end();
      return;
    }
    res.setHeader('Content-Length', '1000');
    res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(1000));
  });
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write('HEAD /big HTTP/1.1\r\nHost: h\r\n\r\n');
  await client.until((t) => t.includes('\r\n\r\n'), 'the HEAD response');
  assert.match(client.text(), /\r\nContent-Length: 1000\r\n/);
  client.write('GET /empty HTTP/1.1\r\nHost: h\r\n\r\n');
  await client.until((t) => responseCount(t) === 2 && t.endsWith('\r\n\r\n'), 'the 204 response');
  assert.match(client.text(), /HTTP\/1\.1 204 No Content/);
  client.write('GET /big HTTP/1.1\r\nHost: h\r\n\r\n');
  const text = await client.until((t) => t.endsWith('x'.repeat(1000)), 'the GET response');
  // Exactly one body went out: none after the HEAD or the 204.
  assert.is(text.split('x'.repeat(1000)).length - 1, 1);
  assert.is(responseCount(text), 3);
  assert.equal(
    up.seen.map((s) => `${s.method} ${s.url}`),
    ['HEAD /big', 'GET /empty', 'GET /big'],
  );
});

test('pipelined requests get their responses in order', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A', (req, res) => {
    // The first answer is the slowest: out-of-order forwarding would show.
    const delay = req.url === '/1' ? 30 : 0;
    setTimeout(() => res.end(`<${req.url}>`), delay);
  });
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write(
    'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nPOST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /4 HTTP/1.1\r\nHost: h\r\n\r\n',
  );
  const text = await client.until((t) => t.includes('</4>'), 'four responses');
  const order = [...text.matchAll(/<(\/\d)>/g)].map((m) => m[1]);
  assert.equal(order, ['/1', '/2', '/3', '/4']);
  assert.is(up.seen[2].body.toString(), 'abc');
});

test('a client that half-closes after pipelined requests still gets every response, then a close', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A', (req, res) => res.end(`<${req.url}>`));
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.socket.end('GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n');
  const text = await client.untilClosed();
  assert.equal(
    [...text.matchAll(/<(\/\d)>/g)].map((m) => m[1]),
    ['/1', '/2'],
  );
});

test('an HTTP/1.0 client gets keep-alive only when it asks for it', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A', (_req, res) => {
    res.setHeader('Content-Length', '1');
    res.end('A');
  });
  router.setRoute('app', [up.upstream]);
  const keep = new RawClient(port);
  keep.write('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  await keep.until((t) => t.endsWith('A'), 'the first response');
  assert.match(keep.text(), /\r\nConnection: keep-alive\r\n/i);
  keep.write('GET /b HTTP/1.0\r\n\r\n');
  const text = await keep.untilClosed();
  assert.is(responseCount(text.replaceAll('HTTP/1.0 ', 'HTTP/1.1 ')), 2);
  assert.match(text.slice(text.lastIndexOf('HTTP/1.')), /\r\nConnection: close\r\n/i);
});

test('framing holds wherever the byte stream is split (property)', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A', (req, res, body) => res.end(`<${req.url}:${body.toString()}>`));
  router.setRoute('app', [up.upstream]);
  const stream =
    '\r\nPOST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world' +
    'POST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\n\r\n\r\n0\r\nT: v\r\n\r\n' +
    'GET /3 HTTP/1.1\r\nHost: h\r\n\r\n' +
    'HEAD /4 HTTP/1.1\r\nHost: h\r\n\r\n' +
    'GET /5 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }),
      async (cuts) => {
        up.seen.length = 0;
        const client = new RawClient(port);
        client.socket.setNoDelay(true);
        let from = 0;
        for (const cut of [...cuts.sort((x, y) => x - y), stream.length]) {
          client.write(stream.slice(from, cut));
          from = cut;
          await new Promise((r) => setImmediate(r));
        }
        const text = await client.untilClosed();
        assert.equal(
          [...text.matchAll(/<([^>]*)>/g)].map((m) => m[1]),
          ['/1:hello world', '/2:abc\r\n', '/3:', '/5:'],
        );
        assert.is(responseCount(text), 5);
        assert.equal(
          up.seen.map((s) => `${s.method} ${s.url}`),
          ['POST /1', 'POST /2', 'GET /3', 'HEAD /4', 'GET /5'],
        );
      },
    ),
    { numRuns: 25, seed: 4242 },
  );
});

test('response framing holds wherever the upstream splits its bytes (property)', async () => {
  const { router, port } = await startRouter();
  const reply =
    'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n' +
    '4\r\nwiki\r\n5;e=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n';
  let cuts: number[] = [];
  const raw = await startRawUpstream((socket) => {
    socket.setNoDelay(true);
    let pending = '';
    socket.on('data', async (d: Buffer) => {
      pending += d.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        let from = 0;
        for (const cut of [...cuts, reply.length]) {
          socket.write(reply.slice(from, cut));
          from = cut;
          await new Promise((r) => setImmediate(r));
        }
      }
    });
  });
  router.setRoute('app', [raw]);
  const body = '4\r\nwiki\r\n5;e=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n';
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: reply.length - 1 }), { maxLength: 10 }), async (c) => {
      cuts = c.sort((x, y) => x - y);
      const client = new RawClient(port);
      client.write('GET /a HTTP/1.1\r\nHost: h\r\n\r\n');
      await client.until((t) => t.endsWith(body), 'the first response');
      client.write('GET /b HTTP/1.1\r\nHost: h\r\n\r\n');
      const text = await client.until((t) => t.split(body).length === 3, 'the second response');
      assert.is(text.split('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n').length, 3);
      assert.is(text.split('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n').length, 3);
      client.socket.destroy();
    }),
    { numRuns: 25, seed: 4243 },
  );
});

// ---- keep-alive, switching, draining ----

test('client and upstream connections are kept alive and reused', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  router.setRoute('app', [up.upstream]);
  const agent = keepAliveAgent();
  const replies: Reply[] = [];
  for (let i = 0; i < 5; i++) replies.push(await request(port, { path: `/${i}` }, agent));
  assert.equal(
    replies.map((r) => r.reusedSocket),
    [false, true, true, true, true],
  );
  assert.is(up.connections(), 1);
  assert.is(new Set(up.seen.map((s) => s.remotePort)).size, 1);
});

test('round-robin across upstreams, per request', async () => {
  const { router, port } = await startRouter();
  const a = await startUpstream('A');
  const b = await startUpstream('B');
  router.setRoute('app', [a.upstream, b.upstream]);
  const agent = keepAliveAgent();
  const bodies: string[] = [];
  for (let i = 0; i < 4; i++) bodies.push((await request(port, {}, agent)).body.toString());
  assert.equal(bodies, ['A', 'B', 'A', 'B']);
});

test('after a switch the next request on a kept-alive connection goes to the new upstream; in-flight ones finish on the old', async () => {
  const { router, port } = await startRouter();
  let releaseSlow!: () => void;
  const slowReleased = new Promise<void>((resolve) => {
    releaseSlow = resolve;
  });
  const slowArrived: Array<() => void> = [];
  const a = await startUpstream('A', (req, res) => {
    if (req.url === '/slow') {
      slowArrived.shift()?.();
      void slowReleased.then(() => res.end('A-slow'));
    } else res.end('A');
  });
  const b = await startUpstream('B');
  router.setRoute('app', [a.upstream]);

  const agent = keepAliveAgent();
  assert.is((await request(port, {}, agent)).body.toString(), 'A');
  const arrived = new Promise<void>((resolve) => slowArrived.push(resolve));
  const slow = request(port, { path: '/slow' });
  await within(arrived, 'the slow request at A');
  assert.is(router.inFlight([a.upstream]), 1);

  router.setRoute('app', [b.upstream]);
  let drainResult: { drained: boolean; remaining: number } | undefined;
  const drain = router.drain([a.upstream], 10_000).then((r) => {
    drainResult = r;
    return r;
  });
  const next = await request(port, {}, agent);
  assert.is(next.body.toString(), 'B');
  assert.ok(next.reusedSocket, 'same client connection');
  // Still serving the slow request: the drain must not be over.
  assert.is(drainResult, undefined);
  assert.is(router.inFlight([a.upstream]), 1);
  assert.is(router.inFlight([b.upstream]), 0);

  releaseSlow();
  const slowReply = await slow;
  assert.is(slowReply.status, 200);
  assert.is(slowReply.body.toString(), 'A-slow');
  assert.equal(await within(drain, 'the drain'), { drained: true, remaining: 0 });
  assert.is(router.inFlight([a.upstream]), 0);
});

test('drain reports what is left when its timeout passes first', async () => {
  const { router, port } = await startRouter();
  const { upstream: a, release, arrival } = await heldUpstream('late');
  router.setRoute('app', [a.upstream]);
  const came = arrival();
  const pending = request(port);
  await within(came, 'the request at A');
  assert.equal(await router.drain([a.upstream], 20), { drained: false, remaining: 1 });
  release();
  assert.is((await pending).body.toString(), 'late');
  assert.equal(await router.drain([a.upstream], 1000), { drained: true, remaining: 0 });
});

test('drain closes idle pooled connections to the drained upstream', async () => {
  const { router, port } = await startRouter();
  const a = await startUpstream('A');
  const b = await startUpstream('B');
  router.setRoute('app', [a.upstream]);
  await request(port);
  let upstreamSockets = 0;
  a.server.getConnections((_, n) => {
    upstreamSockets = n;
  });
  await new Promise((r) => setImmediate(r));
  assert.is(upstreamSockets, 1, 'the pooled connection is open');
  router.setRoute('app', [b.upstream]);
  assert.equal(await router.drain([a.upstream], 1000), { drained: true, remaining: 0 });
  await within(
    (async () => {
      for (;;) {
        const n = await new Promise<number>((resolve) => a.server.getConnections((_, count) => resolve(count)));
        if (n === 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    })(),
    'the pooled connection to close',
  );
});

test('idle pooled connections are closed after upstreamIdleTimeoutMs, before the upstream gives up on them', async () => {
  const router = new Router({ upstreamIdleTimeoutMs: 50 });
  cleanups.push(() => router.close());
  const port = await router.listen('app', 0);
  const a = await startUpstream('A');
  router.setRoute('app', [a.upstream]);
  assert.is((await request(port)).status, 200);
  await within(
    (async () => {
      for (;;) {
        const n = await new Promise<number>((resolve) => a.server.getConnections((_, count) => resolve(count)));
        if (n === 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    })(),
    'the idle pooled connection to close',
  );
  assert.is((await request(port)).status, 200);
  assert.is(a.connections(), 2);
});

// ---- upgrades ----

test('an Upgrade request becomes a raw two-way pipe after the upstream 101', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  let upgradeHeaders: string[] = [];
  up.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    upgradeHeaders = req.rawHeaders;
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Up: 1\r\n\r\n');
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write('GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
  const head = await client.until((t) => t.includes('\r\n\r\n'), 'the 101');
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(head, /\r\nUpgrade: echo\r\n/);
  assert.match(head, /\r\nConnection: upgrade\r\n/i);
  assert.match(head, /\r\nX-Up: 1\r\n/);
  const headLength = head.indexOf('\r\n\r\n') + 4;
  client.write('ping');
  await client.until((t) => t.slice(headLength) === 'ping', 'the echo');
  const binary = randomBytes(256 * 1024);
  client.write(binary);
  await client.until((t) => t.length === headLength + 4 + binary.length, 'the binary echo');
  assert.ok(client.received.subarray(headLength + 4).equals(binary));
  assert.equal(names(upgradeHeaders).slice(0, 3), ['host', 'upgrade', 'x-forwarded-for']);
  assert.ok(names(upgradeHeaders).includes('connection'));
  assert.is(router.inFlight([up.upstream]), 1, 'an open tunnel counts as in flight');
  client.socket.end();
  await client.untilClosed();
  await within(
    (async () => {
      while (router.inFlight([up.upstream]) > 0) await new Promise((r) => setTimeout(r, 5));
    })(),
    'the tunnel to be released',
  );
});

// ---- failures ----

test('502 when the upstream is down; the next upstream is tried first', async () => {
  const { router, port, logs } = await startRouter();
  const down: Upstream = { host: '127.0.0.1', port: await deadPort() };
  router.setRoute('app', [down]);
  const reply = await request(port);
  assert.is(reply.status, 502);
  assert.match(reply.body.toString(), /bad gateway/);
  assert.ok(logs.some((l) => l.app === 'app' && /ECONNREFUSED/.test(l.message)));

  const a = await startUpstream('A');
  router.setRoute('app', [down, a.upstream]);
  const agent = keepAliveAgent();
  for (let i = 0; i < 4; i++) {
    const r = await request(port, {}, agent);
    assert.is(r.status, 200);
    assert.is(r.body.toString(), 'A');
  }
});

test('an invalid upstream response becomes a 502 and the client connection goes on', async () => {
  const { router, port, logs } = await startRouter();
  const answers = [
    'NOT HTTP AT ALL\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
  ];
  let next = 0;
  let last: net.Socket | undefined;
  const raw = await startRawUpstream((socket) => {
    last = socket;
    socket.once('data', () => socket.write(answers[next++]));
  });
  router.setRoute('app', [raw]);
  const client = new RawClient(port);
  for (let i = 0; i < 4; i++) {
    client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await client.until((t) => t.split('HTTP/1.1 502 Bad Gateway\r\n').length === i + 2, `502 number ${i + 1}`);
  }
  assert.is(logs.length, 4);
  // A chunked body that goes wrong after the head was relayed can only be reported by closing.
  client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await client.until((t) => t.endsWith('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), 'the relayed head');
  last!.write('zz\r\n');
  await client.untilClosed();
});

test('an upstream that dies mid-response breaks the client connection instead of faking success', async () => {
  const { router, port } = await startRouter();
  const raw = await startRawUpstream((socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setImmediate(() => socket.destroy());
    });
  });
  router.setRoute('app', [raw]);
  const client = new RawClient(port);
  client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  const text = await client.untilClosed();
  assert.match(text, /^HTTP\/1\.1 200 OK/);
  assert.ok(text.endsWith('partial'));
});

test('a stale pooled connection is retried for idempotent requests, not for POST', async () => {
  const { router, port } = await startRouter();
  // Answers the first request on each connection, then drops the connection on the next one without a word:
  // what a keep-alive connection the upstream already closed looks like.
  const raw = await startRawUpstream((socket) => {
    let requests = 0;
    socket.on('data', () => {
      if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else socket.destroy();
    });
  });
  router.setRoute('app', [raw]);
  const agent = keepAliveAgent();
  assert.is((await request(port, {}, agent)).status, 200);
  const retried = await request(port, {}, agent);
  assert.is(retried.status, 200);
  assert.is(retried.body.toString(), 'ok');
  const post = await request(port, { method: 'POST', body: 'x' }, agent);
  assert.is(post.status, 502);
});

test('an upstream that goes away with a request before answering: a GET goes to the next upstream, a POST gets 502', async () => {
  const { router, port, logs } = await startRouter();
  // Reads the request, then closes without a byte of response: a web process killed while it held the request.
  let dropped = 0;
  const dropper = await startRawUpstream((socket) => {
    socket.once('data', () => {
      dropped++;
      socket.destroy();
    });
  });
  const b = await startUpstream('B');
  router.setRoute('app', [dropper, b.upstream]);
  // Fresh connections (no pooled one to blame): round robin starts every other request on the dropper.
  for (let i = 0; i < 4; i++) {
    const reply = await request(port);
    assert.is(reply.status, 200);
    assert.is(reply.body.toString(), 'B');
  }
  assert.is(dropped, 2);
  assert.ok(
    logs.some((l) =>
      new RegExp(
        `^upstream 127\\.0\\.0\\.1:${dropper.port}: .*; request sent to 127\\.0\\.0\\.1:${b.upstream.port} instead$`,
      ).test(l.message),
    ),
    JSON.stringify(logs),
  );
  // An idempotent request with a body: sent again whole.
  const put = await request(port, { method: 'PUT', path: '/item', body: 'payload' });
  assert.is(put.status, 200);
  assert.is(dropped, 3);
  const last = b.seen.at(-1)!;
  assert.equal([last.method, last.url, last.body.toString()], ['PUT', '/item', 'payload']);
  await request(port); // on B: the round robin puts the next request on the dropper
  assert.is(dropped, 3);
  // A POST may have been acted on: never sent twice.
  const posts = [
    await request(port, { method: 'POST', body: 'x' }),
    await request(port, { method: 'POST', body: 'x' }),
  ];
  assert.equal(posts.map((p) => p.status).sort(), [200, 502]);
  assert.is(dropped, 4);
  // With no other upstream left to try, the GET gets its 502.
  router.setRoute('app', [dropper]);
  assert.is((await request(port)).status, 502);
});

test('malformed or smuggling-prone requests get 400 and a closed connection', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  router.setRoute('app', [up.upstream]);
  const cases = [
    'GARBAGE\r\n\r\n',
    'GET / HTTP/1.1\r\n\r\n', // no Host
    'GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n',
    'GET / HTTP/1.1\r\nHost : h\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n',
    'GET / HTTP/1.1\nHost: h\n\n\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n',
    'GET / HTTP/2.0\r\nHost: h\r\n\r\n',
  ];
  for (const raw of cases) {
    const client = new RawClient(port);
    client.write(raw);
    const text = await client.untilClosed();
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/, JSON.stringify(raw));
    assert.match(text, /\r\nConnection: close\r\n/);
  }
  const bad = new RawClient(port);
  bad.write('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
  assert.match(await bad.untilClosed(), /^HTTP\/1\.1 400 /);
  assert.is(up.seen.length, 0, 'nothing reached the upstream');
  // The router is still serving.
  assert.is((await request(port)).status, 200);
});

test('a framing error after the upstream got the head: 400, both connections closed, nothing reused', async () => {
  const { router, port } = await startRouter();
  const aborted: string[] = [];
  const up = await startUpstream('A');
  up.server.prependListener('request', (req: http.IncomingMessage) => {
    req.on('error', () => aborted.push(req.url ?? ''));
  });
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write('POST /broken HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  await within(
    (async () => {
      while (up.connections() === 0) await new Promise((r) => setTimeout(r, 5));
    })(),
    'the head at the upstream',
  );
  // Whitespace after the chunk size without an extension: a strict parser refuses it.
  client.write('a \r\n0123456789\r\n0\r\n\r\n');
  const text = await client.untilClosed();
  // The router's own answer (node:http's refusal, relayed, would have no body).
  assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
  assert.match(text, /\r\nConnection: close\r\n\r\nbad request\n$/);
  await within(
    (async () => {
      while (aborted.length === 0) await new Promise((r) => setTimeout(r, 5));
    })(),
    'the upstream to see its connection end mid-request',
  );
  assert.equal(aborted, ['/broken']);
  assert.is(up.seen.length, 0, 'no request completed at the upstream');
  const next = await request(port, { path: '/next' });
  assert.is(next.status, 200);
  assert.is(up.connections(), 2, 'the broken upstream connection was not reused');
  assert.equal(
    up.seen.map((s) => s.url),
    ['/next'],
  );
});

test('a complete request with a body followed by the client’s FIN still gets its response', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A', (_req, res, body) => res.end(`got ${body}`));
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  // The body is complete in the same packet as the FIN, while the upstream connection is still being opened.
  client.socket.end('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello');
  const text = await client.untilClosed();
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(text.endsWith('got hello'));
  const cut = new RawClient(port);
  cut.socket.end('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhel');
  assert.is(await cut.untilClosed(), '', 'a body cut short by the FIN gets no answer');
  assert.is(up.seen.length, 1);
});

test('an oversized request head gets 431', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write(`GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
  const text = await client.untilClosed();
  assert.match(text, /^HTTP\/1\.1 431 /);
  assert.is(up.seen.length, 0);
});

test('a client that disconnects mid-request does not disturb the router', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  client.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly-part');
  await new Promise((r) => setTimeout(r, 10));
  client.socket.destroy();
  await within(
    (async () => {
      while (router.inFlight([up.upstream]) > 0) await new Promise((r) => setTimeout(r, 5));
    })(),
    'the exchange to be released',
  );
  assert.is((await request(port)).status, 200);
});

// ---- under load ----

test('2000 requests over 20 connections with a route switch halfway: no failures', async () => {
  const { router, port, logs } = await startRouter();
  const a = await startUpstream('A');
  const b = await startUpstream('B');
  router.setRoute('app', [a.upstream]);
  const agent = keepAliveAgent(20);
  const counts: Record<string, number> = {};
  const failures: string[] = [];
  let done = 0;
  let switched = false;
  let drain: Promise<{ drained: boolean; remaining: number }> | undefined;
  const worker = async (w: number) => {
    for (let i = 0; i < 100; i++) {
      try {
        const r = await request(
          port,
          {
            method: i % 5 === 0 ? 'POST' : 'GET',
            path: `/${w}/${i}`,
            body: i % 5 === 0 ? `body-${w}-${i}` : undefined,
          },
          agent,
        );
        if (r.status !== 200) failures.push(`status ${r.status}`);
        const body = r.body.toString();
        counts[body] = (counts[body] ?? 0) + 1;
      } catch (error) {
        failures.push(String(error));
      }
      if (++done === 1000 && !switched) {
        switched = true;
        router.setRoute('app', [b.upstream]);
        drain = router.drain([a.upstream], 10_000);
      }
    }
  };
  await within(Promise.all(Array.from({ length: 20 }, (_, w) => worker(w))), 'the load loop', 60_000);
  assert.equal(failures, []);
  assert.is(done, 2000);
  assert.is((counts.A ?? 0) + (counts.B ?? 0), 2000);
  assert.ok((counts.A ?? 0) >= 1000, `A served ${counts.A}`);
  assert.ok((counts.B ?? 0) >= 900, `B served ${counts.B}`);
  assert.equal(await drain, { drained: true, remaining: 0 });
  assert.equal(logs, []);
  const posts = [...a.seen, ...b.seen].filter((s) => s.method === 'POST');
  assert.is(posts.length, 400);
  assert.ok(posts.every((s) => s.body.toString() === `body-${s.url.slice(1).replace('/', '-')}`));
});

test('an upstream that never answers gets 504 once upstreamTimeoutMs passes without progress', async () => {
  const router = new Router({ upstreamTimeoutMs: 100 });
  cleanups.push(() => router.close());
  const port = await router.listen('app', 0);
  const silent = await startRawUpstream(() => {});
  router.setRoute('app', [silent]);
  const reply = await request(port);
  assert.is(reply.status, 504);
  assert.is(router.inFlight([silent]), 0);
});

test('a request head that does not complete in headersTimeoutMs gets 408 and a closed connection', async () => {
  const router = new Router({ headersTimeoutMs: 100 });
  cleanups.push(() => router.close());
  const port = await router.listen('app', 0);
  const client = new RawClient(port);
  client.write('GET / HTTP/1.1\r\nHost: h\r\n');
  assert.match(await client.untilClosed(), /^HTTP\/1\.1 408 /);
});

// ---- lifecycle ----

test('closeApp lets an in-flight request finish, then closes its connection', async () => {
  const { router, port } = await startRouter();
  const { upstream: up, release, arrival } = await heldUpstream('finished');
  router.setRoute('app', [up.upstream]);
  const client = new RawClient(port);
  const came = arrival();
  client.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  await within(came, 'the request at the upstream');
  let closed = false;
  const closing = router.closeApp('app').then(() => {
    closed = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.not.ok(closed, 'closeApp waits for the in-flight request');
  release();
  const text = await client.untilClosed();
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /\r\nConnection: close\r\n/);
  assert.ok(text.endsWith('finished'));
  await within(closing, 'closeApp');
});

test('closeApp stops the listener; close() stops everything', async () => {
  const { router, port } = await startRouter();
  const up = await startUpstream('A');
  router.setRoute('app', [up.upstream]);
  assert.is((await request(port)).status, 200);
  await router.closeApp('app');
  await rejects(request(port));
  // The route survives closeApp: listening again serves it.
  const again = await router.listen('app', 0);
  assert.is((await request(again)).body.toString(), 'A');
  await router.close();
  await rejects(request(again));
  assert.is(router.route('app'), undefined);
});

test.run();
