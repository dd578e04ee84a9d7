import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import newrelic, { MUTATION, REST_V2_END_OF_LIFE } from '../plugins/newrelic/index.js';
import { deploy, vendor, warningsOf, withEnv } from './notifier-harness.js';

const GRAPHQL = 'https://api.newrelic.com/graphql';
const KEY = 'NRAK-TESTKEY0123456789';
const GUID = 'MXxBUE18QVBQTElDQVRJT058MTIz';
const created = HttpResponse.json({
  data: { changeTrackingCreateDeployment: { deploymentId: 'dep-42', entityGuid: GUID } },
});

const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.before.each(() => {
  process.env.SLIPWAY_USER = 'alice';
});
test.after.each(() => server.resetHandlers());
test.after(() => server.close());

const fast = { retryDelay: 1 };

test('NerdGraph changeTrackingCreateDeployment with CONTAINER_VERSION, user, BASIC and a timestamp', async () => {
  const seen = vendor(server, 'post', GRAPHQL, created);
  const before = Date.now();
  const { record, logs } = await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, ...fast })], {
    version: 'f00dcafe',
  });
  assert.is(record.status, 'success');
  assert.equal(record.warnings, []);
  assert.is(seen.length, 1);
  const [call] = seen;
  assert.is(call.method, 'POST');
  assert.is(call.url, GRAPHQL);
  assert.is(call.headers['api-key'], KEY);
  assert.is(call.headers['content-type'], 'application/json');
  const body = call.json as { query: string; variables: { deployment: Record<string, unknown> } };
  assert.is(body.query, MUTATION);
  assert.match(body.query, 'changeTrackingCreateDeployment(deployment: $deployment)');
  const { timestamp, ...rest } = body.variables.deployment;
  assert.equal(rest, {
    entityGuid: GUID,
    version: 'f00dcafe',
    user: 'alice',
    description: 'shop release v1 deployed by slipway',
    deploymentType: 'BASIC',
  });
  assert.type(timestamp, 'number');
  assert.ok((timestamp as number) >= before && (timestamp as number) <= Date.now());
  assert.match(logs, `newrelic: sent deployment f00dcafe of entity ${GUID} to POST ${GRAPHQL} → 200, id dep-42`);
});

test('regions pick the API host; env supplies key, GUID and region', async () => {
  const eu = vendor(server, 'post', 'https://api.eu.newrelic.com/graphql', created);
  await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, region: 'EU' })]);
  assert.is(eu.length, 1);
  const jp = vendor(server, 'post', 'https://api.jp.newrelic.com/graphql', created);
  await withEnv(
    { NEW_RELIC_API_KEY: 'NRAK-FROMENV', NEW_RELIC_DEPLOYMENT_ENTITY_GUID: 'GUID-ENV', NEW_RELIC_REGION: 'jp' },
    () => deploy([newrelic({})]),
  );
  assert.is(jp.length, 1);
  assert.is(jp[0].headers['api-key'], 'NRAK-FROMENV');
  assert.is(
    (jp[0].json as { variables: { deployment: { entityGuid: string } } }).variables.deployment.entityGuid,
    'GUID-ENV',
  );
});

test('baseUrl replaces scheme, host and port', async () => {
  const seen = vendor(server, 'post', 'http://127.0.0.1:9999/graphql', created);
  await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, region: 'EU', baseUrl: 'http://127.0.0.1:9999' })]);
  assert.is(seen.length, 1);
});

test('a 200 with errors[] is a failure, not retried when the class is final', async () => {
  const seen = vendor(
    server,
    'post',
    GRAPHQL,
    HttpResponse.json({
      errors: [{ message: 'Invalid API key', extensions: { errorClass: 'BAD_API_KEY' } }],
      data: null,
    }),
  );
  const { record } = await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, ...fast })]);
  assert.is(seen.length, 1);
  assert.is(record.status, 'success');
  assert.is(record.warnings.length, 1);
  assert.is(record.warnings[0].code, 'NOTIFY_FAILED');
  assert.match(warningsOf(record), 'BAD_API_KEY: Invalid API key');
});

test('a 200 with a retryable errorClass is tried again', async () => {
  const seen = vendor(
    server,
    'post',
    GRAPHQL,
    HttpResponse.json({ errors: [{ message: 'timed out', extensions: { errorClass: 'TIMEOUT' } }] }),
    created,
  );
  const { record } = await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, ...fast })]);
  assert.is(seen.length, 2);
  assert.equal(record.warnings, []);
});

test('a 200 without a deploymentId is not taken for a success', async () => {
  vendor(server, 'post', GRAPHQL, HttpResponse.json({ data: { changeTrackingCreateDeployment: null } }));
  const { record } = await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, ...fast })]);
  assert.match(warningsOf(record), 'no deploymentId');
});

test('5xx then 200: two calls; 400: one call', async () => {
  const flaky = vendor(server, 'post', GRAPHQL, new HttpResponse('oops', { status: 502 }), created);
  const ok = await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, ...fast })]);
  assert.is(flaky.length, 2);
  assert.equal(ok.record.warnings, []);
  server.resetHandlers();
  const bad = vendor(server, 'post', GRAPHQL, HttpResponse.json({ error: 'bad request' }, { status: 400 }));
  const refused = await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, ...fast })]);
  assert.is(bad.length, 1);
  assert.match(warningsOf(refused.record), 'HTTP 400');
});

test('429 with Retry-After is retried after the wait the vendor asked for', async () => {
  const seen = vendor(
    server,
    'post',
    GRAPHQL,
    new HttpResponse('slow down', { status: 429, headers: { 'Retry-After': '0' } }),
    created,
  );
  const { record } = await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, retryDelay: '1ms' })]);
  assert.is(seen.length, 2);
  assert.equal(record.warnings, []);
});

test('the per-request timeout option cuts a hanging call', async () => {
  let pending: NodeJS.Timeout | undefined;
  const seen = vendor(
    server,
    'post',
    GRAPHQL,
    () => new Promise<Response>((resolve) => (pending = setTimeout(() => resolve(created.clone()), 30_000))),
  );
  const { record } = await deploy([newrelic({ apiKey: KEY, entityGuid: GUID, timeout: '50ms', retries: 1 })]);
  clearTimeout(pending);
  assert.is(seen.length, 1);
  assert.match(warningsOf(record), 'no answer within 50ms');
});

test('legacy REST v2 with applicationId, and a warning about its end of life', async () => {
  const url = 'https://api.newrelic.com/v2/applications/12345/deployments.json';
  const seen = vendor(server, 'post', url, HttpResponse.json({ deployment: { id: 777 } }, { status: 201 }));
  const { record, logs } = await deploy([newrelic({ apiKey: KEY, applicationId: 12345 })], {
    version: 'v'.repeat(200),
  });
  assert.is(seen.length, 1);
  assert.is(seen[0].headers['api-key'], KEY);
  const { deployment } = seen[0].json as { deployment: Record<string, string> };
  assert.is(deployment.revision, 'v'.repeat(127));
  assert.is(deployment.user, 'alice');
  assert.is(deployment.description, 'shop release v1 deployed by slipway');
  assert.ok(!Number.isNaN(Date.parse(deployment.timestamp)));
  assert.is(record.status, 'success');
  assert.is(record.warnings.length, 1);
  assert.match(record.warnings[0].message, REST_V2_END_OF_LIFE);
  assert.match(logs, '→ 201, id 777');
});

test('missing key and GUID name the env variables', async () => {
  await withEnv({ NEW_RELIC_API_KEY: undefined, NEW_RELIC_DEPLOYMENT_ENTITY_GUID: undefined }, () => {
    const result = newrelic.optionsSchema.safeParse({});
    assert.not.ok(result.success);
    const text = JSON.stringify(result.error?.issues);
    assert.match(text, 'NEW_RELIC_API_KEY');
    assert.match(text, 'NEW_RELIC_DEPLOYMENT_ENTITY_GUID');
    assert.throws(() => newrelic({}), /options\.apiKey: required: set it here or in NEW_RELIC_API_KEY/);
  });
});

test('a bad region from the env is reported against the env variable, without its value', async () => {
  await withEnv({ NEW_RELIC_API_KEY: KEY, NEW_RELIC_DEPLOYMENT_ENTITY_GUID: GUID, NEW_RELIC_REGION: 'mars' }, () => {
    assert.throws(
      () => newrelic({}),
      (e: Error) =>
        /options\.region: NEW_RELIC_REGION in the environment/.test(e.message) && !e.message.includes('mars'),
    );
  });
});

test.run();
