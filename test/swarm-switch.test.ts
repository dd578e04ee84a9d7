// Swarm runtime on a single-node swarm: (a) a first deployment serves only once
// its postdeploy job succeeded, with one service per process type and release;
// a redeploy serves the old version during the hook, then the new one, and the
// old services are removed; (i) the postdeploy job sees the app's env and works
// on its own copy of the image.

import type Docker from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SlipwayError } from '../lib/core/errors.js';
import { ensureSwarm } from '../plugins/swarm/ensure-swarm.js';
import { perSlot, perTaskEnv, serviceSpec } from '../plugins/swarm/service-spec.js';
import { docker } from './support/docker.js';
import { get } from './support/e2e.js';
import { swarmSuite } from './support/swarm.js';

const { e2e, gate, engineTest } = swarmSuite();

test('a service runs `sh -c` on the host network; what differs per task is a template on .Task.Slot', () => {
  const env = perTaskEnv([
    { APP: 'a', PORT: '5001', CONTAINER: 'web-1', NOTE: 'uses {{braces}}' },
    { APP: 'a', PORT: '5002', CONTAINER: 'web-2', NOTE: 'uses {{braces}}' },
  ]);
  assert.equal(env.env, { APP: 'a', NOTE: 'uses {{braces}}' });
  assert.equal(env.templates, {
    PORT: '{{if eq .Task.Slot "1"}}5001{{else if eq .Task.Slot "2"}}5002{{end}}',
    CONTAINER: '{{if eq .Task.Slot "1"}}web-1{{else if eq .Task.Slot "2"}}web-2{{end}}',
  });
  const spec = serviceSpec({
    name: 'a-web-r3',
    image: 'slipway/a:3',
    command: 'node server.js',
    ...env,
    labels: { 'slipway.app': 'a' },
    replicas: 2,
    stopGraceMs: 30_000,
  });
  const task = spec.TaskTemplate as {
    ContainerSpec: { Args: string[]; Env: string[]; StopGracePeriod: number };
    Networks: { Target: string }[];
    RestartPolicy: { Condition: string };
  };
  assert.equal(task.ContainerSpec.Args, ['sh', '-c', 'node server.js']);
  // A value is never read as a template: `{{` prints itself.
  assert.ok(task.ContainerSpec.Env.includes('NOTE=uses {{"{{"}}braces}}'));
  assert.ok(task.ContainerSpec.Env.includes(`PORT=${perSlot([5001, 5002])}`));
  assert.equal(task.Networks, [{ Target: 'host' }]);
  assert.equal(task.RestartPolicy, { Condition: 'any' });
  assert.is(task.ContainerSpec.StopGracePeriod, 30_000_000_000);
  assert.equal(spec.Mode, { Replicated: { Replicas: 2 } });
});

test('a one-off is a replicated job of one task, never restarted, with a memory limit', () => {
  const spec = serviceSpec({
    name: 'a-postdeploy-r3',
    image: 'slipway/a:3',
    command: 'rake db:migrate',
    env: { CONTAINER: 'postdeploy-1' },
    labels: {},
    memory: 32 * 1024 * 1024,
  });
  assert.equal(spec.Mode, { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
  const task = spec.TaskTemplate as { Resources: unknown; RestartPolicy: unknown };
  assert.equal(task.Resources, { Limits: { MemoryBytes: 32 * 1024 * 1024 } });
  assert.equal(task.RestartPolicy, { Condition: 'none' });
});

test('an Engine that is not a swarm manager: SWARM_UNAVAILABLE naming the Engine and what to do', async () => {
  // The Engine's /info answers, as a non-swarm Engine and a worker give them.
  const engine = (swarm: Record<string, unknown>) => ({ info: async () => ({ Swarm: swarm }) }) as unknown as Docker;
  const refused = async (swarm: Record<string, unknown>) => {
    try {
      await ensureSwarm(engine(swarm), 'unix:///run/docker.sock');
    } catch (error) {
      return error as SlipwayError;
    }
    throw new Error('accepted');
  };
  const inactive = await refused({ LocalNodeState: 'inactive', ControlAvailable: false });
  assert.is(inactive.code, 'SWARM_UNAVAILABLE');
  assert.match(inactive.message, /unix:\/\/\/run\/docker\.sock is not in a swarm \(inactive\)/);
  assert.match(inactive.message, /DOCKER_HOST/);
  assert.match(inactive.message, /docker swarm init/);
  const worker = await refused({ LocalNodeState: 'active', ControlAvailable: false });
  assert.match(worker.message, /is a swarm worker, not a manager/);
  await ensureSwarm(engine({ LocalNodeState: 'active', ControlAvailable: true }));
});

engineTest(
  '(a) first deployment: 404 during the postdeploy job, the new version after; one service per type',
  async () => {
    gate.reset();
    const { dir, port, app } = await e2e.swarmApp(
      'first',
      `web: node server.js\nworker: exec sleep 600\npostdeploy: ${gate.gatedHook()}\n`,
      { formation: { web: 2, worker: 1 } },
    );
    const deploying = e2e.deploy(dir, ['--revision', 'v1']);
    await gate.waitStarted(deploying);
    const during = await get(port);
    assert.is(during.status, 404);
    assert.match(during.body, /no live release/);
    // The job runs next to the formation's services, not yet routed.
    assert.equal(
      (await e2e.services(app)).map((s) => [s.name, s.process]),
      [
        [`${app}-postdeploy-r1`, 'postdeploy-1'],
        [`${app}-web-r1`, 'web'],
        [`${app}-worker-r1`, 'worker'],
      ],
    );
    // The services run the release image by its id: a node never looks a tag up on a registry.
    const [image] = await docker.listImages({ filters: { reference: [`slipway/${app}:1`] } });
    const services = await docker.listServices({ filters: { label: [`slipway.app=${app}`] } });
    assert.is(services.length, 3);
    for (const s of services) {
      const task = s.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined;
      assert.is(task?.ContainerSpec?.Image, image?.Id);
    }
    gate.open = true;
    const { code, record, stderr } = await deploying;
    assert.is(code, 0, stderr);
    assert.is(record.status, 'success');
    assert.is(record.hookExitCode, 0);
    // Both web tasks serve, each on its own port: the router spreads requests over them.
    const containers = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const env = JSON.parse((await get(port, '/env')).body);
      assert.is(env.CONTAINER_VERSION, 'v1');
      containers.add(`${env.CONTAINER} ${env.PORT}`);
    }
    assert.is(containers.size, 2, [...containers].join(', '));
    assert.equal([...containers].map((c) => c.split(' ')[0]).sort(), ['web-1', 'web-2']);
    // The job is gone once it ran; the formation's services stay.
    assert.equal(
      (await e2e.services(app)).map((s) => s.name),
      [`${app}-web-r1`, `${app}-worker-r1`],
    );
    const logs = await e2e.run(['logs', record.id]);
    assert.match(logs.stdout, /postdeploy exited with status 0/);
  },
);

engineTest('a redeploy serves the old version during the job, the new one after; old services removed', async () => {
  gate.reset();
  gate.open = true;
  const { dir, port, app } = await e2e.swarmApp('redeploy', `web: node server.js\npostdeploy: ${gate.gatedHook()}\n`);
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
  gate.reset();
  const deploying = e2e.deploy(dir, ['--revision', 'v2']);
  await gate.waitStarted(deploying);
  const answers = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const r = await get(port);
    answers.add(`${r.status} ${r.body}`);
  }
  assert.equal([...answers], ['200 v1']);
  gate.open = true;
  const { code, record, stderr } = await deploying;
  assert.is(code, 0, stderr);
  assert.is(record.release, 2);
  assert.is((await get(port)).body, 'v2');
  assert.equal(await e2e.services(app), [{ name: `${app}-web-r2`, process: 'web', deployment: record.id }]);
});

engineTest(
  '(i) the postdeploy job gets the app env (config env, config vars, runtime vars), not web’s files',
  async () => {
    gate.reset();
    const hook = `echo written > marker.txt && node -e "fetch('http://127.0.0.1:${gate.port}/env', { method: 'POST', body: JSON.stringify(process.env) })"`;
    const { dir, port, app } = await e2e.swarmApp('envcheck', `web: node server.js\npostdeploy: ${hook}\n`, {
      env: { FROM_FILE: 'file-value', TEMPLATE_LIKE: 'a {{.Task.Slot}} b' },
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
    for (const key of [
      'APP',
      'CONTAINER_VERSION',
      'FROM_VARS',
      'FROM_FILE',
      'TEMPLATE_LIKE',
      'CONTAINER_SIZE',
      'STACK',
    ]) {
      assert.is(hookEnv[key], web[key], key);
    }
    assert.is(hookEnv.APP, app);
    assert.is(hookEnv.CONTAINER_VERSION, 'abc123');
    assert.is(hookEnv.FROM_VARS, 'vars-value');
    assert.is(hookEnv.FROM_FILE, 'overridden');
    assert.is(hookEnv.TEMPLATE_LIKE, 'a {{.Task.Slot}} b');
    assert.is(hookEnv.CONTAINER_MEMORY, String(512 * 1024 * 1024));
    // The job worked on its own copy of the image: web never sees its file.
    assert.is((await get(port, '/file?name=marker.txt')).body, 'no');
    assert.is((await get(port, '/file?name=server.js')).body, 'yes');
  },
);

test.run();
