// config:set on a Docker app: the live image starts again with the new env
// (a `config` release), without running postdeploy; the old container goes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerE2E, ensureBaseImages, runEngineTests } from './support/docker.js';
import { get, until } from './support/e2e.js';

const e2e = new DockerE2E();
const engineTest = runEngineTests ? test : test.skip;
test.before(() => {
  if (runEngineTests) ensureBaseImages();
});
test.after(() => e2e.cleanup());

test('config:set without an app is a usage error', async () => {
  const r = await e2e.run(['config:set', 'A=b'], { cwd: e2e.home });
  assert.is(r.code, 2);
  assert.match(r.stderr, /--app/);
});

engineTest('config:set restarts the containers with the new env and runs no postdeploy', async () => {
  const { dir, port, app } = await e2e.dockerApp('conf', 'web: node server.js\npostdeploy: echo hook ran\n');
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const before = await e2e.containers(app);
  // An image release keeps no copy of the config: it is read from the app directory.
  const elsewhere = await e2e.run(['config:set', '--app', app, 'GREETING=hola'], { cwd: e2e.home });
  assert.is(elsewhere.code, 2);
  const unchanged = await e2e.json<Record<string, string>>(['config', '--app', app]);
  assert.equal(unchanged, {}, 'nothing stored when nothing was released');
  const set = await e2e.run(['config:set', '--app', app, 'GREETING=hola'], { cwd: dir });
  assert.is(set.code, 0, set.stderr + set.stdout);
  assert.not.match(set.stdout, /hook ran/);
  const env = JSON.parse((await get(port, '/env')).body);
  assert.is(env.GREETING, 'hola');
  assert.is(env.CONTAINER_VERSION, 'v1');
  const [latest] = await e2e.json<any[]>(['deployments', '--app', app]);
  assert.is(latest.kind, 'config');
  assert.is(latest.status, 'success');
  assert.is(latest.hookExitCode, null);
  await until(
    async () => {
      const now = await e2e.containers(app);
      return now.every((c) => !before.some((b) => b.Id === c.Id)) ? now : null;
    },
    30_000,
    'the old container to be removed',
  );
});

test.run();
