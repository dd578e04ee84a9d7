import type { OneOffRequest, ProcessSpec, StartRequest, StartResult } from '../control/protocol.js';
import type { Upstream } from '../core/context.js';
import { composeEnv, hostEnv } from '../core/env.js';
import { SlipwayError } from '../core/errors.js';
import { ManagedProcess, processStartTime } from '../core/managed-process.js';
import { freePort } from '../core/ports.js';
import { waitUntilReady } from '../core/readiness.js';
import { OneOffs } from './one-offs.js';
import type { SupervisorHost } from './supervisor-host.js';

export type { SupervisorHost };

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
    const proc = new ManagedProcess({
      argv: ['/bin/sh', '-c', spec.command],
      cwd: spec.cwd,
      env,
      onLine: (stream, line) => {
        this.host.output(app, deploymentId, 'start', stream, line, spec.name);
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
    await Promise.all([
      ...entries.map((e) => {
        e.stopping = true;
        return e.proc.stop(graceMs ?? e.graceMs);
      }),
      this.oneOffs.stop(deploymentId, graceMs),
    ]);
  }

  async stopAll(graceMs?: number): Promise<void> {
    const ids = new Set([...this.#entries.keys(), ...this.oneOffs.deployments()]);
    await Promise.all([...ids].map((id) => this.stopDeployment(id, graceMs)));
    this.oneOffs.endAll();
    await this.oneOffs.settleCleanups(CLEANUP_WAIT_MS);
  }
}
