/**
 * Schema history of the agent's state database. Each migration is applied
 * once, in order, inside its own transaction, and the database records how far
 * it got in `PRAGMA user_version`. Migrations are history: never edit one that
 * has shipped, append a new one instead.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { SlipwayError } from '../core/errors.js';

export interface Migration {
  /** 1, 2, 3… with no gaps; becomes `user_version` once applied. */
  readonly version: number;
  readonly name: string;
  readonly up: (db: BetterSqlite3.Database) => void;
}

/** `slpw`: marks a file as slipway state, so another program's SQLite file is never migrated. */
export const APPLICATION_ID = 0x736c7077;

export const migrations: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'initial schema',
    up(db) {
      db.exec(`
        CREATE TABLE apps (
          name TEXT PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          port INTEGER,
          host TEXT NOT NULL,
          -- highest release number handed out; releases are never reused, even after failures
          last_release INTEGER NOT NULL DEFAULT 0 CHECK (last_release >= 0),
          created_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE config_vars (
          app TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (app, key)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE deployments (
          -- insertion order: timestamps tie within a millisecond, this never does
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          app TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
          release INTEGER NOT NULL CHECK (release >= 1),
          version TEXT NOT NULL,
          kind TEXT NOT NULL,
          mode TEXT NOT NULL,
          status TEXT NOT NULL,
          hook_exit_code INTEGER,
          hook_reason TEXT,
          warnings TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warnings)),
          error TEXT CHECK (error IS NULL OR json_valid(error)),
          started_at TEXT NOT NULL,
          finished_at TEXT,
          duration_ms INTEGER,
          source_release INTEGER,
          lease_expires_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX deployments_by_app ON deployments (app, seq);
        CREATE INDEX deployments_unfinished ON deployments (app, seq) WHERE finished_at IS NULL;

        CREATE TABLE releases (
          app TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
          release INTEGER NOT NULL CHECK (release >= 1),
          version TEXT NOT NULL,
          kind TEXT NOT NULL,
          deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
          artifact TEXT NOT NULL CHECK (json_valid(artifact)),
          processes TEXT NOT NULL CHECK (json_valid(processes)),
          source_release INTEGER,
          created_at TEXT NOT NULL,
          PRIMARY KEY (app, release)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE live (
          app TEXT PRIMARY KEY REFERENCES apps (name) ON DELETE CASCADE,
          release INTEGER NOT NULL,
          deployment_id TEXT NOT NULL REFERENCES deployments (id),
          version TEXT NOT NULL,
          upstreams TEXT NOT NULL CHECK (json_valid(upstreams)),
          runtime TEXT NOT NULL,
          updated_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE logs (
          deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
          seq INTEGER NOT NULL,
          phase TEXT NOT NULL,
          stream TEXT NOT NULL,
          line TEXT NOT NULL,
          ts REAL NOT NULL,
          PRIMARY KEY (deployment_id, seq)
        ) STRICT, WITHOUT ROWID;

        -- No foreign keys here on purpose: recording a started process must never
        -- be refused, or the process would leak untracked past an agent restart.
        CREATE TABLE processes (
          key TEXT PRIMARY KEY,
          app TEXT NOT NULL,
          deployment_id TEXT NOT NULL,
          name TEXT NOT NULL,
          pid INTEGER NOT NULL,
          started_at INTEGER NOT NULL,
          recorded_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX processes_by_app ON processes (app);
      `);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    },
  },
  {
    version: 2,
    name: 'first-deploy script state',
    up(db) {
      db.exec(`
        -- scripts.first-deploy: how often it ran, and when it first succeeded (then never again)
        CREATE TABLE first_deploy (
          app TEXT PRIMARY KEY REFERENCES apps (name) ON DELETE CASCADE,
          attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
          succeeded_at TEXT,
          deployment_id TEXT
        ) STRICT;
      `);
    },
  },
  {
    version: 3,
    name: 'deployment phase marks',
    up(db) {
      db.exec(`
        -- When a deployment entered each phase (epoch ms), for the dashboard's durations by phase:
        -- build (status building), start (starting), switch (success), end (finished).
        CREATE TABLE deployment_phases (
          deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
          phase TEXT NOT NULL,
          at INTEGER NOT NULL,
          PRIMARY KEY (deployment_id, phase)
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
]);

/** The schema version this code writes. */
export function latestVersion(list: readonly Migration[] = migrations): number {
  return list.length === 0 ? 0 : list[list.length - 1].version;
}

function checkList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration list out of order: entry ${i} has version ${m.version}, expected ${i + 1}`);
    }
  });
}

function userVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuses files this code must not touch: another program's database, or a newer slipway's. */
function checkCompatible(db: BetterSqlite3.Database, label: string, latest: number): number {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== 0 && appId !== APPLICATION_ID) {
    throw new SlipwayError('AGENT_UNAVAILABLE', `${label} is not a slipway state database`, {
      details: 'Point the agent at its own state directory; slipway never changes a foreign database.',
      data: { applicationId: appId },
    });
  }
  const current = userVersion(db);
  if (current > latest) {
    throw new SlipwayError(
      'AGENT_UNAVAILABLE',
      `${label} has schema version ${current}, newer than this slipway supports (${latest})`,
      {
        details:
          'A newer slipway wrote this state. Upgrade slipway to that version or later; downgrading the state is not supported.',
        data: { schemaVersion: current, supportedVersion: latest },
      },
    );
  }
  return current;
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: string[];
}

/**
 * Brings the database up to the latest version. Safe to call on every open:
 * an up-to-date database is left alone. `label` names the file in errors.
 */
export function migrate(
  db: BetterSqlite3.Database,
  label: string,
  list: readonly Migration[] = migrations,
): MigrationResult {
  checkList(list);
  const latest = latestVersion(list);
  const from = checkCompatible(db, label, latest);
  const applied: string[] = [];
  for (const m of list) {
    if (m.version <= from) continue;
    const step = db.transaction(() => {
      // Re-read under the write lock: another opener may have applied it meanwhile.
      if (userVersion(db) >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
      applied.push(m.name);
    });
    try {
      step.immediate();
    } catch (error) {
      if (error instanceof SlipwayError) throw error;
      throw new SlipwayError('INTERNAL', `${label}: schema migration ${m.version} (${m.name}) failed`, {
        cause: error,
      });
    }
  }
  return { from, to: userVersion(db), applied };
}
