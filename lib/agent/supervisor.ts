import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { outputDir } from '../control/paths.js';
import type { OneOffRequest, ProcessSpec, StartRequest, StartResult } from '../control/protocol.js';
import type { Upstream } from '../core/context.js';
import { composeEnv, hostEnv } from '../core/env.js';
import { SlipwayError } from '../core/errors.js';
import { freePort } from '../core/ports.js';
import { waitUntilReady } from '../core/readiness.js';
import { AppProcess, type OutputFiles, processEnvValue } from './app-process.js';
import { OneOffs } from './one-offs.js';
import type { SupervisorHost } from './supervisor-host.js';

export type { SupervisorHost };

interface Entry {
  app: string;
  deploymentId: string;
  spec: ProcessSpec;
  port?: number;
  proc: AppProcess;
  /** Live processes are restarted when they crash. */
  live: boolean;
  stopping: boolean;
  /** Handed to another agent: whatever happens to it is that agent's business. */
  released?: boolean;
  restarts: number;
  graceMs: number;
  /** Called on each line of output (readiness checks at once on it). */
  activity: Set<() => void>;
}

/** A process not yet live (not restarted when it exits), not stopping. */
function newEntry(
  fields: Pick<Entry, 'app' | 'deploymentId' | 'spec' | 'port' | 'proc' | 'graceMs' | 'activity'>,
): Entry {
  return { ...fields, live: false, stopping: false, restarts: 0 };
}

const MAX_BACKOFF_MS = 30_000;
/** How long stopAll waits for pending cleanups (scratch copies, cgroups) before the agent exits. */
const CLEANUP_WAIT_MS = 5_000;
/** A process that stayed up this long gets its backoff reset. */
const STABLE_MS = 60_000;

/** Owns every app process and one-off this agent started. */
export class Supervisor {
  #entries = new Map<string, Entry[]>();
  /** One-off processes: hooks, release commands, `slipway run`. */
  readonly oneOffs: OneOffs;

  constructor(private readonly host: SupervisorHost) {
    this.oneOffs = new OneOffs(host);
  }

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
      this.oneOffs.prepare(app, deploymentId, prepareOneOff, new Promise<void>((resolve) => (spawned = resolve)));
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
    const key = `${setKey}:${spec.name}`;
    const proc = AppProcess.spawn({
      argv: ['/bin/sh', '-c', spec.command],
      cwd: spec.cwd,
      env,
      files: this.outputFiles(app, key),
      onLine: this.#onLine(app, deploymentId, spec.name, activity),
    });
    const entry = newEntry({ app, deploymentId, spec, port, proc, graceMs, activity });
    if (proc.pid > 0) {
      this.host.recordProcess({ key, app, deploymentId, name: spec.name, pid: proc.pid, startedAt: proc.startTime });
    }
    this.#supervise(entry, setKey, key);
    return entry;
  }

  #onLine(app: string, deploymentId: string, name: string, activity: Set<() => void>) {
    return (stream: 'stdout' | 'stderr', line: string) => {
      this.host.output(app, deploymentId, 'start', stream, line, name);
      for (const listener of activity) listener();
    };
  }

  /** The files a process of an app appends its output to, by its supervisor key. */
  outputFiles(app: string, key: string): OutputFiles {
    const base = join(outputDir(this.host.paths, app), key.replace(/[^\w.-]/g, '_'));
    return { stdout: `${base}.out`, stderr: `${base}.err` };
  }

  /** Once the process exits: forgotten, or restarted with backoff when it is live. */
  #supervise(entry: Entry, setKey: string, key: string): void {
    const { app, deploymentId, spec, port, graceMs, proc } = entry;
    void proc.exited.then((exit) => {
      if (entry.released) return;
      this.host.removeProcess(key);
      if (!entry.live || entry.stopping) {
        removeOutputFiles(this.outputFiles(app, key));
        return;
      }
      // Whatever the leader left behind (a forked server) would hold the port.
      proc.signalGroup('SIGKILL');
      const uptime = Date.now() - proc.startedAt;
      if (uptime > STABLE_MS) entry.restarts = 0;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** entry.restarts);
      entry.restarts++;
      const status = exit.signal ?? exit.code ?? 'status unknown: it was adopted';
      this.host.log(`${app} ${spec.name} exited (${status}); restarting in ${delay} ms (restart #${entry.restarts})`);
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
  }

  #adoptOne(
    app: string,
    deploymentId: string,
    key: string,
    spec: ProcessSpec,
    record: { pid: number; startTime: number; startedAt: number },
    graceMs: number,
  ): Entry | null {
    const procKey = `${key}:${spec.name}`;
    const activity = new Set<() => void>();
    const proc = AppProcess.adopt({
      ...record,
      files: this.outputFiles(app, procKey),
      onLine: this.#onLine(app, deploymentId, spec.name, activity),
    });
    if (!proc) return null;
    const port = spec.web ? Number(processEnvValue(proc.pid, 'PORT')) || undefined : undefined;
    if (spec.web && port === undefined) {
      // A web process whose port cannot be read cannot be routed to: started again instead.
      proc.signalGroup('SIGKILL');
      return null;
    }
    const entry = newEntry({ app, deploymentId, spec, port, proc, graceMs, activity });
    entry.live = true;
    this.#supervise(entry, key, procKey);
    return entry;
  }

  /**
   * Takes over the live formation a previous agent left running: each
   * process recorded for it that is still the same process (pid and start
   * time) is adopted as it is — same pid, same port, no restart — and only
   * the ones that are gone are started again (on the port they had when it
   * is known). Resolves once every restarted web process is ready; the
   * adopted ones served all along.
   */
  async adopt(
    app: string,
    deploymentId: string,
    key: string,
    request: StartRequest,
    found: ReadonlyMap<string, { pid: number; startTime: number; startedAt: number }>,
    previousPorts: readonly number[] = [],
  ): Promise<{ upstreams: Upstream[]; adopted: string[]; restarted: string[] }> {
    const entries: Entry[] = [];
    this.#entries.set(key, entries);
    const adopted: string[] = [];
    const restarted: string[] = [];
    const slots = request.specs.map((spec) => {
      const record = found.get(spec.name);
      const entry = record ? this.#adoptOne(app, deploymentId, key, spec, record, request.graceMs) : null;
      if (entry) adopted.push(`${spec.name} (pid ${entry.proc.pid})`);
      else this.host.removeProcess(`${key}:${spec.name}`);
      return entry ?? spec;
    });
    const held = new Set(slots.flatMap((slot) => ('proc' in slot && slot.port !== undefined ? [slot.port] : [])));
    // Gone ones: started again, on a port the release had that no adopted process holds.
    const spare = previousPorts.filter((port) => !held.has(port));
    for (const slot of slots) {
      if ('proc' in slot) {
        entries.push(slot);
        continue;
      }
      const port = slot.web ? (spare.shift() ?? (await freePort())) : undefined;
      const entry = this.#spawn(app, deploymentId, key, slot, port, request.graceMs);
      entry.live = true;
      entries.push(entry);
      restarted.push(slot.name);
      if (entry.port !== undefined) {
        await waitUntilReady({
          port: entry.port,
          deadline: Date.now() + request.startTimeoutMs,
          exited: entry.proc.exited,
          healthcheck: request.healthcheck,
        });
      }
    }
    return { upstreams: this.upstreams(key), adopted, restarted };
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
    await Promise.all([
      ...entries.map((e) => {
        e.stopping = true;
        return e.proc.stop(graceMs ?? e.graceMs);
      }),
      this.oneOffs.stop(deploymentId, graceMs),
    ]);
  }

  /**
   * Lets go of every app process without stopping it (another agent has
   * adopted them): no restart when one exits, its output no longer followed.
   */
  release(): void {
    for (const entries of this.#entries.values()) {
      for (const entry of entries) {
        entry.released = true;
        entry.proc.release();
      }
    }
    this.#entries.clear();
  }

  async stopAll(graceMs?: number): Promise<void> {
    const ids = new Set([...this.#entries.keys(), ...this.oneOffs.deployments()]);
    await Promise.all([...ids].map((id) => this.stopDeployment(id, graceMs)));
    this.oneOffs.endAll();
    await this.oneOffs.settleCleanups(CLEANUP_WAIT_MS);
  }
}

/** A stopped process's output files: read to the end already. */
export function removeOutputFiles(files: OutputFiles): void {
  for (const file of [files.stdout, files.stderr]) rmSync(file, { force: true });
}
