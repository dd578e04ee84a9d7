// (c) failing hook, (d) hook timeout, (e) hook over its memory limit: hook-error,
// the old version keeps answering, the new processes are gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, get, startedPids, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

async function liveApp(app: string, extra: Record<string, unknown> = {}) {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app, ...extra });
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
  return { dir, port };
}

function withHook(dir: string, hook: string) {
  return import('node:fs').then(({ writeFileSync }) =>
    writeFileSync(`${dir}/Procfile`, `web: node server.js\npostdeploy: ${hook}\n`),
  );
}

test('(c) a failing hook ends in hook-error; the old version still answers; the new processes are stopped', async () => {
  const { dir, port } = await liveApp('failing');
  await withHook(dir, 'echo migrating; echo broken >&2; exit 3');
  const { code, record, events } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.hookExitCode, 3);
  assert.is(record.error.code, 'HOOK_FAILED');
  assert.is((await get(port)).body, 'v1');
  const pids = startedPids(events);
  assert.is(pids.length, 1);
  await until(() => !alive(pids[0]!), 5000, 'the new web process to stop');
  const logs = await e2e.run(['logs', record.id]);
  assert.match(logs.stdout, /migrating/);
  assert.match(logs.stdout, /broken/);
});

test('(d) a hook past its time limit is stopped with exit status -128 and hook-error', async () => {
  const { dir, port } = await liveApp('slow', { postdeploy: { timeout: '1s' } });
  await withHook(dir, 'sleep 30');
  const { code, record } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.hookExitCode, -128);
  assert.is(record.hookReason, 'timeout');
  assert.is(record.error.code, 'HOOK_TIMEOUT');
  assert.is((await get(port)).body, 'v1');
});

test('(e) a hook over its memory limit is killed: hook-error with the memory reason', async () => {
  const { dir, port } = await liveApp('hungry', { postdeploy: { memory: '64MB' } });
  await withHook(dir, `node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"`);
  const { code, record } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.hookReason, 'oom');
  assert.is(record.error.code, 'HOOK_OOM');
  assert.match(record.error.message, /out of memory/);
  assert.is((await get(port)).body, 'v1');
});

test.run();
