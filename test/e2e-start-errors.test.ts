// (h) a crash before bind → crashed-error with the last output; no bind in time → timeout-error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

test('(h) a web process that exits before binding: crashed-error with its last lines, hook never runs', async () => {
  const { dir, port } = await e2e.app('web: echo "cannot connect to database" >&2; exit 1\npostdeploy: touch ran\n', {
    app: 'crashy',
  });
  const { code, record, events } = await e2e.deploy(dir);
  assert.is(code, 1);
  assert.is(record.status, 'crashed-error');
  assert.is(record.error.code, 'START_CRASHED');
  assert.match(record.error.message, /cannot connect to database/);
  assert.is(record.hookExitCode, null);
  assert.not.ok(events.some((e) => e.type === 'step' && e.step === 'postdeploy'));
  assert.is((await get(port)).status, 404);
});

test('(h) a web process that never binds $PORT: timeout-error after start.timeout', async () => {
  const { dir } = await e2e.app('web: sleep 60\n', { app: 'sleepy', start: { timeout: '1s' } });
  const { code, record } = await e2e.deploy(dir);
  assert.is(code, 1);
  assert.is(record.status, 'timeout-error');
  assert.is(record.error.code, 'START_TIMEOUT');
});

test('bad input: a broken Procfile exits 2 with line and column, and nothing is deployed', async () => {
  const { dir } = await e2e.app('web: node server.js\nwe.b: x\n', { app: 'broken' });
  const r = await e2e.run(['deploy', dir]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /PROCFILE_INVALID/);
  assert.match(r.stderr, /Procfile:2:3/);
  const check = await e2e.run(['check', dir]);
  assert.is(check.code, 2);
  assert.match(check.stderr, /Procfile:2:3/);
});

test.run();
