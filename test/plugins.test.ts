import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlipwayError } from '../lib/core/errors.js';
import { loadPlugin, loadPlugins } from '../lib/core/plugins.js';
import { registerBuiltinPlugins } from '../plugins/builtins.js';

// As the CLI does at start: slipway's own plugins by name come from the registry.
registerBuiltinPlugins();

// Node caches package lookups per directory, so a test that installs a package gets its own app dir.
const root = mkdtempSync(join(tmpdir(), 'slipway-plugins-'));
let apps = 0;
const dir = appDir();
test.after(() => rmSync(root, { recursive: true, force: true }));

function appDir(): string {
  const path = join(root, `app-${++apps}`);
  mkdirSync(path);
  return path;
}
for (const name of Object.keys(process.env))
  if (/^(NEW_RELIC|SLACK|SENTRY|ROLLBAR|APPSIGNAL)_/.test(name)) delete process.env[name];

/** Writes an ESM package into an app's node_modules. */
function localPackage(app: string, name: string, source: string) {
  const pkg = join(app, 'node_modules', name);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.js' }),
  );
  writeFileSync(join(pkg, 'index.js'), source);
}

async function rejection(promise: Promise<unknown>): Promise<SlipwayError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a rejection');
}

const hook = 'https://hooks.slack.com/services/T1/B2/abc';

test('a built-in notifier loads by name, with validated options', async () => {
  const plugin = await loadPlugin(['slack', { webhookUrl: hook }], 0, dir);
  assert.is(plugin.name, 'slack');
  assert.type(plugin.apply, 'function');
});

test('a slipway-plugin-<name> package in the app wins over the built-in of that name', async () => {
  const app = appDir();
  localPackage(
    app,
    'slipway-plugin-slack',
    `export default function local(options) { return { name: 'local-slack:' + options.room, apply() {} }; }`,
  );
  const plugin = await loadPlugin(['slack', { room: 'ops' }], 0, app);
  assert.is(plugin.name, 'local-slack:ops');
  assert.is((await loadPlugin(['slack', { webhookUrl: hook }], 0, dir)).name, 'slack');
});

test('a third-party plugin by its short name, as a class', async () => {
  localPackage(
    dir,
    'slipway-plugin-x',
    `export default class X { constructor(o) { this.name = 'x'; this.o = o; } apply() {} }`,
  );
  const plugin = (await loadPlugin(['x', { a: 1 }], 0, dir)) as unknown as { name: string; o: unknown };
  assert.is(plugin.name, 'x');
  assert.equal(plugin.o, { a: 1 });
});

test('a plugin compiled to CommonJS (exports.default, __esModule), as TypeScript emits it', async () => {
  const app = appDir();
  const pkg = join(app, 'node_modules', 'slipway-plugin-compiled');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'slipway-plugin-compiled', main: 'index.js' }));
  writeFileSync(
    join(pkg, 'index.js'),
    `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.default = function compiled(options) { return { name: 'compiled:' + options.level, apply() {} }; };
`,
  );
  const plugin = await loadPlugin(['compiled', { level: 3 }], 0, app);
  assert.is(plugin.name, 'compiled:3');
});

test('options are checked before any plugin is built: the message names plugins[i] and the path', async () => {
  localPackage(
    dir,
    'slipway-plugin-counted',
    `let built = 0;
     export function builtCount() { return built; }
     export default Object.assign(() => { built++; return { name: 'counted', apply() {} }; }, {
       optionsSchema: { safeParse: (o) => o && o.ok ? { success: true, data: o } : { success: false, error: { issues: [{ path: ['ok'], message: 'must be true' }] } } },
     });`,
  );
  const error = await rejection(
    loadPlugins(
      [
        ['slack', { webhookUrl: hook }],
        ['newrelic', { apiKey: 'k', entityGuid: 'g', region: 'MARS' }],
      ],
      dir,
    ),
  );
  assert.is(error.code, 'PLUGIN_OPTIONS');
  assert.match(error.message, /^plugins\[1\] "newrelic": options\.region: /);

  const counted = await rejection(loadPlugins([['counted', { ok: false }]], dir));
  assert.is(counted.message, 'plugins[0] "counted": options.ok: must be true');
  const mod = await import(join(dir, 'node_modules', 'slipway-plugin-counted', 'index.js'));
  assert.is(mod.builtCount(), 0);
});

test('unknown option keys and missing env-backed values are reported with their path', async () => {
  const unknown = await rejection(loadPlugin(['slack', { webhookUrl: hook, channel: '#ops' }], 3, dir));
  assert.match(unknown.message, 'plugins[3] "slack": options: Unrecognized key: "channel"');
  const missing = await rejection(loadPlugin(['rollbar', { accessToken: 'tok' }], 0, dir));
  assert.is(missing.message, 'plugins[0] "rollbar": options.environment: required');
  const env = await rejection(loadPlugin(['appsignal', {}], 0, dir));
  assert.match(env.message, 'options.pushApiKey: required: set it here or in APPSIGNAL_PUSH_API_KEY');
});

test('an unknown name is PLUGIN_NOT_FOUND', async () => {
  const error = await rejection(loadPlugin('nope', 0, dir));
  assert.is(error.code, 'PLUGIN_NOT_FOUND');
  assert.match(error.message, 'slipway-plugin-nope');
});

test.run();
