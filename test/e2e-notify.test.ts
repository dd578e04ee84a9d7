// A notifier through a real deployment: `required: true` gates the switch
// (its failure is a hook-error, the old version keeps serving); by default a
// failure is only a warning on a successful deployment. The vendor is a real
// HTTP server on 127.0.0.1 that answers 500.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get } from './support/e2e.js';

const e2e = new E2E();
const calls: string[] = [];
const vendor = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    calls.push(body);
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('vendor exploded');
  });
});

test.before(() => new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve)));
test.after(async () => {
  vendor.close();
  await e2e.cleanup();
});

const slack = (required: boolean) => {
  const port = (vendor.address() as AddressInfo).port;
  return ['slack', { webhookUrl: `http://127.0.0.1:${port}/hooks/T000/B000/XXXX`, required, retries: 1 }];
};

test('required notifier failing: hook-error, no switch, old version serving', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'gated' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${dir}/.slipwayrc.json`, JSON.stringify({ app: 'gated', port, plugins: [slack(true)] }));
  calls.length = 0;
  const { code, record } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.error.code, 'NOTIFY_FAILED');
  assert.match(record.error.message, /vendor exploded/);
  assert.ok(calls.length >= 1);
  assert.is((await get(port)).body, 'v1');
});

test('default notifier failing: success, with the failure as a warning', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', {
    app: 'soft',
    plugins: [slack(false)],
  });
  calls.length = 0;
  const { code, record } = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(code, 0);
  assert.is(record.status, 'success');
  assert.is(record.warnings.length, 1);
  assert.match(record.warnings[0].message, /vendor exploded/);
  assert.not.match(JSON.stringify(record), /XXXX/, 'the webhook URL is a secret');
  assert.ok(calls.length >= 1);
  assert.is((await get(port)).body, 'v1');
});

test.run();
