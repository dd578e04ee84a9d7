import { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook } from 'tapable';
import type { Artifact, DeploymentContext, StartedFormation } from './context.js';
import { SlipwayError } from './errors.js';
import type { ResolvedConfig } from './types.js';

/**
 * Named stages for `tapPromise({ name, stage })`. Lower runs first within a
 * hook. Runtimes do the hook's main work at RUNTIME; notifiers that must
 * gate a step run at GATE, after it.
 */
export const STAGE = Object.freeze({
  EARLY: -100,
  BEFORE_RUNTIME: -10,
  RUNTIME: 0,
  GATE: 10,
  NOTIFY: 20,
  LATE: 100,
});

/**
 * Every lifecycle hook, declared in one place. The type says how taps
 * combine: series steps, "first runtime that answers wins" (bail), transforms
 * (waterfall), and notifications that run side by side (parallel).
 */
/** Extra options a tap may give: `tapPromise({ name, stage, timeout }, fn)`. */
export interface TapExtras {
  /** Per-tap time limit in ms, overriding the hook's default. */
  timeout?: number;
}

export function createHooks() {
  return refuseUnknown(
    Object.freeze({
      /** Transform the resolved config before anything runs. */
      configure: new AsyncSeriesWaterfallHook<[ResolvedConfig], ResolvedConfig, TapExtras>(['config']),
      /** The deployment was recorded and is about to build (Rollbar "started"). */
      deploymentStarted: new AsyncParallelHook<[DeploymentContext], TapExtras>(['deployment']),
      /** Build the artifact. The first runtime that returns one wins. */
      build: new AsyncSeriesBailHook<[DeploymentContext], Artifact | undefined, TapExtras>(['deployment']),
      /** Heroku mode: the release command, after the build, before anything starts. */
      release: new AsyncSeriesHook<[DeploymentContext], TapExtras>(['deployment']),
      /** Start the formation, not routed yet, and wait until web is ready. */
      startContainers: new AsyncSeriesBailHook<[DeploymentContext], StartedFormation | undefined, TapExtras>([
        'deployment',
      ]),
      /** Every new process accepted connections. */
      containersStarted: new AsyncSeriesHook<[DeploymentContext], TapExtras>(['deployment']),
      /** The gate: the postdeploy one-off, and notifiers with `required: true`. */
      postdeploy: new AsyncSeriesHook<[DeploymentContext], TapExtras>(['deployment']),
      /** Point the app's route at the new processes: the point of no return. */
      routeSwitch: new AsyncSeriesHook<[DeploymentContext], TapExtras>(['deployment']),
      /** Stop the previous release after the drain. */
      retire: new AsyncSeriesHook<[DeploymentContext], TapExtras>(['deployment']),
      /** After success: notifications. Failures only warn. */
      succeeded: new AsyncParallelHook<[DeploymentContext], TapExtras>(['deployment']),
      /** After any failure, with the error. Failures only warn. */
      failed: new AsyncParallelHook<[DeploymentContext, SlipwayError], TapExtras>(['deployment', 'error']),
      /** Every finished deployment, success or not (webhooks, cleanup). */
      done: new AsyncParallelHook<[DeploymentContext], TapExtras>(['deployment']),
    }),
  );
}

// Looked up on any object by inspection, promise and JSON code: not hook names.
const NOT_HOOKS = new Set(['then', 'toJSON', 'constructor', 'toString', 'valueOf', 'inspect', 'nodeType', '$$typeof']);

/**
 * The hooks object, which names a hook that does not exist (`hooks.nope`, a
 * typo of a plugin) in a PLUGIN_INVALID listing the hooks, rather than
 * letting `hooks.nope.tapPromise` fail as a TypeError.
 */
function refuseUnknown<T extends object>(hooks: T): T {
  return new Proxy(hooks, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !(key in target) && !NOT_HOOKS.has(key)) {
        throw new SlipwayError('PLUGIN_INVALID', `no hook "${key}" (hooks: ${Object.keys(target).join(', ')})`, {
          data: { hook: key },
        });
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

export type Hooks = ReturnType<typeof createHooks>;
export type HookName = keyof Hooks;

export interface HookRule {
  /** A failure fails the deployment (before and at the switch) or only warns. */
  gating: boolean;
  /** Runs after a failure (cleanup, notifications). */
  runsOnFailure: boolean;
  /** Default per-tap time limit in ms; a tap may set its own `timeout`. */
  tapTimeout: (config: ResolvedConfig) => number;
}

const minute = 60_000;

/** Per-hook rules as data, read by the Deployer and the tap wrapper. */
export const hookRules: Readonly<Record<HookName, HookRule>> = Object.freeze({
  configure: { gating: true, runsOnFailure: false, tapTimeout: () => minute },
  deploymentStarted: { gating: false, runsOnFailure: false, tapTimeout: () => minute },
  build: { gating: true, runsOnFailure: false, tapTimeout: () => 60 * minute },
  release: { gating: true, runsOnFailure: false, tapTimeout: () => 61 * minute },
  startContainers: { gating: true, runsOnFailure: false, tapTimeout: (c) => c.start.timeout + 5 * minute },
  containersStarted: { gating: true, runsOnFailure: false, tapTimeout: () => 5 * minute },
  postdeploy: { gating: true, runsOnFailure: false, tapTimeout: (c) => c.postdeploy.timeout + minute },
  routeSwitch: { gating: true, runsOnFailure: false, tapTimeout: () => minute },
  retire: { gating: false, runsOnFailure: false, tapTimeout: (c) => c.stop.grace + 5 * minute },
  succeeded: { gating: false, runsOnFailure: false, tapTimeout: () => 2 * minute },
  failed: { gating: false, runsOnFailure: true, tapTimeout: () => 2 * minute },
  done: { gating: false, runsOnFailure: true, tapTimeout: () => 2 * minute },
});
