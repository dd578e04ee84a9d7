// Swarm runtime, after the first deployment: config:set makes a `config` release
// (the live image in new services with the new env, no postdeploy, the old
// services removed); a rollback reuses an earlier release's image; `slipway run`
// runs in a container of the live image with the release's env.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from './support/e2e.js';
import { swarmSuite } from './support/swarm.js';

const { e2e, engineTest } = swarmSuite();

engineTest('config:set starts the live image in new services with the new env, without postdeploy', async () => {
  const { dir, port, app } = await e2e.swarmApp('conf', 'web: node server.js\npostdeploy: echo hook ran\n');
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
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
  assert.equal(await e2e.services(app), [{ name: `${app}-web-r2`, process: 'web', deployment: latest.id }]);
});

engineTest('rollback reuses the image of the release it goes back to; run uses the live image', async () => {
  const { dir, port, app } = await e2e.swarmApp('back', 'web: node server.js\n', { env: { FROM_FILE: 'file' } });
  assert.is((await e2e.deploy(dir, ['--revision', 'r1'])).code, 0);
  assert.is((await e2e.deploy(dir, ['--revision', 'r2'])).code, 0);
  assert.is((await get(port)).body, 'r2');
  const back = await e2e.run(['rollback', '--app', app, '1', '--json'], { cwd: dir });
  assert.is(back.code, 0, back.stderr + back.stdout);
  assert.is((await get(port)).body, 'r1');
  assert.equal(
    (await e2e.services(app)).map((s) => s.name),
    [`${app}-web-r3`],
  );
  const r = await e2e.run(['run', '--app', app, '--', 'echo "$CONTAINER_VERSION $FROM_FILE port=$PORT"; exit 5']);
  assert.is(r.code, 5, r.stderr);
  assert.is(r.stdout.trim(), 'r1 file port=');
});

test.run();
