import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../../lib/config/load-config.js';
import { Deployer } from '../../../lib/core/deployer.js';
import { SlipwayError } from '../../../lib/core/errors.js';
import { loadPlugins } from '../../../lib/core/plugins.js';
import type { Procfile } from '../../../lib/core/types.js';
import { MemoryControl } from '../../../test/support/memory-control.js';
import { type MemoryRuntimeOptions, memoryRuntime } from '../../../test/support/memory-runtime.js';

const appDir = fileURLToPath(new URL('../../plugin-hello-app/', import.meta.url));
const procfile: Procfile = {
  processes: { web: 'node server.js', postdeploy: 'true' },
  lines: { web: 1, postdeploy: 2 },
  warnings: [],
};

async function deployExampleApp(runtime: MemoryRuntimeOptions = {}) {
  const config = await loadConfig(appDir);
  const plugins = await loadPlugins(config.plugins, config.dir);
  const control = new MemoryControl();
  const deployer = new Deployer({
    config,
    procfile,
    control,
    version: 'v1.0.0',
    plugins: [memoryRuntime(runtime), ...plugins],
  });
  const record = await deployer.deploy();
  return { plugins, record, logs: control.logText(record.id) };
}

test('the example app finds slipway-plugin-hello in its node_modules and greets', async () => {
  const { plugins, record, logs } = await deployExampleApp();
  assert.equal(
    plugins.map((p) => p.name),
    ['hello'],
  );
  assert.is(record.status, 'success');
  assert.match(logs, 'Ahoy, hello-app! Release v1 (v1.0.0) is on its way.');
  assert.match(logs, 'hello-app v1 is live.');
});

test('a failed deployment is reported with its status and code', async () => {
  const { record, logs } = await deployExampleApp({ hook: { exitCode: 1 } });
  assert.is(record.status, 'hook-error');
  assert.match(logs, 'hello-app v1 did not go live (hook-error, HOOK_FAILED).');
  assert.not.match(logs, 'is live.');
});

test('options are validated before anything runs', async () => {
  try {
    await loadPlugins([['hello', { greting: 'typo' }]], appDir);
    assert.unreachable('loading should fail');
  } catch (error) {
    assert.instance(error, SlipwayError);
    assert.is((error as SlipwayError).code, 'PLUGIN_OPTIONS');
    assert.is(
      (error as SlipwayError).message,
      'plugins[0] "hello": options.greting: unknown option (known: greeting, shout); options.greeting: required: a non-empty string',
    );
  }
});

test('shout upper-cases what it says', async () => {
  const [plugin] = await loadPlugins([['hello', { greeting: 'hi', shout: true }]], appDir);
  const control = new MemoryControl();
  const config = await loadConfig(appDir);
  const record = await new Deployer({
    config,
    procfile,
    control,
    version: 'x',
    plugins: [memoryRuntime(), plugin],
  }).deploy();
  assert.match(control.logText(record.id), 'HI, HELLO-APP!');
});

test.run();
