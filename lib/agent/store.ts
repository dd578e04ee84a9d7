/**
 * The agent's state in SQLite: apps, config vars, releases, deployments, live
 * routes, deployment logs and the processes the agent started. The agent is the
 * only writer; everything here is synchronous because better-sqlite3 is, and a
 * write takes microseconds.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import Database from 'better-sqlite3';
import type { ReleaseArtifact, ReleaseProcess, ReleaseRow } from '../control/protocol.js';
import type { DeploymentKind, DeploymentRecord, LogLine, Upstream, Warning } from '../core/context.js';
import { SlipwayError } from '../core/errors.js';
import { assertTransition, type DeploymentStatus, isStatus } from '../core/status.js';
import type { Mode } from '../core/types.js';
import { migrate } from './migrations.js';
import { isSealed, Sealer } from './sealed.js';

export type { ReleaseArtifact, ReleaseProcess, ReleaseRow };

export interface AppRow {
  /** Stable random hex id, kept for the app's lifetime. */
  id: string;
  name: string;
  /** The router port; null until the agent picked one. */
  port: number | null;
  host: string;
  /** Highest release number handed out so far (0 before the first). */
  lastRelease: number;
  createdAt: string;
}

export interface NewDeployment {
  id: string;
  app: string;
  release: number;
  version: string;
  kind: DeploymentKind;
  mode: Mode;
  sourceRelease: number | null;
  leaseExpiresAt: number;
  /** Defaults to now. */
  startedAt?: string;
}

export interface DeploymentPatch {
  status?: DeploymentStatus;
  hookExitCode?: number | null;
  hookReason?: string | null;
  warnings?: Warning[];
  error?: { code: string; message: string } | null;
  finishedAt?: string;
  leaseExpiresAt?: number;
}

export type LeasedDeployment = DeploymentRecord & { leaseExpiresAt: number };

export interface LiveState {
  release: number;
  deploymentId: string;
  version: string;
  upstreams: Upstream[];
  runtime: string;
}

export interface LiveRow extends LiveState {
  app: string;
  updatedAt: string;
}

export interface ProcessRow {
  /** Caller-chosen identity, e.g. `<deploymentId>/web-1`. */
  key: string;
  app: string;
  deploymentId: string;
  name: string;
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22), so a reused pid is not mistaken for ours. */
  startedAt: number;
}

export interface FirstDeployRow {
  /** Runs so far, failed ones included (not counted after the first success). */
  attempts: number;
  /** Set by the first successful run; the script never runs again after it. */
  succeededAt: string | null;
  deploymentId: string | null;
}

export interface StoreOptions {
  /** Lines kept per deployment; older ones are dropped. Default 10000. */
  logLimit?: number;
  /** Old lines are deleted each time a deployment's line count crosses a multiple of this. Default 256. */
  logTrimEvery?: number;
}

interface AppDbRow {
  id: string;
  name: string;
  port: number | null;
  host: string;
  last_release: number;
  created_at: string;
}

interface DeploymentDbRow {
  id: string;
  app: string;
  release: number;
  version: string;
  kind: string;
  mode: string;
  status: string;
  hook_exit_code: number | null;
  hook_reason: string | null;
  warnings: string;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  source_release: number | null;
  lease_expires_at: number;
}

interface ReleaseDbRow {
  app: string;
  release: number;
  version: string;
  kind: string;
  deployment_id: string;
  artifact: string;
  processes: string;
  source_release: number | null;
  created_at: string;
}

interface LiveDbRow {
  app: string;
  release: number;
  deployment_id: string;
  version: string;
  upstreams: string;
  runtime: string;
  updated_at: string;
}

interface ProcessDbRow {
  key: string;
  app: string;
  deployment_id: string;
  name: string;
  pid: number;
  started_at: number;
}

const toApp = (r: AppDbRow): AppRow => ({
  id: r.id,
  name: r.name,
  port: r.port,
  host: r.host,
  lastRelease: r.last_release,
  createdAt: r.created_at,
});

const toDeployment = (r: DeploymentDbRow): DeploymentRecord => ({
  id: r.id,
  app: r.app,
  release: r.release,
  version: r.version,
  kind: r.kind as DeploymentKind,
  mode: r.mode as Mode,
  status: r.status as DeploymentStatus,
  hookExitCode: r.hook_exit_code,
  hookReason: r.hook_reason,
  warnings: JSON.parse(r.warnings) as Warning[],
  error: r.error === null ? null : (JSON.parse(r.error) as { code: string; message: string }),
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  durationMs: r.duration_ms,
  sourceRelease: r.source_release,
});

const toRelease = (r: ReleaseDbRow): ReleaseRow => ({
  app: r.app,
  release: r.release,
  version: r.version,
  kind: r.kind as DeploymentKind,
  deploymentId: r.deployment_id,
  artifact: JSON.parse(r.artifact) as ReleaseArtifact,
  processes: JSON.parse(r.processes) as ReleaseProcess[],
  createdAt: r.created_at,
  sourceRelease: r.source_release,
});

const toLive = (r: LiveDbRow): LiveRow => ({
  app: r.app,
  release: r.release,
  deploymentId: r.deployment_id,
  version: r.version,
  upstreams: JSON.parse(r.upstreams) as Upstream[],
  runtime: r.runtime,
  updatedAt: r.updated_at,
});

const toProcess = (r: ProcessDbRow): ProcessRow => ({
  key: r.key,
  app: r.app,
  deploymentId: r.deployment_id,
  name: r.name,
  pid: r.pid,
  startedAt: r.started_at,
});

/** Picks the stored fields by name, so whatever else a spec carries (a merged `env`) never reaches the disk. */
const specOnly = (p: ReleaseProcess): ReleaseProcess => ({
  type: p.type,
  index: p.index,
  name: p.name,
  command: p.command,
  cwd: p.cwd,
  ...(p.web === undefined ? {} : { web: p.web }),
  ...(p.appEnv === undefined ? {} : { appEnv: p.appEnv }),
  ...(p.runtimeEnv === undefined ? {} : { runtimeEnv: p.runtimeEnv }),
});

const artifactOnly = (a: ReleaseArtifact): ReleaseArtifact => ({
  runtime: a.runtime,
  ...(a.path === undefined ? {} : { path: a.path }),
  ...(a.image === undefined ? {} : { image: a.image }),
  ...(a.oneOff === undefined ? {} : { oneOff: a.oneOff }),
  ...(a.start === undefined ? {} : { start: a.start }),
});

/** The phase a deployment enters with a status (see deployment_phases in migrations.ts). */
const PHASE_OF_STATUS: Partial<Record<DeploymentStatus, string>> = {
  building: 'build',
  starting: 'start',
  success: 'switch',
};

const now = () => new Date().toISOString();

/** SQL NULL for null, not the JSON text `null`. */
const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

function appNotFound(app: string): SlipwayError {
  return new SlipwayError('APP_NOT_FOUND', `app "${app}" is not known to the agent`);
}

function deploymentNotFound(id: string): SlipwayError {
  return new SlipwayError('DEPLOY_NOT_FOUND', `deployment ${id} is not known to the agent`);
}

function prepareAll(db: Database.Database) {
  const p = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
  return {
    insertApp: p(
      `INSERT INTO apps (name, id, port, host, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
    ),
    getApp: p<AppDbRow>(`SELECT * FROM apps WHERE name = ?`),
    listApps: p<AppDbRow>(`SELECT * FROM apps ORDER BY name`),
    setRouting: p(`UPDATE apps SET port = ?, host = ? WHERE name = ?`),
    reserveRelease: p<{ last_release: number }>(
      `UPDATE apps SET last_release = last_release + 1 WHERE name = ? RETURNING last_release`,
    ),
    // Keeps the counter ahead of any number used directly, so nextRelease can never hand it out again.
    coverRelease: p(`UPDATE apps SET last_release = max(last_release, ?) WHERE name = ?`),

    getFirstDeploy: p<{ attempts: number; succeeded_at: string | null; deployment_id: string | null }>(
      `SELECT attempts, succeeded_at, deployment_id FROM first_deploy WHERE app = ?`,
    ),
    // Once it succeeded it stays succeeded, whatever is reported later.
    recordFirstDeploy: p(
      `INSERT INTO first_deploy (app, attempts, succeeded_at, deployment_id) VALUES (?, 1, ?, ?)
       ON CONFLICT (app) DO UPDATE SET attempts = attempts + 1, succeeded_at = excluded.succeeded_at,
         deployment_id = excluded.deployment_id
       WHERE first_deploy.succeeded_at IS NULL`,
    ),

    getVars: p<{ key: string; value: string }>(`SELECT key, value FROM config_vars WHERE app = ? ORDER BY key`),
    setVar: p(
      `INSERT INTO config_vars (app, key, value) VALUES (?, ?, ?) ON CONFLICT (app, key) DO UPDATE SET value = excluded.value`,
    ),
    unsetVar: p(`DELETE FROM config_vars WHERE app = ? AND key = ?`),

    insertRelease: p(
      `INSERT INTO releases (app, release, version, kind, deployment_id, artifact, processes, source_release, created_at)
       VALUES (@app, @release, @version, @kind, @deploymentId, @artifact, @processes, @sourceRelease, @createdAt)`,
    ),
    getRelease: p<ReleaseDbRow>(`SELECT * FROM releases WHERE app = ? AND release = ?`),
    listReleases: p<ReleaseDbRow>(`SELECT * FROM releases WHERE app = ? ORDER BY release DESC`),

    insertDeployment: p(
      `INSERT INTO deployments (id, app, release, version, kind, mode, status, started_at, source_release, lease_expires_at)
       VALUES (@id, @app, @release, @version, @kind, @mode, 'queued', @startedAt, @sourceRelease, @leaseExpiresAt)`,
    ),
    getDeployment: p<DeploymentDbRow>(`SELECT * FROM deployments WHERE id = ?`),
    updateDeployment: p(
      `UPDATE deployments SET status = @status, hook_exit_code = @hookExitCode, hook_reason = @hookReason,
         warnings = @warnings, error = @error, finished_at = @finishedAt, duration_ms = @durationMs,
         lease_expires_at = @leaseExpiresAt
       WHERE id = @id`,
    ),
    listDeployments: p<DeploymentDbRow>(`SELECT * FROM deployments ORDER BY seq DESC LIMIT ?`),
    listAppDeployments: p<DeploymentDbRow>(`SELECT * FROM deployments WHERE app = ? ORDER BY seq DESC LIMIT ?`),
    unfinished: p<DeploymentDbRow>(`SELECT * FROM deployments WHERE finished_at IS NULL ORDER BY seq`),
    unfinishedForApp: p<DeploymentDbRow>(
      `SELECT * FROM deployments WHERE finished_at IS NULL AND app = ? ORDER BY seq`,
    ),

    setLive: p(
      `INSERT INTO live (app, release, deployment_id, version, upstreams, runtime, updated_at)
       VALUES (@app, @release, @deploymentId, @version, @upstreams, @runtime, @updatedAt)
       ON CONFLICT (app) DO UPDATE SET release = excluded.release, deployment_id = excluded.deployment_id,
         version = excluded.version, upstreams = excluded.upstreams, runtime = excluded.runtime,
         updated_at = excluded.updated_at`,
    ),
    getLive: p<LiveDbRow>(`SELECT * FROM live WHERE app = ?`),
    listLive: p<LiveDbRow>(`SELECT * FROM live ORDER BY app`),
    clearLive: p(`DELETE FROM live WHERE app = ?`),

    lastLogSeq: p<{ seq: number | null }>(`SELECT max(seq) AS seq FROM logs WHERE deployment_id = ?`),
    insertLog: p(`INSERT INTO logs (deployment_id, seq, phase, stream, line, ts) VALUES (?, ?, ?, ?, ?, ?)`),
    trimLogs: p(`DELETE FROM logs WHERE deployment_id = ? AND seq <= ?`),
    // The bound hides lines past the limit that the next trim has not deleted yet.
    getLogs: p<LogLine>(
      `SELECT phase, stream, line, ts FROM logs
       WHERE deployment_id = @id AND seq > (SELECT max(seq) FROM logs WHERE deployment_id = @id) - @limit
         AND (@phase IS NULL OR phase = @phase)
       ORDER BY seq`,
    ),
    getLogsAfter: p<LogLine & { seq: number }>(
      `SELECT seq, phase, stream, line, ts FROM logs
       WHERE deployment_id = @id AND seq > @after
         AND seq > (SELECT max(seq) FROM logs WHERE deployment_id = @id) - @limit
       ORDER BY seq`,
    ),

    firstLogTs: p<{ ts: number | null }>(`SELECT min(ts) AS ts FROM logs WHERE deployment_id = ? AND phase = ?`),
    markPhase: p(`INSERT INTO deployment_phases (deployment_id, phase, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
    getPhases: p<{ phase: string; at: number }>(`SELECT phase, at FROM deployment_phases WHERE deployment_id = ?`),

    recordProcess: p(
      `INSERT OR REPLACE INTO processes (key, app, deployment_id, name, pid, started_at, recorded_at)
       VALUES (@key, @app, @deploymentId, @name, @pid, @startedAt, @recordedAt)`,
    ),
    removeProcess: p(`DELETE FROM processes WHERE key = ?`),
    listProcesses: p<ProcessDbRow>(`SELECT * FROM processes ORDER BY app, key`),
    listAppProcesses: p<ProcessDbRow>(`SELECT * FROM processes WHERE app = ? ORDER BY key`),
  };
}

type Statements = ReturnType<typeof prepareAll>;

/** Creates the file owner-only before SQLite does: it holds config vars, which are secrets. */
function createPrivate(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

export class Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly s: Statements;
  private readonly logLimit: number;
  private readonly logTrimEvery: number;
  /** Env values are stored sealed (lib/agent/sealed.ts). */
  private readonly sealer: Sealer;

  /** Opens (creating if needed) and migrates the state database. `:memory:` gives a throwaway store. */
  static open(file: string, options: StoreOptions = {}): Store {
    const inMemory = file === ':memory:';
    if (!inMemory) createPrivate(file);
    const db = new Database(file);
    try {
      db.pragma('busy_timeout = 5000');
      if (!inMemory) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, inMemory ? 'in-memory state' : file);
      return new Store(file, db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(file: string, db: Database.Database, options: StoreOptions) {
    this.file = file;
    this.db = db;
    this.sealer = Sealer.forDatabase(file);
    this.logLimit = options.logLimit ?? 10_000;
    this.logTrimEvery = options.logTrimEvery ?? 256;
    if (!(Number.isInteger(this.logLimit) && this.logLimit > 0)) {
      throw new RangeError(`logLimit must be a positive integer, got ${this.logLimit}`);
    }
    if (!(Number.isInteger(this.logTrimEvery) && this.logTrimEvery > 0)) {
      throw new RangeError(`logTrimEvery must be a positive integer, got ${this.logTrimEvery}`);
    }
    this.s = prepareAll(db);
    this.sealOlderValues();
  }

  close(): void {
    if (!this.db.open) return;
    this.db.pragma('optimize');
    this.db.close();
  }

  // ── apps ──────────────────────────────────────────────────────────────

  ensureApp(name: string, init: { port?: number; host: string }): AppRow {
    this.s.insertApp.run(name, randomBytes(8).toString('hex'), init.port ?? null, init.host, now());
    return toApp(this.s.getApp.get(name)!);
  }

  getApp(name: string): AppRow | undefined {
    const row = this.s.getApp.get(name);
    return row && toApp(row);
  }

  listApps(): AppRow[] {
    return this.s.listApps.all().map(toApp);
  }

  setAppRouting(name: string, port: number, host: string): void {
    if (this.s.setRouting.run(port, host, name).changes === 0) throw appNotFound(name);
  }

  // ── config vars ───────────────────────────────────────────────────────

  getConfigVars(app: string): Record<string, string> {
    const vars: Record<string, string> = {};
    for (const { key, value } of this.s.getVars.all(app)) vars[key] = this.sealer.open(value);
    return vars;
  }

  /** Applies all changes or none; `null` unsets. Returns the app's full set afterwards. */
  setConfigVars(app: string, changes: Record<string, string | null>): Record<string, string> {
    return this.tx(() => {
      if (!this.s.getApp.get(app)) throw appNotFound(app);
      for (const [key, value] of Object.entries(changes)) {
        // Messages name the key only: values are secrets.
        if (key === '' || key.includes('=') || key.includes('\0')) {
          throw new SlipwayError('USAGE', `invalid config var name ${JSON.stringify(key)}`);
        }
        if (value === null) this.s.unsetVar.run(app, key);
        else if (typeof value === 'string') this.s.setVar.run(app, key, this.sealer.seal(value));
        else throw new SlipwayError('USAGE', `config var ${key} must be a string or null`);
      }
      return this.getConfigVars(app);
    });
  }

  // ── releases ──────────────────────────────────────────────────────────

  /** Reserves the app's next release number; a reserved number is never handed out again. */
  nextRelease(app: string): number {
    const row = this.s.reserveRelease.get(app);
    if (!row) throw appNotFound(app);
    return row.last_release;
  }

  /** Env values stored before they were sealed are sealed in place, once. */
  private sealOlderValues(): void {
    const plainVars = this.db
      .prepare<[], { app: string; key: string; value: string }>(`SELECT app, key, value FROM config_vars`)
      .all()
      .filter((v) => !isSealed(v.value));
    const plain = (env?: Record<string, string>) => env && Object.values(env).some((v) => !isSealed(v));
    const releases = this.db
      .prepare<[], ReleaseDbRow>(`SELECT * FROM releases`)
      .all()
      .map(toRelease)
      .filter((r) => plain(r.artifact.oneOff?.env) || r.processes.some((p) => plain(p.appEnv) || plain(p.runtimeEnv)));
    if (plainVars.length === 0 && releases.length === 0) return;
    const setVar = this.db.prepare(`UPDATE config_vars SET value = ? WHERE app = ? AND key = ?`);
    const setRelease = this.db.prepare(`UPDATE releases SET artifact = ?, processes = ? WHERE app = ? AND release = ?`);
    // Opening a sealed value gives it back; opening a plain one too: sealing what was opened seals both.
    const reseal = (env: Record<string, string>) => this.sealer.sealEnv(this.sealer.openEnv(env));
    this.tx(() => {
      for (const v of plainVars) setVar.run(this.sealer.seal(v.value), v.app, v.key);
      for (const r of releases) {
        setRelease.run(
          JSON.stringify(this.sealArtifact(r.artifact, reseal)),
          JSON.stringify(r.processes.map((p) => this.sealSpec(p, reseal))),
          r.app,
          r.release,
        );
      }
    });
  }

  private sealSpec(p: ReleaseProcess, env: (e: Record<string, string>) => Record<string, string>): ReleaseProcess {
    return {
      ...p,
      ...(p.appEnv ? { appEnv: env(p.appEnv) } : {}),
      ...(p.runtimeEnv ? { runtimeEnv: env(p.runtimeEnv) } : {}),
    };
  }

  private sealArtifact(
    a: ReleaseArtifact,
    env: (e: Record<string, string>) => Record<string, string>,
  ): ReleaseArtifact {
    return a.oneOff ? { ...a, oneOff: { ...a.oneOff, env: env(a.oneOff.env) } } : a;
  }

  private openRelease(r: ReleaseRow): ReleaseRow {
    const open = (env: Record<string, string>) => this.sealer.openEnv(env);
    return {
      ...r,
      artifact: this.sealArtifact(r.artifact, open),
      processes: r.processes.map((p) => this.sealSpec(p, open)),
    };
  }

  recordRelease(r: ReleaseRow): void {
    this.tx(() => {
      if (this.s.coverRelease.run(r.release, r.app).changes === 0) throw appNotFound(r.app);
      this.s.insertRelease.run({
        app: r.app,
        release: r.release,
        version: r.version,
        kind: r.kind,
        deploymentId: r.deploymentId,
        artifact: JSON.stringify(this.sealArtifact(artifactOnly(r.artifact), (env) => this.sealer.sealEnv(env))),
        processes: JSON.stringify(
          r.processes.map((p) => this.sealSpec(specOnly(p), (env) => this.sealer.sealEnv(env))),
        ),
        sourceRelease: r.sourceRelease,
        createdAt: r.createdAt,
      });
    });
  }

  getRelease(app: string, release: number): ReleaseRow | undefined {
    const row = this.s.getRelease.get(app, release);
    return row && this.openRelease(toRelease(row));
  }

  /** Newest first. */
  listReleases(app: string): ReleaseRow[] {
    return this.s.listReleases.all(app).map((row) => this.openRelease(toRelease(row)));
  }

  // ── deployments ───────────────────────────────────────────────────────

  /** Records a `queued` deployment. */
  createDeployment(d: NewDeployment): DeploymentRecord {
    return this.tx(() => {
      if (this.s.coverRelease.run(d.release, d.app).changes === 0) throw appNotFound(d.app);
      this.s.insertDeployment.run({
        id: d.id,
        app: d.app,
        release: d.release,
        version: d.version,
        kind: d.kind,
        mode: d.mode,
        startedAt: d.startedAt ?? now(),
        sourceRelease: d.sourceRelease,
        leaseExpiresAt: d.leaseExpiresAt,
      });
      return toDeployment(this.s.getDeployment.get(d.id)!);
    });
  }

  /**
   * Status changes must follow lib/status.ts. Setting `finishedAt` is what
   * takes a deployment out of `unfinishedDeployments` (a final status alone
   * does not: the agent may still have to retire old processes).
   */
  updateDeployment(id: string, patch: DeploymentPatch): DeploymentRecord {
    return this.tx(() => {
      const row = this.s.getDeployment.get(id);
      if (!row) throw deploymentNotFound(id);
      const current = toDeployment(row);
      const status = patch.status ?? current.status;
      if (!isStatus(status)) throw new SlipwayError('INTERNAL', `unknown deployment status ${JSON.stringify(status)}`);
      if (status !== current.status) assertTransition(current.status, status);
      const finishedAt = patch.finishedAt ?? current.finishedAt;
      let durationMs = current.durationMs;
      if (finishedAt !== current.finishedAt && finishedAt !== null) {
        durationMs = Math.max(0, Date.parse(finishedAt) - Date.parse(current.startedAt));
        if (Number.isNaN(durationMs)) throw new RangeError(`finishedAt is not a timestamp: ${finishedAt}`);
      }
      this.s.updateDeployment.run({
        id,
        status,
        hookExitCode: patch.hookExitCode !== undefined ? patch.hookExitCode : current.hookExitCode,
        hookReason: patch.hookReason !== undefined ? patch.hookReason : current.hookReason,
        warnings: JSON.stringify(patch.warnings ?? current.warnings),
        error: json(patch.error !== undefined ? patch.error : current.error),
        finishedAt,
        durationMs,
        leaseExpiresAt: patch.leaseExpiresAt ?? row.lease_expires_at,
      });
      // The first time a deployment reaches a phase is kept: durations by phase come from these.
      const mark = status === current.status ? undefined : PHASE_OF_STATUS[status];
      if (mark) this.s.markPhase.run(id, mark, Date.now());
      if (finishedAt !== current.finishedAt && finishedAt !== null) this.s.markPhase.run(id, 'end', Date.now());
      return toDeployment(this.s.getDeployment.get(id)!);
    });
  }

  getDeployment(id: string): DeploymentRecord | undefined {
    const row = this.s.getDeployment.get(id);
    return row && toDeployment(row);
  }

  /** Newest first. */
  listDeployments(opts: { app?: string; limit?: number } = {}): DeploymentRecord[] {
    // SQLite reads a negative LIMIT as none; so is anything unusable, like NaN from a bad query string.
    const limit = opts.limit !== undefined && Number.isFinite(opts.limit) ? Math.max(0, Math.floor(opts.limit)) : -1;
    const rows =
      opts.app === undefined ? this.s.listDeployments.all(limit) : this.s.listAppDeployments.all(opts.app, limit);
    return rows.map(toDeployment);
  }

  /** Deployments without `finishedAt`, oldest first, with their lease deadline (epoch ms). */
  unfinishedDeployments(app?: string): LeasedDeployment[] {
    const rows = app === undefined ? this.s.unfinished.all() : this.s.unfinishedForApp.all(app);
    return rows.map((r) => ({ ...toDeployment(r), leaseExpiresAt: r.lease_expires_at }));
  }

  // ── live state ────────────────────────────────────────────────────────

  setLive(app: string, live: LiveState): void {
    this.s.setLive.run({
      app,
      release: live.release,
      deploymentId: live.deploymentId,
      version: live.version,
      upstreams: JSON.stringify(live.upstreams.map(({ host, port }) => ({ host, port }))),
      runtime: live.runtime,
      updatedAt: now(),
    });
  }

  getLive(app: string): LiveRow | undefined {
    const row = this.s.getLive.get(app);
    return row && toLive(row);
  }

  listLive(): LiveRow[] {
    return this.s.listLive.all().map(toLive);
  }

  clearLive(app: string): void {
    this.s.clearLive.run(app);
  }

  // ── logs ──────────────────────────────────────────────────────────────

  appendLogs(deploymentId: string, lines: LogLine[]): void {
    if (lines.length === 0) return;
    this.tx(() => {
      if (!this.s.getDeployment.get(deploymentId)) throw deploymentNotFound(deploymentId);
      const last = this.s.lastLogSeq.get(deploymentId)?.seq ?? 0;
      let seq = last;
      // Stored as plain text: colours and other terminal control sequences are dropped.
      for (const l of lines) {
        this.s.insertLog.run(deploymentId, ++seq, l.phase, l.stream, stripVTControlCharacters(l.line), l.ts);
      }
      // Deleting on every insert would cost a range scan per line; once per
      // `logTrimEvery` lines keeps the table within limit + logTrimEvery rows.
      if (Math.floor(seq / this.logTrimEvery) !== Math.floor(last / this.logTrimEvery)) {
        this.s.trimLogs.run(deploymentId, seq - this.logLimit);
      }
    });
  }

  /** The newest `logLimit` lines, oldest first; with `phase`, only that phase's among them. */
  getLogs(deploymentId: string, opts: { phase?: string } = {}): LogLine[] {
    return this.s.getLogs.all({ id: deploymentId, limit: this.logLimit, phase: opts.phase ?? null });
  }

  /** Lines stored after line number `after` (0 for all), oldest first, each with its number: for following a log. */
  getLogsAfter(deploymentId: string, after: number): (LogLine & { seq: number })[] {
    return this.s.getLogsAfter.all({ id: deploymentId, after, limit: this.logLimit });
  }

  /** Lines after `seq` (oldest first, at most `limit`), with their seq: what a live view reads as it follows. */
  logsAfter(deploymentId: string, seq: number, limit = 1000): (LogLine & { seq: number })[] {
    return this.getLogsAfter(deploymentId, seq).slice(0, limit);
  }

  /**
   * When the deployment entered each phase (epoch ms): `build`, `start`,
   * `switch` and `end` as recorded with its status; `postdeploy` (and
   * `release`) from the first line of the hook's output, which every runtime
   * logs as the hook starts (`$ command`).
   */
  phaseMarks(deploymentId: string): Record<string, number> {
    const marks: Record<string, number> = {};
    for (const { phase, at } of this.s.getPhases.all(deploymentId)) marks[phase] = at;
    for (const phase of ['release', 'postdeploy']) {
      const ts = this.s.firstLogTs.get(deploymentId, phase)?.ts;
      if (typeof ts === 'number') marks[phase] = Math.round(ts);
    }
    return marks;
  }

  // ── processes ─────────────────────────────────────────────────────────

  /** Replaces any record with the same key. */
  recordProcess(p: ProcessRow): void {
    this.s.recordProcess.run({
      key: p.key,
      app: p.app,
      deploymentId: p.deploymentId,
      name: p.name,
      pid: p.pid,
      startedAt: p.startedAt,
      recordedAt: now(),
    });
  }

  removeProcess(key: string): void {
    this.s.removeProcess.run(key);
  }

  listProcesses(app?: string): ProcessRow[] {
    const rows = app === undefined ? this.s.listProcesses.all() : this.s.listAppProcesses.all(app);
    return rows.map(toProcess);
  }

  // scripts.first-deploy
  getFirstDeploy(app: string): FirstDeployRow {
    const row = this.s.getFirstDeploy.get(app);
    return {
      attempts: row?.attempts ?? 0,
      succeededAt: row?.succeeded_at ?? null,
      deploymentId: row?.deployment_id ?? null,
    };
  }

  /** Counts a run; the first success is kept for good. */
  recordFirstDeploy(app: string, run: { deploymentId: string; succeeded: boolean }): FirstDeployRow {
    this.s.recordFirstDeploy.run(app, run.succeeded ? now() : null, run.deploymentId);
    return this.getFirstDeploy(app);
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
