import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlipwayError } from '../lib/core/errors.js';
import slack from '../plugins/slack/index.js';
import { deploy, vendor, warningsOf, withEnv } from './notifier-harness.js';

const HOOK = 'https://hooks.slack.com/services/T0001/B0002/XyZsecretPart123';
const ok = () => new HttpResponse('ok', { status: 200 });

const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.before.each(() => {
  process.env.SLIPWAY_USER = 'alice';
});
test.after.each(() => server.resetHandlers());
test.after(() => server.close());

const textOf = (json: unknown) => (json as { text: string }).text;

test('on success: app, release, version, status, duration and who deployed', async () => {
  const seen = vendor(server, 'post', HOOK, ok());
  const { record, logs } = await deploy([slack({ webhookUrl: HOOK })], { version: '9f8e7d' });
  assert.is(record.status, 'success');
  assert.is(seen.length, 1);
  assert.is(seen[0].headers['content-type'], 'application/json');
  assert.equal(Object.keys(seen[0].json as object), ['text']);
  assert.match(
    textOf(seen[0].json),
    /^:white_check_mark: \*shop\* deployed\nrelease v1 · version `9f8e7d` · status success · in \d[\d.hms]* · by alice$/,
  );
  assert.match(logs, 'slack: sent a succeeded message about shop v1 to POST https://hooks.slack.com••••');
  assert.not.match(logs, 'XyZsecretPart123');
});

test('on failure: the status, the error code and message', async () => {
  const seen = vendor(server, 'post', HOOK, ok());
  const { record } = await deploy([slack({ webhookUrl: HOOK })], { runtime: { hook: { exitCode: 3 } } });
  assert.is(record.status, 'hook-error');
  assert.is(seen.length, 1);
  const text = textOf(seen[0].json);
  assert.match(text, /^:x: \*shop\* deployment failed\nrelease v1 · version `abc1234` · status hook-error · after /);
  assert.match(text, '\n> HOOK_FAILED: postdeploy exited with status 3');
});

test('app env values in an error never reach Slack; markup is escaped', async () => {
  const seen = vendor(server, 'post', HOOK, ok());
  const onHook = () => {
    throw new SlipwayError('HOOK_FAILED', 'cannot reach postgres://shop:hunter2-db-pass@db/shop <fatal> & gave up');
  };
  await deploy([slack({ webhookUrl: HOOK })], {
    runtime: { onHook },
    env: { DATABASE_URL: 'postgres://shop:hunter2-db-pass@db/shop' },
    version: 'a<b>&c',
  });
  const text = textOf(seen[0].json);
  assert.not.match(text, 'hunter2-db-pass');
  assert.match(text, 'cannot reach •••• &lt;fatal&gt; &amp; gave up');
  assert.match(text, 'version `a&lt;b&gt;&amp;c`');
});

test('baseUrl moves the webhook; a Slack error is a warning with its body', async () => {
  const seen = vendor(
    server,
    'post',
    'http://127.0.0.1:4567/services/T0001/B0002/XyZsecretPart123',
    new HttpResponse('invalid_payload', { status: 400 }),
  );
  const { record } = await deploy([slack({ webhookUrl: HOOK, baseUrl: 'http://127.0.0.1:4567' })]);
  assert.is(seen.length, 1);
  assert.match(warningsOf(record), 'HTTP 400 Bad Request: invalid_payload');
  assert.not.match(warningsOf(record), 'XyZsecretPart123');
});

test('required: one message, at the gate, before the switch', async () => {
  const seen = vendor(server, 'post', HOOK, ok());
  const { record } = await deploy([slack({ webhookUrl: HOOK, required: true })]);
  assert.is(record.status, 'success');
  assert.is(seen.length, 1);
  assert.match(
    textOf(seen[0].json),
    /^:large_green_circle: \*shop\* passed its postdeploy gate and is going live\n.* status starting /,
  );
});

test('SLACK_WEBHOOK_URL is the default; without it the message says so', async () => {
  const seen = vendor(server, 'post', HOOK, ok());
  await withEnv({ SLACK_WEBHOOK_URL: HOOK }, () => deploy([slack({})]));
  assert.is(seen.length, 1);
  await withEnv({ SLACK_WEBHOOK_URL: undefined }, () => {
    assert.throws(() => slack({}), /options\.webhookUrl: required: set it here or in SLACK_WEBHOOK_URL/);
  });
});

test.run();
