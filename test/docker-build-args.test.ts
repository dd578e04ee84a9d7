// docker.buildArgs: the config's build arguments reach the Engine's build (the
// Dockerfile's ARG), named in the build output without their values.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../lib/config/resolve.js';
import { SlipwayError } from '../lib/core/errors.js';
import { DockerE2E, ensureBaseImages, NODE_IMAGE, runEngineTests } from './support/docker.js';
import { get } from './support/e2e.js';

const e2e = new DockerE2E();
const engineTest = runEngineTests ? test : test.skip;
test.before(() => {
  if (runEngineTests) ensureBaseImages();
});
test.after(() => e2e.cleanup());

test('docker.buildArgs: names are checked, values become strings', () => {
  const ok = resolveConfig({ docker: { buildArgs: { BUNDLE_WITHOUT: 'development:test', WORKERS: 2 } } }, '/srv/x');
  assert.equal(ok.docker.buildArgs, { BUNDLE_WITHOUT: 'development:test', WORKERS: '2' });
  assert.is(resolveConfig({}, '/srv/x').docker.buildArgs, undefined);
  try {
    resolveConfig({ docker: { buildArgs: { '1BAD': 'x' } } }, '/srv/x');
    assert.unreachable('a bad name is refused');
  } catch (error) {
    assert.instance(error, SlipwayError);
    assert.match((error as SlipwayError).message, /docker\.buildArgs\.1BAD: is not a build argument name/);
  }
});

engineTest('the Dockerfile ARG gets the value from docker.buildArgs; the build output names it only', async () => {
  const { dir, port, app } = await e2e.dockerApp('buildargs', 'web: node server.js\n', {
    docker: { buildArgs: { GREETING_ARG: 'hola-from-build' } },
  });
  writeFileSync(
    join(dir, 'Dockerfile'),
    `FROM ${NODE_IMAGE}\nARG GREETING_ARG\nENV BUILT_WITH=$GREETING_ARG\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n`,
  );
  const { code, events } = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(code, 0, JSON.stringify(events.filter((e) => e.type === 'log').slice(-5)));
  const env = JSON.parse((await get(port, '/env')).body);
  assert.is(env.BUILT_WITH, 'hola-from-build');
  const building = events.find((e) => e.type === 'log' && /^building /.test(e.line));
  assert.match(building.line, /\(build args: GREETING_ARG\)$/);
  assert.not.ok(
    events.some((e) => e.type === 'log' && /hola-from-build/.test(e.line)),
    'the value is not in the output',
  );
  assert.ok(app);
});

test.run();
