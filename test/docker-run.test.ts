// `slipway run` for a Docker app: the command runs in a new container of the
// live image, with the env its containers get (minus PORT), its own
// filesystem, its exit status passed through, and is removed when it ends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { docker, dockerSuite } from './support/docker.js';
import { get } from './support/e2e.js';

const { e2e, engineTest } = dockerSuite();

/** Containers `slipway run` made for an app, in any state. */
const runContainers = (app: string) => docker.listContainers({ all: true, filters: { label: [`slipway.run=${app}`] } });

engineTest('run: a container of the live image with the release env, its status passed through', async () => {
  const { dir, port, app } = await e2e.dockerApp('runner', 'web: node server.js\n', { env: { FROM_FILE: 'file' } });
  assert.is((await e2e.run(['config:set', '--app', app, 'FROM_VARS=vars'])).code, 0);
  const deployed = await e2e.deploy(dir, ['--revision', 'r1']);
  assert.is(deployed.code, 0, deployed.stderr);

  const r = await e2e.run([
    'run',
    '--app',
    app,
    '--',
    'echo "$CONTAINER $CONTAINER_VERSION $FROM_FILE $FROM_VARS port=$PORT"; test -f /.dockerenv && pwd; echo oops >&2; exit 7',
  ]);
  assert.is(r.code, 7, r.stderr);
  const [first, where] = r.stdout.trim().split('\n');
  assert.match(first!, /^run-\d+ r1 file vars port=$/, 'no PORT in a one-off');
  assert.is(where, '/app', 'inside the image, in its working directory');
  assert.is(r.stderr.trim(), 'oops');
  assert.equal(await runContainers(app), [], 'the container is removed');
  assert.is((await get(port)).body, 'r1', 'the live release is untouched');
});

engineTest('run: what the one-off writes stays in its container', async () => {
  const { dir, port, app } = await e2e.dockerApp('runfiles', 'web: node server.js\n');
  assert.is((await e2e.deploy(dir)).code, 0);
  const r = await e2e.run(['run', '--app', app, '--', 'echo x > from-run.txt && test -f from-run.txt']);
  assert.is(r.code, 0, r.stderr);
  assert.is((await get(port, '/file?name=from-run.txt')).body, 'no');
});

engineTest('run --json: log lines and the exit as JSON', async () => {
  const { dir, app } = await e2e.dockerApp('runjson', 'web: node server.js\n');
  assert.is((await e2e.deploy(dir)).code, 0);
  const r = await e2e.run(['run', '--app', app, '--json', '--', 'echo hello']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines[0], { type: 'log', stream: 'stdout', line: 'hello' });
  assert.is(lines.at(-1).type, 'exit');
  assert.is(lines.at(-1).exitCode, 0);
});

test.run();
