// Docker runtime: a prebuilt image (`docker.image`), what the build sends and passes
// (.dockerignore, no .git, SOURCE_VERSION), build failures, release images kept
// (`docker.keepImages`), rollbacks reusing a release's image, Heroku's release container.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registerHerokuMode } from '../compat/heroku/mode.js';
import { loadConfig } from '../lib/config/load-config.js';
import { Deployer } from '../lib/core/deployer.js';
import dockerRuntime from '../plugins/docker/index.js';
import { imagesToPrune } from '../plugins/docker/prune-images.js';
import { APP_DOCKERFILE, DockerE2E, docker, ensureBaseImages, runEngineTests } from './support/docker.js';
import { get, root } from './support/e2e.js';
import { MemoryControl } from './support/memory-control.js';

// As the CLI does at start: the core applies heroku mode through its registry.
registerHerokuMode();

const e2e = new DockerE2E();
const engineTest = runEngineTests ? test : test.skip;
test.before(() => {
  if (runEngineTests) ensureBaseImages();
});
test.after(() => e2e.cleanup());

const imageId = async (tag: string) => (await docker.getImage(tag).inspect()).Id;

test('pruning keeps the newest keepImages releases and the one being deployed', () => {
  const tags = ['slipway/a:1', 'slipway/a:2', 'slipway/a:10', 'slipway/a:3', 'slipway/ab:1', 'slipway/a:latest'];
  assert.equal(imagesToPrune(tags, 'slipway/a', 2).sort(), ['slipway/a:1', 'slipway/a:2']);
  assert.equal(imagesToPrune(tags, 'slipway/a', 2, [2]), ['slipway/a:1']);
  assert.equal(imagesToPrune(tags, 'slipway/a', 5), []);
});

engineTest(
  'docker.image: a prebuilt image is deployed as is, its CMD serving when the Procfile has no web',
  async () => {
    const { dir: source } = await e2e.dockerApp('source', 'web: node server.js\n');
    const prebuilt = `slipway-test/${e2e.name('prebuilt')}:1`;
    e2e.buildImage(source, prebuilt);
    const { dir, port, app } = await e2e.dockerApp('prebuilt', 'postdeploy: test "$CONTAINER" = postdeploy-1\n', {
      docker: { image: prebuilt },
    });
    rmSync(join(dir, 'Dockerfile'));
    const { code, record, events, stderr } = await e2e.deploy(dir, ['--revision', 'p1']);
    assert.is(code, 0, stderr);
    assert.is(record.hookExitCode, 0);
    assert.ok(events.some((e) => e.type === 'log' && e.line.includes(`deploying the prebuilt image ${prebuilt}`)));
    assert.is((await get(port)).body, 'p1');
    assert.is(await imageId(`slipway/${app}:1`), await imageId(prebuilt));
  },
);

engineTest('build: .dockerignore and .git stay out of the context; SOURCE_VERSION is a build arg', async () => {
  const hook = 'test "$(cat /source-version)" = v7 && test ! -e secret.txt && test ! -e .git && test -f kept.txt';
  const { dir, port } = await e2e.dockerApp('context', `web: node server.js\npostdeploy: ${hook}\n`);
  writeFileSync(
    join(dir, 'Dockerfile'),
    APP_DOCKERFILE.replace('WORKDIR', 'ARG SOURCE_VERSION\nRUN echo "$SOURCE_VERSION" > /source-version\nWORKDIR'),
  );
  writeFileSync(join(dir, '.dockerignore'), '# local files\nsecret.txt\n');
  writeFileSync(join(dir, 'secret.txt'), 'do not ship');
  writeFileSync(join(dir, 'kept.txt'), 'ship');
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  const { code, record, stderr } = await e2e.deploy(dir, ['--revision', 'v7']);
  assert.is(code, 0, `${stderr} ${JSON.stringify(record?.error)}`);
  assert.is((await get(port, '/file?name=kept.txt')).body, 'yes');
  assert.is((await get(port, '/file?name=secret.txt')).body, 'no');
});

engineTest('build: a failing Dockerfile step ends in build-error with its output, nothing started', async () => {
  const { dir, app } = await e2e.dockerApp('badbuild', 'web: node server.js\n');
  writeFileSync(join(dir, 'Dockerfile'), `FROM local/node\nRUN echo compiling && exit 7\n`);
  const { code, record } = await e2e.deploy(dir);
  assert.is(code, 1);
  assert.is(record.status, 'build-error');
  assert.is(record.error.code, 'BUILD_FAILED');
  assert.match(record.error.message, /non-zero code: 7/);
  const logs = await e2e.run(['logs', record.id]);
  assert.match(logs.stdout, /compiling/);
  assert.equal(await e2e.containers(app), []);
});

engineTest('docker.keepImages: release images older than the last N are removed after a success', async () => {
  const { dir, app } = await e2e.dockerApp('keep', 'web: node server.js\n', { docker: { keepImages: 2 } });
  for (const revision of ['k1', 'k2', 'k3']) {
    const r = await e2e.deploy(dir, ['--revision', revision]);
    assert.is(r.code, 0, r.stderr);
  }
  assert.equal(await e2e.imageTags(app), [`slipway/${app}:2`, `slipway/${app}:3`]);
});

engineTest("rollback: the source release's image is reused and tagged as the new release", async () => {
  const { dir, app } = await e2e.dockerApp('rollback', 'web: node server.js\npostdeploy: true\n');
  const config = await loadConfig(dir);
  const procfile = { processes: { web: 'node server.js', postdeploy: 'true' }, lines: {}, warnings: [] };
  const control = new MemoryControl();
  const deploy = (version: string, sourceRelease?: number) =>
    new Deployer({
      config,
      procfile,
      control,
      version,
      plugins: [dockerRuntime({})],
      ...(sourceRelease ? { kind: 'rollback' as const, sourceRelease } : {}),
    }).deploy();
  assert.is((await deploy('r1')).status, 'success');
  writeFileSync(join(dir, 'changed.txt'), 'v2');
  assert.is((await deploy('r2')).status, 'success');
  const back = await deploy('r1', 1);
  assert.is(back.status, 'success', JSON.stringify(back.error));
  assert.is(back.release, 3);
  assert.is(await imageId(`slipway/${app}:3`), await imageId(`slipway/${app}:1`));
  assert.is.not(await imageId(`slipway/${app}:2`), await imageId(`slipway/${app}:1`));
  const [upstream] = control.routes.get(app)!;
  assert.is((await get(upstream!.port)).body, 'r1');
  assert.is((await get(upstream!.port, '/file?name=changed.txt')).body, 'no');
});

engineTest('heroku mode: the release command runs in its own container before the formation starts', async () => {
  const { dir, port } = await e2e.dockerApp(
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
});

engineTest('examples/hello deploys with runtime: docker from its own Dockerfile', async () => {
  const { dir, port, app } = await e2e.dockerApp('hello', '');
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(root, 'examples', 'hello'), dir, { recursive: true });
  // The example's own config, with this test's name and port and the Docker runtime.
  writeFileSync(join(dir, '.slipwayrc.yaml'), `app: ${app}\nport: ${port}\nruntime: docker\n`);
  const { code, events, stderr } = await e2e.deploy(dir, ['--revision', 'hello1']);
  assert.is(code, 0, stderr);
  assert.ok(
    events.some(
      (e) => e.type === 'log' && e.phase === 'postdeploy' && e.line.includes(`postdeploy for ${app} at hello1`),
    ),
  );
  assert.is((await get(port)).body, `hello from ${app} hello1 (web-1)\n`);
});

test.run();
