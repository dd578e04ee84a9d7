// keepReleases: release directories beyond the newest N releases are removed
// (the live one, a rollback's reused one and failed ones included in the
// count as they should be); a rollback to a removed release says so.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

const releasesDir = join(e2e.home, 'apps', 'pruned', 'releases');
const dirs = () =>
  readdirSync(releasesDir)
    .map(Number)
    .sort((a, b) => a - b);

/** The previous release is stopped in the background: let it go before the next deploy. */
async function deployAndSettle(dir: string, revision: string): Promise<any> {
  const result = await e2e.deploy(dir, ['--revision', revision]);
  await new Promise((r) => setTimeout(r, 800));
  return result;
}

test('only the directories of the newest keepReleases releases stay', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'pruned', keepReleases: 2 });
  for (const v of ['v1', 'v2']) assert.is((await deployAndSettle(dir, v)).code, 0);
  assert.equal(dirs(), [1, 2]);
  const third = await deployAndSettle(dir, 'v3');
  assert.is(third.code, 0);
  assert.equal(dirs(), [2, 3]);
  assert.ok(
    third.events.some(
      (e: any) => e.type === 'log' && /removed the directories of releases 1 \(keepReleases: 2\)/.test(e.line),
    ),
  );
  await until(() => !existsSync(join(e2e.home, 'apps', 'pruned', 'trash')), 10_000, 'the trash to be emptied');

  // Release 1 is gone: a rollback to it says so and changes nothing.
  const gone = await e2e.run(['rollback', '--app', 'pruned', '1']);
  assert.is.not(gone.code, 0);
  assert.match(gone.stderr + gone.stdout, /RELEASE_NOT_FOUND: release 1 of pruned is no longer on disk/);
  assert.is((await get(port)).body, 'v3');

  // A rollback reuses release 2's directory: it stays as release 4's.
  const back = await e2e.run(['rollback', '--app', 'pruned', '2']);
  assert.is(back.code, 0, back.stderr + back.stdout);
  await new Promise((r) => setTimeout(r, 800));
  assert.is((await get(port)).body, 'v2');
  assert.equal(dirs(), [2, 3]);

  // A failed deployment's directory goes at the next successful one.
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: exit 1\n');
  assert.is((await deployAndSettle(dir, 'v5')).code, 1);
  assert.ok(dirs().includes(5));
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: true\n');
  assert.is((await deployAndSettle(dir, 'v6')).code, 0);
  assert.equal(dirs(), [2, 6]);
  assert.is((await get(port)).body, 'v6');
});

test('keepReleases must be a whole number of at least 1', async () => {
  const { dir } = await e2e.app('web: node server.js\n', { app: 'badkeep', keepReleases: 0 });
  const r = await e2e.deploy(dir);
  assert.is(r.code, 2);
  assert.match(JSON.stringify(r.events), /keepReleases: must be at least 1/);
});

test.run();
