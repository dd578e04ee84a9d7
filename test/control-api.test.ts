// The agent's control API checks every request body against its route's
// schema before anything runs: a malformed request is refused with
// AGENT_REQUEST, naming the field, and changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AgentClient } from '../lib/control/client.js';
import { agentPaths } from '../lib/control/paths.js';
import { isSlipwayError } from '../lib/core/errors.js';
import { E2E } from './support/e2e.js';

const e2e = new E2E();
const client = new AgentClient(agentPaths(e2e.home));
test.before(async () => {
  assert.is((await e2e.run(['agent', 'start'])).code, 0);
});
test.after(() => e2e.cleanup());

async function refusal(method: string, path: string, body: unknown) {
  try {
    await client.call(method, path, body);
  } catch (error) {
    if (isSlipwayError(error)) return error;
    throw error;
  }
  throw new Error(`${method} ${path} was accepted`);
}

test('a deployment opened with a wrong field type is refused, naming the field; nothing is recorded', async () => {
  const open = { app: 'shop', version: 'v1', kind: 'deploy', mode: 'postdeploy', host: '127.0.0.1', wait: false };
  const error = await refusal('POST', '/deployments', { ...open, env: {}, port: 'eighty' });
  assert.is(error.code, 'AGENT_REQUEST');
  assert.match(error.message, /POST \/deployments: body\.port: /);
  const missing = await refusal('POST', '/deployments', open);
  assert.match(missing.message, /body\.env: /);
  assert.equal(await client.call('GET', '/deployments'), [], 'no deployment recorded');
});

test('nested bodies are checked too: a process spec without its command', async () => {
  const error = await refusal('POST', '/deployments/nope/processes', {
    specs: [{ type: 'web', index: 1, name: 'web-1', cwd: '/tmp', appEnv: {}, runtimeEnv: {}, web: true }],
    startTimeoutMs: 1000,
    graceMs: 1000,
  });
  assert.is(error.code, 'AGENT_REQUEST');
  assert.match(error.message, /body\.specs\.0\.command: /);
});

test('an unknown status is refused before the deployment is even looked up', async () => {
  const error = await refusal('POST', '/deployments/nope/status', { status: 'shipped' });
  assert.is(error.code, 'AGENT_REQUEST');
  assert.match(error.message, /body\.status: /);
});

test('a valid body gets past the schema: the route itself answers (no such deployment)', async () => {
  const error = await refusal('POST', '/deployments/nope/status', { status: 'building' });
  assert.is(error.code, 'DEPLOY_NOT_FOUND');
});

test.run();
