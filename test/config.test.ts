import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openConfig, sealConfig } from '../lib/config/cache.js';
import { DEFAULTS, defaultAppName, defineConfig, loadConfig } from '../lib/config/load-config.js';
import { resolveConfig } from '../lib/config/resolve.js';
import { catalogue, SlipwayError } from '../lib/core/errors.js';
import type { ResolvedConfig } from '../lib/core/types.js';

const MB = 1024 * 1024;
const roots: string[] = [];

/** A fresh directory tree; keys are relative paths, values file contents. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'slipway-config-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

async function rejection(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, SlipwayError, 'expected a SlipwayError');
  return error as SlipwayError;
}

function invalid(raw: unknown, file?: string): SlipwayError {
  try {
    resolveConfig(raw, '/srv/demo', file);
  } catch (error) {
    assert.instance(error, SlipwayError);
    assert.is((error as SlipwayError).code, 'CONFIG_INVALID');
    return error as SlipwayError;
  }
  assert.unreachable(`expected ${JSON.stringify(raw)} to be rejected`);
  throw new Error('unreachable');
}

test.after(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

// ---------------------------------------------------------------- defaults

test('no config at all gives the defaults, named after the directory', async () => {
  const root = await tree({ 'My App_2/Procfile': 'web: x\n' });
  const config = await loadConfig(join(root, 'My App_2'));
  assert.equal(config, {
    dir: join(root, 'My App_2'),
    app: 'my-app-2',
    host: '127.0.0.1',
    runtime: 'process',
    formation: { web: 1 },
    env: {},
    start: { timeout: 60_000 },
    postdeploy: { timeout: 1_200_000, memory: 512 * MB },
    stop: { grace: 30_000 },
    mode: 'postdeploy',
    plugins: [],
    scripts: {},
    keepReleases: 5,
    docker: { keepImages: 5 },
  } satisfies ResolvedConfig);
});

test('the default app name is a DNS label', () => {
  assert.is(defaultAppName('/srv/My App_2'), 'my-app-2');
  assert.is(defaultAppName('/srv/--Shop--'), 'shop');
  assert.is(defaultAppName('/srv/___'), 'app');
  assert.is(defaultAppName(`/srv/${'a'.repeat(70)}`), 'a'.repeat(63));
});

test('defineConfig returns its argument unchanged', () => {
  const config = { app: 'x', env: { A: 'b' } };
  assert.is(defineConfig(config), config);
});

// ---------------------------------------------------------------- file formats

const yamlText = 'app: from-yaml\npostdeploy:\n  timeout: 5m\n';
const jsonText = JSON.stringify({ app: 'from-json', postdeploy: { timeout: '5m' } }, null, 2);

test('.slipwayrc holding YAML', async () => {
  const root = await tree({ '.slipwayrc': yamlText });
  const config = await loadConfig(root);
  assert.is(config.app, 'from-yaml');
  assert.is(config.postdeploy.timeout, 300_000);
  assert.is(config.file, join(root, '.slipwayrc'));
});

test('.slipwayrc holding JSON', async () => {
  const root = await tree({ '.slipwayrc': jsonText });
  const config = await loadConfig(root);
  assert.is(config.app, 'from-json');
  assert.is(config.postdeploy.timeout, 300_000);
});

for (const name of ['.slipwayrc.json', '.slipwayrc.yaml', '.slipwayrc.yml']) {
  test(`${name}`, async () => {
    const root = await tree({ [name]: name.endsWith('.json') ? jsonText : yamlText });
    const config = await loadConfig(root);
    assert.is(config.app, name.endsWith('.json') ? 'from-json' : 'from-yaml');
    assert.is(config.postdeploy.timeout, 300_000);
    assert.is(config.file, join(root, name));
  });
}

test('slipway.config.js (ESM package)', async () => {
  const root = await tree({
    'package.json': '{"type":"module"}',
    'slipway.config.js': "export default { app: 'from-js', stop: { grace: '10s' } };\n",
  });
  const config = await loadConfig(root);
  assert.is(config.app, 'from-js');
  assert.is(config.stop.grace, 10_000);
  assert.is(config.file, join(root, 'slipway.config.js'));
});

test('slipway.config.mjs keeps plugin objects and their functions', async () => {
  const root = await tree({
    'slipway.config.mjs':
      "const notifier = { name: 'notify', apply() { return 42; } };\n" +
      "export default { app: 'from-mjs', plugins: ['slipway-plugin-a', ['b', { x: 1 }], notifier] };\n",
  });
  const config = await loadConfig(root);
  assert.is(config.app, 'from-mjs');
  assert.is(config.plugins.length, 3);
  assert.equal(config.plugins.slice(0, 2), ['slipway-plugin-a', ['b', { x: 1 }]]);
  const plugin = config.plugins[2] as unknown as { name: string; apply: () => number };
  assert.is(plugin.name, 'notify');
  assert.is(plugin.apply(), 42);
});

test('slipway.config.cjs', async () => {
  const root = await tree({ 'slipway.config.cjs': "module.exports = { app: 'from-cjs' };\n" });
  assert.is((await loadConfig(root)).app, 'from-cjs');
});

test('slipway.config.ts with types, and no compiled file left behind', async () => {
  const root = await tree({
    'slipway.config.ts':
      "import type { SlipwayConfig } from 'slipway';\n" +
      "const timeout: string = '90s';\n" +
      "const config: SlipwayConfig = { app: 'from-ts', start: { timeout }, formation: { web: 2 } };\n" +
      'export default config;\n',
  });
  const config = await loadConfig(root);
  assert.is(config.app, 'from-ts');
  assert.is(config.start.timeout, 90_000);
  assert.equal(config.formation, { web: 2 });
  assert.equal(await readdir(root), ['slipway.config.ts']);
});

test('package.json#slipway', async () => {
  const root = await tree({
    'package.json': JSON.stringify({ name: 'shop', slipway: { app: 'from-pkg', env: { A: 1 } } }, null, 2),
  });
  const config = await loadConfig(root);
  assert.is(config.app, 'from-pkg');
  assert.equal(config.env, { A: '1' });
  assert.is(config.file, join(root, 'package.json'));
});

test('a package.json without a slipway key is not a config', async () => {
  const root = await tree({ 'package.json': '{"name":"shop"}' });
  const config = await loadConfig(root);
  assert.is(config.file, undefined);
  assert.is(
    config.app,
    basename(root)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-'),
  );
});

test('YAML anchors, aliases and merge keys work', async () => {
  const root = await tree({
    '.slipwayrc.yaml': 'start: &limits\n  timeout: 2m\npostdeploy:\n  <<: *limits\n  memory: 1GB\n',
  });
  const config = await loadConfig(root);
  assert.is(config.start.timeout, 120_000);
  assert.equal(config.postdeploy, { timeout: 120_000, memory: 1024 * MB });
});

test('$import merges shared settings from another file, the importing file winning', async () => {
  const root = await tree({
    'shared/limits.yaml': 'postdeploy:\n  timeout: 5m\nport: 4000\n',
    'app/.slipwayrc.yaml': '$import: ../shared/limits.yaml\nport: 4100\n',
  });
  const config = await loadConfig(join(root, 'app'));
  assert.is(config.port, 4100);
  assert.is(config.postdeploy.timeout, 5 * 60_000);
  assert.is(config.file, join(root, 'app', '.slipwayrc.yaml'));
});

test('an empty config file means the defaults', async () => {
  const root = await tree({ '.slipwayrc.yaml': '# nothing yet\n' });
  const config = await loadConfig(root);
  assert.is(config.host, DEFAULTS.host);
  assert.equal(config.formation, { web: 1 });
});

// ---------------------------------------------------------------- search

test('searches upward from the app directory to the project root (.git)', async () => {
  const root = await tree({
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.slipwayrc.yaml': 'app: monorepo\n',
    'apps/web/Procfile': 'web: x\n',
  });
  const config = await loadConfig(join(root, 'apps/web'));
  assert.is(config.app, 'monorepo');
  assert.is(config.dir, join(root, 'apps/web'));
  assert.is(config.file, join(root, '.slipwayrc.yaml'));
});

test('the nearest config file wins', async () => {
  const root = await tree({
    '.git/HEAD': '',
    '.slipwayrc.yaml': 'app: outer\n',
    'apps/web/.slipwayrc.yaml': 'app: inner\n',
  });
  assert.is((await loadConfig(join(root, 'apps/web'))).app, 'inner');
});

test('the search stops at the first directory with a package.json', async () => {
  const root = await tree({ '.git/HEAD': '', '.slipwayrc.yaml': 'app: outside\n', 'apps/web/package.json': '{}' });
  const config = await loadConfig(join(root, 'apps/web'));
  assert.is(config.app, 'web');
  assert.is(config.file, undefined);
});

test('without any project root only the app directory is searched', async () => {
  const root = await tree({ '.slipwayrc.yaml': 'app: stray\n', 'app/Procfile': 'web: x\n' });
  const config = await loadConfig(join(root, 'app'));
  assert.is(config.app, 'app');
  assert.is(config.file, undefined);
});

test('two config files in one directory are refused, naming both', async () => {
  const root = await tree({ '.slipwayrc.yaml': 'app: a\n', 'slipway.config.mjs': "export default { app: 'b' };\n" });
  const e = await rejection(loadConfig(root));
  assert.is(e.code, 'CONFIG_INVALID');
  assert.match(e.message, /several config files \(\.slipwayrc\.yaml, slipway\.config\.mjs\); keep only one/);

  const pkg = await tree({ '.slipwayrc': 'app: a\n', 'package.json': '{"slipway":{"app":"b"}}' });
  assert.match((await rejection(loadConfig(pkg))).message, /\.slipwayrc, package\.json#slipway/);
});

test('an explicit file is used as given, even outside the app directory', async () => {
  const root = await tree({ '.slipwayrc.yaml': 'app: searched\n', 'deploy/prod.yaml': 'app: explicit\n' });
  const config = await loadConfig(root, { file: join(root, 'deploy/prod.yaml') });
  assert.is(config.app, 'explicit');
  assert.is(config.file, join(root, 'deploy/prod.yaml'));
});

test('a missing explicit file is a CONFIG_LOAD error', async () => {
  const root = await tree({});
  const e = await rejection(loadConfig(root, { file: join(root, 'nope.yaml') }));
  assert.is(e.code, 'CONFIG_LOAD');
  assert.match(e.message, /config file not found: .*nope\.yaml/);
});

// ---------------------------------------------------------------- load errors

test('YAML syntax errors give file, line and column', async () => {
  const root = await tree({ '.slipwayrc.yaml': 'app: demo\nenv:\n  A: 1\n  A: 2\n' });
  const e = await rejection(loadConfig(root));
  assert.is(e.code, 'CONFIG_LOAD');
  assert.is(e.message, '.slipwayrc.yaml:4:3: Map keys must be unique');
  assert.is(e.location?.line, 4);
});

test('JSON syntax errors give file and line', async () => {
  const root = await tree({ '.slipwayrc.json': '{\n  "app": "demo",,\n}\n' });
  const e = await rejection(loadConfig(root));
  assert.is(e.code, 'CONFIG_LOAD');
  assert.match(e.message, /^\.slipwayrc\.json:2:\d+: /);
});

test('a config module that throws is a CONFIG_LOAD error naming the file', async () => {
  const root = await tree({ 'slipway.config.mjs': "throw new Error('boom');\n" });
  const e = await rejection(loadConfig(root));
  assert.is(e.code, 'CONFIG_LOAD');
  assert.is(e.message, 'slipway.config.mjs: boom');
  assert.instance(e.cause, Error);
});

test('syntax errors never quote the file, so env secrets stay out of messages', async () => {
  const root = await tree({ '.slipwayrc.yaml': 'env:\n  TOKEN: "s3cr3t-value\n' });
  const e = await rejection(loadConfig(root));
  assert.is(e.code, 'CONFIG_LOAD');
  assert.not.match(e.message, /s3cr3t/);
  assert.not.match(JSON.stringify(e.toJSON()), /s3cr3t/);
});

// ---------------------------------------------------------------- cache

/**
 * The cache file, with every stored port replaced: a result with that port came from the cache.
 * Entries are sealed with their file's content: `contents` are the files' (and '' for no file).
 */
async function tamperCache(dir: string, port: number, contents: string[]): Promise<void> {
  const file = join(dir, 'config.json');
  const data = JSON.parse(await readFile(file, 'utf8')) as { entries: { sealed: string }[] };
  for (const entry of data.entries) {
    for (const content of contents) {
      const config = openConfig(content, entry.sealed);
      if (config) entry.sealed = sealConfig(content, { ...config, port });
    }
  }
  await writeFile(file, JSON.stringify(data));
}

test('cache: an unchanged YAML file is not read again; any edit is', async () => {
  const root = await tree({ 'app/.slipwayrc.yaml': 'port: 4100\nenv:\n  A: "1"\n' });
  const cache = { dir: join(root, 'cache'), build: 'b1' };
  const app = join(root, 'app');
  assert.is((await loadConfig(app, { cache })).port, 4100);
  await tamperCache(cache.dir, 4999, ['port: 4100\nenv:\n  A: "1"\n']);
  const hit = await loadConfig(app, { cache });
  assert.is(hit.port, 4999);
  assert.is(hit.file, join(app, '.slipwayrc.yaml'));
  assert.equal(hit.env, { A: '1' });
  // One byte more is another file.
  await writeFile(join(app, '.slipwayrc.yaml'), 'port: 4100\nenv:\n  A: "1" \n');
  assert.is((await loadConfig(app, { cache })).port, 4100);
});

test('cache: another build, another app directory or a config-less app each miss', async () => {
  const root = await tree({ 'app/.slipwayrc.yaml': 'port: 4100\n', 'bare/Procfile': 'web: x\n' });
  const cache = { dir: join(root, 'cache'), build: 'b1' };
  await loadConfig(join(root, 'app'), { cache });
  await tamperCache(cache.dir, 4999, ['port: 4100\n', '']);
  assert.is((await loadConfig(join(root, 'app'), { cache: { ...cache, build: 'b2' } })).port, 4100);
  await loadConfig(join(root, 'app'), { cache });
  await tamperCache(cache.dir, 4999, ['port: 4100\n', '']);
  assert.is((await loadConfig(join(root, 'app'), { file: join(root, 'app', '.slipwayrc.yaml'), cache })).port, 4999);
  const bare = await loadConfig(join(root, 'bare'), { cache });
  assert.is(bare.port, undefined);
  assert.is(bare.app, 'bare');
  await tamperCache(cache.dir, 4999, ['port: 4100\n', '']);
  assert.is((await loadConfig(join(root, 'bare'), { cache })).port, 4999, 'defaults are cached too');
});

test('cache: neither the file nor its env values are in the cache file as text', async () => {
  const root = await tree({ 'app/.slipwayrc.yaml': 'app: vault\nenv:\n  DB_PASSWORD: hunter2-c4che\n' });
  const cache = { dir: join(root, 'cache'), build: 'b1' };
  await loadConfig(join(root, 'app'), { cache });
  const stored = await readFile(join(cache.dir, 'config.json'), 'utf8');
  for (const text of ['hunter2-c4che', 'DB_PASSWORD', 'vault']) assert.not.ok(stored.includes(text), text);
  assert.equal((await loadConfig(join(root, 'app'), { cache })).env, { DB_PASSWORD: 'hunter2-c4che' });
});

test('cache: an invalid config is never stored, and a broken cache file is ignored', async () => {
  const root = await tree({ 'app/.slipwayrc.yaml': 'port: 0\n' });
  const cache = { dir: join(root, 'cache'), build: 'b1' };
  const app = join(root, 'app');
  assert.is((await rejection(loadConfig(app, { cache }))).code, 'CONFIG_INVALID');
  assert.is((await rejection(loadConfig(app, { cache }))).code, 'CONFIG_INVALID');
  assert.equal(await readdir(root), ['app']);
  await mkdir(cache.dir);
  await writeFile(join(cache.dir, 'config.json'), '{"build":"b1","entr');
  await writeFile(join(app, '.slipwayrc.yaml'), 'port: 4100\n');
  assert.is((await loadConfig(app, { cache })).port, 4100);
});

test('cache: JavaScript configs are always evaluated', async () => {
  const root = await tree({ 'app/slipway.config.mjs': 'export default { port: 4100 };\n' });
  const cache = { dir: join(root, 'cache'), build: 'b1' };
  assert.is((await loadConfig(join(root, 'app'), { cache })).port, 4100);
  assert.equal(await readdir(root), ['app']);
});

// ---------------------------------------------------------------- misspelt keys

test('a misspelt key in YAML names the key, the file, the line and the intended key', async () => {
  const root = await tree({ '.slipwayrc.yaml': 'app: demo\npostdeploy:\n  timout: 5m\n' });
  const e = await rejection(loadConfig(root));
  assert.is(e.code, 'CONFIG_INVALID');
  assert.is(e.message, '.slipwayrc.yaml:3: unknown key "postdeploy.timout" — did you mean "postdeploy.timeout"?');
  // The location spells the file as the message does; data keeps the absolute path.
  assert.equal(e.location, { file: '.slipwayrc.yaml', line: 3 });
  assert.is(e.where, '.slipwayrc.yaml:3');
  assert.is(e.data?.file, join(root, '.slipwayrc.yaml'));
  assert.is(e.details, catalogue.CONFIG_INVALID.details);
});

test('a misspelt key in JSON gets its line too', async () => {
  const root = await tree({ '.slipwayrc.json': '{\n  "app": "demo",\n  "formaton": { "web": 2 }\n}\n' });
  const e = await rejection(loadConfig(root));
  assert.is(e.message, '.slipwayrc.json:3: unknown key "formaton" — did you mean "formation"?');
});

test('a misspelt key in package.json is spelled as it sits in the file', async () => {
  const root = await tree({ 'package.json': '{\n  "name": "shop",\n  "slipway": {\n    "helthcheck": {}\n  }\n}\n' });
  const e = await rejection(loadConfig(root));
  assert.is(e.message, 'package.json:4: unknown key "slipway.helthcheck" — did you mean "slipway.healthcheck"?');
});

test('a misspelt key in slipway.config.ts names the file (no line)', async () => {
  const root = await tree({ 'slipway.config.ts': "export default { app: 'demo', stop: { gracePeriod: '5s' } };\n" });
  const e = await rejection(loadConfig(root));
  assert.is(e.message, 'slipway.config.ts: unknown key "stop.gracePeriod" — did you mean "stop.grace"?');
});

test('a config file found in a parent directory is named relative to the app', async () => {
  const root = await tree({ '.git/HEAD': '', '.slipwayrc.yml': 'mode: herok\n', 'app/Procfile': 'web: x\n' });
  const e = await rejection(loadConfig(join(root, 'app')));
  assert.is(e.message, '../.slipwayrc.yml:1: mode: must be "postdeploy" or "heroku" — did you mean "heroku"?');
});

test('suggestions forgive case, "_" and "-"', () => {
  assert.match(
    invalid({ docker: { keepimages: 3 } }).message,
    /unknown key "docker.keepimages" — did you mean "docker.keepImages"\?/,
  );
  assert.match(invalid({ scripts: { first_deploy: 'x' } }).message, /did you mean "scripts.first-deploy"\?/);
  assert.match(invalid({ 'post-deploy': {} }).message, /did you mean "postdeploy"\?/);
});

test('a key at the wrong level is pointed to where it belongs', () => {
  assert.match(invalid({ memory: '1GB' }).message, /unknown key "memory" — did you mean "postdeploy.memory"\?/);
  assert.match(
    invalid({ timeout: '1m' }).message,
    /unknown key "timeout" — did you mean "start.timeout", "postdeploy.timeout" or "healthcheck.timeout"\?/,
  );
});

test('an unknown key with nothing close gets no suggestion', () => {
  const e = invalid({ zzzzzz: 1 });
  assert.is(e.message, 'config: unknown key "zzzzzz"');
  assert.is(e.location, undefined);
});

test('every problem is listed in problems and data, the first in the message', () => {
  const e = invalid({ port: 0, host: '', mode: 'x' });
  assert.match(e.message, /^config: port: must be between 1 and 65535 \(and 2 more\)$/);
  const problems = (e.problems ?? []).map((p) => `${p.where}: ${p.message}`);
  assert.ok(problems.includes('config: host: must be a host name or IP address, not empty'), problems.join('\n'));
  assert.ok(problems.some((p) => /^config: mode: must be "postdeploy" or "heroku"/.test(p)));
  assert.equal(
    ((e.data?.problems ?? []) as Array<{ path: string }>).map((p) => p.path),
    ['port', 'host', 'mode'],
  );
});

// ---------------------------------------------------------------- keys

test('app must be a DNS label of at most 63 characters', () => {
  assert.is(resolveConfig({ app: 'my-shop-2' }, '/srv/x').app, 'my-shop-2');
  assert.match(invalid({ app: 'My Shop' }).message, /^config: app: must be lowercase letters, digits and "-"/);
  assert.match(invalid({ app: '-shop' }).message, /app: must be lowercase/);
  assert.match(invalid({ app: 'a'.repeat(64) }).message, /app: must be at most 63 characters/);
});

test('port is a whole number from 1 to 65535 and has no default', () => {
  assert.is(resolveConfig({ port: 8080 }, '/srv/x').port, 8080);
  assert.not.ok('port' in resolveConfig({}, '/srv/x'));
  assert.match(invalid({ port: 70000 }).message, /port: must be between 1 and 65535/);
  assert.match(invalid({ port: 80.5 }).message, /port: must be a whole number/);
  assert.match(invalid({ port: '8080' }).message, /port: must be a port number/);
});

test('host, runtime and build', () => {
  const c = resolveConfig({ host: '0.0.0.0', runtime: 'docker', build: ' npm run build ' }, '/srv/x');
  assert.is(c.host, '0.0.0.0');
  assert.is(c.runtime, 'docker');
  assert.is(c.build, 'npm run build');
  assert.is(resolveConfig({ runtime: 'slipway-plugin-fly' }, '/srv/x').runtime, 'slipway-plugin-fly');
  assert.match(
    invalid({ runtime: '' }).message,
    /runtime: must be "process", "docker" or the name of a runtime plugin/,
  );
  assert.match(invalid({ build: 5 }).message, /build: must be a command/);
});

test('formation: counts by canonical process type, web defaulting to 1', () => {
  assert.equal(resolveConfig({ formation: { worker: 2 } }, '/srv/x').formation, { web: 1, worker: 2 });
  assert.equal(resolveConfig({ formation: { web: 0, Clock_Tick: 1 } }, '/srv/x').formation, {
    web: 0,
    'clock-tick': 1,
  });
  assert.match(invalid({ formation: { worker: -1 } }).message, /formation\.worker: must be 0 or more/);
  assert.match(
    invalid({ formation: { worker: 1.5 } }).message,
    /formation\.worker: must be a whole number of processes/,
  );
  assert.match(invalid({ formation: { 'we.b': 1 } }).message, /formation\.we\.b: is not a process type/);
  assert.match(
    invalid({ formation: { web_a: 1, 'Web-A': 2 } }).message,
    /same process type as "web_a" \(both are "web-a"\)/,
  );
  assert.match(invalid({ formation: [1] }).message, /formation: must map process types to counts/);
});

test('env: strings kept, numbers and booleans coerced', () => {
  const c = resolveConfig({ env: { A: 'x', B: 3, C: true, D: '' } }, '/srv/x');
  assert.equal(c.env, { A: 'x', B: '3', C: 'true', D: '' });
});

test('env in YAML keeps unquoted numbers as written', async () => {
  const root = await tree({ '.slipwayrc.yaml': 'env:\n  VERSION: 1.10\n  ZIP: 01234\n  DEBUG: true\n  NAME: shop\n' });
  assert.equal((await loadConfig(root)).env, { VERSION: '1.10', ZIP: '01234', DEBUG: 'true', NAME: 'shop' });
});

test('env errors never include a value', async () => {
  const secret = 'postgres://admin:hunter2@db/prod';
  const cases: unknown[] = [
    { env: { DATABASE_URL: { url: secret } } },
    { env: { DATABASE_URL: [secret] } },
    { env: { DATABASE_URL: `${secret}\0` } },
    { env: { 'A=B': secret } },
    { DATABASE_URL: secret },
    { env: secret },
  ];
  for (const raw of cases) {
    const e = invalid(raw);
    assert.not.match(e.message, /hunter2/);
    assert.not.match(e.details, /hunter2/);
    assert.not.match(JSON.stringify(e.toJSON()), /hunter2/);
  }
  assert.match(invalid(cases[0]).message, /env\.DATABASE_URL: must be a string, number or boolean/);
  assert.match(invalid(cases[3]).message, /env\.A=B: is not a valid variable name/);

  const root = await tree({ '.slipwayrc.yaml': `env:\n  TOKEN:\n    nested: ${secret}\n` });
  const e = await rejection(loadConfig(root));
  assert.is(e.message, '.slipwayrc.yaml:2: env.TOKEN: must be a string, number or boolean');
  assert.not.match(JSON.stringify(e.toJSON()), /hunter2/);
});

test('durations: start.timeout, postdeploy.timeout, stop.grace, healthcheck.timeout in ms', () => {
  const c = resolveConfig(
    {
      start: { timeout: '2m' },
      postdeploy: { timeout: 90 },
      stop: { grace: 0 },
      healthcheck: { path: '/up', timeout: '500ms' },
    },
    '/srv/x',
  );
  assert.is(c.start.timeout, 120_000);
  assert.is(c.postdeploy.timeout, 90_000);
  assert.is(c.stop.grace, 0);
  assert.equal(c.healthcheck, { path: '/up', timeout: 500 });
});

test('bad durations name the key and the value', () => {
  assert.match(invalid({ start: { timeout: 'soon' } }).message, /^config: start\.timeout: invalid duration "soon"/);
  assert.match(invalid({ postdeploy: { timeout: 0 } }).message, /postdeploy\.timeout: must be longer than 0/);
  assert.match(invalid({ stop: { grace: true } }).message, /stop\.grace: must be a duration/);
  assert.match(invalid({ start: '60s' }).message, /start: must be an object of settings, e\.g\. \{ timeout: 60s \}/);
});

test('postdeploy.memory in bytes, with a floor that catches a bare number', () => {
  assert.is(resolveConfig({ postdeploy: { memory: '1GB' } }, '/srv/x').postdeploy.memory, 1024 * MB);
  assert.is(resolveConfig({ postdeploy: { memory: '256M' } }, '/srv/x').postdeploy.memory, 256 * MB);
  assert.match(
    invalid({ postdeploy: { memory: 512 } }).message,
    /postdeploy\.memory: must be at least 6MB \(a bare number is bytes: write "512MB"\)/,
  );
  assert.match(invalid({ postdeploy: { memory: 'lots' } }).message, /postdeploy\.memory: invalid size "lots"/);
});

test('healthcheck: path must start with "/"; the section is absent unless configured', () => {
  assert.is(resolveConfig({}, '/srv/x').healthcheck, undefined);
  assert.equal(resolveConfig({ healthcheck: { path: '/health' } }, '/srv/x').healthcheck, {
    path: '/health',
    timeout: 5000,
  });
  assert.match(invalid({ healthcheck: { path: 'health' } }).message, /healthcheck\.path: must start with "\/"/);
  assert.match(invalid({ healthcheck: { timeout: '5s' } }).message, /healthcheck\.path: must be a URL path/);
});

test('mode is postdeploy or heroku', () => {
  assert.is(resolveConfig({ mode: 'heroku' }, '/srv/x').mode, 'heroku');
  assert.match(invalid({ mode: 'release' }).message, /^config: mode: must be "postdeploy" or "heroku"$/);
});

test('plugins: names, [name, options] and objects with name and apply', () => {
  const plugin = { name: 'p', apply() {} };
  const c = resolveConfig({ plugins: ['a', ['b'], ['c', { x: 1 }], plugin] }, '/srv/x');
  assert.equal(c.plugins.slice(0, 3), ['a', ['b'], ['c', { x: 1 }]]);
  assert.is(c.plugins[3], plugin);
  assert.match(invalid({ plugins: [''] }).message, /plugins\[0\]: must be a plugin name, not empty/);
  assert.match(invalid({ plugins: [['b', 'opts']] }).message, /plugins\[0\]\[1\]: plugin options must be an object/);
  assert.match(invalid({ plugins: [[]] }).message, /plugins\[0\]: must be "name", \["name", \{ options \}\]/);
  assert.match(invalid({ plugins: ['a', { name: 'x' }] }).message, /plugins\[1\]: must be "name"/);
  assert.match(invalid({ plugins: [class P {}] }).message, /plugins\[0\]: is a class or factory/);
  assert.match(invalid({ plugins: 'a' }).message, /plugins: must be a list of plugins/);
});

test('scripts.first-deploy', () => {
  assert.equal(resolveConfig({ scripts: { 'first-deploy': 'npm run seed' } }, '/srv/x').scripts, {
    'first-deploy': 'npm run seed',
  });
  assert.match(
    invalid({ scripts: { 'first-deploy': '' } }).message,
    /scripts\.first-deploy: must be a command, not empty/,
  );
});

test('docker settings, keepImages defaulting to 5', () => {
  const c = resolveConfig(
    { docker: { dockerfile: 'Dockerfile.prod', image: 'shop', network: 'host', keepImages: 2 } },
    '/srv/x',
  );
  assert.equal(c.docker, { dockerfile: 'Dockerfile.prod', image: 'shop', network: 'host', keepImages: 2 });
  assert.equal(resolveConfig({ docker: {} }, '/srv/x').docker, { keepImages: 5 });
  assert.match(invalid({ docker: { keepImages: 0 } }).message, /docker\.keepImages: must be at least 1/);
});

test('the config root must be an object', () => {
  assert.is(invalid(['app']).message, 'config: the config must be an object of settings');
  assert.is(invalid('app: x').message, 'config: the config must be an object of settings');
  assert.is(resolveConfig(null, '/srv/x').app, 'x');
});

test('a YAML root tagged !!binary or !!set is not an object of settings', async () => {
  for (const text of ['!!binary aGVsbG8=\n', '!!set\n? app\n']) {
    const root = await tree({ '.slipwayrc.yaml': text });
    const e = await rejection(loadConfig(root));
    assert.is(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /^\.slipwayrc\.yaml:\d: the config must be an object of settings$/);
  }
});

test('an alias without its anchor, or an alias bomb, is a CONFIG_LOAD error at the alias', async () => {
  const missing = await rejection(loadConfig(await tree({ '.slipwayrc.yaml': 'app: shop\nport: *p\n' })));
  assert.is(missing.code, 'CONFIG_LOAD');
  assert.match(missing.message, /^\.slipwayrc\.yaml:2:7: Unresolved alias/);
  const bomb = Array.from({ length: 5 }, (_, i) => {
    const items =
      i === 0
        ? 'x,x,x,x,x,x,x,x,x,x'
        : Array(10)
            .fill(`*a${i - 1}`)
            .join(',');
    return `a${i}: &a${i} [${items}]`;
  }).join('\n');
  const e = await rejection(loadConfig(await tree({ '.slipwayrc.yaml': `${bomb}\n` })));
  assert.is(e.code, 'CONFIG_LOAD');
  assert.match(e.message, /^\.slipwayrc\.yaml:\d+:\d+: Excessive alias count/);
});

test('resolveConfig names the file relative to the app directory', () => {
  const e = invalid({ port: 0 }, '/srv/.slipwayrc.json');
  assert.match(e.message, /^\.\.\/\.slipwayrc\.json: port:/);
});

test.run();
