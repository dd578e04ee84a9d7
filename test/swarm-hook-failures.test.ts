// Swarm runtime on a single-node swarm: (b) a failing postdeploy job, (c) one past
// its time limit (exit status -128), (d) one killed for its memory limit: each ends
// in hook-error, the old version keeps answering, the new services are removed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from './support/e2e.js';
import { swarmSuite } from './support/swarm.js';

const { e2e, engineTest } = swarmSuite();

async function liveApp(base: string, extra: Record<string, unknown> = {}) {
  const { dir, port, app } = await e2e.swarmApp(base, 'web: node server.js\npostdeploy: true\n', extra);
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
  assert.is((await get(port)).body, 'v1');
  return { dir, port, app, liveId: first.record.id as string };
}

function withHook(dir: string, hook: string) {
  writeFileSync(join(dir, 'Procfile'), `web: node server.js\npostdeploy: ${hook}\n`);
}

/** Only the live release's web service is left: the failed deployment's web service and job are gone. */
async function onlyLive(app: string, liveId: string) {
  assert.equal(await e2e.services(app), [{ name: `${app}-web-r1`, process: 'web', deployment: liveId }]);
}

engineTest(
  '(b) a failing postdeploy ends in hook-error; the old version still answers; new services removed',
  async () => {
    const { dir, port, app, liveId } = await liveApp('failing');
    withHook(dir, 'echo migrating; echo broken >&2; exit 3');
    const { code, record } = await e2e.deploy(dir, ['--revision', 'v2']);
    assert.is(code, 1);
    assert.is(record.status, 'hook-error');
    assert.is(record.hookExitCode, 3);
    assert.is(record.error.code, 'HOOK_FAILED');
    assert.is((await get(port)).body, 'v1');
    await onlyLive(app, liveId);
    // The job's output, read from its task's logs, is the deployment's.
    const logs = await e2e.run(['logs', record.id]);
    assert.match(logs.stdout, /migrating/);
    assert.match(logs.stdout, /broken/);
    assert.match(logs.stdout, /postdeploy exited with status 3/);
  },
);

engineTest('(c) a postdeploy past its time limit is stopped with exit status -128 and hook-error', async () => {
  const { dir, port, app, liveId } = await liveApp('slow', { postdeploy: { timeout: '2s' } });
  withHook(dir, 'sleep 30');
  const started = Date.now();
  const { code, record } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.ok(Date.now() - started < 25_000, 'the job did not run its 30 s');
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.hookExitCode, -128);
  assert.is(record.hookReason, 'timeout');
  assert.is(record.error.code, 'HOOK_TIMEOUT');
  assert.is((await get(port)).body, 'v1');
  await onlyLive(app, liveId);
});

engineTest('(d) a postdeploy over postdeploy.memory is OOM-killed: hook-error "out of memory"', async () => {
  const { dir, port, app, liveId } = await liveApp('hungry', { postdeploy: { memory: '32MB' } });
  withHook(dir, `node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"`);
  const { code, record } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.hookReason, 'oom');
  assert.is(record.error.code, 'HOOK_OOM');
  assert.match(record.error.message, /out of memory/);
  assert.match(record.error.message, /32MB/);
  assert.is((await get(port)).body, 'v1');
  await onlyLive(app, liveId);
});

engineTest('a web process that exits before it listens: crashed-error naming it, its service removed', async () => {
  const { dir, port, app, liveId } = await liveApp('crashing');
  writeFileSync(join(dir, 'Procfile'), 'web: echo no server here; exit 4\npostdeploy: true\n');
  const { code, record } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(code, 1);
  assert.is(record.status, 'crashed-error');
  assert.is(record.error.code, 'START_CRASHED');
  assert.match(record.error.message, /web-1 exited with status 4 before it was ready/);
  assert.is((await get(port)).body, 'v1');
  await onlyLive(app, liveId);
});

test.run();
