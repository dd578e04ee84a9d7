// The process runtime's build: the command runs in the release directory
// with the build env; a failing build is build-error, its output kept, and
// nothing of the new release starts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

test('the build command runs in the release directory with APP and SOURCE_VERSION', async () => {
  const { dir, port } = await e2e.app('web: node server.js\n', {
    app: 'builder',
    build: 'echo "$APP $SOURCE_VERSION" > built.txt && echo built it',
  });
  const { code, record, events } = await e2e.deploy(dir, ['--revision', 'b1']);
  assert.is(code, 0);
  assert.is(record.status, 'success');
  const release = join(e2e.home, 'apps', 'builder', 'releases', '1');
  assert.is(readFileSync(join(release, 'built.txt'), 'utf8'), 'builder b1\n');
  assert.not.ok(existsSync(join(dir, 'built.txt')), 'the app directory itself is left alone');
  assert.ok(events.some((e) => e.type === 'log' && e.phase === 'build' && e.line === 'built it'));
  assert.is((await get(port, `/file?name=${join(release, 'built.txt')}`)).body, 'yes');
});

test('a failing build is build-error with its output kept; the live release keeps serving', async () => {
  const { dir, port } = await e2e.app('web: node server.js\n', { app: 'breaker' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    join(dir, '.slipwayrc.json'),
    JSON.stringify({ app: 'breaker', port, build: 'echo compiling; echo "syntax error" >&2; exit 3' }),
  );
  const { code, record, events } = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(code, 1);
  assert.is(record.status, 'build-error');
  assert.match(record.error.message, /build command exited with status 3/);
  assert.not.ok(
    events.some((e) => e.type === 'step' && e.step === 'start'),
    'nothing of the new release was started',
  );
  const logs = await e2e.json<any[]>(['logs', record.id]);
  const build = logs.filter((l) => l.phase === 'build').map((l) => `${l.stream} ${l.line}`);
  assert.ok(build.includes('stdout compiling'), 'build stdout kept');
  assert.ok(build.includes('stderr syntax error'), 'build stderr kept');
  assert.is((await get(port)).body, 'v1');
});

test.run();
