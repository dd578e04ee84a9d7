// Secrets never leave slipway: tokens given to notifiers through the deploying
// process's env (as their docs recommend) appear in no byte of the CLI's output
// and no file under SLIPWAY_HOME — even when the vendor echoes them back in
// its error answers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E } from './support/e2e.js';
import { filesUnder, readPresent } from './support/files.js';

const e2e = new E2E();
const ROLLBAR_TOKEN = 'rollbar-token-5f2c9e1a77d04b';
const SLACK_TOKEN = 'slack-path-secret-b81d3e9a';
// The worst vendor: it answers 500 echoing what it received, the token header and the URL first.
const vendor = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`rejected ${req.url} token=${req.headers['x-rollbar-access-token'] ?? '-'} ${body}`);
  });
});

test.before(() => new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve)));
test.after(async () => {
  vendor.close();
  await e2e.cleanup();
});

test('notifier tokens appear nowhere in CLI output or under SLIPWAY_HOME', async () => {
  const base = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`;
  const { dir } = await e2e.app('web: node server.js\npostdeploy: true\n', {
    app: 'secretive',
    plugins: [
      ['rollbar', { environment: 'production', baseUrl: base, retries: 1 }],
      ['slack', { retries: 1 }],
    ],
  });
  const outputs: string[] = [];
  for (const args of [['--json'], []]) {
    const r = await e2e.run(['deploy', dir, ...args], {
      env: { ROLLBAR_ACCESS_TOKEN: ROLLBAR_TOKEN, SLACK_WEBHOOK_URL: `${base}/services/T0/B0/${SLACK_TOKEN}` },
    });
    assert.is(r.code, 0, r.stderr);
    outputs.push(r.stdout, r.stderr);
  }
  for (const args of [
    ['deployments', '--json'],
    ['logs', '--app', 'secretive'],
    ['status', '--json'],
  ]) {
    const r = await e2e.run(args);
    outputs.push(r.stdout, r.stderr);
  }
  const all = outputs.join('\n');
  // The vendor did echo the token back, and it was reported masked.
  assert.match(all, /rejected \/api\/1\/deploy token=••••/);
  const files = filesUnder(e2e.home);
  assert.ok(files.some((f) => f.endsWith('state.db')));
  for (const token of [ROLLBAR_TOKEN, SLACK_TOKEN]) {
    assert.not.ok(all.includes(token), `${token} in CLI output`);
    for (const file of files) {
      assert.not.ok(readPresent(file).includes(token), `${token} in ${file}`);
    }
  }
});

test.run();
