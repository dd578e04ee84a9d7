import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import appsignal from '../plugins/appsignal/index.js';
import { deploy, vendor, warningsOf, withEnv } from './notifier-harness.js';

const MARKERS = 'https://push.appsignal.com/1/markers';
const KEY = 'push-key-0f1e2d3c-4b5a';

const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.before.each(() => {
  process.env.SLIPWAY_USER = 'alice';
});
test.after.each(() => server.resetHandlers());
test.after(() => server.close());

const options = { pushApiKey: KEY, appName: 'Shop Front', environment: 'production', retryDelay: 1 };

test('POSTs a marker with the key, app and environment in the query and the revision in the body', async () => {
  const seen = vendor(server, 'post', MARKERS, HttpResponse.json({}));
  const { record, logs } = await deploy([appsignal({ ...options, repository: 'git@example.com:shop.git' })], {
    version: '5ca1ab1e',
  });
  assert.is(record.status, 'success');
  assert.equal(record.warnings, []);
  assert.is(seen.length, 1);
  const url = new URL(seen[0].url);
  assert.is(`${url.origin}${url.pathname}`, MARKERS);
  assert.equal(Object.fromEntries(url.searchParams), { api_key: KEY, name: 'Shop Front', environment: 'production' });
  assert.is(seen[0].headers['content-type'], 'application/json');
  assert.equal(seen[0].json, { revision: '5ca1ab1e', user: 'alice', repository: 'git@example.com:shop.git' });
  assert.match(logs, 'appsignal: sent deploy marker 5ca1ab1e for Shop Front (production) to POST');
  assert.match(logs, 'api_key=••••&name=Shop+Front');
  assert.not.match(logs, KEY);
});

test('success is exactly 200: a 201 is a failure and is not repeated', async () => {
  const seen = vendor(server, 'post', MARKERS, HttpResponse.json({}, { status: 201 }));
  const { record } = await deploy([appsignal(options)]);
  assert.is(seen.length, 1);
  assert.match(warningsOf(record), 'HTTP 201');
});

test('everything from the env, APPSIGNAL_PUSH_API_ENDPOINT included', async () => {
  const seen = vendor(server, 'post', 'http://push.internal:8080/1/markers', HttpResponse.json({}));
  await withEnv(
    {
      APPSIGNAL_PUSH_API_KEY: 'env-push-key',
      APPSIGNAL_APP_NAME: 'shop',
      APPSIGNAL_APP_ENV: 'staging',
      APPSIGNAL_PUSH_API_ENDPOINT: 'http://push.internal:8080',
    },
    () => deploy([appsignal({})]),
  );
  assert.is(seen.length, 1);
  assert.equal(Object.fromEntries(new URL(seen[0].url).searchParams), {
    api_key: 'env-push-key',
    name: 'shop',
    environment: 'staging',
  });
});

test('missing values name their env variables', async () => {
  await withEnv(
    { APPSIGNAL_PUSH_API_KEY: undefined, APPSIGNAL_APP_NAME: undefined, APPSIGNAL_APP_ENV: undefined },
    () => {
      assert.throws(
        () => appsignal({}),
        (e: Error) =>
          e.message.includes('options.pushApiKey: required: set it here or in APPSIGNAL_PUSH_API_KEY') &&
          e.message.includes('APPSIGNAL_APP_NAME') &&
          e.message.includes('APPSIGNAL_APP_ENV'),
      );
    },
  );
});

test.run();
