import type { Upstream } from '../context.js';
import { composeEnv, hostEnv } from '../env.js';
import { SlipwayError } from '../errors.js';
import { ManagedProcess, processStartTime } from './managed-process.js';
import { createMemoryLimit, type MemoryLimit } from './memory-limit.js';
import type { AgentPaths } from './paths.js';
import { scratchDir } from './paths.js';
import { freePort } from './ports.js';
import type { OneOffRequest, ProcessSpec, StartRequest, StartResult, StreamMessage } from './protocol.js';
import { waitUntilReady } from './readiness.js';
import { makeScratchCopy, type ScratchCopy } from './scratch-copy.js';

/** What the supervisor needs from the rest of the agent. */
export interface SupervisorHost {
  paths: AgentPaths;
  configVars(app: string): Record<string, string>;
  /** Stores a line of process output under a deployment (masked by the host). */
  output(
    app: string,
    deploymentId: string,
    phase: 'start' | 'postdeploy' | 'release' | 'first-deploy',
    stream: 'stdout' | 'stderr',
    line: string,
  ): void;
  recordProcess(p: {
    key: string;
    app: string;
    deploymentId: string;
    name: string;
    pid: number;
    startedAt: number;
  }): void;
  removeProcess(key: string): void;
  log(message: string): void;
}

interface Entry {
  app: string;
  deploymentId: string;
  spec: ProcessSpec;
  port?: number;
  proc: ManagedProcess;
  /** Live processes are restarted when they crash. */
  live: boolean;
  stopping: boolean;
  restarts: number;
  graceMs: number;
  /** Called on each line of output (readiness checks at once on it). */
  activity: Set<() => void>;
}

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

const MAX_BACKOFF_MS = 30_000;
/** How long stopAll waits for pending cleanups (scratch copies, cgroups) before the agent exits. */
const CLEANUP_WAIT_MS = 5_000;
/** A process that stayed up this long gets its backoff reset. */
const STABLE_MS = 60_000;

/** Owns every app process and one-off this agent started. */
export class Supervisor {
  #entries = new Map<string, Entry[]>();
  #oneOffs = new Map<string, Set<ManagedProcess>>();
  /** By deployment id: at most one prepared scratch copy, until a one-off takes it or the deployment ends. */
  #prepared = new Map<string, PreparedCopy>();
  /** Cleanups that run after a result was sent (scratch copies, cgroups): awaited by stopAll. */
  #cleanups = new Set<Promise<void>>();

  constructor(private readonly host: SupervisorHost) {}

  /**
   * Starts a formation and waits until every web process is ready. With
   * `prepareOneOff`, the scratch copy of the one-off that follows is made
   * meanwhile (once the processes are spawned, so they start first).
   */
  async start(
    app: string,
    deploymentId: string,
    request: StartRequest,
    key = deploymentId,
    prepareOneOff?: OneOffRequest,
  ): Promise<StartResult> {
    const entries: Entry[] = [];
    this.#entries.set(key, entries);
    const deadline = Date.now() + request.startTimeoutMs;
    let spawned!: () => void;
    if (prepareOneOff) {
      this.#prepare(app, deploymentId, prepareOneOff, new Promise<void>((resolve) => (spawned = resolve)));
    }
    try {
      for (const spec of request.specs) {
        const port = spec.web ? await freePort() : undefined;
        entries.push(this.#spawn(app, deploymentId, key, spec, port, request.graceMs));
      }
    } finally {
      spawned?.();
    }
    const results = await Promise.all(
      entries.map(async (entry) => {
        if (entry.port === undefined) return { entry, state: 'ready' as const };
        const state = await waitUntilReady({
          port: entry.port,
          deadline,
          exited: entry.proc.exited,
          healthcheck: request.healthcheck,
          onActivity: (listener) => {
            entry.activity.add(listener);
            return () => entry.activity.delete(listener);
          },
        });
        return { entry, state };
      }),
    );
    // Non-web processes only need to still be running once web is ready.
    for (const r of results) {
      if (r.entry.port === undefined && !r.entry.proc.running) (r as { state: string }).state = 'exited';
    }
    const failed = results.find((r) => r.state !== 'ready');
    if (failed) {
      const { entry, state } = failed;
      const last = entry.proc.lastLines.lines().slice(-10);
      const tail = last.length ? ` — last output: ${last.join(' ⏎ ')}` : '';
      if (state === 'exited') {
        const exit = entry.proc.exit;
        const how = exit?.signal ? `signal ${exit.signal}` : `status ${exit?.code ?? '?'}`;
        throw new SlipwayError('START_CRASHED', `${entry.spec.name} exited with ${how} before it was ready${tail}`, {
          data: { process: entry.spec.name, lastLines: last },
        });
      }
      const what =
        state === 'unhealthy'
          ? `did not answer 2xx/3xx on ${request.healthcheck?.path}`
          : `did not accept connections on $PORT (${entry.port})`;
      throw new SlipwayError(
        'START_TIMEOUT',
        `${entry.spec.name} ${what} within ${Math.round(request.startTimeoutMs / 1000)}s${tail}`,
        { data: { process: entry.spec.name, lastLines: last } },
      );
    }
    return {
      processes: entries.map((e) => ({
        name: e.spec.name,
        type: e.spec.type,
        index: e.spec.index,
        pid: e.proc.pid,
        port: e.port,
      })),
      upstreams: entries.filter((e) => e.port !== undefined).map((e) => ({ host: '127.0.0.1', port: e.port! })),
    };
  }

  #spawn(
    app: string,
    deploymentId: string,
    setKey: string,
    spec: ProcessSpec,
    port: number | undefined,
    graceMs: number,
  ): Entry {
    const env = composeEnv({
      host: hostEnv(),
      app: spec.appEnv,
      configVars: this.host.configVars(app),
      runtime: port === undefined ? spec.runtimeEnv : { ...spec.runtimeEnv, PORT: String(port) },
    });
    const activity = new Set<() => void>();
    const proc = new ManagedProcess({
      argv: ['/bin/sh', '-c', spec.command],
      cwd: spec.cwd,
      env,
      onLine: (stream, line) => {
        this.host.output(app, deploymentId, 'start', stream, line);
        for (const listener of activity) listener();
      },
    });
    const entry: Entry = {
      app,
      deploymentId,
      spec,
      port,
      proc,
      live: false,
      stopping: false,
      restarts: 0,
      graceMs,
      activity,
    };
    const key = `${setKey}:${spec.name}`;
    if (proc.pid > 0) {
      this.host.recordProcess({
        key,
        app,
        deploymentId,
        name: spec.name,
        pid: proc.pid,
        startedAt: processStartTime(proc.pid) ?? 0,
      });
    }
    void proc.exited.then((exit) => {
      this.host.removeProcess(key);
      if (!entry.live || entry.stopping) return;
      // Whatever the leader left behind (a forked server) would hold the port.
      proc.signalGroup('SIGKILL');
      const uptime = Date.now() - proc.startedAt;
      if (uptime > STABLE_MS) entry.restarts = 0;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** entry.restarts);
      entry.restarts++;
      this.host.log(
        `${app} ${spec.name} exited (${exit.signal ?? exit.code}); restarting in ${delay} ms (restart #${entry.restarts})`,
      );
      setTimeout(() => {
        if (!entry.live || entry.stopping) return;
        const list = this.#entries.get(setKey);
        if (!list) return;
        const next = this.#spawn(app, deploymentId, setKey, spec, port, graceMs);
        next.live = true;
        next.restarts = entry.restarts;
        list[list.indexOf(entry)] = next;
      }, delay).unref();
    });
    return entry;
  }

  /** The deployment's processes now serve: crashes get restarted. */
  markLive(deploymentId: string): void {
    for (const entry of this.#entries.get(deploymentId) ?? []) entry.live = true;
  }

  has(deploymentId: string): boolean {
    return this.#entries.has(deploymentId);
  }

  processes(deploymentId: string): { name: string; pid: number; port?: number; startedAt: number; running: boolean }[] {
    return (this.#entries.get(deploymentId) ?? []).map((e) => ({
      name: e.spec.name,
      pid: e.proc.pid,
      port: e.port,
      startedAt: e.proc.startedAt,
      running: e.proc.running,
    }));
  }

  upstreams(deploymentId: string): Upstream[] {
    return (this.#entries.get(deploymentId) ?? [])
      .filter((e) => e.port !== undefined)
      .map((e) => ({ host: '127.0.0.1', port: e.port! }));
  }

  /** Stops a deployment's processes and one-offs (SIGTERM, then SIGKILL after the grace period). */
  async stopDeployment(deploymentId: string, graceMs?: number): Promise<void> {
    const entries = this.#entries.get(deploymentId) ?? [];
    this.#entries.delete(deploymentId);
    const oneOffs = [...(this.#oneOffs.get(deploymentId) ?? [])];
    await Promise.all([
      ...entries.map((e) => {
        e.stopping = true;
        return e.proc.stop(graceMs ?? e.graceMs);
      }),
      ...oneOffs.map((p) => p.stop(Math.min(graceMs ?? 5000, 5000))),
    ]);
  }

  async stopAll(graceMs?: number): Promise<void> {
    const ids = new Set([...this.#entries.keys(), ...this.#oneOffs.keys()]);
    await Promise.all([...ids].map((id) => this.stopDeployment(id, graceMs)));
    for (const id of [...this.#prepared.keys()]) this.endDeployment(id);
    await this.settleCleanups(CLEANUP_WAIT_MS);
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
   * one-offs, a prepared copy none took) is removed. Runs after the current
   * answer is written, since unmounting spawns a process, which blocks the
   * event loop for a few milliseconds.
   */
  endDeployment(deploymentId: string): void {
    const prepared = this.#prepared.get(deploymentId);
    this.#prepared.delete(deploymentId);
    if (prepared) this.#later(deploymentId, `scratch ${prepared.scratchName}`, () => disposePrepared(prepared));
    if (this.#deferred.has(deploymentId)) setImmediate(() => this.#flush(deploymentId));
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

  #prepare(app: string, deploymentId: string, request: OneOffRequest, after: Promise<void>): void {
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
    const gated = copy.then((ready) => (ready ? this.#spawnGated(app, request, scratchName, ready) : null));
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

  #spawnGated(app: string, request: OneOffRequest, scratchName: string, copy: ScratchCopy): GatedProcess {
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
    return gated;
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
  async runOneOff(
    app: string,
    deploymentId: string,
    request: OneOffRequest,
    send: (message: StreamMessage) => void,
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
    const onLine = (stream: 'stdout' | 'stderr', line: string) => {
      if (request.store && request.phase !== 'run') this.host.output(app, deploymentId, request.phase, stream, line);
      send({ type: 'log', stream, line });
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
    let proc: ManagedProcess;
    if (gated && same) {
      ({ limit, proc } = gated);
      gated.onLine = onLine;
      // Aborted already: it never runs the command, and is stopped below.
      if (!signal.aborted) proc.open();
    } else {
      // Its own cgroup: the one of a process spawned ahead and not used may still be being removed.
      limit = createMemoryLimit(gated ? `${scratchName}-1` : scratchName, request.memoryBytes);
      proc = new ManagedProcess({ argv: limit.argv(request.command), cwd: copy.path, env, onLine });
      limit.watch(proc.pid, () => proc.signalGroup('SIGKILL'));
    }
    const set = this.#oneOffs.get(deploymentId) ?? new Set();
    set.add(proc);
    this.#oneOffs.set(deploymentId, set);
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
    proc.signalGroup('SIGKILL');
    if (reason === 'exit' && limit.exceeded()) reason = 'oom';
    if (reason === 'exit' && exit.signal) reason = 'signal';
    set.delete(proc);
    if (set.size === 0) this.#oneOffs.delete(deploymentId);
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
