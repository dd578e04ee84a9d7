// A router can serve on a listener that is already bound — what a new agent
// gets from the one it replaces — including the connections that listener
// accepted before the app's route was known (held, then served).
import http from 'node:http';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { holdConnections } from '../lib/agent/handover.js';
import { Router } from '../lib/router/router.js';

function listening(server: net.Server | http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function rawGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () =>
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

test('a request accepted before the route was set is held, then served by the adopting router', async () => {
  const upstream = http.createServer((_req, res) => res.end('from upstream'));
  const upstreamPort = await listening(upstream);
  const handed = net.createServer();
  const port = await listening(handed);
  const held = holdConnections(handed);
  const answer = rawGet(port);
  // The client's request waits on a connection nobody reads yet.
  await new Promise((r) => setTimeout(r, 150));
  const router = new Router();
  router.setRoute('app', [{ host: '127.0.0.1', port: upstreamPort }]);
  router.adoptListener('app', handed, { held: held.release() });
  const response = await answer;
  assert.match(response, /^HTTP\/1\.1 200 /);
  assert.match(response, /from upstream$/);
  // New connections are served too, and closing the app closes the adopted listener.
  assert.match(await rawGet(port), /from upstream$/);
  await router.close();
  assert.is(handed.listening, false);
  upstream.close();
});

test('listeners() lists what a successor would be handed; adopting twice is refused', async () => {
  const router = new Router();
  await router.listen('one', 0);
  assert.equal([...router.listeners().keys()], ['one']);
  const other = net.createServer();
  await listening(other);
  assert.throws(() => router.adoptListener('one', other), /already listening/);
  router.adoptListener('two', other);
  assert.equal([...router.listeners().keys()].sort(), ['one', 'two']);
  await router.close();
});

test.run();
