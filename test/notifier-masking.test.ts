import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import appsignal from '../plugins/appsignal/index.js';
import newrelic from '../plugins/newrelic/index.js';
import rollbar from '../plugins/rollbar/index.js';
import sentry from '../plugins/sentry/index.js';
import slack from '../plugins/slack/index.js';
import webhook from '../plugins/webhook/index.js';
import { type DeployResult, deploy, withEnv } from './notifier-harness.js';

/** Distinct tokens, each with characters a URL encodes, seeded through options and through the env. */
const T = {
  newrelic: 'NRAK-nr+secret/0001',
  rollbar: 'rb-secret+0002=',
  appsignal: 'as key+0003&x=y',
  sentry: 'sntrys_secret_0004',
  slack: 'slackPath0005secret',
  webhook: 'whsec-0006-secret',
};
const SLACK = `https://hooks.slack.com/services/T1/B2/${T.slack}`;
const received = new Set<string>();

const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.after.each(() => {
  server.resetHandlers();
  received.clear();
});
test.after(() => server.close());

/** Vendors that echo the credential back, in their answer bodies, the way real error pages do. */
function echoingVendors(status: number) {
  const echo = (request: Request, extra: Record<string, unknown>) => {
    const seen = [
      request.headers.get('api-key'),
      request.headers.get('x-rollbar-access-token'),
      request.headers.get('authorization'),
      new URL(request.url).searchParams.get('api_key'),
      request.url,
    ].filter(Boolean) as string[];
    for (const s of seen) received.add(s);
    return HttpResponse.json({ ...extra, echo: seen, url: request.url }, { status });
  };
  server.use(
    http.post('https://api.newrelic.com/graphql', ({ request }) =>
      echo(request, { data: { changeTrackingCreateDeployment: { deploymentId: T.newrelic } } }),
    ),
    http.post('https://api.rollbar.com/api/1/deploy', ({ request }) => echo(request, { data: { deploy_id: 77 } })),
    http.patch('https://api.rollbar.com/api/1/deploy/77', ({ request }) => echo(request, {})),
    http.post('https://push.appsignal.com/1/markers', ({ request }) => echo(request, { id: T.appsignal })),
    http.post('https://sentry.io/api/0/organizations/acme/releases/', ({ request }) =>
      echo(request, { version: 'v1' }),
    ),
    http.post('https://sentry.io/api/0/organizations/acme/releases/v1/deploys/', ({ request }) =>
      echo(request, { id: T.sentry }),
    ),
    http.post(SLACK, ({ request }) => echo(request, {})),
    http.post('https://ci.example.com/hook', async ({ request }) => {
      received.add(request.headers.get('x-slipway-signature') ?? '');
      return HttpResponse.json({ echo: `signed with ${T.webhook}` }, { status });
    }),
  );
}

function plugins(required: boolean) {
  const fast = { retries: 1 };
  return [
    newrelic({ entityGuid: 'GUID', ...fast }),
    rollbar({ accessToken: T.rollbar, environment: 'production', ...fast }),
    appsignal({ pushApiKey: T.appsignal, appName: 'shop', environment: 'production', required, ...fast }),
    sentry({ org: 'acme', projects: 'web', environment: 'production', ...fast }),
    slack({ webhookUrl: SLACK, ...fast }),
    webhook({ url: 'https://ci.example.com/hook', secret: T.webhook, ...fast }),
  ];
}

function run(status: number, required: boolean): Promise<DeployResult> {
  echoingVendors(status);
  return withEnv({ NEW_RELIC_API_KEY: T.newrelic, SENTRY_AUTH_TOKEN: T.sentry }, () =>
    deploy(plugins(required), { version: 'v1' }),
  );
}

/** Everything a deployment shows or stores: events, stored logs, warnings, the final record. */
function everything(result: DeployResult): string {
  const stored = result.control.deployments.get(result.record.id);
  return [
    ...result.events.map((e) => JSON.stringify(e)),
    JSON.stringify(result.control.logs.get(result.record.id)),
    JSON.stringify(result.record.warnings),
    JSON.stringify(result.record),
    JSON.stringify(stored),
  ].join('\n');
}

function assertNoSecret(text: string) {
  for (const [vendor, token] of Object.entries(T)) {
    for (const form of [token, encodeURIComponent(token), new URLSearchParams({ k: token }).toString().slice(2)]) {
      assert.not.ok(text.includes(form), `${vendor} token appears as ${JSON.stringify(form)}`);
    }
  }
}

test('successful notifications: log lines name where, never the tokens', async () => {
  const result = await run(200, false);
  assert.is(result.record.status, 'success');
  assert.equal(result.record.warnings, []);
  // the tokens did reach the vendors, so masking had something to hide
  assert.ok(received.has(T.newrelic) && received.has(T.rollbar) && received.has(T.appsignal));
  assert.ok(received.has(`Bearer ${T.sentry}`));
  const text = everything(result);
  for (const vendor of ['newrelic', 'rollbar', 'appsignal', 'sentry', 'slack', 'webhook']) {
    assert.match(result.logs, `${vendor}: sent `);
  }
  assert.match(result.logs, 'api_key=••••');
  assertNoSecret(text);
});

test('failing notifications, one of them required: errors and warnings are masked', async () => {
  const result = await run(401, true);
  assert.is(result.record.status, 'hook-error');
  assert.is(result.record.error?.code, 'NOTIFY_FAILED');
  assert.match(result.record.error?.message ?? '', 'appsignal: POST https://push.appsignal.com/1/markers?api_key=••••');
  // rollbar started + failed, slack failed, webhook done: each a warning carrying the echoed body
  assert.ok(result.record.warnings.length >= 4, JSON.stringify(result.record.warnings));
  assert.match(JSON.stringify(result.record.warnings), '••••');
  assertNoSecret(everything(result));
});

test.run();
