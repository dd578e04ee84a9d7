// The hook core: status walk and transition table, gating vs warning hooks,
// tap errors wrapped with hook and plugin, per-tap time limits, abort.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveConfig } from '../lib/config/resolve.js';
import { Deployer } from '../lib/core/deployer.js';
import type { SlipwayError } from '../lib/core/errors.js';
import { hookRules, STAGE } from '../lib/core/hooks.js';
import type { Plugin } from '../lib/core/plugins.js';
import { canTransition, isFailed, isFinished, statuses } from '../lib/core/status.js';
import { MemoryControl } from './support/memory-control.js';
import { memoryRuntime } from './support/memory-runtime.js';

const procfile = (hook = true) => ({
  processes: { web: 'node server.js', ...(hook ? { postdeploy: 'migrate' } : {}) },
  lines: {},
  warnings: [],
});

function deployer(
  plugins: Plugin[],
  options: { hook?: boolean; env?: Record<string, string>; applyTimeoutMs?: number } = {},
) {
  const control = new MemoryControl();
  const config = resolveConfig({ app: 'unit', env: options.env ?? {} }, '/tmp/unit');
  const d = new Deployer({
    config,
    procfile: procfile(options.hook),
    control,
    plugins,
    version: 'v1',
    applyTimeoutMs: options.applyTimeoutMs,
  });
  return { d, control };
}

test('statuses: Scalingo strings; the transition table rejects impossible moves', () => {
  assert.equal(
    [...statuses],
    [
      'queued',
      'building',
      'starting',
      'success',
      'aborted',
      'build-error',
      'crashed-error',
      'timeout-error',
      'hook-error',
    ],
  );
  assert.ok(canTransition('queued', 'building'));
  assert.ok(canTransition('starting', 'hook-error'));
  assert.not.ok(canTransition('queued', 'success'));
  assert.not.ok(canTransition('success', 'hook-error'));
  assert.not.ok(canTransition('building', 'success'));
  assert.ok(isFinished('hook-error') && isFailed('hook-error') && !isFailed('success') && !isFinished('starting'));
});

test('a successful deployment walks queued → building → starting → success and switches the route', async () => {
  const runtime = memoryRuntime();
  const { d, control } = deployer([runtime]);
  const record = await d.deploy();
  assert.is(record.status, 'success');
  assert.equal(control.statusHistory, ['queued', 'building', 'starting', 'success']);
  assert.equal(runtime.calls, ['build', 'start', 'postdeploy']);
  assert.equal(control.routes.get('unit'), [{ host: '127.0.0.1', port: 40001 }]);
});

test('a failing hook gives hook-error, no route switch, and runs the failed hook', async () => {
  const runtime = memoryRuntime({ hook: { exitCode: 2 } });
  const { d, control } = deployer([runtime]);
  const record = await d.deploy();
  assert.is(record.status, 'hook-error');
  assert.is(record.hookExitCode, 2);
  assert.is(control.routes.size, 0);
  assert.ok(runtime.calls.includes('cleanup'));
});

test('build and start failures map to build-error and crashed-error', async () => {
  assert.is((await deployer([memoryRuntime({ failBuild: true })]).d.deploy()).status, 'build-error');
  assert.is((await deployer([memoryRuntime({ crash: true })]).d.deploy()).status, 'crashed-error');
});

test('a plugin error in a gating hook is wrapped with hook and plugin name, original kept as cause', async () => {
  const original = new Error('boom');
  let seen: SlipwayError | undefined;
  const bad: Plugin = {
    name: 'bad-plugin',
    apply(host) {
      host.hooks.containersStarted.tapPromise({ name: 'bad-plugin' }, async () => {
        throw original;
      });
      host.hooks.failed.tapPromise({ name: 'bad-plugin' }, async (_ctx, error) => {
        seen = error;
      });
    },
  };
  const { d, control } = deployer([memoryRuntime(), bad]);
  const record = await d.deploy();
  assert.is(record.status, 'crashed-error');
  assert.is(record.error?.code, 'PLUGIN_FAILED');
  assert.match(record.error!.message, /bad-plugin/);
  assert.match(record.error!.message, /containersStarted/);
  assert.is(seen?.cause, original);
  assert.is(control.routes.size, 0);
});

test('after the switch a plugin failure only warns; the deployment stays a success', async () => {
  const flaky: Plugin = {
    name: 'flaky-notifier',
    apply(host) {
      host.hooks.succeeded.tapPromise({ name: 'flaky-notifier', stage: STAGE.NOTIFY }, async () => {
        throw new Error('vendor down');
      });
    },
  };
  const record = await deployer([memoryRuntime(), flaky]).d.deploy();
  assert.is(record.status, 'success');
  assert.is(record.warnings.length, 1);
  assert.is(record.warnings[0]!.plugin, 'flaky-notifier');
  assert.is(record.warnings[0]!.hook, 'succeeded');
  assert.match(record.warnings[0]!.message, /vendor down/);
  assert.not.ok(hookRules.succeeded.gating);
  assert.ok(hookRules.routeSwitch.gating);
});

test('routeSwitch: a tap before the switch fails the deployment; one after it only warns', async () => {
  const failingAt = (stage: number): Plugin => ({
    name: 'switch-plugin',
    apply(host) {
      host.hooks.routeSwitch.tapPromise({ name: 'switch-plugin', stage }, async () => {
        throw new Error('router of ours said no');
      });
    },
  });
  const before = deployer([memoryRuntime(), failingAt(STAGE.BEFORE_RUNTIME)]);
  const refused = await before.d.deploy();
  assert.is(refused.status, 'hook-error');
  assert.is(before.control.routes.size, 0, 'not switched');
  const after = deployer([memoryRuntime(), failingAt(STAGE.GATE)]);
  const record = await after.d.deploy();
  assert.is(record.status, 'success');
  assert.is(after.control.routes.get('unit')?.length, 1, 'switched');
  assert.equal(after.control.statusHistory, ['queued', 'building', 'starting', 'success']);
  assert.is(record.warnings[0]?.hook, 'routeSwitch');
  assert.match(record.warnings[0]!.message, /router of ours said no/);
});

test('a tap that never settles is cut off by its time limit, with an error naming it', async () => {
  const stuck: Plugin = {
    name: 'stuck-plugin',
    apply(host) {
      host.hooks.postdeploy.tapPromise(
        { name: 'stuck-plugin', stage: STAGE.GATE, timeout: 50 },
        () => new Promise(() => {}),
      );
    },
  };
  const record = await deployer([memoryRuntime(), stuck]).d.deploy();
  assert.is(record.status, 'hook-error');
  assert.is(record.error?.code, 'PLUGIN_TIMEOUT');
  assert.match(record.error!.message, /stuck-plugin/);
  assert.match(record.error!.message, /postdeploy/);
});

test('a plugin whose apply throws: PLUGIN_FAILED naming it, in one line; nothing is opened', async () => {
  const thrower: Plugin = {
    name: 'thrower',
    apply() {
      throw new Error('no token file\n    at somewhere (x.js:1:1)');
    },
  };
  const { d, control } = deployer([memoryRuntime(), thrower]);
  const error = (await d.deploy().catch((e: unknown) => e)) as SlipwayError;
  assert.is(error.code, 'PLUGIN_FAILED');
  assert.is(error.message, 'plugin "thrower" failed in apply: no token file');
  assert.is((error.cause as Error).message, 'no token file\n    at somewhere (x.js:1:1)');
  assert.is(control.deployments.size, 0);
});

test('an apply that never settles is cut off by its time limit: PLUGIN_TIMEOUT naming the plugin; nothing is opened', async () => {
  const hanging: Plugin = { name: 'hanging', apply: () => new Promise(() => {}) };
  const { d, control } = deployer([memoryRuntime(), hanging], { applyTimeoutMs: 50 });
  const error = (await d.deploy().catch((e: unknown) => e)) as SlipwayError;
  assert.is(error.code, 'PLUGIN_TIMEOUT');
  assert.is(error.message, 'plugin "hanging" did not finish apply within 50ms');
  assert.is(control.deployments.size, 0);
});

test('a tap on a hook that does not exist is PLUGIN_INVALID naming the hook and the plugin, not a TypeError', async () => {
  const typo: Plugin = {
    name: 'typo',
    apply(host) {
      (host.hooks as any).succeded.tapPromise({ name: 'typo' }, async () => {});
    },
  };
  const error = (await deployer([memoryRuntime(), typo])
    .d.deploy()
    .catch((e: unknown) => e)) as SlipwayError;
  assert.is(error.code, 'PLUGIN_INVALID');
  assert.match(error.message, /^plugin "typo": no hook "succeded" \(hooks: configure, deploymentStarted, build, /);
  assert.is(error.data?.plugin, 'typo');
});

test('no runtime: NO_RUNTIME, and stages order taps within a hook', async () => {
  const record = await deployer([]).d.deploy();
  assert.is(record.error?.code, 'NO_RUNTIME');
  const order: string[] = [];
  const staged: Plugin = {
    name: 'staged',
    apply(host) {
      host.hooks.postdeploy.tapPromise({ name: 'late', stage: STAGE.LATE }, async () => void order.push('late'));
      host.hooks.postdeploy.tapPromise({ name: 'early', stage: STAGE.EARLY }, async () => void order.push('early'));
    },
  };
  await deployer([memoryRuntime(), staged]).d.deploy();
  assert.equal(order, ['early', 'late']);
});

test('env values are masked in logs and events', async () => {
  const events: string[] = [];
  const control = new MemoryControl();
  const config = resolveConfig({ app: 'unit', env: { DATABASE_URL: 'postgres://secret-password@db' } }, '/tmp/unit');
  const d = new Deployer({
    config,
    procfile: procfile(),
    control,
    plugins: [memoryRuntime({ onHook: (ctx) => ctx.log('postdeploy', `connecting to ${ctx.env.DATABASE_URL}`) })],
    version: 'v1',
    onEvent: (e) => events.push(JSON.stringify(e)),
  });
  const record = await d.deploy();
  const all = events.join('\n') + control.logText(record.id);
  assert.match(all, /connecting to/);
  assert.not.match(all, /secret-password/);
});

test('every line logged is stored in order, the last ones with the finish', async () => {
  const control = new MemoryControl();
  const finishes: number[] = [];
  const finish = control.finish.bind(control);
  control.finish = async (id, record) => {
    finishes.push(record.logs?.length ?? 0);
    return finish(id, record);
  };
  const late: Plugin = {
    name: 'late',
    apply(host) {
      host.hooks.succeeded.tapPromise('late', async (ctx) => ctx.log('notify', 'told everyone'));
      host.hooks.done.tapPromise('late', async (ctx) => ctx.log('notify', 'all done'));
    },
  };
  const d = new Deployer({
    config: resolveConfig({ app: 'unit' }, '/tmp/unit'),
    procfile: procfile(),
    control,
    plugins: [memoryRuntime({ onHook: (ctx) => ctx.log('postdeploy', 'migrated') }), late],
    version: 'v1',
  });
  const record = await d.deploy();
  const text = control.logText(record.id);
  assert.match(text, /migrated[\s\S]*told everyone\nall done$/);
  assert.ok(finishes[0]! >= 2, 'the lines logged after the last flush came with the finish');
});

test('hooks are one frozen object', () => {
  const { d } = deployer([]);
  assert.ok(Object.isFrozen(d.hooks));
  for (const name of [
    'configure',
    'build',
    'startContainers',
    'containersStarted',
    'postdeploy',
    'routeSwitch',
    'succeeded',
    'failed',
    'retire',
  ]) {
    assert.ok(name in d.hooks, name);
  }
});

test.run();
