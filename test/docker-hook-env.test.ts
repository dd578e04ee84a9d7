// Docker runtime, (f) the hook container gets the web env (config vars, CONTAINER_VERSION,
// APP) without PORT; (g) a file the hook writes is not visible to web.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formationPlan } from '../lib/core/formation-plan.js';
import { dockerSuite } from './support/docker.js';
import { get } from './support/e2e.js';

const { e2e, gate, engineTest } = dockerSuite();

const procfile = (processes: Record<string, string>) => ({ processes, lines: {}, warnings: [] });

test('formation: web ×1 by default, the image CMD when the Procfile has no web, one-offs never', () => {
  const names = (plan: ReturnType<typeof formationPlan>) => plan.map((p) => `${p.name}:${p.command ?? 'CMD'}`);
  const full = procfile({ web: 'node server.js', worker: 'node worker.js', postdeploy: 'true' });
  assert.equal(names(formationPlan(full, {}, true)), ['web-1:node server.js']);
  assert.equal(names(formationPlan(full, { web: 2, worker: 1 }, true)), [
    'web-1:node server.js',
    'web-2:node server.js',
    'worker-1:node worker.js',
  ]);
  assert.equal(names(formationPlan(procfile({ postdeploy: 'true' }), {}, true)), ['web-1:CMD']);
  assert.equal(names(formationPlan(procfile({ worker: 'x' }), { worker: 1 }, false)), ['worker-1:x']);
  assert.throws(() => formationPlan(full, { clock: 1 }, true), /formation\.clock/);
});

engineTest('(f) the hook container gets exactly the web env, minus PORT', async () => {
  gate.reset();
  const hook = `node -e "fetch('http://127.0.0.1:${gate.port}/env', { method: 'POST', body: JSON.stringify(process.env) })"`;
  const { dir, port, app } = await e2e.dockerApp('envcheck', `web: node server.js\npostdeploy: ${hook}\n`, {
    env: { FROM_FILE: 'file-value' },
  });
  const set = await e2e.run(['config:set', '--app', app, 'FROM_VARS=vars-value', 'FROM_FILE=overridden']);
  assert.is(set.code, 0, set.stderr);
  const { code, stderr } = await e2e.deploy(dir, ['--revision', 'abc123']);
  assert.is(code, 0, stderr);
  const hookEnv = gate.env!;
  assert.ok(hookEnv, 'the hook posted its env');
  const web = JSON.parse((await get(port, '/env')).body);
  assert.is(hookEnv.PORT, undefined);
  assert.ok(web.PORT);
  assert.is(hookEnv.CONTAINER, 'postdeploy-1');
  assert.is(web.CONTAINER, 'web-1');
  for (const key of ['APP', 'CONTAINER_VERSION', 'FROM_VARS', 'FROM_FILE', 'CONTAINER_SIZE', 'STACK', 'PATH']) {
    assert.is(hookEnv[key], web[key], key);
  }
  assert.is(hookEnv.APP, app);
  assert.is(hookEnv.CONTAINER_VERSION, 'abc123');
  assert.is(hookEnv.FROM_VARS, 'vars-value');
  assert.is(hookEnv.FROM_FILE, 'overridden');
  // The memory the hook may use is the one it is limited to.
  assert.is(hookEnv.CONTAINER_MEMORY, String(512 * 1024 * 1024));
  const differs = Object.keys({ ...hookEnv, ...web })
    .filter((k) => hookEnv[k] !== web[k])
    .sort();
  assert.equal(differs, ['CONTAINER', 'HOSTNAME', 'PORT']);
});

engineTest('(g) a file written by the hook container is not seen by web', async () => {
  const { dir, port } = await e2e.dockerApp(
    'files',
    'web: node server.js\npostdeploy: echo written > marker.txt && test -f marker.txt\n',
  );
  const { code, stderr } = await e2e.deploy(dir);
  assert.is(code, 0, stderr);
  assert.is((await get(port, '/file?name=marker.txt')).body, 'no');
  assert.is((await get(port, '/file?name=server.js')).body, 'yes');
});

engineTest('scripts.first-deploy runs once, after the first successful switch, in its own container', async () => {
  gate.reset();
  const script = `node -e "fetch('http://127.0.0.1:${gate.port}/env', { method: 'POST', body: JSON.stringify(process.env) })"`;
  const { dir, port, app } = await e2e.dockerApp('firstdeploy', 'web: node server.js\n', {
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
  const containers = await e2e.containers(app);
  assert.equal(
    containers.map((c) => c.Labels['slipway.process']),
    ['web-1'],
  );
});

test.run();
