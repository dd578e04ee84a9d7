// Docker runtime, (a) first deployment: 404 during the hook, new version after;
// (b) redeploy: old version during the hook, new version after, old container gone.
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../lib/core/ports.js';
import { containerSpec } from '../plugins/docker/container-spec.js';
import { connectionHolds } from '../plugins/docker/published-readiness.js';
import { docker, dockerSuite } from './support/docker.js';
import { get } from './support/e2e.js';

const { e2e, gate, engineTest } = dockerSuite();

test('a web container runs `sh -c` on the host network with $PORT, or publishes $PORT on 127.0.0.1 only', () => {
  const plan = { name: 'a-r1-web-1', image: 'slipway/a:1', command: 'node server.js', labels: { 'slipway.app': 'a' } };
  const host = containerSpec({ ...plan, env: { APP: 'a', PORT: '5000' }, port: 5000 });
  assert.equal(host.Cmd, ['sh', '-c', 'node server.js']);
  assert.equal(host.Env, ['APP=a', 'PORT=5000']);
  assert.is(host.HostConfig?.NetworkMode, 'host');
  assert.is(host.HostConfig?.PortBindings, undefined);
  assert.equal(host.HostConfig?.RestartPolicy, { Name: 'no' });
  const network = containerSpec({ ...plan, env: {}, port: 5000, network: 'appnet' });
  assert.is(network.HostConfig?.NetworkMode, 'appnet');
  assert.equal(network.HostConfig?.PortBindings, { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '5000' }] });
  assert.equal(network.ExposedPorts, { '5000/tcp': {} });
  const imageCmd = containerSpec({ ...plan, command: undefined, env: {} });
  assert.is(imageCmd.Cmd, undefined);
});

test("a published port is ready only when a connection holds (Docker's proxy accepts, then closes)", async () => {
  const held = new Set<Socket>();
  const proxyOnly = createServer((socket) => socket.destroy());
  const app = createServer((socket) => held.add(socket));
  await new Promise<void>((r) => proxyOnly.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  try {
    assert.is(await connectionHolds((proxyOnly.address() as AddressInfo).port), false);
    assert.is(await connectionHolds((app.address() as AddressInfo).port), true);
    assert.is(await connectionHolds(await freePort()), false);
  } finally {
    for (const socket of held) socket.destroy();
    proxyOnly.close();
    app.close();
  }
});

engineTest('(a) first deployment: the router answers 404 during the hook, the new version after', async () => {
  gate.reset();
  const { dir, port } = await e2e.dockerApp('first', `web: node server.js\npostdeploy: ${gate.gatedHook()}\n`);
  const deploying = e2e.deploy(dir, ['--revision', 'v1']);
  await gate.waitStarted(deploying);
  const during = await get(port);
  assert.is(during.status, 404);
  assert.match(during.body, /no live release/);
  gate.open = true;
  const { code, record, stderr } = await deploying;
  assert.is(code, 0, stderr);
  assert.is(record.status, 'success');
  assert.is(record.hookExitCode, 0);
  const after = await get(port);
  assert.is(after.status, 200);
  assert.is(after.body, 'v1');
});

engineTest('(b) redeploy: every request during the hook gets the old version, the new one after', async () => {
  gate.reset();
  gate.open = true;
  const { dir, port, app } = await e2e.dockerApp('redeploy', `web: node server.js\npostdeploy: ${gate.gatedHook()}\n`);
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
  gate.reset();
  const deploying = e2e.deploy(dir, ['--revision', 'v2']);
  await gate.waitStarted(deploying);
  const answers = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const r = await get(port);
    answers.add(`${r.status} ${r.body}`);
  }
  assert.equal([...answers], ['200 v1']);
  gate.open = true;
  const { code, record, stderr } = await deploying;
  assert.is(code, 0, stderr);
  assert.is(record.release, 2);
  assert.is((await get(port)).body, 'v2');
  const list = await e2e.json<any[]>(['deployments', '--app', app]);
  assert.equal(
    list.map((d) => [d.release, d.version, d.status]),
    [
      [2, 'v2', 'success'],
      [1, 'v1', 'success'],
    ],
  );
  // The previous release's container is stopped and removed; the live one restarts with the Engine.
  const containers = await e2e.containers(app);
  assert.equal(
    containers.map((c) => [c.Labels['slipway.deployment'], c.Labels['slipway.process'], c.State]),
    [[record.id, 'web-1', 'running']],
  );
  const live = await docker.getContainer(containers[0]!.Id).inspect();
  assert.is(live.HostConfig.RestartPolicy?.Name, 'unless-stopped');
  assert.equal(await e2e.imageTags(app), [`slipway/${app}:1`, `slipway/${app}:2`]);
});

engineTest('formation: web ×2 and a worker, each its own container; a redeploy replaces all three', async () => {
  const { dir, port, app } = await e2e.dockerApp('formation', 'web: node server.js\nworker: exec sleep 600\n', {
    formation: { web: 2, worker: 1 },
  });
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
  const processes = async () =>
    (await e2e.containers(app))
      .map((c) => `${c.Labels['slipway.release']} ${c.Labels['slipway.process']} ${c.State}`)
      .sort();
  assert.equal(await processes(), ['1 web-1 running', '1 web-2 running', '1 worker-1 running']);
  const second = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(second.code, 0, second.stderr);
  assert.equal(await processes(), ['2 web-1 running', '2 web-2 running', '2 worker-1 running']);
  const bodies = new Set<string>();
  for (let i = 0; i < 10; i++) bodies.add((await get(port)).body);
  assert.equal([...bodies], ['v2']);
});

test.run();
