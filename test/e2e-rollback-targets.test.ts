// Release numbers and rollbacks, real CLI and agent: a failed deployment's
// number is marked as no rollback target and `rollback N` says why; after a
// rollback the next deploy hard-links unchanged files again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

const snapshotLine = (events: any[]) =>
  events.find((e) => e.type === 'log' && /^snapshot: /.test(e.line))?.line as string | undefined;

test('a failed deployment: `deployments` marks its number as no rollback target, `rollback N` explains', async () => {
  const { dir } = await e2e.app('web: node server.js\npostdeploy: test "$CONTAINER_VERSION" != v3\n', {
    app: 'numbers',
  });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  assert.is((await e2e.deploy(dir, ['--revision', 'v2'])).code, 0);
  const failed = await e2e.deploy(dir, ['--revision', 'v3']);
  assert.is(failed.code, 1);
  assert.is(failed.record.status, 'hook-error');
  assert.is(failed.record.release, 3);

  const listed = await e2e.run(['deployments', '--app', 'numbers']);
  const rows = listed.stdout.split('\n');
  assert.ok(
    rows.some((r) => /\s\(v3\)\s+v3\s+deploy\s+hook-error/.test(r)),
    listed.stdout,
  );
  assert.ok(
    rows.some((r) => /\sv2\s+v2\s+deploy\s+success/.test(r)),
    listed.stdout,
  );
  assert.match(listed.stdout, /\(vN\): the deployment failed, so vN never served and is no rollback target/);
  const json = await e2e.json<any[]>(['deployments', '--app', 'numbers']);
  assert.equal(
    json.map((d) => [d.release, d.rollbackTarget]),
    [
      [3, false],
      [2, true],
      [1, true],
    ],
  );

  const r = await e2e.run(['rollback', '3', '--app', 'numbers']);
  assert.is(r.code, 2);
  assert.match(
    r.stderr,
    /RELEASE_NOT_FOUND: v3 of numbers is no rollback target: its deployment [0-9a-f]{8} ended hook-error, so it never served; rollback targets: v2, v1/,
  );
  const none = await e2e.run(['rollback', 'v9', '--app', 'numbers']);
  assert.is(none.code, 2);
  assert.match(none.stderr, /numbers has no release v9; rollback targets: v2, v1/);
});

test('after a rollback, the next deploy hard-links the unchanged files instead of copying them all', async () => {
  const { dir, port } = await e2e.app('web: node server.js\n', { app: 'relink' });
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0);
  const files = Number(/^snapshot: (\d+) files/.exec(snapshotLine(first.events) ?? '')?.[1]);
  assert.ok(files >= 3, `snapshot of the fixture: ${snapshotLine(first.events)}`);
  assert.is((await e2e.deploy(dir, ['--revision', 'v2'])).code, 0);
  const back = await e2e.run(['rollback', '1', '--app', 'relink']);
  assert.is(back.code, 0, back.stderr);
  assert.is((await get(port)).body, 'v1');
  // Nothing changed in the app directory: every file links to the directory the live release runs from.
  const next = await e2e.deploy(dir, ['--revision', 'v4']);
  assert.is(next.code, 0);
  assert.match(
    snapshotLine(next.events) ?? '',
    new RegExp(`^snapshot: ${files} files \\(${files} unchanged, linked; 0 copied\\)`),
  );
});

test.run();
