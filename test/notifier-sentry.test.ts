import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import sentry from '../plugins/sentry/index.js';
import { deploy, vendor, warningsOf, withEnv } from './notifier-harness.js';

const RELEASES = 'https://sentry.io/api/0/organizations/acme/releases/';
const TOKEN = 'sntrys_test_token_0123456789';
const VERSION = 'shop@1.4.0+abc';
const DEPLOYS = `${RELEASES}${encodeURIComponent(VERSION)}/deploys/`;
const release = (status = 201) => HttpResponse.json({ version: VERSION }, { status });
const deployed = HttpResponse.json({ id: '1234', environment: 'production' }, { status: 201 });

const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.after.each(() => server.resetHandlers());
test.after(() => server.close());

const options = { authToken: TOKEN, org: 'acme', projects: ['web', 'api'], environment: 'production', retryDelay: 1 };

test('creates the release, then a deploy of it in the environment', async () => {
  const releases = vendor(server, 'post', RELEASES, release());
  const deploys = vendor(server, 'post', DEPLOYS, deployed);
  const before = Date.now();
  const { record, logs } = await deploy([sentry(options)], { version: VERSION });
  assert.is(record.status, 'success');
  assert.equal(record.warnings, []);
  assert.is(releases.length, 1);
  assert.is(releases[0].url, RELEASES);
  assert.is(releases[0].headers.authorization, `Bearer ${TOKEN}`);
  assert.is(releases[0].headers['content-type'], 'application/json');
  assert.equal(releases[0].json, { version: VERSION, projects: ['web', 'api'] });
  assert.is(deploys.length, 1);
  assert.is(deploys[0].url, DEPLOYS);
  assert.match(deploys[0].url, '/releases/shop%401.4.0%2Babc/deploys/');
  assert.is(deploys[0].headers.authorization, `Bearer ${TOKEN}`);
  const { dateStarted, dateFinished, ...body } = deploys[0].json as Record<string, string>;
  assert.equal(body, { environment: 'production', name: 'shop v1', projects: ['web', 'api'] });
  assert.ok(Date.parse(dateStarted) >= before - 1000 && Date.parse(dateStarted) <= Date.parse(dateFinished));
  assert.match(logs, `sentry: sent release ${VERSION} of web, api to POST ${RELEASES} → 201, id ${VERSION}`);
  assert.match(logs, '→ 201, id 1234');
});

test('208 (release already there) is a success and the deploy follows', async () => {
  const releases = vendor(server, 'post', RELEASES, release(208));
  const deploys = vendor(server, 'post', DEPLOYS, deployed);
  const { record } = await deploy([sentry(options)], { version: VERSION });
  assert.is(releases.length, 1);
  assert.is(deploys.length, 1);
  assert.equal(record.warnings, []);
});

test('a 404 from the deploy call right after the release is retried', async () => {
  vendor(server, 'post', RELEASES, release());
  const deploys = vendor(
    server,
    'post',
    DEPLOYS,
    HttpResponse.json({ detail: 'Not found' }, { status: 404 }),
    deployed,
  );
  const { record } = await deploy([sentry(options)], { version: VERSION });
  assert.is(deploys.length, 2);
  assert.equal(record.warnings, []);
});

test('a 409 on the release is retried; a 400 is not', async () => {
  const conflicted = vendor(
    server,
    'post',
    RELEASES,
    HttpResponse.json({ detail: 'conflict' }, { status: 409 }),
    release(),
  );
  vendor(server, 'post', DEPLOYS, deployed);
  await deploy([sentry(options)], { version: VERSION });
  assert.is(conflicted.length, 2);
  server.resetHandlers();
  const refused = vendor(server, 'post', RELEASES, HttpResponse.json({ version: ['bad'] }, { status: 400 }));
  const deploys = vendor(server, 'post', DEPLOYS, deployed);
  const { record } = await deploy([sentry(options)], { version: VERSION });
  assert.is(refused.length, 1);
  assert.is(deploys.length, 0);
  assert.match(warningsOf(record), 'HTTP 400');
  assert.match(warningsOf(record), '{"version":["bad"]}');
});

test('a version Sentry refuses fails before any request', async () => {
  const releases = vendor(server, 'post', RELEASES, release());
  const { record } = await deploy([sentry(options)], { version: 'feature/login' });
  assert.is(releases.length, 0);
  assert.match(warningsOf(record), 'version "feature/login" contains a slash');
});

test('the env supplies token, org, comma-separated projects, environment and SENTRY_URL', async () => {
  const url = 'https://sentry.example.com/api/0/organizations/corp/releases/';
  const releases = vendor(server, 'post', url, release());
  const deploys = vendor(server, 'post', `${url}${encodeURIComponent(VERSION)}/deploys/`, deployed);
  await withEnv(
    {
      SENTRY_AUTH_TOKEN: 'env-token-abcdef',
      SENTRY_ORG: 'corp',
      SENTRY_PROJECT: 'web, worker',
      SENTRY_ENVIRONMENT: 'staging',
      SENTRY_URL: 'https://sentry.example.com',
    },
    () => deploy([sentry({ retryDelay: 1 })], { version: VERSION }),
  );
  assert.equal(releases[0].json, { version: VERSION, projects: ['web', 'worker'] });
  assert.is(releases[0].headers.authorization, 'Bearer env-token-abcdef');
  assert.is((deploys[0].json as { environment: string }).environment, 'staging');
});

test('deploy hook mode POSTs the version to SENTRY_DEPLOY_HOOK and masks the URL', async () => {
  const hook = 'https://sentry.io/api/hooks/release/builtin/42/5ecr3t5ignature0123456789abcdef/';
  const seen = vendor(server, 'post', hook, HttpResponse.json({ version: VERSION }, { status: 201 }));
  const { logs } = await withEnv({ SENTRY_AUTH_TOKEN: undefined, SENTRY_DEPLOY_HOOK: hook }, () =>
    deploy([sentry({})], { version: VERSION }),
  );
  assert.is(seen.length, 1);
  assert.is(seen[0].headers['content-type'], 'application/json');
  assert.equal(seen[0].json, { version: VERSION });
  assert.match(logs, 'sentry: sent release shop@1.4.0+abc through the deploy hook');
  assert.not.match(logs, '5ecr3t5ignature');
});

test('without credentials the message names the env variables', async () => {
  await withEnv({ SENTRY_AUTH_TOKEN: undefined, SENTRY_DEPLOY_HOOK: undefined, SENTRY_ORG: undefined }, () => {
    assert.throws(
      () => sentry({}),
      (e: Error) => e.message.includes('SENTRY_AUTH_TOKEN') && e.message.includes('options.org: required'),
    );
  });
});

test.run();
