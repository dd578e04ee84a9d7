// Docker runtime, (i) the deploying CLI killed with SIGKILL during the hook → aborted, old
// version serving; the next deployment's recovery removes what the dead one left;
// (j) the agent restarted → the containers it never owned serve again through it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { strayContainers } from '../plugins/docker/app-containers.js';
import { dockerSuite } from './support/docker.js';
import { get, servedBody, until } from './support/e2e.js';

const { e2e, gate, engineTest } = dockerSuite();

test('recovery keeps the live and the running deployment, and takes everything else', () => {
  const c = (id: string, deployment?: string) =>
    ({ Id: id, Labels: deployment ? { 'slipway.deployment': deployment } : {} }) as unknown as Docker.ContainerInfo;
  const all = [c('1', 'live'), c('2', 'dead'), c('3', 'current'), c('4', 'dead'), c('5')];
  assert.equal(
    strayContainers(all, ['live', 'current']).map((x) => x.Id),
    ['2', '4', '5'],
  );
  // A first deployment has no live release.
  assert.equal(
    strayContainers(all, [undefined, 'current']).map((x) => x.Id),
    ['1', '2', '4', '5'],
  );
});

engineTest(
  '(i) CLI killed during the hook: aborted, old version serving; the next deployment removes the leftovers',
  async () => {
    const { dir, port, app } = await e2e.dockerApp('orphan', 'web: node server.js\npostdeploy: true\n');
    const first = await e2e.deploy(dir, ['--revision', 'v1']);
    assert.is(first.code, 0, first.stderr);
    gate.reset();
    writeFileSync(
      join(dir, 'Procfile'),
      `web: node server.js\npostdeploy: wget -q -O /dev/null http://127.0.0.1:${gate.port}/started; exec sleep 600\n`,
    );
    const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
    await until(() => gate.started > 0, 120_000, 'the hook container to start');
    cli.kill('SIGKILL');
    const aborted = await until(
      async () => {
        const [latest] = await e2e.json<any[]>(['deployments', '--app', app]);
        return latest.status === 'aborted' ? latest : null;
      },
      15_000,
      'the deployment to be marked aborted',
    );
    assert.is(aborted.version, 'v2');
    assert.is((await get(port)).body, 'v1');
    // Nobody is left to stop them: the dead deployment's web and hook containers still run.
    const left = (await e2e.containers(app)).filter((c) => c.Labels['slipway.deployment'] === aborted.id);
    assert.equal(left.map((c) => c.Labels['slipway.process']).sort(), ['postdeploy-1', 'web-1']);

    writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: true\n');
    const next = await e2e.deploy(dir, ['--revision', 'v3', '--no-wait']);
    assert.is(next.code, 0, `the lock is free: ${next.stderr}`);
    assert.ok(
      next.events.some((e) => e.type === 'log' && /removed 2 container\(s\) left by earlier deployments/.test(e.line)),
      'recovery reports what it removed',
    );
    assert.is((await get(port)).body, 'v3');
    const containers = await e2e.containers(app);
    assert.equal(
      containers.map((c) => [c.Labels['slipway.deployment'], c.Labels['slipway.process']]),
      [[next.record.id, 'web-1']],
    );
  },
);

engineTest('(j) agent restarted (SIGTERM, then SIGKILL): the containers keep running and serve again', async () => {
  const { dir, port, app } = await e2e.dockerApp('survivor', 'web: node server.js\npostdeploy: true\n');
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const second = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(second.code, 0, second.stderr);
  const before = (await e2e.containers(app)).map((c) => c.Id);
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const status = await e2e.restartAgent(signal);
    assert.is(status.code, 0, status.stderr);
    const body = await servedBody(port, 5000, `the live release to serve again after ${signal}`);
    assert.is(body, 'v2');
  }
  assert.equal(
    (await e2e.containers(app)).map((c) => c.Id),
    before,
  );
});

test.run();
