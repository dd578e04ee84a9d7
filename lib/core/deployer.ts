import type {
  ControlPlane,
  DeploymentContext,
  DeploymentEvent,
  DeploymentKind,
  DeploymentRecord,
  OpenedDeployment,
  Phase,
  Stream,
  Warning,
} from './context.js';
import { isSlipwayError, SlipwayError, toSlipwayError } from './errors.js';
import { createHooks, type HookName, type Hooks, STAGE } from './hooks.js';
import { LogBuffer } from './log-buffer.js';
import { Masker } from './mask.js';
import type { Plugin, PluginHost } from './plugins.js';
import type { DeploymentStatus } from './status.js';
import { guardTaps } from './tap-guard.js';
import type { Procfile, ResolvedConfig } from './types.js';
import { formatDuration } from './units.js';

export interface DeployerOptions {
  config: ResolvedConfig;
  procfile: Procfile;
  control: ControlPlane;
  /** CONTAINER_VERSION of what is deployed. */
  version: string;
  plugins?: Plugin[];
  kind?: DeploymentKind;
  /** Rollback: reuse this release's artifact. */
  sourceRelease?: number;
  /** Wait for the app's deploy lock (default) or fail at once. */
  wait?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: DeploymentEvent) => void;
  heartbeatMs?: number;
  /** Extra secrets to mask (plugin tokens). */
  secrets?: string[];
  /** How long a plugin's apply may take before the deployment fails with PLUGIN_TIMEOUT (1 min). */
  applyTimeoutMs?: number;
}

/** When a step fails without saying how, the status it ends the deployment with. */
const failureStatus: Partial<Record<HookName, DeploymentStatus>> = {
  configure: 'build-error',
  deploymentStarted: 'build-error',
  build: 'build-error',
  release: 'hook-error',
  startContainers: 'crashed-error',
  containersStarted: 'crashed-error',
  postdeploy: 'hook-error',
  routeSwitch: 'hook-error',
};

export const CORE_PLUGIN = 'slipway:core';

/**
 * Runs one deployment through the phases. Plugins run here, in the caller's
 * process; the control plane (the agent) keeps state, processes and routes.
 */
/** What a plugin's apply threw, as one line naming the plugin; the original kept as cause. */
const APPLY_TIMEOUT_MS = 60_000;

const pluginName = (plugin: Plugin) => (typeof plugin.name === 'string' ? plugin.name : 'unnamed');

function applyError(plugin: Plugin, error: unknown): SlipwayError {
  const name = pluginName(plugin);
  const firstLine = (message: string) => message.split(/\r?\n/)[0]!.trim();
  if (isSlipwayError(error)) {
    if (error.data?.plugin) return error;
    return new SlipwayError(error.code, `plugin "${name}": ${firstLine(error.message)}`, {
      cause: error,
      details: error.details,
      data: { ...error.data, plugin: name },
    });
  }
  const message = firstLine(error instanceof Error ? error.message : String(error));
  return new SlipwayError('PLUGIN_FAILED', `plugin "${name}" failed in apply: ${message}`, {
    cause: error,
    details: 'The plugin threw while it was set up; nothing was deployed. Fix the plugin or its options.',
    data: { plugin: name },
  });
}

export class Deployer implements PluginHost {
  readonly hooks: Hooks = createHooks();
  #options: DeployerOptions;
  #config: ResolvedConfig;
  #applied: { plugin: Plugin; applied: Promise<void> }[] = [];
  #masker = new Masker();

  constructor(options: DeployerOptions) {
    this.#options = options;
    this.#config = options.config;
    guardTaps(this.hooks, () => this.#config);
    this.#masker.addEnv(options.config.env);
    for (const secret of options.secrets ?? []) this.#masker.add(secret);
    // The switch itself: point the agent's route at the new web processes.
    this.hooks.routeSwitch.tapPromise({ name: CORE_PLUGIN, stage: STAGE.RUNTIME }, async (ctx) => {
      await ctx.control.switchRoute(ctx.id, ctx.formation?.upstreams ?? [], ctx.artifact);
      // The control plane made the deployment a success with the switch: from
      // here a failing tap (a later routeSwitch one included) only warns.
      ctx.status = 'success';
    });
    for (const plugin of options.plugins ?? []) this.use(plugin);
  }

  get config(): ResolvedConfig {
    return this.#config;
  }

  /** Applies a plugin; `deploy()` waits for every pending apply. */
  use(plugin: Plugin): this {
    const applied = Promise.resolve().then(() => plugin.apply(this));
    // Handled here and awaited by deploy(), within its time limit.
    applied.catch(() => {});
    this.#applied.push({ plugin, applied });
    return this;
  }

  /** Every pending apply, each within its time limit: one that never settles would hold the deployment for ever. */
  async #waitForApplies(): Promise<void> {
    const ms = this.#options.applyTimeoutMs ?? APPLY_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
    });
    try {
      for (const { plugin, applied } of this.#applied) {
        const outcome = await Promise.race([applied.then(() => 'done' as const), limit]).catch((error: unknown) => {
          throw applyError(plugin, error);
        });
        if (outcome === 'late') {
          const name = pluginName(plugin);
          throw new SlipwayError(
            'PLUGIN_TIMEOUT',
            `plugin "${name}" did not finish apply within ${formatDuration(ms)}`,
            {
              data: { plugin: name },
            },
          );
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Secrets registered by plugins (tokens) are masked like env values. */
  addSecret(value: string): void {
    this.#masker.add(value);
  }

  mask(text: string): string {
    return this.#masker.mask(text);
  }

  async deploy(): Promise<DeploymentRecord> {
    const { control, onEvent = () => {} } = this.#options;
    const emit = (event: DeploymentEvent) => onEvent(event);
    await this.#waitForApplies();
    this.#config = await this.hooks.configure.promise(this.#config);
    const config = this.#config;

    const opened = await control.open(
      {
        app: config.app,
        version: this.#options.version,
        kind: this.#options.kind ?? 'deploy',
        mode: config.mode,
        port: config.port,
        host: config.host,
        sourceRelease: this.#options.sourceRelease,
        wait: this.#options.wait ?? true,
        env: config.env,
      },
      (message) => emit({ type: 'waiting', message }),
    );
    this.#masker.addEnv(opened.configVars);
    emit({ type: 'opened', id: opened.id, app: config.app, release: opened.release, port: opened.port });

    const abort = new AbortController();
    const onOuterAbort = () => abort.abort(this.#options.signal?.reason);
    this.#options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (this.#options.signal?.aborted) onOuterAbort();

    const logs = new LogBuffer((lines) => control.appendLogs(opened.id, lines));
    const ctx = this.#context(opened, abort.signal, logs, emit);
    const heartbeat = setInterval(() => {
      control.heartbeat(opened.id).catch((error) => {
        if (toSlipwayError(error).code === 'DEPLOY_ABORTED') abort.abort(error);
      });
    }, this.#options.heartbeatMs ?? 1000);

    let current: HookName = 'configure';
    const run = async <T>(hook: HookName, step: string | null, work: () => Promise<T>): Promise<T> => {
      current = hook;
      if (abort.signal.aborted) throw aborted(abort.signal);
      if (step) ctx.step(step, 'start');
      const started = Date.now();
      try {
        const result = await raceAbort(work(), abort.signal);
        if (step) emit({ type: 'step', step, state: 'done', ms: Date.now() - started });
        return result;
      } catch (error) {
        if (step) emit({ type: 'step', step, state: 'failed', ms: Date.now() - started });
        throw error;
      }
    };
    const setStatus = async (status: DeploymentStatus) => {
      await control.setStatus(ctx.id, status);
      ctx.status = status;
      emit({ type: 'status', status });
    };

    let failure: SlipwayError | null = null;
    try {
      await this.hooks.deploymentStarted.promise(ctx);
      await setStatus('building');
      const artifact = await run('build', 'build', () => this.hooks.build.promise(ctx));
      if (!artifact) throw noRuntime(config.runtime, 'build');
      ctx.artifact = artifact;
      if (config.mode === 'heroku') await run('release', null, () => this.hooks.release.promise(ctx));
      await setStatus('starting');
      const formation = await run('startContainers', 'start', () => this.hooks.startContainers.promise(ctx));
      if (!formation) throw noRuntime(config.runtime, 'start');
      ctx.formation = formation;
      await run('containersStarted', null, () => this.hooks.containersStarted.promise(ctx));
      await run('postdeploy', null, () => this.hooks.postdeploy.promise(ctx));
      await run('routeSwitch', 'switch', () => this.hooks.routeSwitch.promise(ctx));
      // Past this point nothing can fail the deployment: the new version
      // serves, and the control plane made it `success` with the switch.
      emit({ type: 'status', status: 'success' });
      await run('retire', null, () => this.hooks.retire.promise(ctx)).catch((error) =>
        ctx.warn({ hook: 'retire', message: toSlipwayError(error).message }),
      );
      await this.hooks.succeeded.promise(ctx);
    } catch (error) {
      failure = abort.signal.aborted ? aborted(abort.signal) : toSlipwayError(error);
      const status = failure.status ?? failureStatus[current] ?? 'hook-error';
      ctx.status = status;
      ctx.error = { code: failure.code, message: this.mask(failure.message) };
      ctx.log('system', `${failure.code}: ${failure.message}`, 'system');
      await this.hooks.failed.promise(ctx, failure);
    } finally {
      clearInterval(heartbeat);
      this.#options.signal?.removeEventListener('abort', onOuterAbort);
    }
    await this.hooks.done.promise(ctx);
    // The last log lines travel with the finish: one request, stored first.
    const record = await control.finish(ctx.id, {
      status: ctx.status,
      hookExitCode: ctx.hook?.exitCode ?? null,
      hookReason: ctx.hook?.reason ?? null,
      warnings: ctx.warnings,
      error: failure ? { code: failure.code, message: this.mask(failure.message) } : null,
      logs: await logs.take(),
    });
    emit({ type: 'result', deployment: record });
    return record;
  }

  #context(
    opened: OpenedDeployment,
    signal: AbortSignal,
    logs: LogBuffer,
    emit: (event: DeploymentEvent) => void,
  ): DeploymentContext {
    const config = this.#config;
    const masker = this.#masker;
    const warnings: Warning[] = [];
    return {
      id: opened.id,
      app: config.app,
      release: opened.release,
      version: this.#options.version,
      kind: this.#options.kind ?? 'deploy',
      mode: config.mode,
      config,
      procfile: this.#options.procfile,
      control: this.#options.control,
      env: Object.freeze({ ...config.env, ...opened.configVars }),
      port: opened.port,
      live: opened.live,
      firstDeploy: opened.firstDeploy,
      appId: opened.appId,
      sourceRelease: this.#options.sourceRelease ?? null,
      startedAt: new Date(),
      signal,
      status: 'queued',
      warnings,
      log(phase: Phase, line: string, stream: Stream = 'stdout', options?: { stored?: boolean }) {
        const masked = masker.mask(line);
        if (!options?.stored) logs.push({ phase, stream, line: masked, ts: Date.now() });
        emit({ type: 'log', phase, stream, line: masked });
      },
      warn(warning: Warning) {
        const masked = { ...warning, message: masker.mask(warning.message) };
        warnings.push(masked);
        // Kept with the deployment's output too, so `slipway logs` shows it.
        const who = masked.plugin ? `${masked.plugin}: ` : '';
        logs.push({ phase: 'system', stream: 'system', line: `warning: ${who}${masked.message}`, ts: Date.now() });
        emit({ type: 'warning', warning: masked });
      },
      step(step, state, detail) {
        emit({ type: 'step', step, state, ...(detail ? { detail } : {}) });
      },
      addSecret(value: string) {
        masker.add(value);
      },
      mask(text: string) {
        return masker.mask(text);
      },
    };
  }
}

function noRuntime(runtime: string, step: string): SlipwayError {
  return new SlipwayError('NO_RUNTIME', `no runtime handled the ${step} step (runtime "${runtime}")`);
}

function aborted(signal: AbortSignal): SlipwayError {
  const reason = signal.reason;
  if (reason instanceof SlipwayError && reason.code === 'DEPLOY_ABORTED') return reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
  return new SlipwayError('DEPLOY_ABORTED', `deployment aborted: ${why}`);
}

/** Stops waiting for a step when the deployment is aborted, whatever the plugin does. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(aborted(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
