import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { agentControl } from '../../lib/control/agent-control.js';
import type { AgentClient } from '../../lib/control/client.js';
import { releaseDir } from '../../lib/control/paths.js';
import type { OneOffRequest, ProcessSpec } from '../../lib/control/protocol.js';
import { containerEnv } from '../../lib/core/container-env.js';
import type { Artifact, DeploymentContext, HookRunResult } from '../../lib/core/context.js';
import { buildEnv } from '../../lib/core/env.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { STAGE } from '../../lib/core/hooks.js';
import type { Plugin, PluginHost } from '../../lib/core/plugins.js';
import { formatBytes, formatDuration } from '../../lib/core/units.js';
import { formationSpecs } from './formation.js';
import { snapshot } from './snapshot.js';

export const PLUGIN_NAME = 'process';

/** Heroku's release phase limit: one hour, not extendable. */
export const RELEASE_TIMEOUT_MS = 3600_000;

function agentOf(ctx: DeploymentContext): AgentClient {
  const agent = agentControl(ctx);
  if (!agent) throw new SlipwayError('NO_RUNTIME', 'the process runtime needs the slipway agent as its control plane');
  return agent;
}

/**
 * The directory a release runs from: the one recorded with it. A release that
 * reused a build (a rollback, a config change) runs from that build's
 * directory, not from one named after its own number.
 */
async function releasePath(agent: AgentClient, app: string, release: number): Promise<string> {
  const releases = await agent.call<{ release: number; artifact: { path?: string } }[]>(
    'GET',
    `/apps/${encodeURIComponent(app)}/releases`,
  );
  return releases.find((r) => r.release === release)?.artifact.path ?? releaseDir(agent.paths, app, release);
}

async function build(ctx: DeploymentContext): Promise<Artifact> {
  const agent = agentOf(ctx);
  if (ctx.sourceRelease !== null) {
    // A rollback reuses the earlier release's directory as it was built.
    const path = await releasePath(agent, ctx.app, ctx.sourceRelease);
    if (!existsSync(path)) {
      throw new SlipwayError('RELEASE_NOT_FOUND', `release ${ctx.sourceRelease} of ${ctx.app} is no longer on disk`);
    }
    ctx.log('build', `reusing the build of release ${ctx.sourceRelease}`, 'system');
    return { runtime: PLUGIN_NAME, release: ctx.release, path };
  }
  const dest = releaseDir(agent.paths, ctx.app, ctx.release);
  await rm(dest, { recursive: true, force: true });
  // Unchanged files are linked from the directory the live release runs from, even after a rollback.
  const previous = ctx.live ? await releasePath(agent, ctx.app, ctx.live.release) : undefined;
  const started = Date.now();
  try {
    const stats = await snapshot(ctx.config.dir, dest, {
      previous: previous && existsSync(previous) ? previous : undefined,
      exclude: [agent.paths.home],
    });
    ctx.log(
      'build',
      `snapshot: ${stats.files} files (${stats.linked} unchanged, linked; ${stats.copied} copied) in ${Date.now() - started} ms`,
      'system',
    );
    if (ctx.config.build) await runBuild(ctx, dest, ctx.config.build);
  } catch (error) {
    // A release that failed to build is never run: its directory goes, and with it the space it took.
    await rm(dest, { recursive: true, force: true }).catch(() => undefined);
    throw buildFailure(error, ctx, dest);
  }
  return { runtime: PLUGIN_NAME, release: ctx.release, path: dest };
}

/** A full file system is said plainly: it is not a bug, and not the app's fault. */
function buildFailure(error: unknown, ctx: DeploymentContext, dest: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return error;
  const what = code === 'ENOSPC' ? 'no space left on device' : 'disk quota exceeded';
  return new SlipwayError('DISK_FULL', `${what} while writing release ${ctx.release} of ${ctx.app} to ${dest}`, {
    cause: error,
  });
}

async function runBuild(ctx: DeploymentContext, cwd: string, command: string): Promise<void> {
  ctx.log('build', `$ ${command}`, 'system');
  // Loaded here: most deployments of this runtime have no build command.
  const { ManagedProcess, processStartTime } = await import('../../lib/core/managed-process.js');
  const proc = new ManagedProcess({
    argv: ['/bin/sh', '-c', command],
    cwd,
    env: buildEnv(ctx.app, ctx.version, { ...ctx.env }),
    onLine: (stream, line) => ctx.log('build', line, stream),
  });
  // Its own process group outlives this command if it is killed: the agent then stops it.
  const startTime = processStartTime(proc.pid);
  if (startTime !== null) {
    await agentOf(ctx)
      .trackProcess(ctx.id, { name: 'build', pid: proc.pid, startTime })
      .catch((error) => ctx.log('build', `the agent does not track the build: ${(error as Error).message}`, 'system'));
  }
  const onAbort = () => void proc.stop(5000);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const exit = await proc.exited;
  ctx.signal.removeEventListener('abort', onAbort);
  proc.signalGroup('SIGKILL');
  if (exit.code !== 0) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
    throw new SlipwayError('BUILD_FAILED', `build command ${how}`, { data: { exitCode: exit.code } });
  }
}

export function hookFailure(
  name: string,
  result: HookRunResult,
  limits: { timeout: number; memory: number },
): SlipwayError {
  if (result.reason === 'timeout') {
    return new SlipwayError(
      'HOOK_TIMEOUT',
      `${name} ran past its ${formatDuration(limits.timeout)} limit and was stopped (exit status -128)`,
    );
  }
  if (result.reason === 'oom') {
    return new SlipwayError(
      'HOOK_OOM',
      `${name} ran out of memory (limit ${formatBytes(limits.memory)}) and was killed`,
    );
  }
  if (result.reason === 'aborted') return new SlipwayError('DEPLOY_ABORTED', `${name} was stopped: deployment aborted`);
  const how = result.signal ? `was killed by ${result.signal}` : `exited with status ${result.exitCode}`;
  return new SlipwayError('HOOK_FAILED', `${name} command ${how}`);
}

interface OneOffOptions {
  timeoutMs: number;
  memoryBytes: number;
  container: string;
}

/** What the agent is asked to run for a one-off (postdeploy, release) of the new release. */
function oneOffRequest(
  ctx: DeploymentContext,
  type: 'postdeploy' | 'release',
  path: string,
  options: OneOffOptions,
): OneOffRequest {
  return {
    name: options.container,
    command: ctx.procfile.processes[type]!,
    copyFrom: path,
    appEnv: { ...ctx.config.env },
    runtimeEnv: containerEnv(ctx, options.container, options.memoryBytes),
    timeoutMs: options.timeoutMs,
    memoryBytes: options.memoryBytes,
    graceMs: Math.min(ctx.config.stop.grace, 10_000),
    phase: type,
    store: true,
  };
}

function postdeployOptions(ctx: DeploymentContext): OneOffOptions {
  return {
    timeoutMs: ctx.config.postdeploy.timeout,
    memoryBytes: ctx.config.postdeploy.memory,
    container: 'postdeploy-1',
  };
}

/** Runs a one-off (postdeploy, release) of the new release; throws on any failure. */
export async function runOneOff(
  ctx: DeploymentContext,
  type: 'postdeploy' | 'release',
  options: OneOffOptions,
): Promise<HookRunResult> {
  const agent = agentOf(ctx);
  const command = ctx.procfile.processes[type]!;
  const path = ctx.artifact?.path;
  if (!path) throw new SlipwayError('NO_RUNTIME', `no release directory to run ${type} in`);
  const phase = type;
  ctx.step(type, 'start', command);
  ctx.log(phase, `$ ${command}`, 'system');
  const exit = await agent.oneOff(
    ctx.id,
    oneOffRequest(ctx, type, path, options),
    (m) => {
      if (m.type === 'log') ctx.log(phase, m.line, m.stream, { stored: true });
    },
    ctx.signal,
  );
  const result: HookRunResult = {
    exitCode: exit.exitCode,
    reason: exit.reason,
    durationMs: exit.durationMs,
    ...(exit.signal ? { signal: exit.signal } : {}),
  };
  ctx.hook = result;
  ctx.log(
    phase,
    `${type} exited with status ${result.exitCode} (${result.reason}) in ${result.durationMs} ms`,
    'system',
  );
  if (result.exitCode !== 0) {
    ctx.step(type, 'failed');
    throw hookFailure(type, result, { timeout: options.timeoutMs, memory: options.memoryBytes });
  }
  ctx.step(type, 'done');
  return result;
}

/** A first-deploy script may seed a database: give it the postdeploy limits, and its tap time to use them. */
const FIRST_DEPLOY_TAP_TIMEOUT_MS = 61 * 60_000;

/**
 * `scripts.first-deploy`: after the switch of the app's first successful
 * deployment, and of every later one until a run succeeded. The app is
 * already live, so a failure is a warning and the script runs again next time.
 */
async function firstDeploy(ctx: DeploymentContext): Promise<void> {
  const command = ctx.config.scripts['first-deploy'];
  const path = ctx.artifact?.path;
  if (!command || !path) return;
  const agent = agentOf(ctx);
  const state = await agent.firstDeployState(ctx.app);
  // An app that was live before the script was added never had a first deployment to run it after.
  if (state.succeededAt || (!ctx.firstDeploy && state.attempts === 0)) return;
  const container = 'first-deploy-1';
  const memoryBytes = ctx.config.postdeploy.memory;
  const timeoutMs = Math.min(ctx.config.postdeploy.timeout, FIRST_DEPLOY_TAP_TIMEOUT_MS - 60_000);
  ctx.step('first-deploy', 'start', command);
  ctx.log('first-deploy', `$ ${command}`, 'system');
  const exit = await agent.oneOff(
    ctx.id,
    {
      name: container,
      command,
      copyFrom: path,
      appEnv: { ...ctx.config.env },
      runtimeEnv: containerEnv(ctx, container, memoryBytes),
      timeoutMs,
      memoryBytes,
      graceMs: Math.min(ctx.config.stop.grace, 10_000),
      phase: 'first-deploy',
      store: true,
    },
    (m) => {
      if (m.type === 'log') ctx.log('first-deploy', m.line, m.stream, { stored: true });
    },
    ctx.signal,
  );
  // Not ctx.hook: that is the gate's result, and the deployment record reports it.
  await agent.recordFirstDeploy(ctx.app, { deploymentId: ctx.id, exitCode: exit.exitCode });
  ctx.log(
    'first-deploy',
    `first-deploy exited with status ${exit.exitCode} (${exit.reason}) in ${exit.durationMs} ms`,
    'system',
  );
  if (exit.exitCode === 0) {
    ctx.step('first-deploy', 'done');
    return;
  }
  ctx.step('first-deploy', 'failed');
  const failure = hookFailure('first-deploy', { ...exit }, { timeout: timeoutMs, memory: memoryBytes });
  ctx.warn({
    hook: 'succeeded',
    plugin: PLUGIN_NAME,
    code: failure.code,
    message: `${failure.message}; the new release is live anyway, and the script runs again at the next deployment`,
  });
}

/** The embedded default runtime: releases are directories, processes are local, the agent supervises them. */
export class ProcessRuntime implements Plugin {
  readonly name = PLUGIN_NAME;

  apply(deployer: PluginHost): void {
    const tap = { name: PLUGIN_NAME, stage: STAGE.RUNTIME };
    const mine = (ctx: DeploymentContext) => ctx.config.runtime === PLUGIN_NAME;

    deployer.hooks.build.tapPromise(tap, async (ctx) => (mine(ctx) ? build(ctx) : undefined));

    deployer.hooks.startContainers.tapPromise(tap, async (ctx) => {
      if (!mine(ctx)) return undefined;
      const specs: ProcessSpec[] = formationSpecs(ctx);
      const path = ctx.artifact?.path;
      const started = await agentOf(ctx).startProcesses(ctx.id, {
        specs,
        startTimeoutMs: ctx.config.start.timeout,
        healthcheck: ctx.config.healthcheck
          ? { path: ctx.config.healthcheck.path, timeoutMs: ctx.config.healthcheck.timeout }
          : undefined,
        graceMs: ctx.config.stop.grace,
        // The postdeploy one-off follows once these are ready: the agent prepares it meanwhile.
        ...(ctx.procfile.processes.postdeploy && path
          ? { prepareOneOff: oneOffRequest(ctx, 'postdeploy', path, postdeployOptions(ctx)) }
          : {}),
      });
      for (const p of started.processes) {
        ctx.log('start', `${p.name} ready${p.port ? ` on port ${p.port}` : ''} (pid ${p.pid})`, 'system');
      }
      return {
        processes: started.processes.map((p) => ({ ...p, id: String(p.pid) })),
        upstreams: started.upstreams,
      };
    });

    deployer.hooks.postdeploy.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !ctx.procfile.processes.postdeploy) return;
      await runOneOff(ctx, 'postdeploy', postdeployOptions(ctx));
    });

    // Heroku mode: the release command runs after the build, before anything starts (1 h limit).
    deployer.hooks.release.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !ctx.procfile.processes.release) return;
      await runOneOff(ctx, 'release', {
        timeoutMs: RELEASE_TIMEOUT_MS,
        memoryBytes: ctx.config.postdeploy.memory,
        container: `release-${ctx.release}`,
      });
    });

    deployer.hooks.succeeded.tapPromise({ ...tap, timeout: FIRST_DEPLOY_TAP_TIMEOUT_MS }, async (ctx) => {
      if (mine(ctx)) await firstDeploy(ctx);
    });

    deployer.hooks.retire.tapPromise(tap, async (ctx) => {
      if (!mine(ctx)) return;
      // The agent owns the route and the processes: it drains and stops the
      // old release on its own, and logs the outcome under this deployment.
      // While this deployment still holds the app's lock (nothing else can
      // start from a directory as it goes), release directories beyond
      // keepReleases are removed too.
      const keep = ctx.config.keepReleases;
      const { pruned } = await agentOf(ctx).retire(ctx.id, ctx.config.stop.grace, {
        background: true,
        keepReleases: keep,
      });
      if (ctx.live) {
        ctx.log(
          'retire',
          `release ${ctx.live.release} retiring: requests in flight finish (up to ${formatDuration(ctx.config.stop.grace)}), then it stops`,
          'system',
        );
      }
      if (pruned?.length) {
        ctx.log('retire', `removed the directories of releases ${pruned.join(', ')} (keepReleases: ${keep})`, 'system');
      }
    });
  }
}

export default function processRuntime(): Plugin {
  return new ProcessRuntime();
}
