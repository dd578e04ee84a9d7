import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Router } from '../lib/router/router.js';
import { type CorpusCase, corpus } from './fixtures/http-corpus.js';
import { destroyRawClients, RawClient, within } from './support/raw-client.js';
import { type ParsedRequest, StrictServer } from './support/strict-http.js';

// Differential test: each raw request of the corpus goes (1) straight to a strict node:http server, and (2) through
// the router to a raw TCP upstream that records the exact bytes it gets (and relays them to a strict server, so the
// router gets answers). The recorded bytes are then parsed by the strict server too, and both readings compared.

/** Fields the router adds or removes on its hop; left out of the comparison. */
const ROUTER_FIELDS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
]);
// Framing fields are re-emitted in a normal form (and may move): the framing itself shows in body and completeness.
const FRAMING_FIELDS = new Set(['content-length', 'transfer-encoding']);

interface Compared {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: string;
  upgrade: boolean;
}

/** A request as the application sees it: end-to-end fields only. */
function endToEnd(r: ParsedRequest): Compared {
  const named = new Set<string>();
  for (const [name, value] of r.headers) {
    if (name === 'connection') for (const option of value.split(',')) named.add(option.trim().toLowerCase());
  }
  const headers = r.headers.filter(
    ([name]) =>
      !ROUTER_FIELDS.has(name) &&
      !FRAMING_FIELDS.has(name) &&
      !(named.has(name) && name !== 'host') &&
      (r.upgrade || name !== 'upgrade'),
  );
  return { method: r.method, url: r.url, headers, body: r.body, upgrade: r.upgrade };
}

function complete(requests: ParsedRequest[]): Compared[] {
  return requests.filter((r) => r.complete).map(endToEnd);
}

interface UpstreamConnection {
  bytes: Buffer[];
  closedByRouter: boolean;
}

/** A raw TCP upstream that records what each connection receives and relays it to `backend`. */
async function recordingUpstream(backend: StrictServer) {
  const connections: UpstreamConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const conn: UpstreamConnection = { bytes: [], closedByRouter: false };
    connections.push(conn);
    sockets.add(socket);
    const relay = net.connect({ port: backend.port, host: '127.0.0.1', allowHalfOpen: true });
    sockets.add(relay);
    socket.on('data', (d: Buffer) => {
      conn.bytes.push(d);
      relay.write(d);
    });
    socket.on('end', () => {
      conn.closedByRouter = true;
      relay.end();
    });
    socket.on('close', () => {
      conn.closedByRouter = true;
      relay.destroy();
    });
    relay.on('data', (d: Buffer) => socket.write(d));
    relay.on('end', () => socket.end());
    for (const s of [socket, relay]) s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    upstream: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port },
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let direct: StrictServer;
let backend: StrictServer;
let router: Router;
let port: number;

test.before(async () => {
  direct = await new StrictServer().listen();
  backend = await new StrictServer().listen();
  router = new Router();
  port = await router.listen('corpus', 0);
});

test.after(async () => {
  destroyRawClients();
  await router.close();
  await direct.close();
  await backend.close();
});

/** Sends `c.raw` through the router; returns what the client got and the strict reading of what the upstream got. */
async function throughRouter(c: CorpusCase) {
  const upstream = await recordingUpstream(backend);
  try {
    router.setRoute('corpus', [upstream.upstream]);
    const client = new RawClient(port);
    client.socket.end(Buffer.from(c.raw, 'latin1'));
    const response = await client.untilClosed();
    const readings = [];
    for (const conn of upstream.connections) {
      const reading = await direct.parseBytes(Buffer.concat(conn.bytes));
      if (reading.requests.some((r) => !r.complete) || reading.error !== null) {
        // A request cut short must never be followed by more bytes on that connection: the router closes it.
        await within(
          (async () => {
            while (!conn.closedByRouter) await new Promise((r) => setTimeout(r, 5));
          })(),
          `${c.name}: the router to close an upstream connection left mid-request`,
        );
      }
      readings.push(reading);
    }
    return { response, readings };
  } finally {
    router.clearRoute('corpus');
    await upstream.close();
  }
}

for (const c of corpus) {
  test(`${c.expect}: ${c.name}`, async () => {
    const strict = await direct.parseBytes(Buffer.from(c.raw, 'latin1'));
    const { response, readings } = await throughRouter(c);
    const seen = readings.flatMap((r) => r.requests);
    const seenComplete = complete(seen);
    // Whatever the case, an upstream only ever gets bytes a strict parser accepts, or a request cut short.
    for (const r of readings) {
      assert.ok(r.error === null || r.error === 'HPE_INVALID_EOF_STATE', `upstream parse error ${r.error}`);
    }
    const statuses = [...response.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    if (c.expect === 'refused') {
      const status = c.status ?? 400;
      assert.is(statuses.at(-1), status, `the router answers ${status}; got ${JSON.stringify(response.slice(0, 200))}`);
      const last = response.slice(response.lastIndexOf('HTTP/1.1 '));
      assert.match(last, /\r\nConnection: close\r\n/);
      // Only requests the strict parser read in the same way, in the same order, reached the upstream.
      assert.equal(seenComplete, complete(strict.requests).slice(0, seenComplete.length));
      return;
    }
    const expected = c.expect === 'normalised' ? await direct.parseBytes(Buffer.from(c.as!, 'latin1')) : strict;
    assert.ok(expected.requests.length > 0, 'the strict parser reads at least one request');
    assert.equal(seenComplete, complete(expected.requests));
    assert.ok(
      seen.every((r) => r.complete),
      'every request reached the upstream whole',
    );
    assert.ok(
      statuses.every((s) => s === 200 || s === 101),
      `every request was answered by the upstream: ${statuses}`,
    );
    assert.is(statuses.length, seen.length);
  });
}

test('the corpus covers each kind of outcome', () => {
  const kinds = new Set(corpus.map((c) => c.expect));
  assert.equal([...kinds].sort(), ['forwarded', 'normalised', 'refused']);
  assert.is(new Set(corpus.map((c) => c.name)).size, corpus.length, 'names are unique');
});

test.run();
