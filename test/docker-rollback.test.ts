// `slipway rollback` of a Docker app: the earlier release's image runs again,
// its postdeploy too, with no build.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerE2E, ensureBaseImages, runEngineTests } from './support/docker.js';
import { get } from './support/e2e.js';

const e2e = new DockerE2E();
const engineTest = runEngineTests ? test : test.skip;
test.before(() => {
  if (runEngineTests) ensureBaseImages();
});
test.after(() => e2e.cleanup());

test('rollback needs a release to go back to', async () => {
  const r = await e2e.run(['rollback', '--app', 'never-deployed']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /RELEASE_NOT_FOUND/);
});

engineTest('rollback from the app directory redeploys the earlier image', async () => {
  const { dir, port, app } = await e2e.dockerApp('rewind', 'web: node server.js\npostdeploy: echo hook ran\n');
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  assert.is((await e2e.deploy(dir, ['--revision', 'v2'])).code, 0);
  assert.is((await get(port)).body, 'v2');
  const r = await e2e.run(['rollback', '1', '--json'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const events = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const record = events.find((e) => e.type === 'result').deployment;
  assert.is(record.kind, 'rollback');
  assert.is(record.version, 'v1');
  assert.is(record.sourceRelease, 1);
  assert.ok(events.some((e) => e.type === 'log' && e.line === 'hook ran'));
  assert.is((await get(port)).body, 'v1');
  assert.ok((await e2e.imageTags(app)).includes(`slipway/${app}:3`));
});

test.run();
