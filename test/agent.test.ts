// The agent daemon: one per SLIPWAY_HOME, control socket 0600 in a 0700
// directory, started on demand, stopped cleanly.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

test('agent start/status/stop, and the control socket is private', async () => {
  const before = await e2e.run(['agent', 'status', '--json']);
  assert.is(before.code, 1);
  assert.is(JSON.parse(before.stdout).running, false);
  const start = await e2e.run(['agent', 'start', '--json']);
  assert.is(start.code, 0, start.stderr);
  const { pid } = JSON.parse(start.stdout);
  assert.ok(alive(pid));
  assert.is(statSync(join(e2e.home, 'run', 'agent.sock')).mode & 0o777, 0o600);
  assert.is(statSync(join(e2e.home, 'run')).mode & 0o777, 0o700);
  assert.is(statSync(join(e2e.home, 'state.db')).mode & 0o777, 0o600);
  // A second start finds the running agent instead of starting another.
  const again = JSON.parse((await e2e.run(['agent', 'start', '--json'])).stdout);
  assert.is(again.pid, pid);
  const status = JSON.parse((await e2e.run(['agent', 'status', '--json'])).stdout);
  assert.is(status.running, true);
  assert.is(status.pid, pid);
  const stop = await e2e.run(['agent', 'stop']);
  assert.is(stop.code, 0);
  await until(() => !alive(pid), 5000, 'the agent to exit');
});

test('any command that needs the agent starts it', async () => {
  const r = await e2e.run(['deployments', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), []);
  assert.ok(e2e.agentPid());
});

test.run();
