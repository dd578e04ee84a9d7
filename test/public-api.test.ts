// The library's public API, as a plugin author or a script sees it. The type
// assertions here are checked by `npm run typecheck`; the runtime ones by uvu.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Deployer,
  type DeploymentContext,
  defineConfig,
  type Plugin,
  type PluginFactory,
  parseProcfile,
  type SlipwayError,
  STAGE,
  statuses,
} from '../lib/index.js';

// A typed third-party plugin: tapPromise with a stage and a per-tap timeout.
const typed: Plugin = {
  name: 'typed',
  apply(host) {
    host.hooks.succeeded.tapPromise({ name: 'typed', stage: STAGE.NOTIFY, timeout: 5000 }, async (ctx) => {
      const version: string = ctx.version;
      ctx.log('notify', `deployed ${version}`);
    });
    host.hooks.failed.tapPromise({ name: 'typed' }, async (_ctx: DeploymentContext, error: SlipwayError) => {
      const code: string = error.code;
      void code;
    });
    host.hooks.configure.tapPromise({ name: 'typed' }, async (config) => ({ ...config, env: { ...config.env } }));
  },
};

const factory: PluginFactory<{ greeting: string }> = (options) => ({
  name: options.greeting,
  apply() {},
});

test('the package exports what config files, scripts and plugins use', () => {
  assert.type(Deployer, 'function');
  assert.is(typeof factory({ greeting: 'hi' }).apply, 'function');
  assert.is(typed.name, 'typed');
  const config = defineConfig({
    app: 'shop',
    postdeploy: { timeout: '5m' },
    plugins: [['rollbar', { environment: 'production' }]],
  });
  assert.is(config.app, 'shop');
  assert.equal(parseProcfile('web: node server.js\n').processes, { web: 'node server.js' });
  assert.ok(statuses.includes('hook-error'));
  assert.ok(STAGE.RUNTIME < STAGE.GATE && STAGE.GATE < STAGE.NOTIFY);
});

test.run();
