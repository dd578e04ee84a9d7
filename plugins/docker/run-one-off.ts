import type Docker from 'dockerode';
import { containerEnv } from '../../lib/core/container-env.js';
import type { DeploymentContext, HookRunResult } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { hookFailure } from '../process/index.js';
import { followOutput } from './container-output.js';
import { containerSpec } from './container-spec.js';
import { containerName, deploymentLabels } from './labels.js';

/** The one-offs of a deployment; each is also the log phase of its output. */
export type OneOffType = 'postdeploy' | 'release' | 'first-deploy';

export interface OneOffOptions {
  command: string;
  timeoutMs: number;
  memoryBytes: number;
  /** `postdeploy-1`, `release-<n>`, `first-deploy-1`: CONTAINER in its env. */
  container: string;
}

export interface OneOffRun {
  /** The container made beforehand by createOneOff; made now when absent. */
  created?: Promise<Docker.Container>;
  /** Receives the container's removal instead of waiting for it (the runtime awaits it before the deployment ends). */
  removals?: Promise<unknown>[];
}

/** After the container exited, its output gets this long to be read to the end. */
const OUTPUT_DRAIN_MS = 5000;

async function kill(container: Docker.Container): Promise<void> {
  await container.kill().catch(() => undefined);
}

/** The one-off's container, created (not started): the runtime may make it while web starts. */
export function createOneOff(
  ctx: DeploymentContext,
  docker: Docker,
  options: OneOffOptions,
): Promise<Docker.Container> {
  const image = ctx.artifact?.image;
  if (!image) return Promise.reject(new SlipwayError('NO_RUNTIME', `no image to run ${options.container} in`));
  return docker.createContainer(
    containerSpec({
      name: containerName(ctx, options.container),
      image,
      command: options.command,
      env: { ...ctx.env, ...containerEnv(ctx, options.container, options.memoryBytes) },
      labels: deploymentLabels(ctx, options.container),
      network: ctx.config.docker.network,
      memory: options.memoryBytes,
    }),
  );
}

/**
 * Starts a created container and waits for it to exit: its output lines go
 * to `onLine`; past `timeoutMs`, or when `signal` aborts, it is killed.
 * Says how it ended (a kill by the kernel for the memory limit is `oom`);
 * never throws for the command's own failure, and leaves removal to the caller.
 */
export async function startAndWait(
  container: Docker.Container,
  options: { timeoutMs: number; signal: AbortSignal; onLine: (stream: 'stdout' | 'stderr', line: string) => void },
): Promise<HookRunResult> {
  // Set by the timer and the abort listener, read after the exit.
  const end: { reason: HookRunResult['reason'] } = { reason: 'exit' };
  const started = Date.now();
  await container.start();
  // Asked once it started: `not-running` answers at once for a command that already ended. A
  // `next-exit` wait sent before the start can reach the Engine after a quick command's exit
  // (the two requests travel side by side) and then waits for an exit that never comes.
  const exited = container.wait({ condition: 'not-running' }).then((r: { StatusCode?: number }) => r.StatusCode ?? -1);
  exited.catch(() => undefined);
  const output = followOutput(container, options.onLine);
  const timer = setTimeout(() => {
    end.reason = 'timeout';
    void kill(container);
  }, options.timeoutMs);
  const onAbort = () => {
    end.reason = 'aborted';
    void kill(container);
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) onAbort();
  let status: number;
  try {
    status = await exited;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
  }
  const durationMs = Date.now() - started;
  await Promise.race([output, new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS).unref())]);
  const state = (await container.inspect()).State;
  // Killed by the kernel for the memory limit: Docker says so, whatever status the process got.
  if (end.reason === 'exit' && state.OOMKilled && status !== 0) end.reason = 'oom';
  return { exitCode: end.reason === 'timeout' ? -128 : status, reason: end.reason, durationMs };
}

/**
 * Runs a command in an extra container of the release image: the app's env
 * and the runtime vars but no PORT, a hard memory limit, a time limit (then
 * it is killed and reports -128). Its own container means its file changes
 * never reach web. Output goes to the deployment's logs under `type`; the
 * container is removed once they are read. Says how it ended; never throws
 * for the command's own failure.
 */
export async function runInContainer(
  ctx: DeploymentContext,
  docker: Docker,
  type: OneOffType,
  options: OneOffOptions,
  run: OneOffRun = {},
): Promise<HookRunResult> {
  const container = await (run.created ?? createOneOff(ctx, docker, options));
  try {
    const result = await startAndWait(container, {
      timeoutMs: options.timeoutMs,
      signal: ctx.signal,
      onLine: (stream, line) => ctx.log(type, line, stream),
    });
    logExit(ctx, type, result);
    return result;
  } finally {
    const removal = container.remove({ force: true }).catch(() => undefined);
    if (run.removals) run.removals.push(removal);
    else await removal;
  }
}

/** The line that ends a one-off's output in the deployment's logs. */
export function logExit(ctx: DeploymentContext, type: OneOffType, result: HookRunResult): void {
  ctx.log(
    type,
    `${type} exited with status ${result.exitCode} (${result.reason}) in ${result.durationMs} ms`,
    'system',
  );
}

/**
 * The gate around a one-off, whatever runs it (a container, a swarm job):
 * the step and the command in the logs, `ctx.hook` set from how it ended,
 * HOOK_FAILED, HOOK_TIMEOUT or HOOK_OOM thrown as the process runtime does.
 */
export async function gateOneOff(
  ctx: DeploymentContext,
  type: 'postdeploy' | 'release',
  options: OneOffOptions,
  execute: () => Promise<HookRunResult>,
): Promise<HookRunResult> {
  ctx.step(type, 'start', options.command);
  ctx.log(type, `$ ${options.command}`, 'system');
  const result = await execute();
  ctx.hook = result;
  if (result.exitCode !== 0) {
    ctx.step(type, 'failed');
    throw hookFailure(type, result, { timeout: options.timeoutMs, memory: options.memoryBytes });
  }
  ctx.step(type, 'done');
  return result;
}

/**
 * The gate: the Procfile's `postdeploy` (or, in heroku mode, `release`)
 * command in its own container (see gateOneOff).
 */
export function runOneOff(
  ctx: DeploymentContext,
  docker: Docker,
  type: 'postdeploy' | 'release',
  options: OneOffOptions,
  run: OneOffRun = {},
): Promise<HookRunResult> {
  return gateOneOff(ctx, type, options, () => runInContainer(ctx, docker, type, options, run));
}
