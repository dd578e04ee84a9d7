import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { containerEnv } from '../../lib/core/container-env.js';
import type { DeploymentContext, HookRunResult } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { isNotFound } from '../docker/build-artifact.js';
import { followOutput } from '../docker/container-output.js';
import { deploymentLabels } from '../docker/labels.js';
import { logExit, type OneOffOptions, type OneOffType } from '../docker/run-one-off.js';
import { serviceName } from './service-name.js';
import { serviceSpec } from './service-spec.js';
import { hasEnded, serviceTasks, type TaskInfo } from './service-tasks.js';

/** How often the job's task is looked at. */
const POLL_MS = 200;
/** After the task ended, its output gets this long to arrive, in pauses of at most QUIET_MS. */
const OUTPUT_DRAIN_MS = 5000;
const QUIET_MS = 500;
/** A job stopped for its time limit (or an abort) gets this long after SIGTERM. */
const JOB_STOP_GRACE_MS = 1000;
/** SIGKILL: the status the kernel's OOM killer leaves. */
const KILLED = 137;

/** Waits until the task ended; undefined when `stop` aborted first. */
async function untilEnded(docker: Docker, serviceId: string, stop: AbortSignal): Promise<TaskInfo | undefined> {
  while (!stop.aborted) {
    const ended = (await serviceTasks(docker, serviceId)).find(hasEnded);
    if (ended) return ended;
    await sleep(POLL_MS);
  }
  return undefined;
}

/**
 * Whether the memory limit killed the task. On the node the Engine runs on,
 * its container says so; a task on another node (its container out of
 * reach) counts as OOM-killed when it was SIGKILLed and slipway did not do it.
 */
async function killedForMemory(docker: Docker, task: TaskInfo): Promise<boolean> {
  const status = task.Status.ContainerStatus;
  if (status?.ExitCode !== KILLED) return false;
  if (!status.ContainerID) return true;
  try {
    return Boolean((await docker.getContainer(status.ContainerID).inspect()).State.OOMKilled);
  } catch (error) {
    if (isNotFound(error)) return true;
    throw error;
  }
}

/** Waits until the output stream ends, or is quiet for QUIET_MS, OUTPUT_DRAIN_MS at most. */
async function drained(output: Promise<void>, lastLineAt: () => number): Promise<void> {
  let done = false;
  void output.then(() => {
    done = true;
  });
  const until = Date.now() + OUTPUT_DRAIN_MS;
  while (!done && Date.now() < until && Date.now() - lastLineAt() < QUIET_MS) await sleep(50);
  // One quiet pause even when the last line came long ago: lines of the last moments may still be on their way.
  if (!done) await Promise.race([output, sleep(Math.min(QUIET_MS, Math.max(0, until - Date.now())))]);
}

/**
 * Removes the job and its task's container: the Engine stops a removed
 * job's task but keeps an ended task's container. A container on another
 * node is out of reach; that node's Engine keeps it until `docker container
 * prune` there.
 */
async function removeJob(docker: Docker, service: Docker.Service): Promise<void> {
  const tasks = await serviceTasks(docker, service.id).catch(() => []);
  await service.remove().catch(() => undefined);
  await Promise.all(
    tasks.map((t) => {
      const id = t.Status.ContainerStatus?.ContainerID;
      return id
        ? docker
            .getContainer(id)
            .remove({ force: true })
            .catch(() => undefined)
        : undefined;
    }),
  );
}

export interface JobRun {
  /** Receives the job's removal instead of waiting for it (the runtime awaits it before the deployment ends). */
  removals?: Promise<unknown>[];
}

/**
 * Runs a one-off as a `replicated-job` service of one task, never
 * restarted, on the host's network: the release image, the app's env and
 * the runtime vars but no PORT, the memory limit (Resources.Limits), the
 * time limit (past it the job is removed, which stops its task, and the
 * run reports -128). Output comes from the task's logs into the
 * deployment's logs under `type`. Says how it ended; never throws for the
 * command's own failure.
 */
export async function runJob(
  ctx: DeploymentContext,
  docker: Docker,
  type: OneOffType,
  options: OneOffOptions,
  run: JobRun = {},
): Promise<HookRunResult> {
  const image = ctx.artifact?.image;
  if (!image) throw new SlipwayError('NO_RUNTIME', `no image to run ${options.container} in`);
  const started = Date.now();
  const service = await docker.createService(
    serviceSpec({
      name: serviceName(ctx, type),
      image,
      command: options.command,
      env: { ...ctx.env, ...containerEnv(ctx, options.container, options.memoryBytes) },
      labels: deploymentLabels(ctx, options.container),
      memory: options.memoryBytes,
      stopGraceMs: JOB_STOP_GRACE_MS,
    }),
  );
  const follow = new AbortController();
  const stop = new AbortController();
  let lastLineAt = Date.now();
  const output = followOutput(
    service,
    (stream, line) => {
      lastLineAt = Date.now();
      ctx.log(type, line, stream);
    },
    follow.signal,
  ).catch(() => undefined);
  const end: { reason: HookRunResult['reason'] } = { reason: 'exit' };
  const halt = (reason: 'timeout' | 'aborted') => {
    if (stop.signal.aborted) return;
    end.reason = reason;
    stop.abort();
  };
  const timer = setTimeout(() => halt('timeout'), options.timeoutMs);
  const onAbort = () => halt('aborted');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal.aborted) onAbort();
  let removal: Promise<unknown> | undefined;
  try {
    const task = await untilEnded(docker, service.id, stop.signal);
    const durationMs = Date.now() - started;
    let result: HookRunResult;
    if (!task) {
      // Removing the job kills its task; the deployment need not wait for that.
      removal = removeJob(docker, service);
      follow.abort();
      result = { exitCode: end.reason === 'timeout' ? -128 : -1, reason: end.reason, durationMs };
    } else {
      await drained(output, () => lastLineAt);
      follow.abort();
      if (task.Status.State === 'rejected') {
        throw new SlipwayError(
          'HOOK_FAILED',
          `${type} could not start on the swarm: ${task.Status.Err ?? task.Status.Message ?? 'task rejected'}`,
        );
      }
      const exitCode = task.Status.State === 'complete' ? 0 : (task.Status.ContainerStatus?.ExitCode ?? -1);
      const oom = exitCode !== 0 && (await killedForMemory(docker, task));
      result = { exitCode, reason: oom ? 'oom' : 'exit', durationMs };
    }
    logExit(ctx, type, result);
    return result;
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    follow.abort();
    removal ??= removeJob(docker, service);
    if (run.removals) run.removals.push(removal);
    else await removal;
  }
}
