// Swarm runtime with swarm.registry: the release image built on the manager is
// pushed to the registry as <registry>/slipway/<app>:<release> and the services
// run it pinned by its digest there (what the nodes of a real cluster pull); a registry that
// does not answer ends the deployment in build-error before anything starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../lib/config/resolve.js';
import { freePort } from '../lib/core/ports.js';
import { docker } from './support/docker.js';
import { get } from './support/e2e.js';
import { registryInstalled, TestRegistry } from './support/registry.js';
import { swarmSuite } from './support/swarm.js';

const { e2e, engineTest: swarmTest } = swarmSuite();
// Like the Engine: without the registry binary these are skipped, except in CI.
const engineTest = registryInstalled() || process.env.CI === 'true' ? swarmTest : (test.skip as typeof test);
const registry = new TestRegistry();

test.before(async () => {
  if (registryInstalled()) await registry.start();
});
test.after(() => registry.stop());

test('swarm.registry is a registry address without a scheme', () => {
  assert.equal(resolveConfig({ swarm: { registry: 'registry.example.com:5000' } }, '/srv/x').swarm, {
    registry: 'registry.example.com:5000',
  });
  assert.equal(resolveConfig({ swarm: { registry: 'ghcr.io/acme' } }, '/srv/x').swarm, { registry: 'ghcr.io/acme' });
  assert.is(resolveConfig({}, '/srv/x').swarm, undefined);
  assert.throws(
    () => resolveConfig({ swarm: { registry: 'https://registry.example.com' } }, '/srv/x'),
    /swarm\.registry: must be a registry address without a scheme/,
  );
});

engineTest('the release image is pushed to swarm.registry and the services run it from there', async () => {
  const { dir, port, app } = await e2e.swarmApp('pushed', 'web: node server.js\npostdeploy: true\n', {
    swarm: { registry: registry.address },
  });
  const repository = `${registry.address}/slipway/${app}`;
  e2e.images.add(`${repository}:1`);
  const { code, record, stderr } = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(code, 0, stderr);
  assert.is(record.status, 'success');
  assert.equal(await registry.tags(`slipway/${app}`), ['1']);
  const [service] = await docker.listServices({ filters: { label: [`slipway.app=${app}`] } });
  const spec = service?.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined;
  // Pinned by digest: a node that has the image starts it, any other pulls it from the registry.
  const image = await docker.getImage(`${repository}:1`).inspect();
  assert.ok(image.RepoDigests.includes(spec?.ContainerSpec?.Image ?? ''), spec?.ContainerSpec?.Image);
  assert.ok(spec?.ContainerSpec?.Image?.startsWith(`${repository}@sha256:`));
  assert.is((await get(port)).body, 'v1');
  const logs = await e2e.run(['logs', record.id]);
  assert.ok(logs.stdout.includes(`pushed ${repository}:1`), logs.stdout);
});

engineTest('a registry that does not answer: build-error naming swarm.registry, no service started', async () => {
  const closed = `127.0.0.1:${await freePort()}`;
  const { dir, app } = await e2e.swarmApp('unpushed', 'web: node server.js\n', { swarm: { registry: closed } });
  e2e.images.add(`${closed}/slipway/${app}:1`);
  const { code, record } = await e2e.deploy(dir);
  assert.is(code, 1);
  assert.is(record.status, 'build-error');
  assert.is(record.error.code, 'BUILD_FAILED');
  assert.match(record.error.message, /could not push .* \(swarm\.registry\)/);
  assert.equal(await e2e.services(app), []);
});

test.run();
