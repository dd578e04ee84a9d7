import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Upstream } from '../lib/core/context.js';
import newrelic from '../plugins/newrelic/index.js';
import rollbar from '../plugins/rollbar/index.js';
import { deploy, vendor } from './notifier-harness.js';
import { MemoryControl } from './support/memory-control.js';

const GRAPHQL = 'https://api.newrelic.com/graphql';
const created = HttpResponse.json({ data: { changeTrackingCreateDeployment: { deploymentId: 'd-1' } } });
const down = new HttpResponse('service unavailable', { status: 503 });
const options = { apiKey: 'NRAK-REQUIRED-TEST', entityGuid: 'GUID-1', retries: 2, retryDelay: 1 };

const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.after.each(() => server.resetHandlers());
test.after(() => server.close());

/** A control plane where release 1 already serves. */
async function serving(): Promise<{ control: MemoryControl; before: Upstream[] }> {
  const control = new MemoryControl();
  await deploy([], { control });
  const before = control.routes.get('shop');
  assert.ok(before && before.length === 1, 'release 1 is routed');
  return { control, before };
}

test('default: a failing vendor is a warning after the switch', async () => {
  const { control } = await serving();
  const seen = vendor(server, 'post', GRAPHQL, down);
  const { record } = await deploy([newrelic(options)], { control });
  assert.is(seen.length, 2);
  assert.is(record.status, 'success');
  assert.is(record.error, null);
  assert.is(record.warnings.length, 1);
  assert.is(record.warnings[0].hook, 'succeeded');
  assert.is(record.warnings[0].plugin, 'newrelic');
  assert.is(record.warnings[0].code, 'NOTIFY_FAILED');
  assert.equal(control.routes.get('shop'), [{ host: '127.0.0.1', port: 40002 }]);
  assert.is(control.live.get('shop')?.release, 2);
});

test('required: a failing vendor fails the deployment with hook-error and no switch', async () => {
  const { control, before } = await serving();
  const seen = vendor(server, 'post', GRAPHQL, down);
  const { record } = await deploy([newrelic({ ...options, required: true })], { control });
  assert.is(seen.length, 2);
  assert.is(record.status, 'hook-error');
  assert.is(record.error?.code, 'NOTIFY_FAILED');
  assert.match(
    record.error?.message ?? '',
    'newrelic: POST https://api.newrelic.com/graphql failed after 2 attempts: HTTP 503',
  );
  assert.equal(control.routes.get('shop'), before);
  assert.is(control.live.get('shop')?.release, 1);
  assert.not.ok(control.statusHistory.slice(-1).includes('success'));
});

test('required: the vendor is called at the gate, before the switch, and only once', async () => {
  const { control, before } = await serving();
  const routedAtCall: Array<Upstream[] | undefined> = [];
  server.use(
    http.post(GRAPHQL, () => {
      routedAtCall.push(control.routes.get('shop'));
      return created.clone();
    }),
  );
  const { record } = await deploy([newrelic({ ...options, required: true })], { control });
  assert.is(record.status, 'success');
  assert.equal(routedAtCall, [before]);
  assert.equal(control.routes.get('shop'), [{ host: '127.0.0.1', port: 40002 }]);
});

test('required: a failing postdeploy command means the vendor is never called', async () => {
  const seen = vendor(server, 'post', GRAPHQL, created);
  const { record } = await deploy([newrelic({ ...options, required: true })], { runtime: { hook: { exitCode: 1 } } });
  assert.is(record.status, 'hook-error');
  assert.is(record.error?.code, 'HOOK_FAILED');
  assert.is(seen.length, 0);
});

test('required Rollbar: `succeeded` is PATCHed at the gate; a refusal stops the switch', async () => {
  const { control, before } = await serving();
  const deployUrl = 'https://api.rollbar.com/api/1/deploy';
  vendor(server, 'post', deployUrl, HttpResponse.json({ err: 0, data: { deploy_id: 5 } }));
  const patches = vendor(
    server,
    'patch',
    `${deployUrl}/5`,
    HttpResponse.json({ err: 1, message: 'deploy is timed_out' }, { status: 422 }),
    HttpResponse.json({ err: 0 }),
  );
  const { record } = await deploy(
    [rollbar({ accessToken: 'rb-token-required', environment: 'production', required: true, retryDelay: 1 })],
    { control },
  );
  assert.is(record.status, 'hook-error');
  assert.equal(control.routes.get('shop'), before);
  assert.equal(
    patches.map((p) => (p.json as { status: string }).status),
    ['succeeded', 'failed'],
  );
});

test.run();
