import { scratchDir } from '../control/paths.js';
import type { OneOffRequest, StreamMessage, StreamSend } from '../control/protocol.js';
import { composeEnv, hostEnv } from '../core/env.js';
import { ManagedProcess, processStartTime } from '../core/managed-process.js';
import { createMemoryLimit, type MemoryLimit } from './memory-limit.js';
import { makeScratchCopy, type ScratchCopy } from './scratch-copy.js';
import type { SupervisorHost } from './supervisor-host.js';

/** What one-offs need from the rest of the agent. */
export type OneOffHost = Pick<
  SupervisorHost,
  'paths' | 'configVars' | 'output' | 'log' | 'recordProcess' | 'removeProcess'
>;

/** A scratch copy made ahead of a deployment's one-off, while its processes start. */
interface PreparedCopy {
  request: OneOffRequest;
  scratchName: string;
  /** null when no overlay could be made: the one-off then makes its own copy. */
  copy: Promise<ScratchCopy | null>;
  /** The one-off's process, spawned in the copy and waiting to run the command. */
  process: Promise<GatedProcess | null>;
}

/** A one-off's process spawned ahead: in its limit and copy, waiting on its gate to run the command. */
interface GatedProcess {
  proc: ManagedProcess;
  limit: MemoryLimit;
  /** The environment it was spawned with, to compare with the one-off's. */
  envKey: string;
  /** Where its output goes once it runs. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** How long after a deployment ended the scratch copies it kept are removed (see endDeployment). */
const CLEANUP_SETTLE_MS = 500;

/**
 * One-off processes (postdeploy, release, first-deploy, `slipway run`): each
 * in its own copy of a release, under a time and a memory limit. A
 * deployment's coming one-off can be prepared while its processes start;
 * what one-offs leave (copies, cgroups) is removed off the result's path.
 */
export class OneOffs {
  /** Running one-offs, by deployment id. */
  #running = new Map<string, Set<ManagedProcess>>();
  /** By deployment id: at most one prepared scratch copy, until a one-off takes it or the deployment ends. */
  #prepared = new Map<string, PreparedCopy>();
  /** Cleanups that run after a result was sent (scratch copies, cgroups): awaited by settleCleanups. */
  #cleanups = new Set<Promise<void>>();

  constructor(private readonly host: OneOffHost) {}

  /** Deployments with one-offs running. */
  deployments(): string[] {
    return [...this.#running.keys()];
  }

  /** Stops a deployment's running one-offs: SIGTERM, SIGKILL after `graceMs` (5 s at most). */
  async stop(deploymentId: string, graceMs = 5000): Promise<void> {
    await Promise.all([...(this.#running.get(deploymentId) ?? [])].map((p) => p.stop(Math.min(graceMs, 5000))));
  }

  /** Ends every deployment's prepared one-off (the agent stops). */
  endAll(): void {
    for (const id of [...this.#prepared.keys()]) this.endDeployment(id);
  }

  /** Waits for the cleanups under way (each one logs its own failure), at most `timeoutMs`. */
  async settleCleanups(timeoutMs: number): Promise<void> {
    for (const id of [...this.#deferred.keys()]) this.#flush(id);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.#cleanups),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Starts `work` now, tracked so that the agent does not exit in its middle. */
  #cleanup(what: string, work: () => Promise<void>): Promise<void> {
    const done: Promise<void> = work()
      .catch((error) => this.host.log(`cleanup of ${what}: ${(error as Error).message}`))
      .finally(() => this.#cleanups.delete(done));
    this.#cleanups.add(done);
    return done;
  }

  /**
   * The deployment ended: what it left for later (scratch copies of its
   * one-offs, a prepared copy none took) is removed, CLEANUP_SETTLE_MS later.
   * Unmounting spawns a process, which holds the event loop for a few
   * milliseconds and takes a core for tens: not while the deploying command
   * exits and the new release gets its first requests through the router.
   */
  endDeployment(deploymentId: string): void {
    const prepared = this.#prepared.get(deploymentId);
    this.#prepared.delete(deploymentId);
    if (prepared) this.#later(deploymentId, `scratch ${prepared.scratchName}`, () => disposePrepared(prepared));
    if (this.#deferred.has(deploymentId)) setTimeout(() => this.#flush(deploymentId), CLEANUP_SETTLE_MS).unref();
  }

  /** Work kept until endDeployment, by deployment id. */
  #deferred = new Map<string, { what: string; work: () => Promise<void> }[]>();

  #later(deploymentId: string, what: string, work: () => Promise<void>): void {
    const list = this.#deferred.get(deploymentId) ?? [];
    list.push({ what, work });
    this.#deferred.set(deploymentId, list);
  }

  #flush(deploymentId: string): void {
    const list = this.#deferred.get(deploymentId) ?? [];
    this.#deferred.delete(deploymentId);
    for (const { what, work } of list) void this.#cleanup(what, work);
  }

  /**
   * Makes the scratch copy of a deployment's coming one-off (an overlay) and
   * spawns its process, waiting on its gate, once `after` resolves.
   */
  prepare(app: string, deploymentId: string, request: OneOffRequest, after: Promise<void>): void {
    // A deployment prepares once; a second request replaces nothing.
    if (this.#prepared.has(deploymentId)) return;
    const scratchName = `${request.name}-${deploymentId.slice(0, 8)}-${process.hrtime.bigint()}`;
    // Only an overlay is made ahead: it shows the release directory as it is
    // when the one-off runs, as a copy made then would. A full copy made now
    // could miss what the processes write into the release while they start.
    const copy = after.then(() =>
      makeScratchCopy(request.copyFrom, scratchDir(this.host.paths, app, scratchName), { overlayOnly: true }),
    );
    // The process too, up to the command: spawning holds the event loop for
    // several milliseconds, which the one-off then no longer pays.
    const gated = copy.then((ready) =>
      ready ? this.#spawnGated(app, deploymentId, request, scratchName, ready) : null,
    );
    // A failure here only means the one-off makes its copy or process itself.
    gated.catch((error) => this.host.log(`preparing ${scratchName}: ${(error as Error).message}`));
    this.#prepared.set(deploymentId, { request, scratchName, copy, process: gated });
  }

  #oneOffEnv(app: string, request: OneOffRequest): Record<string, string> {
    return composeEnv({
      host: hostEnv(),
      app: request.appEnv,
      configVars: this.host.configVars(app),
      runtime: request.runtimeEnv,
    });
  }

  #spawnGated(
    app: string,
    deploymentId: string,
    request: OneOffRequest,
    scratchName: string,
    copy: ScratchCopy,
  ): GatedProcess {
    const limit = createMemoryLimit(scratchName, request.memoryBytes);
    const env = this.#oneOffEnv(app, request);
    const gated: GatedProcess = { limit, envKey: envKey(env), proc: undefined as unknown as ManagedProcess };
    gated.proc = new ManagedProcess({
      argv: limit.argv(request.command, { gated: true }),
      cwd: copy.path,
      env,
      gate: true,
      onLine: (stream, line) => gated.onLine?.(stream, line),
    });
    limit.watch(gated.proc.pid, () => gated.proc.signalGroup('SIGKILL'));
    this.#track(app, deploymentId, scratchName, gated.proc);
    return gated;
  }

  /**
   * Recorded in the store while it runs, as app processes are: an agent
   * started after this one was killed stops it (Agent.recover).
   */
  #track(app: string, deploymentId: string, scratchName: string, proc: ManagedProcess): void {
    if (proc.pid <= 0) return;
    const key = `one-off:${scratchName}`;
    const startedAt = processStartTime(proc.pid) ?? 0;
    this.host.recordProcess({ key, app, deploymentId, name: scratchName, pid: proc.pid, startedAt });
    void proc.exited.then(() => this.host.removeProcess(key));
  }

  /** The prepared copy for this one-off, if any: same deployment, same name and same release directory. */
  #takePrepared(deploymentId: string, request: OneOffRequest): PreparedCopy | undefined {
    const prepared = this.#prepared.get(deploymentId);
    if (!prepared || prepared.request.name !== request.name || prepared.request.copyFrom !== request.copyFrom) {
      return undefined;
    }
    this.#prepared.delete(deploymentId);
    return prepared;
  }

  /** What is prepared for a deployment's one-off, once ready (for tests and diagnostics). */
  async prepared(deploymentId: string): Promise<{ scratchName: string; pid: number | null } | undefined> {
    const prepared = this.#prepared.get(deploymentId);
    if (!prepared) return undefined;
    const gated = await prepared.process.catch(() => null);
    return { scratchName: prepared.scratchName, pid: gated?.proc.pid ?? null };
  }

  /**
   * Runs a one-off in its own copy of the release, with a time and memory
   * limit, streaming its output. Resolves with how it ended.
   */
  async run(
    app: string,
    deploymentId: string,
    request: OneOffRequest,
    send: StreamSend,
    signal: AbortSignal,
    options: {
      /**
       * Whether the deployment is still under way: its scratch copy is then
       * removed when it ends (endDeployment) rather than now, so that the
       * unmount does not block the steps that follow the one-off.
       */
      keepCopyWhile?: () => boolean;
    } = {},
  ): Promise<Extract<StreamMessage, { type: 'exit' }>> {
    const started = Date.now();
    const prepared = this.#takePrepared(deploymentId, request);
    const ready = prepared ? await prepared.copy.catch(() => null) : null;
    const scratchName =
      ready && prepared
        ? prepared.scratchName
        : `${request.name}-${deploymentId.slice(0, 8)}-${process.hrtime.bigint()}`;
    const copy = ready ?? (await makeScratchCopy(request.copyFrom, scratchDir(this.host.paths, app, scratchName)));
    const env = this.#oneOffEnv(app, request);
    let proc: ManagedProcess | undefined;
    const onLine = (stream: 'stdout' | 'stderr', line: string) => {
      if (request.store && request.phase !== 'run') this.host.output(app, deploymentId, request.phase, stream, line);
      const room = send({ type: 'log', stream, line });
      // The reader is behind: the one-off's output waits in its pipe (and the one-off with it).
      if (room && proc?.pause()) void room.then(() => proc?.resume());
    };
    // The process spawned ahead runs this one-off only if it is the very same: command, limit, environment.
    const gated = ready && prepared ? await prepared.process.catch(() => null) : null;
    const same =
      gated !== null &&
      gated.proc.running &&
      prepared!.request.command === request.command &&
      prepared!.request.memoryBytes === request.memoryBytes &&
      gated.envKey === envKey(env);
    if (gated && !same) void this.#cleanup(`process of ${scratchName}`, () => disposeGated(gated));
    let limit: MemoryLimit;
    if (gated && same) {
      ({ limit, proc } = gated);
      gated.onLine = onLine;
      // Aborted already: it never runs the command, and is stopped below.
      if (!signal.aborted) proc.open();
    } else {
      // Its own cgroup: the one of a process spawned ahead and not used may still be being removed.
      limit = createMemoryLimit(gated ? `${scratchName}-1` : scratchName, request.memoryBytes);
      const own = new ManagedProcess({ argv: limit.argv(request.command), cwd: copy.path, env, onLine });
      proc = own;
      this.#track(app, deploymentId, scratchName, own);
      limit.watch(own.pid, () => own.signalGroup('SIGKILL'));
    }
    const set = this.#running.get(deploymentId) ?? new Set();
    set.add(proc);
    this.#running.set(deploymentId, set);
    let reason = 'exit' as 'exit' | 'timeout' | 'oom' | 'signal' | 'aborted';
    const timer = setTimeout(() => {
      reason = 'timeout';
      void proc.stop(request.graceMs);
    }, request.timeoutMs);
    const onAbort = () => {
      reason = 'aborted';
      void proc.stop(Math.min(request.graceMs, 5000));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const exit = await proc.exited;
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    // Nothing it started outlives it: its process group, and what left the group but not the limit.
    proc.signalGroup('SIGKILL');
    limit.killAll();
    if (reason === 'exit' && limit.exceeded()) reason = 'oom';
    if (reason === 'exit' && exit.signal) reason = 'signal';
    set.delete(proc);
    if (set.size === 0) this.#running.delete(deploymentId);
    // Removing the cgroup, unmounting and removing the copy are cleanup: the result does not wait for them.
    void this.#cleanup(`cgroup ${scratchName}`, () => limit.dispose());
    if (options.keepCopyWhile?.()) this.#later(deploymentId, `scratch ${scratchName}`, () => copy.dispose());
    else {
      void this.#cleanup(`scratch ${scratchName}`, async () => {
        await new Promise(setImmediate);
        await copy.dispose();
      });
    }
    const exitCode =
      reason === 'timeout' ? -128 : (exit.code ?? 128 + (exit.signal ? (signalNumbers[exit.signal] ?? 0) : 0));
    return {
      type: 'exit',
      exitCode,
      reason,
      ...(exit.signal ? { signal: exit.signal } : {}),
      durationMs: Date.now() - started,
    };
  }
}

async function disposePrepared(prepared: PreparedCopy): Promise<void> {
  const gated = await prepared.process.catch(() => null);
  if (gated) await disposeGated(gated);
  const copy = await prepared.copy.catch(() => null);
  await copy?.dispose();
}

/** Stops a process spawned ahead that will not run (it only waits on its gate), then removes its limit. */
async function disposeGated(gated: GatedProcess): Promise<void> {
  gated.proc.signalGroup('SIGKILL');
  gated.limit.killAll();
  await gated.proc.exited;
  await gated.limit.dispose();
}

function envKey(env: Record<string, string>): string {
  return JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const signalNumbers: Partial<Record<NodeJS.Signals, number>> = {
  SIGKILL: 9,
  SIGTERM: 15,
  SIGINT: 2,
  SIGSEGV: 11,
  SIGABRT: 6,
};
