import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { STAGE } from '../lib/core/hooks.js';
import type { Plugin } from '../lib/core/plugins.js';
import webhook from '../plugins/webhook/index.js';
import { deploy, vendor } from './notifier-harness.js';

const URL = 'https://ci.example.com/hooks/slipway';
const SECRET = 'whsec-0123456789abcdef';

const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.after.each(() => server.resetHandlers());
test.after(() => server.close());

/** How a receiver checks the signature (the recipe in docs/notifiers.md). */
function verify(secret: string, rawBody: string, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const warner: Plugin = {
  name: 'warner',
  apply(deployer) {
    deployer.hooks.succeeded.tapPromise({ name: 'warner', stage: STAGE.NOTIFY }, async (ctx) => {
      ctx.warn({ plugin: 'warner', message: 'cache not warmed' });
    });
  },
};

test('POSTs the finished deployment record once, signed', async () => {
  const seen = vendor(server, 'post', URL, HttpResponse.json({}));
  const { record, logs } = await deploy([webhook({ url: URL, secret: SECRET }), warner], { version: 'deadbeef' });
  assert.is(seen.length, 1);
  const body = seen[0].json as Record<string, unknown>;
  const { startedAt, finishedAt, durationMs, ...rest } = body;
  assert.equal(rest, {
    event: 'deployment.finished',
    id: record.id,
    app: 'shop',
    release: 1,
    version: 'deadbeef',
    kind: 'deploy',
    mode: 'postdeploy',
    status: 'success',
    hookExitCode: 0,
    hookReason: 'exit',
    warnings: [{ plugin: 'warner', message: 'cache not warmed' }],
    error: null,
    sourceRelease: null,
  });
  assert.type(durationMs, 'number');
  assert.ok(Date.parse(startedAt as string) <= Date.parse(finishedAt as string));
  assert.is(seen[0].headers['content-type'], 'application/json');
  assert.is(seen[0].headers['x-slipway-event'], 'deployment.finished');
  assert.ok(verify(SECRET, seen[0].text, seen[0].headers['x-slipway-signature']), 'signature verifies');
  assert.not.ok(verify('other-secret', seen[0].text, seen[0].headers['x-slipway-signature']));
  assert.match(logs, `webhook: sent deployment.finished (success) to POST ${URL} → 200`);
});

test('a failed deployment is posted once, with its error; no secret, no signature', async () => {
  const seen = vendor(server, 'post', URL, HttpResponse.json({}));
  const { record } = await deploy([webhook({ url: URL })], { runtime: { hook: { exitCode: 2 } } });
  assert.is(record.status, 'hook-error');
  assert.is(seen.length, 1);
  const body = seen[0].json as Record<string, unknown>;
  assert.is(body.status, 'hook-error');
  assert.is(body.hookExitCode, 2);
  assert.equal(body.error, { code: 'HOOK_FAILED', message: 'postdeploy exited with status 2' });
  assert.is(seen[0].headers['x-slipway-signature'], undefined);
});

test('required: the gate call must succeed for the switch, the final record still follows', async () => {
  const seen = vendor(server, 'post', URL, HttpResponse.json({}));
  const { record } = await deploy([webhook({ url: URL, secret: SECRET, required: true })]);
  assert.is(record.status, 'success');
  assert.equal(
    seen.map((s) => [(s.json as { event: string }).event, (s.json as { status: string }).status]),
    [
      ['deployment.gate', 'starting'],
      ['deployment.finished', 'success'],
    ],
  );
  assert.ok(verify(SECRET, seen[0].text, seen[0].headers['x-slipway-signature']));
});

test('url is required', () => {
  assert.throws(() => webhook({}), /options\.url: required/);
  assert.throws(() => webhook({ url: 'ftp://x' }), /options\.url: must be an http\(s\) URL/);
});

test.run();
