// Docker runtime, (c) failing hook, (d) hook timeout, (e) hook container OOM-killed:
// hook-error, the old version keeps answering, the new containers are removed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerSpec } from '../plugins/docker/container-spec.js';
import { DockerE2E, ensureBaseImages, runEngineTests } from './support/docker.js';
import { get } from './support/e2e.js';

const e2e = new DockerE2E();
const engineTest = runEngineTests ? test : test.skip;
test.before(() => {
  if (runEngineTests) ensureBaseImages();
});
test.after(() => e2e.cleanup());

async function liveApp(base: string, extra: Record<string, unknown> = {}) {
  const { dir, port, app } = await e2e.dockerApp(base, 'web: node server.js\npostdeploy: true\n', extra);
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
  return { dir, port, app, liveId: first.record.id as string };
}

function withHook(dir: string, hook: string) {
  writeFileSync(join(dir, 'Procfile'), `web: node server.js\npostdeploy: ${hook}\n`);
}

/** Only the live deployment's web container is left: the failed one's web and hook containers are gone. */
async function onlyLive(app: string, liveId: string) {
  const containers = await e2e.containers(app);
  assert.equal(
    containers.map((c) => [c.Labels['slipway.deployment'], c.Labels['slipway.process']]),
    [[liveId, 'web-1']],
  );
}

test('a hook container has a hard memory limit (no extra swap) and no port', () => {
  const spec = containerSpec({
    name: 'a-r2-postdeploy-1',
    image: 'slipway/a:2',
    command: 'rake db:migrate',
    env: { CONTAINER: 'postdeploy-1' },
    labels: {},
    memory: 32 * 1024 * 1024,
  });
  assert.is(spec.HostConfig?.Memory, 32 * 1024 * 1024);
  assert.is(spec.HostConfig?.MemorySwap, 32 * 1024 * 1024);
  assert.is(spec.ExposedPorts, undefined);
  assert.equal(spec.Cmd, ['sh', '-c', 'rake db:migrate']);
});

engineTest(
  '(c) a failing hook ends in hook-error; the old version still answers; the new containers are removed',
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
    const logs = await e2e.run(['logs', record.id]);
    assert.match(logs.stdout, /migrating/);
    assert.match(logs.stdout, /broken/);
  },
);

engineTest('(d) a hook past its time limit is killed with exit status -128 and hook-error', async () => {
  const { dir, port, app, liveId } = await liveApp('slow', { postdeploy: { timeout: '2s' } });
  withHook(dir, 'sleep 30');
  const started = Date.now();
  const { code, record } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.ok(Date.now() - started < 25_000, 'the hook did not run its 30 s');
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.hookExitCode, -128);
  assert.is(record.hookReason, 'timeout');
  assert.is(record.error.code, 'HOOK_TIMEOUT');
  assert.is((await get(port)).body, 'v1');
  await onlyLive(app, liveId);
});

engineTest('(e) a hook container over postdeploy.memory is OOM-killed: hook-error "out of memory"', async () => {
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

test.run();
