import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlipwayError } from '../lib/core/errors.js';
import { STAGE } from '../lib/core/hooks.js';
import type { Plugin } from '../lib/core/plugins.js';
import rollbar from '../plugins/rollbar/index.js';
import { deploy, vendor, warningsOf, withEnv } from './notifier-harness.js';

const DEPLOY = 'https://api.rollbar.com/api/1/deploy';
const TOKEN = 'rb-post-server-item-0123456789';
const started = HttpResponse.json({ err: 0, data: { deploy_id: 9001 } });
const patched = HttpResponse.json({ err: 0, result: { id: 9001 } });

const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.before.each(() => {
  process.env.SLIPWAY_USER = 'alice';
  delete process.env.ROLLBAR_USERNAME;
});
test.after.each(() => server.resetHandlers());
test.after(() => server.close());

const options = { accessToken: TOKEN, environment: 'production', retryDelay: 1 };

test('POSTs `started` when the deployment starts, PATCHes `succeeded` at the end', async () => {
  const posts = vendor(server, 'post', DEPLOY, started);
  const patches = vendor(server, 'patch', `${DEPLOY}/9001`, patched);
  const { record, logs } = await deploy([rollbar(options)], { version: 'c0ffee' });
  assert.is(record.status, 'success');
  assert.equal(record.warnings, []);
  assert.is(posts.length, 1);
  assert.is(posts[0].headers['x-rollbar-access-token'], TOKEN);
  assert.is(posts[0].headers['content-type'], 'application/json');
  assert.equal(posts[0].json, {
    environment: 'production',
    revision: 'c0ffee',
    local_username: 'alice',
    status: 'started',
  });
  assert.is(patches.length, 1);
  assert.is(patches[0].method, 'PATCH');
  assert.is(patches[0].headers['x-rollbar-access-token'], TOKEN);
  assert.equal(patches[0].json, { status: 'succeeded' });
  assert.match(logs, `rollbar: sent deploy started of c0ffee in production to POST ${DEPLOY} → 200, id 9001`);
  assert.match(logs, `rollbar: sent deploy succeeded to PATCH ${DEPLOY}/9001 → 200, id 9001`);
});

test('the `started` call runs beside the build instead of holding it up', async () => {
  let buildStarted: () => void = () => {};
  const building = new Promise<void>((resolve) => (buildStarted = resolve));
  // Rollbar answers only once the build has begun: a blocking start call would time out.
  server.use(http.post(DEPLOY, async () => (await building, started.clone())));
  const patches = vendor(server, 'patch', `${DEPLOY}/9001`, patched);
  const watcher: Plugin = {
    name: 'watcher',
    apply(deployer) {
      deployer.hooks.build.tapPromise({ name: 'watcher', stage: STAGE.BEFORE_RUNTIME }, async () => {
        buildStarted();
        return undefined;
      });
    },
  };
  const { record } = await deploy([rollbar({ ...options, timeout: 2000, retries: 1 }), watcher]);
  assert.equal(record.warnings, []);
  assert.equal(patches[0].json, { status: 'succeeded' });
});

test('a failed postdeploy is PATCHed `failed` with the error as comment', async () => {
  vendor(server, 'post', DEPLOY, started);
  const patches = vendor(server, 'patch', `${DEPLOY}/9001`, patched);
  const { record } = await deploy([rollbar(options)], { runtime: { hook: { exitCode: 1 } } });
  assert.is(record.status, 'hook-error');
  assert.equal(patches[0].json, {
    status: 'failed',
    comment: 'hook-error: HOOK_FAILED: postdeploy exited with status 1',
  });
});

test('a postdeploy timeout is `timed_out`', async () => {
  vendor(server, 'post', DEPLOY, started);
  const patches = vendor(server, 'patch', `${DEPLOY}/9001`, patched);
  const onHook = () => {
    throw new SlipwayError('HOOK_TIMEOUT', 'postdeploy ran past 20m and was stopped');
  };
  await deploy([rollbar(options)], { runtime: { onHook } });
  assert.is((patches[0].json as { status: string }).status, 'timed_out');
});

test('a plugin that runs out of time is `timed_out` too', async () => {
  vendor(server, 'post', DEPLOY, started);
  const patches = vendor(server, 'patch', `${DEPLOY}/9001`, patched);
  // A pending timer stands for the I/O a stuck plugin waits on (it keeps the process alive).
  let pending: NodeJS.Timeout | undefined;
  const stuck: Plugin = {
    name: 'stuck',
    apply(deployer) {
      deployer.hooks.postdeploy.tapPromise(
        { name: 'stuck', stage: STAGE.GATE, timeout: 20 },
        () => new Promise((resolve) => (pending = setTimeout(resolve, 60_000))),
      );
    },
  };
  const { record } = await deploy([rollbar(options), stuck]);
  clearTimeout(pending);
  assert.is(record.error?.code, 'PLUGIN_TIMEOUT');
  assert.is((patches[0].json as { status: string }).status, 'timed_out');
});

test('when `started` could not be sent, the outcome is POSTed as a deploy of its own', async () => {
  const posts = vendor(
    server,
    'post',
    DEPLOY,
    HttpResponse.json({ err: 1, message: 'maintenance' }, { status: 503 }),
    HttpResponse.json({ err: 1, message: 'maintenance' }, { status: 503 }),
    started,
  );
  const patches = vendor(server, 'patch', `${DEPLOY}/9001`, patched);
  const { record } = await deploy([rollbar({ ...options, retries: 2 })]);
  assert.is(posts.length, 3);
  assert.is((posts[2].json as { status: string }).status, 'succeeded');
  assert.is(patches.length, 0);
  assert.is(record.warnings.length, 1);
  assert.is(record.warnings[0].hook, 'deploymentStarted');
  assert.match(warningsOf(record), 'after 2 attempts: HTTP 503');
  assert.match(warningsOf(record), 'maintenance');
});

test('an `err: 1` answer is a failure even with a 200', async () => {
  const posts = vendor(server, 'post', DEPLOY, HttpResponse.json({ err: 1, message: 'invalid environment' }));
  const { record } = await deploy([rollbar(options)]);
  assert.is(posts.length, 2);
  assert.match(warningsOf(record), 'Rollbar refused it: invalid environment');
});

test('token and username come from the env; environment is required', async () => {
  const posts = vendor(server, 'post', DEPLOY, started);
  vendor(server, 'patch', `${DEPLOY}/9001`, patched);
  await withEnv({ ROLLBAR_ACCESS_TOKEN: 'rb-from-env-token', ROLLBAR_USERNAME: 'scalingo' }, async () => {
    await deploy([rollbar({ environment: 'staging' })]);
    assert.throws(() => rollbar({}), /options\.environment: required/);
  });
  assert.is(posts[0].headers['x-rollbar-access-token'], 'rb-from-env-token');
  assert.is((posts[0].json as { local_username: string }).local_username, 'scalingo');
  await withEnv({ ROLLBAR_ACCESS_TOKEN: undefined }, () => {
    assert.throws(
      () => rollbar({ environment: 'x' }),
      /options\.accessToken: required: set it here or in ROLLBAR_ACCESS_TOKEN/,
    );
  });
});

test.run();
