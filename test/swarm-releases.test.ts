// Swarm runtime, after the first deployment: config:set makes a `config` release
// (the live image in new services with the new env, no postdeploy, the old
// services removed); a rollback reuses an earlier release's image; `slipway run`
// runs in a container of the live image with the release's env; heroku mode's
// release command and scripts.first-deploy run as jobs like postdeploy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { get } from './support/e2e.js';
import { swarmSuite } from './support/swarm.js';

const { e2e, gate, engineTest } = swarmSuite();

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

engineTest('heroku mode: the release command runs as a job before any service starts', async () => {
  const { dir, port, app } = await e2e.swarmApp(
    'heroku',
    'web: node server.js\nrelease: echo "releasing in $CONTAINER"; test -z "$PORT"\n',
    { mode: 'heroku' },
  );
  const { code, events, stderr } = await e2e.deploy(dir, ['--revision', 'h1']);
  assert.is(code, 0, stderr);
  const lines = events.filter((e) => e.type === 'log').map((e) => `${e.phase} ${e.line}`);
  const release = lines.indexOf('release releasing in release-1');
  const ready = lines.findIndex((l) => /^start web-1 ready/.test(l));
  assert.ok(release >= 0 && ready > release, lines.join('\n'));
  assert.is((await get(port)).body, 'h1');
  assert.equal(
    (await e2e.services(app)).map((s) => s.name),
    [`${app}-web-r1`],
  );
});

engineTest('scripts.first-deploy runs once as a job, after the first switch', async () => {
  gate.reset();
  const script = `node -e "fetch('http://127.0.0.1:${gate.port}/env', { method: 'POST', body: JSON.stringify(process.env) })"`;
  const { dir, port, app } = await e2e.swarmApp('firstdeploy', 'web: node server.js\n', {
    scripts: { 'first-deploy': script },
  });
  const first = await e2e.deploy(dir, ['--revision', 'f1']);
  assert.is(first.code, 0, first.stderr);
  assert.is(gate.env?.CONTAINER, 'first-deploy-1');
  assert.is(gate.env?.PORT, undefined);
  assert.ok(first.events.some((e) => e.type === 'step' && e.step === 'first-deploy' && e.state === 'done'));
  gate.reset();
  const second = await e2e.deploy(dir, ['--revision', 'f2']);
  assert.is(second.code, 0, second.stderr);
  assert.is(gate.env, null, 'not run again once it succeeded');
  assert.is((await get(port)).body, 'f2');
  assert.equal(
    (await e2e.services(app)).map((s) => s.name),
    [`${app}-web-r2`],
  );
});

test.run();
