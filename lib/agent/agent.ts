import { randomUUID } from 'node:crypto';
import { type AgentPaths, scratchRoot } from '../control/paths.js';
import type {
  FirstDeployState,
  OneOffRequest,
  ProcessSpec,
  StartRequest,
  StartResult,
  StreamSend,
} from '../control/protocol.js';
import type {
  Artifact,
  DeploymentRecord,
  FinishRecord,
  LogLine,
  OpenedDeployment,
  OpenRequest,
  Upstream,
} from '../core/context.js';
import { SlipwayError } from '../core/errors.js';
import { sameProcessAlive, startTimeToEpochMs } from '../core/managed-process.js';
import { Masker } from '../core/mask.js';
import { freePort, probePort } from '../core/ports.js';
import type { DeploymentStatus } from '../core/status.js';
import { assertTransition } from '../core/status.js';
import { Router } from '../router/router.js';
import { APP_LOG_MAX_BYTES, AppLog } from './app-log.js';
import type { HeldListener } from './handover.js';
import { OutputBatch } from './output-batch.js';
import { emptyTrash, pruneReleases } from './prune-releases.js';
import { removeLeftoverScratch } from './scratch-copy.js';
import type { LiveRow, ProcessRow, ReleaseArtifact, Store } from './store.js';
import { removeOutputFiles, Supervisor } from './supervisor.js';

/** Store keys of the processes a deploying command runs itself (see trackProcess). */
const TRACKED = 'tracked:';

/** A deployment whose owner stops heartbeating for this long is aborted. */
export const LEASE_MS = 4000;
/** After a deployment finished, how long the release it replaced may go on idling before SIGTERM (see retire). */
const RETIRE_SETTLE_MS = 250;
const DEFAULT_GRACE_MS = 30_000;

interface Pending {
  app: string;
  specs?: ProcessSpec[];
  request?: StartRequest;
  abort: AbortController;
}

interface LiveProcesses {
  deploymentId: string;
  /** Supervisor key of the processes serving now (changes on a config restart). */
  key: string;
  request?: StartRequest;
}

/** The agent's logic: deployments, locks, leases, routes, processes. The HTTP layer only translates. */
export class Agent {
  readonly router: Router;
  readonly supervisor: Supervisor;
  /** Output of processes whose deployment has ended. */
  readonly appLog: AppLog;
  readonly startedAt = Date.now();
  #pending = new Map<string, Pending>();
  #live = new Map<string, LiveProcesses>();
  #maskers = new Map<string, Masker>();
  #leaseTimer: NodeJS.Timeout | undefined;
  /** Process output on its way to the deployments' logs. */
  #output: OutputBatch;

  constructor(
    readonly store: Store,
    readonly paths: AgentPaths,
    readonly log: (message: string) => void,
  ) {
    this.appLog = new AppLog(paths, APP_LOG_MAX_BYTES, log);
    this.#output = new OutputBatch((id, lines) => store.appendLogs(id, lines), log);
    this.router = new Router({ log: (app: string, message: string) => log(`router ${app}: ${message}`) });
    this.supervisor = new Supervisor({
      paths,
      configVars: (app) => store.getConfigVars(app),
      // Called per line of process output: one insert, no lookup (the supervisor only
      // stores output of processes that belong to a recorded deployment). A deployment's
      // log ends with it: what its processes write afterwards goes to the app's log.
      output: (app, deploymentId, phase, stream, line, name) => {
        const masked = this.#masker(app).mask(line);
        if (this.#pending.has(deploymentId) || name === undefined) {
          this.#output.push(deploymentId, { phase, stream, line: masked, ts: Date.now() });
        } else this.appLog.append(app, { ts: Date.now(), process: name, stream, line: masked });
      },
      recordProcess: (p) => store.recordProcess(p),
      removeProcess: (key) => store.removeProcess(key),
      log,
    });
  }

  #masker(app: string): Masker {
    let masker = this.#maskers.get(app);
    if (!masker) {
      masker = new Masker();
      masker.addEnv(this.store.getConfigVars(app));
      this.#maskers.set(app, masker);
    }
    return masker;
  }

  // ── start-up and shutdown ──────────────────────────────────────────────

  /**
   * Puts back what a previous agent left. The live formations it started
   * are adopted where their processes still run (same pids, no restart) and
   * only what died is started again; every other process it left (one-offs,
   * a deployment cut short, a release being retired) is stopped. Each app's
   * route is set before its port opens, so a reopened port never answers 404
   * for an app with a live release. What was found and done goes to the log.
   */
  async recover(options: { takeover?: boolean } = {}): Promise<void> {
    // Taking over from a running agent: its ports are still its own until it hands them over (openListeners).
    this.#deferListening = options.takeover === true;
    const apps = this.store.listApps().map((app) => app.name);
    // Release directories pruned just before an earlier agent stopped.
    for (const app of apps) void emptyTrash(this.paths, app, (line) => this.log(line));
    // Scratch copies (overlays perhaps still mounted) of the one-offs a killed
    // agent ran: gone before this one answers, so none of its own is taken for one.
    await removeLeftoverScratch(
      apps.map((app) => scratchRoot(this.paths, app)),
      (line) => this.log(line),
    );
    for (const d of this.store.unfinishedDeployments()) {
      this.store.updateDeployment(d.id, {
        status: d.status === 'success' ? 'success' : 'aborted',
        finishedAt: new Date().toISOString(),
        error:
          d.status === 'success'
            ? null
            : { code: 'DEPLOY_ABORTED', message: 'the agent restarted during the deployment' },
      });
      this.log(
        `deployment ${d.id} of ${d.app} was under way: recorded as ${d.status === 'success' ? 'success' : 'aborted'}`,
      );
    }
    const recorded = this.store.listProcesses();
    const claimed = new Set<string>();
    await Promise.all(
      this.store.listLive().map(async (live) => {
        try {
          await this.#restore(live, recorded, claimed);
        } catch (error) {
          this.log(`could not restore ${live.app}: ${(error as Error).message}`);
        }
      }),
    );
    // Whatever was not adopted: one-offs, processes of deployments cut short or of retired releases.
    for (const p of recorded) {
      if (claimed.has(p.key)) continue;
      if (p.startedAt && sameProcessAlive(p.pid, p.startedAt)) {
        try {
          process.kill(-p.pid, 'SIGKILL');
          this.log(`stopped ${p.app} ${p.name} (pid ${p.pid}), left by the previous agent outside the live release`);
        } catch {
          // already gone
        }
      }
      this.store.removeProcess(p.key);
      removeOutputFiles(this.supervisor.outputFiles(p.app, p.key));
    }
    this.#leaseTimer = setInterval(() => void this.#checkLeases(), 500);
    this.#leaseTimer.unref();
  }

  /** Serves one live release again: its processes adopted or restarted, its route set, then its port opened. */
  async #restore(live: LiveRow, recorded: readonly ProcessRow[], claimed: Set<string>): Promise<void> {
    const app = this.store.getApp(live.app);
    if (!app?.port) return;
    const release = this.store.getRelease(live.app, live.release);
    const specs = (release?.processes ?? []) as unknown as ProcessSpec[];
    if (live.runtime !== 'process' || specs.length === 0 || !specs[0]?.runtimeEnv) {
      // Containers live on without the agent: only the route is needed.
      this.router.setRoute(live.app, live.upstreams);
      await this.#listen(live.app, app.port, app.host);
      return;
    }
    const start = release?.artifact.start;
    const request: StartRequest = {
      specs,
      startTimeoutMs: start?.timeoutMs ?? 60_000,
      graceMs: start?.graceMs ?? DEFAULT_GRACE_MS,
      healthcheck: start?.healthcheck,
    };
    // The live set's processes are recorded under one key (the deployment, or a config restart of it).
    const mine = recorded.filter(
      (p) =>
        p.app === live.app &&
        p.deploymentId === live.deploymentId &&
        !p.key.startsWith('one-off:') &&
        !p.key.startsWith(TRACKED),
    );
    const key = liveSetKey(mine) ?? live.deploymentId;
    const found = new Map(
      mine
        .filter((p) => p.key === `${key}:${p.name}`)
        .map((p) => [p.name, { pid: p.pid, startTime: p.startedAt, startedAt: startTimeToEpochMs(p.startedAt) }]),
    );
    for (const p of mine) if (p.key === `${key}:${p.name}`) claimed.add(p.key);
    const result = await this.supervisor.adopt(
      live.app,
      live.deploymentId,
      key,
      request,
      found,
      live.upstreams.map((u) => u.port),
    );
    this.#live.set(live.app, { deploymentId: live.deploymentId, key, request });
    this.router.setRoute(live.app, result.upstreams);
    this.store.setLive(live.app, { ...live, upstreams: result.upstreams });
    await this.#listen(live.app, app.port, app.host);
    const parts = [
      result.adopted.length ? `adopted ${result.adopted.join(', ')}` : '',
      result.restarted.length ? `restarted ${result.restarted.join(', ')} (gone)` : '',
    ].filter(Boolean);
    this.log(`recovered ${live.app} release ${live.release}: ${parts.join('; ')}`);
  }

  async shutdown(graceMs = 10_000): Promise<void> {
    clearInterval(this.#leaseTimer);
    for (const release of [...this.#finishWaiters.values()]) release();
    for (const [id, pending] of this.#pending) {
      pending.abort.abort();
      const d = this.store.getDeployment(id);
      if (d && d.finishedAt === null) {
        this.store.updateDeployment(id, {
          status: d.status === 'success' ? 'success' : 'aborted',
          finishedAt: new Date().toISOString(),
          error:
            d.status === 'success'
              ? null
              : { code: 'DEPLOY_ABORTED', message: 'the agent stopped during the deployment' },
        });
      }
    }
    await this.router.close();
    await this.supervisor.stopAll(graceMs);
    await Promise.all(this.#retirements);
    this.#output.flush();
    this.appLog.close();
  }

  #checking = false;

  async #checkLeases(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      await this.#expireLeases();
    } finally {
      this.#checking = false;
    }
  }

  async #expireLeases(): Promise<void> {
    const now = Date.now();
    for (const d of this.store.unfinishedDeployments()) {
      if (d.leaseExpiresAt >= now) continue;
      this.log(`deployment ${d.id} of ${d.app}: owner stopped heartbeating`);
      if (d.status === 'success') {
        await this.finish(d.id, {
          status: 'success',
          hookExitCode: d.hookExitCode,
          hookReason: d.hookReason,
          warnings: d.warnings,
          error: null,
        });
        await this.retire(d.id).catch(() => undefined);
      } else {
        this.#pending.get(d.id)?.abort.abort();
        await this.finish(d.id, {
          status: 'aborted',
          hookExitCode: d.hookExitCode,
          hookReason: d.hookReason,
          warnings: d.warnings,
          error: { code: 'DEPLOY_ABORTED', message: 'the deploying process stopped responding; deployment aborted' },
        });
      }
    }
  }

  // ── deployments ────────────────────────────────────────────────────────

  #deployment(id: string): DeploymentRecord {
    const d = this.store.getDeployment(id);
    if (!d) throw new SlipwayError('DEPLOY_NOT_FOUND', `no deployment ${id}`);
    return d;
  }

  /** Unfinished = not yet closed by finish(); `success` is set at the switch, before notifications. */
  #active(id: string): DeploymentRecord {
    const d = this.#deployment(id);
    if (d.finishedAt !== null) {
      throw new SlipwayError('DEPLOY_ABORTED', `deployment ${id} is already ${d.status}`, { status: 'aborted' });
    }
    return d;
  }

  async #ensureListener(app: string, requested: number | undefined, host: string): Promise<number> {
    // The app is recorded only once its listener is up: a taken port leaves nothing behind.
    const existing = this.store.getApp(app);
    const port = requested ?? existing?.port ?? (await freePort(host));
    const current = this.#listening.get(app);
    if (current?.port !== port || current.host !== host) {
      const inUse = (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') return error;
        return new SlipwayError(
          'PORT_IN_USE',
          `port ${port} on ${host} is already in use; app ${app} cannot listen there`,
        );
      };
      // An app moving to another port keeps its listener until the new port is known to be free.
      if (current !== undefined) {
        await probePort(port, host).catch((error) => {
          throw inUse(error);
        });
        await this.router.closeApp(app);
      }
      try {
        await this.#listen(app, port, host);
      } catch (error) {
        // Taken between the probe and the bind: back where it was.
        if (current !== undefined) {
          await this.#listen(app, current.port, current.host).catch(() => undefined);
          const live = this.store.getLive(app);
          if (live) this.router.setRoute(app, live.upstreams);
        }
        throw inUse(error);
      }
      const live = this.store.getLive(app);
      if (live) this.router.setRoute(app, live.upstreams);
    }
    const row = this.store.ensureApp(app, { port, host });
    if (row.port !== port || row.host !== host) this.store.setAppRouting(app, port, host);
    return port;
  }

  async open(request: OpenRequest): Promise<OpenedDeployment> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(request.app)) {
      throw new SlipwayError('CONFIG_INVALID', `invalid app name "${request.app}"`);
    }
    // Check and take the lock before any await, so two concurrent opens cannot both pass.
    const running = this.store.unfinishedDeployments(request.app)[0];
    if (running || this.#opening.has(request.app)) {
      const what = running ? `deployment ${running.id.slice(0, 8)} (release ${running.release})` : 'a deployment';
      throw new SlipwayError('DEPLOY_LOCKED', `${what} of ${request.app} is running`, {
        data: { deploymentId: running?.id },
      });
    }
    this.#opening.add(request.app);
    try {
      return await this.#open(request);
    } finally {
      this.#opening.delete(request.app);
    }
  }

  #opening = new Set<string>();

  async #open(request: OpenRequest): Promise<OpenedDeployment> {
    const port = await this.#ensureListener(request.app, request.port, request.host);
    const release = this.store.nextRelease(request.app);
    const id = randomUUID();
    this.store.createDeployment({
      id,
      app: request.app,
      release,
      version: request.version,
      kind: request.kind,
      mode: request.mode,
      sourceRelease: request.sourceRelease ?? null,
      leaseExpiresAt: Date.now() + LEASE_MS,
    });
    this.#pending.set(id, { app: request.app, abort: new AbortController() });
    const masker = this.#masker(request.app);
    masker.addEnv(request.env);
    const live = this.store.getLive(request.app);
    return {
      id,
      release,
      port,
      configVars: this.store.getConfigVars(request.app),
      live: live
        ? { release: live.release, version: live.version, deploymentId: live.deploymentId, upstreams: live.upstreams }
        : null,
      // Only a successful deployment makes a live release, and it stays live until the next one.
      firstDeploy: live === undefined,
      appId: this.store.getApp(request.app)?.id,
    };
  }

  heartbeat(id: string): void {
    this.#active(id);
    this.store.updateDeployment(id, { leaseExpiresAt: Date.now() + LEASE_MS });
  }

  setStatus(id: string, status: DeploymentStatus): void {
    const d = this.#active(id);
    assertTransition(d.status, status);
    this.store.updateDeployment(id, { status, leaseExpiresAt: Date.now() + LEASE_MS });
  }

  appendLogs(id: string, lines: LogLine[]): void {
    this.#deployment(id);
    this.#output.flush(id);
    this.store.appendLogs(id, lines);
  }

  /** A deployment's stored log, the process output still on its way included. */
  logs(id: string, after?: number): LogLine[] {
    this.#output.flush(id);
    return after === undefined ? this.store.getLogs(id) : this.store.getLogsAfter(id, after);
  }

  /** Lines after `seq`, at most `limit` (the dashboard follows a log with it). */
  logsAfter(id: string, seq: number, limit: number): (LogLine & { seq: number })[] {
    this.#output.flush(id);
    return this.store.logsAfter(id, seq, limit);
  }

  /** Records a process the deploying command runs itself (a build): stopped when the deployment ends. */
  trackProcess(id: string, p: { name: string; pid: number; startTime: number }): void {
    const d = this.#active(id);
    this.store.recordProcess({
      key: `${TRACKED}${id}:${p.name}`,
      app: d.app,
      deploymentId: id,
      name: p.name,
      pid: p.pid,
      startedAt: p.startTime,
    });
  }

  /** Kills what the deploying command ran itself and left running (it was killed, or lost the agent). */
  #stopTracked(id: string, app: string): void {
    for (const p of this.store.listProcesses(app)) {
      if (!p.key.startsWith(`${TRACKED}${id}:`)) continue;
      if (sameProcessAlive(p.pid, p.startedAt)) {
        try {
          process.kill(-p.pid, 'SIGKILL');
          this.log(`deployment ${id}: stopped its ${p.name} process (pid ${p.pid}), left by the deploying command`);
        } catch {
          // gone meanwhile
        }
      }
      this.store.removeProcess(p.key);
    }
  }

  async startProcesses(id: string, request: StartRequest): Promise<StartResult> {
    const d = this.#active(id);
    // The preparation belongs to this deployment only: restarts reuse the rest of the request.
    const { prepareOneOff, ...start } = request;
    const pending = this.#pending.get(id);
    if (pending) {
      pending.specs = start.specs;
      pending.request = start;
    }
    return this.supervisor.start(d.app, id, start, id, pending ? prepareOneOff : undefined);
  }

  async oneOff(id: string, request: OneOffRequest, send: StreamSend, signal: AbortSignal) {
    const d = this.#active(id);
    const pending = this.#pending.get(id);
    const aborted = pending ? AbortSignal.any([signal, pending.abort.signal]) : signal;
    const exit = await this.supervisor.oneOffs.run(d.app, id, request, send, aborted, {
      keepCopyWhile: () => this.#pending.has(id),
    });
    // Its output is stored by the time its end is reported.
    this.#output.flush(id);
    return exit;
  }

  /**
   * The point of no return: the route points at the new processes, the release is
   * recorded live and the deployment becomes `success`, in one step, so that
   * a deploying process that dies right after it leaves no new version
   * serving under a deployment that is then marked aborted.
   */
  switchRoute(id: string, upstreams: Upstream[], artifact?: Artifact): void {
    const d = this.#active(id);
    if (d.status !== 'success') assertTransition(d.status, 'success');
    // A web process of the new release that died after it was ready (while the hook ran) is never
    // switched to; other types are restarted once live, as any live process that exits.
    const dead = this.supervisor.processes(id).filter((p) => p.port !== undefined && !p.running);
    if (d.status !== 'success' && dead.length > 0) {
      const names = dead.map((p) => `${p.name} (pid ${p.pid})`).join(', ');
      throw new SlipwayError(
        'START_CRASHED',
        `${names} of release ${d.release} exited before the switch; not switching to it`,
        {
          details:
            'A web process of the new release exited after it was ready; its output is in `slipway logs`. The previous version is still serving.',
        },
      );
    }
    const pending = this.#pending.get(id);
    const before = this.store.getLive(d.app);
    this.router.setRoute(d.app, upstreams);
    const runtime = artifact?.runtime ?? 'process';
    this.store.setLive(d.app, { release: d.release, deploymentId: id, version: d.version, upstreams, runtime });
    this.store.recordRelease({
      app: d.app,
      release: d.release,
      version: d.version,
      kind: d.kind,
      deploymentId: id,
      artifact: {
        ...(artifact ?? { runtime }),
        ...(pending?.request
          ? {
              start: {
                timeoutMs: pending.request.startTimeoutMs,
                graceMs: pending.request.graceMs,
                healthcheck: pending.request.healthcheck,
              },
            }
          : {}),
      },
      processes: (pending?.specs ?? []) as never,
      createdAt: new Date().toISOString(),
      sourceRelease: d.sourceRelease,
    });
    this.supervisor.markLive(id);
    this.store.updateDeployment(id, { status: 'success', leaseExpiresAt: Date.now() + LEASE_MS });
    const previous = this.#live.get(d.app);
    this.#live.set(d.app, { deploymentId: id, key: id, request: pending?.request });
    if (before) this.#retiring.set(id, { release: before.release, upstreams: before.upstreams, processes: previous });
  }

  /** What the switch replaced: its upstreams to drain, and its processes when the agent runs them. */
  #retiring = new Map<string, { release: number; upstreams: Upstream[]; processes?: LiveProcesses }>();
  /** Retirements running after their deployment answered (see retire's `background`). */
  #retirements = new Set<Promise<void>>();
  #listening = new Map<string, { port: number; host: string }>();

  async #listen(app: string, port: number, host: string): Promise<void> {
    if (this.#deferListening) {
      this.#deferred.set(app, { port, host });
      return;
    }
    await this.router.listen(app, port, host);
    this.#listening.set(app, { port, host });
  }

  /** While taking over: the apps whose routes are set and whose listeners the agent being replaced holds. */
  #deferListening = false;
  #deferred = new Map<string, { port: number; host: string }>();

  /**
   * Taking over, once every route is set: serves on the listeners the agent
   * being replaced handed over (and, for an app it had none for, binds its
   * port). What they accepted meanwhile is served now.
   */
  async openListeners(handed: ReadonlyMap<string, HeldListener>): Promise<void> {
    this.#deferListening = false;
    for (const [app, { port, host }] of this.#deferred) {
      const listener = handed.get(app);
      if (listener) this.router.adoptListener(app, listener.server, { held: listener.release() });
      else await this.router.listen(app, port, host);
      this.#listening.set(app, { port, host });
    }
    // Listeners of apps with no live release: they answer 404 here as they did there.
    for (const [app, listener] of handed) {
      if (!this.#deferred.has(app)) this.router.adoptListener(app, listener.server, { held: listener.release() });
    }
    this.#deferred.clear();
  }

  /**
   * Refuses a handover while work that cannot move to another agent is
   * under way: a deployment (its CLI talks to this agent), a one-off (its
   * output comes through this agent), a release being retired.
   */
  assertIdle(): void {
    const busy = this.store.unfinishedDeployments()[0];
    if (busy) {
      throw new SlipwayError(
        'AGENT_BUSY',
        `deployment ${busy.id.slice(0, 8)} of ${busy.app} is under way; restart the agent once it has finished`,
      );
    }
    if (this.supervisor.oneOffs.deployments().length > 0 || this.#retirements.size > 0) {
      throw new SlipwayError(
        'AGENT_BUSY',
        'a one-off or a retirement is under way; restart the agent once it has finished',
      );
    }
  }

  /**
   * This agent hands its apps over: it stops supervising (no restart, no
   * lease expiry; the processes run on) and stops accepting, letting its
   * in-flight requests finish; idle keep-alive connections get a grace
   * period to send one more request (answered with Connection: close).
   */
  async handOff(): Promise<void> {
    clearInterval(this.#leaseTimer);
    this.supervisor.release();
    await Promise.all(
      [...this.router.listeners().keys()].map((app) => this.router.closeApp(app, { lingerIdle: true })),
    );
  }

  /**
   * After the switch: wait until requests in flight on the previous release
   * finish (drain), then stop its processes. Runtimes whose processes the
   * agent does not own (containers) stop them after this returns.
   *
   * With `background`, the answer comes at once and the agent does the same
   * on its own, appending the outcome to the deployment's log: the agent owns
   * both the route and the processes, so nobody needs to wait for a long
   * request (or a WebSocket) to end before the deployment is reported done.
   */
  async retire(
    id: string,
    graceMs = DEFAULT_GRACE_MS,
    options: { background?: boolean; keepReleases?: unknown } = {},
  ): Promise<{ drained: boolean; release?: number; background?: boolean; pruned?: number[] }> {
    const result = await this.#retire(id, graceMs, options.background === true);
    if (options.keepReleases === undefined) return result;
    // With the old release's processes still known, so its directory stays until they are gone.
    return { ...result, pruned: this.#pruneReleases(this.#deployment(id).app, options.keepReleases) };
  }

  async #retire(
    id: string,
    graceMs: number,
    background: boolean,
  ): Promise<{ drained: boolean; release?: number; background?: boolean }> {
    const previous = this.#retiring.get(id);
    this.#retiring.delete(id);
    if (!previous) return { drained: true };
    const work = async (before?: Promise<void>) => {
      const key = previous.processes?.key;
      const upstreams = key ? this.supervisor.upstreams(key) : previous.upstreams;
      const { drained } = await this.router.drain(upstreams, graceMs);
      await before;
      if (key) await this.supervisor.stopDeployment(key, graceMs);
      return drained;
    };
    if (!background) return { drained: await work(), release: previous.release };
    // The old processes' shutdown (a Node app's exit is tens of ms of CPU)
    // would compete with the end of the deployment and with the new release's
    // first requests: they get SIGTERM shortly after the deployment finished.
    const done = work(this.#finished(id))
      .then(
        (drained) => `release ${previous.release} stopped${drained ? '' : ' (drain timed out)'}`,
        (error: Error) => `release ${previous.release} could not be stopped: ${error.message}`,
      )
      .then((line) => {
        this.log(`deployment ${id}: ${line}`);
        this.#output.flush(id);
        this.store.appendLogs(id, [{ phase: 'retire', stream: 'system', line, ts: Date.now() }]);
      })
      .catch((error: Error) => this.log(`deployment ${id}: retire: ${error.message}`))
      .finally(() => this.#retirements.delete(done));
    this.#retirements.add(done);
    return { drained: false, release: previous.release, background: true };
  }

  /** Resolves once `finish` has been called for the deployment, or after `LEASE_MS`. */
  #finished(id: string): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), LEASE_MS);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        this.#finishWaiters.delete(id);
        resolve();
      };
      this.#finishWaiters.set(id, done);
    });
  }

  #finishWaiters = new Map<string, () => void>();

  async finish(id: string, record: FinishRecord): Promise<DeploymentRecord> {
    // Whatever waited for the end of this deployment goes on after the answer.
    const waiter = this.#finishWaiters.get(id);
    if (waiter) setTimeout(waiter, RETIRE_SETTLE_MS).unref();
    const d = this.#deployment(id);
    const { logs, ...result } = record;
    this.#output.flush(id);
    if (logs?.length) this.store.appendLogs(id, logs);
    if (d.finishedAt !== null) return d;
    if (result.status !== d.status) assertTransition(d.status, result.status);
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    this.#stopTracked(id, d.app);
    if (result.status !== 'success') {
      pending?.abort.abort();
      await this.supervisor.stopDeployment(id, 5000);
    }
    // Scratch copies of its one-offs, and one prepared for a one-off that never ran, go now.
    this.supervisor.oneOffs.endDeployment(id);
    return this.store.updateDeployment(id, { ...result, finishedAt: new Date().toISOString() });
  }

  // ── apps ───────────────────────────────────────────────────────────────

  /** Keeps the directories of the app's newest `keep` releases (see prune-releases.ts); answers what it took. */
  #pruneReleases(app: string, keep: unknown): number[] {
    if (!Number.isInteger(keep) || (keep as number) < 1) {
      throw new SlipwayError('AGENT_REQUEST', 'keepReleases must be a whole number of releases, at least 1');
    }
    return pruneReleases(this.paths, this.store, app, keep as number, (line) => this.log(line));
  }

  apps() {
    return this.store.listApps().map((app) => {
      const live = this.store.getLive(app.name);
      const procs = this.#live.get(app.name);
      return {
        name: app.name,
        port: app.port,
        host: app.host,
        live: live
          ? { release: live.release, version: live.version, deploymentId: live.deploymentId, runtime: live.runtime }
          : null,
        upstreams: live?.upstreams ?? [],
        processes: procs ? this.supervisor.processes(procs.key) : [],
      };
    });
  }

  configVars(app: string): Record<string, string> {
    return this.store.getConfigVars(app);
  }

  /** Stores config vars and restarts the live processes with them (no postdeploy). */
  async setConfigVars(
    app: string,
    changes: Record<string, string | null>,
  ): Promise<{ vars: Record<string, string>; restarted: boolean }> {
    this.store.ensureApp(app, { host: '127.0.0.1' });
    const vars = this.store.setConfigVars(app, changes);
    this.#maskers.delete(app);
    const restarted = await this.restart(app);
    return { vars, restarted };
  }

  /** Starts a fresh set of the live processes, switches to them, then stops the old set. */
  async restart(app: string): Promise<boolean> {
    const live = this.#live.get(app);
    if (!live?.request) return false;
    const key = `${live.deploymentId}~${Date.now()}`;
    let started: StartResult;
    try {
      started = await this.supervisor.start(app, live.deploymentId, live.request, key);
    } catch (error) {
      // The live processes keep serving with their env; the failed new set goes.
      await this.supervisor.stopDeployment(key, 5000);
      throw error;
    }
    this.supervisor.markLive(key);
    this.router.setRoute(app, started.upstreams);
    const row = this.store.getLive(app);
    if (row) this.store.setLive(app, { ...row, upstreams: started.upstreams });
    this.#live.set(app, { ...live, key });
    const oldUpstreams = this.supervisor.upstreams(live.key);
    await this.router.drain(oldUpstreams, live.request.graceMs);
    await this.supervisor.stopDeployment(live.key, live.request.graceMs);
    return true;
  }

  liveSpecs(app: string): {
    deploymentId: string;
    release: number;
    version: string;
    specs: ProcessSpec[];
    artifact?: ReleaseArtifact;
  } | null {
    const live = this.store.getLive(app);
    if (!live) return null;
    const release = this.store.getRelease(app, live.release);
    const specs = (release?.processes ?? []) as unknown as ProcessSpec[];
    return {
      deploymentId: live.deploymentId,
      release: live.release,
      version: live.version,
      specs,
      artifact: release?.artifact,
    };
  }

  // ── heroku mode and first-deploy scripts ───────────────────────────────

  /** The app's row: its stable id is HEROKU_APP_ID in heroku mode. */
  appInfo(app: string): { id: string; name: string; port: number | null; host: string; createdAt: string } {
    const row = this.store.getApp(app);
    if (!row) throw new SlipwayError('APP_NOT_FOUND', `app "${app}" is not known to the agent`);
    return { id: row.id, name: row.name, port: row.port, host: row.host, createdAt: row.createdAt };
  }

  /**
   * Stores config vars without touching the live processes: in heroku mode
   * the CLI then makes a new release, whose release command must see them.
   */
  storeConfigVars(app: string, changes: Record<string, string | null>): { vars: Record<string, string> } {
    this.store.ensureApp(app, { host: '127.0.0.1' });
    const vars = this.store.setConfigVars(app, changes);
    this.#maskers.delete(app);
    return { vars };
  }

  /** Whether the app's `scripts.first-deploy` has succeeded, and how often it ran (kept in the store). */
  firstDeployState(app: string): FirstDeployState {
    return this.store.getFirstDeploy(app);
  }

  recordFirstDeploy(app: string, run: { deploymentId: string; exitCode: number }): FirstDeployState {
    const d = this.#deployment(run.deploymentId);
    if (d.app !== app) {
      throw new SlipwayError('DEPLOY_NOT_FOUND', `deployment ${run.deploymentId} is not one of ${app}`);
    }
    return this.store.recordFirstDeploy(app, { deploymentId: run.deploymentId, succeeded: run.exitCode === 0 });
  }
}

/** The supervisor key of the set the recorded processes of a live release belong to: the most recent when several. */
function liveSetKey(processes: readonly ProcessRow[]): string | undefined {
  const keys = processes.map((p) => p.key.slice(0, p.key.lastIndexOf(':')));
  // A config restart's key (`<deployment>~<time>`) is newer than the deployment's own.
  return keys.sort().at(-1);
}
