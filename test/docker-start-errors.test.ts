// Docker runtime, (h) a container that exits before binding → crashed-error with its
// last output; no bind in time → timeout-error; no Engine → DOCKER_UNAVAILABLE.
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

test('no Engine at DOCKER_HOST: build-error DOCKER_UNAVAILABLE naming the address, nothing started', async () => {
  const { dir } = await e2e.dockerApp('noengine', 'web: node server.js\n');
  const socket = `${e2e.home}/no-such-docker.sock`;
  const r = await e2e.run(['deploy', dir, '--json'], { env: { DOCKER_HOST: `unix://${socket}` } });
  const record = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((e) => e.type === 'result')?.deployment;
  assert.is(r.code, 1, r.stderr);
  assert.is(record.status, 'build-error');
  assert.is(record.error.code, 'DOCKER_UNAVAILABLE');
  assert.match(record.error.message, socket);
  assert.match(record.error.message, /DOCKER_HOST/);
});

engineTest(
  '(h) a container that exits before binding: crashed-error with its last lines, the hook never runs',
  async () => {
    const { dir, port, app } = await e2e.dockerApp(
      'crashy',
      'web: echo "cannot connect to database" >&2; exit 1\npostdeploy: touch ran\n',
    );
    const { code, record, events } = await e2e.deploy(dir);
    assert.is(code, 1);
    assert.is(record.status, 'crashed-error');
    assert.is(record.error.code, 'START_CRASHED');
    assert.match(record.error.message, /cannot connect to database/);
    assert.match(record.error.message, /status 1/);
    assert.is(record.hookExitCode, null);
    assert.not.ok(events.some((e) => e.type === 'step' && e.step === 'postdeploy'));
    assert.is((await get(port)).status, 404);
    assert.equal(await e2e.containers(app), []);
  },
);

engineTest('(h) a container that never binds $PORT: timeout-error after start.timeout, container removed', async () => {
  const { dir, app } = await e2e.dockerApp('sleepy', 'web: sleep 60\n', { start: { timeout: '2s' } });
  const { code, record } = await e2e.deploy(dir);
  assert.is(code, 1);
  assert.is(record.status, 'timeout-error');
  assert.is(record.error.code, 'START_TIMEOUT');
  assert.match(record.error.message, /did not accept connections on \$PORT/);
  assert.equal(await e2e.containers(app), []);
});

test.run();
