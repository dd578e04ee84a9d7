import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APPLICATION_ID, latestVersion, type Migration, migrate, migrations } from '../lib/agent/migrations.js';
import { type NewDeployment, type ReleaseProcess, Store } from '../lib/agent/store.js';
import type { LogLine } from '../lib/core/context.js';
import { isSlipwayError, type SlipwayError } from '../lib/core/errors.js';

const root = mkdtempSync(join(tmpdir(), 'slipway-store-'));
let n = 0;
/** A fresh database path per test, in a directory that does not exist yet. */
const freshFile = () => join(root, `case-${++n}`, 'state', 'agent.db');

const raw = (file: string) => new Database(file);
const mode = (path: string) => statSync(path).mode & 0o777;

const deployment = (over: Partial<NewDeployment> & { id: string; app: string; release: number }): NewDeployment => ({
  version: 'abc123',
  kind: 'deploy',
  mode: 'postdeploy',
  sourceRelease: null,
  leaseExpiresAt: 1_000,
  ...over,
});

function expectCode(fn: () => unknown, code: string, message?: RegExp): SlipwayError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  assert.ok(isSlipwayError(thrown), `expected ${code}, got ${String(thrown)}`);
  const error = thrown as SlipwayError;
  assert.is(error.code, code);
  if (message) assert.match(error.message, message);
  return error;
}

test.after(() => rmSync(root, { recursive: true, force: true }));

test('a fresh file gets the whole schema, owner-only permissions and WAL', () => {
  const file = freshFile();
  const store = Store.open(file);
  store.ensureApp('web', { host: '127.0.0.1' }); // forces a write, so the WAL file exists
  assert.is(mode(join(file, '..')), 0o700);
  assert.is(mode(file), 0o600);
  assert.is(mode(`${file}-wal`), 0o600);

  const db = raw(file);
  assert.is(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.is(db.pragma('user_version', { simple: true }), latestVersion());
  assert.ok(latestVersion() >= 1);
  assert.is(db.pragma('application_id', { simple: true }), APPLICATION_ID);
  const tables = db
    .prepare<[], { name: string }>(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
    .all()
    .map((t) => t.name);
  assert.equal(tables, [
    'apps',
    'config_vars',
    'deployment_phases',
    'deployments',
    'first_deploy',
    'live',
    'logs',
    'processes',
    'releases',
  ]);
  db.close();
  store.close();
});

test('an existing file with loose permissions is tightened to 0600', () => {
  const file = freshFile();
  Store.open(file).close();
  chmodSync(file, 0o644);
  Store.open(file).close();
  assert.is(mode(file), 0o600);
});

test('reopening migrates nothing and keeps the data', () => {
  const file = freshFile();
  const first = Store.open(file);
  const app = first.ensureApp('web', { host: '127.0.0.1', port: 8080 });
  first.close();

  const db = raw(file);
  const result = migrate(db, file);
  assert.equal(result.applied, []);
  assert.is(result.from, latestVersion());
  assert.is(result.to, latestVersion());
  db.close();

  const again = Store.open(file);
  assert.equal(again.getApp('web'), app);
  again.close();
});

test('a later migration is applied once, in a transaction, and bumps user_version', () => {
  const file = freshFile();
  Store.open(file).close();
  let runs = 0;
  const v2: Migration = {
    version: latestVersion() + 1,
    name: 'add notes',
    up(db) {
      runs++;
      db.exec('CREATE TABLE notes (text TEXT NOT NULL) STRICT');
    },
  };
  const db = raw(file);
  const first = migrate(db, file, [...migrations, v2]);
  assert.equal(first.applied, ['add notes']);
  assert.is(first.from, latestVersion());
  assert.is(first.to, v2.version);
  assert.is(db.pragma('user_version', { simple: true }), v2.version);
  const second = migrate(db, file, [...migrations, v2]);
  assert.equal(second.applied, []);
  assert.is(runs, 1);
  db.close();
});

test('a failing migration leaves the database at the previous version', () => {
  const file = freshFile();
  Store.open(file).close();
  const broken: Migration = {
    version: latestVersion() + 1,
    name: 'half done',
    up(db) {
      db.exec('CREATE TABLE partial (x INTEGER)');
      throw new Error('boom');
    },
  };
  const db = raw(file);
  const error = expectCode(() => migrate(db, file, [...migrations, broken]), 'INTERNAL', /half done/);
  assert.instance((error as Error).cause, Error);
  assert.is(db.pragma('user_version', { simple: true }), latestVersion());
  assert.is(db.prepare(`SELECT count(*) AS c FROM sqlite_schema WHERE name = 'partial'`).pluck().get(), 0);
  db.close();
});

test('a migration list with a gap is refused', () => {
  const db = new Database(':memory:');
  const gap: Migration = { version: latestVersion() + 2, name: 'skips one', up() {} };
  assert.throws(() => migrate(db, 'mem', [...migrations, gap]), /out of order/);
  assert.is(db.pragma('user_version', { simple: true }), 0);
  db.close();
});

test('a database from a newer slipway is refused and left untouched', () => {
  const file = freshFile();
  Store.open(file).close();
  const db = raw(file);
  db.pragma(`user_version = ${latestVersion() + 5}`);
  db.close();

  const error = expectCode(() => Store.open(file), 'AGENT_UNAVAILABLE', /newer than this slipway supports/);
  assert.match(error.message, String(latestVersion() + 5));
  assert.match(error.message, file);

  const after = raw(file);
  assert.is(after.pragma('user_version', { simple: true }), latestVersion() + 5);
  after.close();
});

test("another program's SQLite file is refused", () => {
  const file = freshFile();
  Store.open(file).close();
  const db = raw(file);
  db.pragma('application_id = 42');
  db.pragma('user_version = 0');
  db.close();
  expectCode(() => Store.open(file), 'AGENT_UNAVAILABLE', /not a slipway state database/);
});

test('apps: stable id, created once, routing updated', () => {
  const store = Store.open(freshFile());
  const created = store.ensureApp('web', { host: '127.0.0.1' });
  assert.match(created.id, /^[0-9a-f]{16}$/);
  assert.is(created.port, null);
  assert.is(created.lastRelease, 0);
  assert.ok(!Number.isNaN(Date.parse(created.createdAt)));

  const again = store.ensureApp('web', { host: '0.0.0.0', port: 9999 });
  assert.equal(again, created, 'ensureApp must not change an existing app');
  assert.is.not(store.ensureApp('api', { host: '127.0.0.1', port: 7000 }).id, created.id);

  store.setAppRouting('web', 8080, '0.0.0.0');
  assert.is(store.getApp('web')?.port, 8080);
  assert.is(store.getApp('web')?.host, '0.0.0.0');
  assert.is(store.getApp('web')?.id, created.id);
  assert.equal(
    store.listApps().map((a) => a.name),
    ['api', 'web'],
  );
  assert.is(store.getApp('nope'), undefined);
  expectCode(() => store.setAppRouting('nope', 1, 'h'), 'APP_NOT_FOUND');
  store.close();
});

test('config vars: set, merge, unset, all or nothing', () => {
  const store = Store.open(freshFile());
  store.ensureApp('web', { host: '127.0.0.1' });
  assert.equal(store.getConfigVars('web'), {});
  assert.equal(store.setConfigVars('web', { A: '1', B: '2' }), { A: '1', B: '2' });
  assert.equal(store.setConfigVars('web', { B: 'two', C: '3' }), { A: '1', B: 'two', C: '3' });
  assert.equal(store.setConfigVars('web', { A: null, MISSING: null }), { B: 'two', C: '3' });
  assert.equal(store.getConfigVars('web'), { B: 'two', C: '3' });

  // the valid change before the bad key must not survive
  expectCode(() => store.setConfigVars('web', { D: '4', 'BAD=KEY': 'x' }), 'USAGE');
  assert.equal(store.getConfigVars('web'), { B: 'two', C: '3' });

  store.ensureApp('api', { host: '127.0.0.1' });
  assert.equal(store.getConfigVars('api'), {}, 'vars are per app');
  expectCode(() => store.setConfigVars('nope', { A: '1' }), 'APP_NOT_FOUND');
  store.close();
});

test('release numbers: monotonic per app, independent across apps, never reused', () => {
  const file = freshFile();
  const store = Store.open(file);
  expectCode(() => store.nextRelease('web'), 'APP_NOT_FOUND');
  store.ensureApp('web', { host: '127.0.0.1' });
  store.ensureApp('api', { host: '127.0.0.1' });
  assert.is(store.nextRelease('web'), 1);
  assert.is(store.nextRelease('web'), 2); // 1 reserved and abandoned, as after a failed build
  assert.is(store.nextRelease('api'), 1);
  assert.is(store.nextRelease('web'), 3);
  store.close();

  const reopened = Store.open(file);
  assert.is(reopened.nextRelease('web'), 4);
  assert.is(reopened.nextRelease('api'), 2);
  assert.is(reopened.getApp('web')?.lastRelease, 4);

  // a number used directly is never handed out later
  reopened.createDeployment(deployment({ id: 'd-web-10', app: 'web', release: 10 }));
  assert.is(reopened.nextRelease('web'), 11);
  reopened.close();
});

test('releases: recorded with parsed JSON, env never stored, newest first', () => {
  const file = freshFile();
  const store = Store.open(file);
  store.ensureApp('web', { host: '127.0.0.1' });
  const r1 = store.nextRelease('web');
  store.createDeployment(deployment({ id: 'd1', app: 'web', release: r1 }));
  const spec: ReleaseProcess = {
    type: 'web',
    index: 1,
    name: 'web-1',
    command: 'node server.js',
    cwd: '/srv/web/1',
    web: true,
    appEnv: { NODE_ENV: 'production' },
    runtimeEnv: { APP: 'web', CONTAINER_VERSION: 'v1' },
  };
  const worker: ReleaseProcess = { type: 'worker', index: 1, name: 'worker-1', command: 'node w.js', cwd: '/srv/w' };
  const withEnv = { ...spec, env: { DATABASE_URL: 'postgres://secret' } } as ReleaseProcess;
  store.recordRelease({
    app: 'web',
    release: r1,
    version: 'v1',
    kind: 'deploy',
    deploymentId: 'd1',
    artifact: { runtime: 'process', path: '/srv/web/releases/1' },
    processes: [withEnv, worker],
    createdAt: '2024-01-01T00:00:00.000Z',
    sourceRelease: null,
  });
  const r2 = store.nextRelease('web');
  store.createDeployment(deployment({ id: 'd2', app: 'web', release: r2, kind: 'rollback', sourceRelease: r1 }));
  store.recordRelease({
    app: 'web',
    release: r2,
    version: 'v1',
    kind: 'rollback',
    deploymentId: 'd2',
    artifact: { runtime: 'docker', image: 'web:1' },
    processes: [],
    createdAt: '2024-01-02T00:00:00.000Z',
    sourceRelease: r1,
  });

  const got = store.getRelease('web', r1)!;
  assert.equal(got.processes, [spec, worker], 'a restarted agent can start them again from this');
  assert.equal(got.artifact, { runtime: 'process', path: '/srv/web/releases/1' });
  assert.is(got.sourceRelease, null);
  assert.is(got.deploymentId, 'd1');
  assert.equal(
    store.listReleases('web').map((r) => [r.release, r.kind, r.sourceRelease]),
    [
      [2, 'rollback', 1],
      [1, 'deploy', null],
    ],
  );
  assert.equal(store.getRelease('web', r2)?.artifact, { runtime: 'docker', image: 'web:1' });
  assert.is(store.getRelease('web', 99), undefined);
  store.close();

  const db = raw(file);
  const text = db.prepare('SELECT processes FROM releases').pluck().all().join('\n');
  assert.not.match(text, 'secret');
  db.close();
});

test('deployments: queued on create, newest first, filtered by app, limited', () => {
  const store = Store.open(freshFile());
  store.ensureApp('web', { host: '127.0.0.1' });
  store.ensureApp('api', { host: '127.0.0.1' });
  const stamp = '2024-05-01T10:00:00.000Z';
  const d = store.createDeployment(deployment({ id: 'a', app: 'web', release: 1, startedAt: stamp }));
  assert.equal(d, {
    id: 'a',
    app: 'web',
    release: 1,
    version: 'abc123',
    kind: 'deploy',
    mode: 'postdeploy',
    status: 'queued',
    hookExitCode: null,
    hookReason: null,
    warnings: [],
    error: null,
    startedAt: stamp,
    finishedAt: null,
    durationMs: null,
    sourceRelease: null,
  });
  // identical timestamps: order must still follow creation
  store.createDeployment(deployment({ id: 'b', app: 'api', release: 1, startedAt: stamp }));
  store.createDeployment(deployment({ id: 'c', app: 'web', release: 2, startedAt: stamp, mode: 'heroku' }));

  assert.equal(
    store.listDeployments().map((x) => x.id),
    ['c', 'b', 'a'],
  );
  assert.equal(
    store.listDeployments({ app: 'web' }).map((x) => x.id),
    ['c', 'a'],
  );
  assert.equal(
    store.listDeployments({ limit: 2 }).map((x) => x.id),
    ['c', 'b'],
  );
  assert.equal(
    store.listDeployments({ app: 'web', limit: 1 }).map((x) => x.id),
    ['c'],
  );
  assert.is(store.listDeployments({ limit: Number('junk') }).length, 3, 'an unusable limit means none');
  assert.is(store.listDeployments({ limit: 0 }).length, 0);
  assert.is(store.getDeployment('c')?.mode, 'heroku');
  assert.is(store.getDeployment('zzz'), undefined);
  expectCode(() => store.createDeployment(deployment({ id: 'x', app: 'nope', release: 1 })), 'APP_NOT_FOUND');
  store.close();
});

test('deployments: updates follow the status rules and compute durationMs', () => {
  const store = Store.open(freshFile());
  store.ensureApp('web', { host: '127.0.0.1' });
  store.createDeployment(deployment({ id: 'd', app: 'web', release: 1, startedAt: '2024-05-01T10:00:00.000Z' }));

  assert.is(store.updateDeployment('d', { status: 'building', leaseExpiresAt: 5_000 }).status, 'building');
  expectCode(() => store.updateDeployment('nope', { status: 'building' }), 'DEPLOY_NOT_FOUND');
  assert.throws(() => store.updateDeployment('d', { status: 'queued' }), /impossible deployment status change/);
  assert.is(store.getDeployment('d')?.status, 'building');

  store.updateDeployment('d', { status: 'starting', warnings: [{ plugin: 'p', message: 'slow' }] });
  const done = store.updateDeployment('d', {
    status: 'hook-error',
    hookExitCode: -128,
    hookReason: 'timeout',
    error: { code: 'HOOK_TIMEOUT', message: 'postdeploy ran past 20m' },
    finishedAt: '2024-05-01T10:00:12.345Z',
  });
  assert.is(done.durationMs, 12_345);
  assert.is(done.finishedAt, '2024-05-01T10:00:12.345Z');
  assert.is(done.hookExitCode, -128);
  assert.is(done.hookReason, 'timeout');
  assert.equal(done.warnings, [{ plugin: 'p', message: 'slow' }], 'earlier patches are kept');
  assert.equal(done.error, { code: 'HOOK_TIMEOUT', message: 'postdeploy ran past 20m' });
  assert.equal(store.getDeployment('d'), done);
  assert.throws(() => store.updateDeployment('d', { status: 'success' }), /impossible/);
  store.close();
});

test('deployments: unfinished until finishedAt is set, each with its lease', () => {
  const file = freshFile();
  const store = Store.open(file);
  store.ensureApp('web', { host: '127.0.0.1' });
  store.ensureApp('api', { host: '127.0.0.1' });
  store.createDeployment(deployment({ id: 'x', app: 'web', release: 1, leaseExpiresAt: 111 }));
  store.createDeployment(deployment({ id: 'y', app: 'api', release: 1, leaseExpiresAt: 222 }));
  store.createDeployment(deployment({ id: 'z', app: 'web', release: 2, leaseExpiresAt: 333 }));
  store.updateDeployment('z', { leaseExpiresAt: 444 });

  assert.equal(
    store.unfinishedDeployments().map((d) => [d.id, d.leaseExpiresAt]),
    [
      ['x', 111],
      ['y', 222],
      ['z', 444],
    ],
  );
  assert.equal(
    store.unfinishedDeployments('web').map((d) => d.id),
    ['x', 'z'],
  );

  // switched but not yet finished: the agent still has old processes to retire
  store.updateDeployment('z', { status: 'building' });
  store.updateDeployment('z', { status: 'starting' });
  assert.is(store.updateDeployment('z', { status: 'success' }).finishedAt, null);
  const aborted = store.updateDeployment('x', { status: 'aborted', error: null, finishedAt: new Date().toISOString() });
  assert.is(aborted.error, null);
  assert.ok(aborted.durationMs !== null && aborted.durationMs >= 0);
  assert.equal(
    store.unfinishedDeployments('web').map((d) => [d.id, d.status]),
    [['z', 'success']],
  );
  assert.equal(
    store.unfinishedDeployments().map((d) => d.id),
    ['y', 'z'],
  );
  store.updateDeployment('z', { finishedAt: new Date().toISOString() });
  assert.equal(store.unfinishedDeployments('web'), []);
  assert.equal(
    store.unfinishedDeployments().map((d) => d.id),
    ['y'],
  );
  assert.not.ok('leaseExpiresAt' in store.getDeployment('z')!, 'records sent to clients carry no lease');
  store.close();

  const db = raw(file);
  assert.is(
    db.prepare(`SELECT error IS NULL FROM deployments WHERE id = 'x'`).pluck().get(),
    1,
    'no error is SQL NULL',
  );
  db.close();
});

const lines = (from: number, to: number, phase: LogLine['phase'] = 'build'): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    phase,
    stream: 'stdout' as const,
    line: `line ${from + i}`,
    ts: 1_700_000_000_000 + from + i,
  }));

test('logs: in order, per deployment, filtered by phase', () => {
  const store = Store.open(freshFile());
  store.ensureApp('web', { host: '127.0.0.1' });
  store.createDeployment(deployment({ id: 'a', app: 'web', release: 1 }));
  store.createDeployment(deployment({ id: 'b', app: 'web', release: 2 }));
  store.appendLogs('a', lines(1, 3));
  store.appendLogs('b', lines(1, 1));
  store.appendLogs('a', [{ phase: 'postdeploy', stream: 'stderr', line: 'migrating', ts: 1.5 }]);
  store.appendLogs('a', lines(4, 4));

  assert.equal(store.getLogs('a'), [
    ...lines(1, 3),
    { phase: 'postdeploy', stream: 'stderr', line: 'migrating', ts: 1.5 },
    ...lines(4, 4),
  ]);
  assert.equal(store.getLogs('a', { phase: 'postdeploy' }), [
    { phase: 'postdeploy', stream: 'stderr', line: 'migrating', ts: 1.5 },
  ]);
  assert.equal(store.getLogs('b'), lines(1, 1));
  assert.equal(store.getLogs('unknown'), []);
  expectCode(() => store.appendLogs('unknown', lines(1, 1)), 'DEPLOY_NOT_FOUND');
  store.close();
});

test('logs: only the newest N lines are kept, and old rows are really deleted', () => {
  const file = freshFile();
  const limit = 50;
  const trimEvery = 16;
  const store = Store.open(file, { logLimit: limit, logTrimEvery: trimEvery });
  store.ensureApp('web', { host: '127.0.0.1' });
  store.createDeployment(deployment({ id: 'a', app: 'web', release: 1 }));
  store.createDeployment(deployment({ id: 'b', app: 'web', release: 2 }));
  const total = limit + 37;
  for (let i = 1; i <= total; i += 5) store.appendLogs('a', lines(i, Math.min(i + 4, total)));
  store.appendLogs('b', lines(1, 10));

  assert.equal(store.getLogs('a'), lines(total - limit + 1, total));
  assert.equal(store.getLogs('b'), lines(1, 10), 'trimming one deployment leaves the others alone');

  const db = raw(file);
  const stored = db.prepare(`SELECT count(*) FROM logs WHERE deployment_id = 'a'`).pluck().get() as number;
  assert.ok(stored >= limit && stored < limit + trimEvery, `stored ${stored} rows`);
  db.close();

  // one batch much larger than the limit
  store.appendLogs('b', lines(11, 500));
  assert.equal(store.getLogs('b'), lines(451, 500));
  store.close();

  const reopened = Store.open(file, { logLimit: limit, logTrimEvery: trimEvery });
  reopened.appendLogs('a', lines(total + 1, total + 2));
  assert.equal(reopened.getLogs('a'), lines(total - limit + 3, total + 2));
  reopened.close();
});

test('live state survives close and reopen', () => {
  const file = freshFile();
  const store = Store.open(file);
  store.ensureApp('web', { host: '127.0.0.1' });
  store.ensureApp('api', { host: '127.0.0.1' });
  store.createDeployment(deployment({ id: 'd1', app: 'web', release: 1 }));
  store.createDeployment(deployment({ id: 'd2', app: 'web', release: 2 }));
  store.createDeployment(deployment({ id: 'd3', app: 'api', release: 1 }));
  const upstreams = [
    { host: '127.0.0.1', port: 40001 },
    { host: '127.0.0.1', port: 40002 },
  ];
  store.setLive('web', { release: 1, deploymentId: 'd1', version: 'v1', upstreams: [], runtime: 'process' });
  store.setLive('web', { release: 2, deploymentId: 'd2', version: 'v2', upstreams, runtime: 'process' });
  store.setLive('api', { release: 1, deploymentId: 'd3', version: 'a1', upstreams: [], runtime: 'docker' });
  store.close();

  const reopened = Store.open(file);
  const live = reopened.getLive('web')!;
  assert.equal(
    { release: live.release, deploymentId: live.deploymentId, version: live.version, runtime: live.runtime },
    { release: 2, deploymentId: 'd2', version: 'v2', runtime: 'process' },
  );
  assert.equal(live.upstreams, upstreams);
  assert.ok(!Number.isNaN(Date.parse(live.updatedAt)));
  assert.equal(
    reopened.listLive().map((l) => l.app),
    ['api', 'web'],
  );
  reopened.clearLive('api');
  assert.is(reopened.getLive('api'), undefined);
  assert.equal(
    reopened.listLive().map((l) => l.app),
    ['web'],
  );
  reopened.close();
});

test('foreign keys are enforced', () => {
  const store = Store.open(freshFile());
  store.ensureApp('web', { host: '127.0.0.1' });
  assert.throws(
    () => store.setLive('web', { release: 1, deploymentId: 'ghost', version: 'v', upstreams: [], runtime: 'process' }),
    /FOREIGN KEY/,
  );
  assert.is(store.getLive('web'), undefined);
  store.close();
});

test('processes: recorded, replaced by key, listed by app, removed', () => {
  const file = freshFile();
  const store = Store.open(file);
  const p = { key: 'd1/web-1', app: 'web', deploymentId: 'd1', name: 'web-1', pid: 4242, startedAt: 123456 };
  store.recordProcess(p);
  store.recordProcess({ ...p, key: 'd1/worker-1', name: 'worker-1', pid: 4243 });
  store.recordProcess({ ...p, key: 'd9/web-1', app: 'api', deploymentId: 'd9', pid: 5000 });
  store.recordProcess({ ...p, pid: 4300, startedAt: 999 });
  store.close();

  const reopened = Store.open(file);
  assert.equal(reopened.listProcesses('web'), [
    { ...p, pid: 4300, startedAt: 999 },
    { ...p, key: 'd1/worker-1', name: 'worker-1', pid: 4243 },
  ]);
  assert.is(reopened.listProcesses().length, 3);
  reopened.removeProcess('d1/web-1');
  assert.equal(
    reopened.listProcesses().map((x) => x.key),
    ['d9/web-1', 'd1/worker-1'],
  );
  reopened.close();
});

test('statements are prepared once per store, not per call', () => {
  const store = Store.open(freshFile());
  const proto = Database.prototype as unknown as { prepare: (...args: unknown[]) => unknown };
  const original = proto.prepare;
  let prepared = 0;
  proto.prepare = function (this: unknown, ...args: unknown[]) {
    prepared++;
    return original.apply(this, args);
  };
  try {
    store.ensureApp('web', { host: '127.0.0.1' });
    store.setConfigVars('web', { A: '1' });
    store.createDeployment(deployment({ id: 'd', app: 'web', release: store.nextRelease('web') }));
    store.updateDeployment('d', { status: 'building' });
    store.appendLogs('d', lines(1, 3));
    store.getLogs('d');
    store.listDeployments({ app: 'web' });
    store.unfinishedDeployments();
    store.setLive('web', { release: 1, deploymentId: 'd', version: 'v', upstreams: [], runtime: 'process' });
    store.listLive();
  } finally {
    proto.prepare = original;
  }
  assert.is(prepared, 0);
  store.close();
});

test('an in-memory store works for tests of other parts', () => {
  const store = Store.open(':memory:');
  store.ensureApp('web', { host: '127.0.0.1' });
  assert.is(store.nextRelease('web'), 1);
  store.close();
  store.close(); // closing twice is harmless
});

test('scripts.first-deploy state: attempts counted, the first success kept for good', () => {
  const store = Store.open(freshFile());
  store.ensureApp('shop', { host: '127.0.0.1' });
  assert.equal(store.getFirstDeploy('shop'), { attempts: 0, succeededAt: null, deploymentId: null });
  assert.is(store.recordFirstDeploy('shop', { deploymentId: 'd1', succeeded: false }).attempts, 1);
  const ok = store.recordFirstDeploy('shop', { deploymentId: 'd2', succeeded: true });
  assert.is(ok.attempts, 2);
  assert.ok(ok.succeededAt);
  assert.is(ok.deploymentId, 'd2');
  const later = store.recordFirstDeploy('shop', { deploymentId: 'd3', succeeded: false });
  assert.equal(later, ok);
  store.close();
});

test('a database written by schema version 1 is upgraded in place, its data kept', () => {
  const file = freshFile();
  mkdirSync(join(file, '..'), { recursive: true });
  const db = raw(file);
  migrate(db, file, migrations.slice(0, 1));
  db.prepare(
    `INSERT INTO apps (name, id, port, host, created_at) VALUES ('old', 'abc', 5000, '127.0.0.1', 'then')`,
  ).run();
  assert.is(db.pragma('user_version', { simple: true }), 1);
  db.close();
  const store = Store.open(file);
  assert.is(store.getApp('old')?.port, 5000);
  assert.equal(store.getFirstDeploy('old').attempts, 0);
  store.recordFirstDeploy('old', { deploymentId: 'd1', succeeded: true });
  store.close();
  const check = raw(file);
  assert.is(check.pragma('user_version', { simple: true }), latestVersion());
  assert.ok(latestVersion() >= 2);
  check.close();
});

test('env values are sealed at rest: config vars and release env read back, absent from every byte on disk', () => {
  const file = freshFile();
  const store = Store.open(file);
  store.ensureApp('vault', { host: '127.0.0.1' });
  store.setConfigVars('vault', { DB_PASSWORD: 'cfg-s3cret-91', EMPTY: '' });
  const release = store.nextRelease('vault');
  store.createDeployment(deployment({ id: 'dv', app: 'vault', release }));
  const spec: ReleaseProcess = {
    type: 'web',
    index: 1,
    name: 'web-1',
    command: 'node server.js',
    cwd: '/srv',
    appEnv: { API_KEY: 'app-s3cret-27' },
    runtimeEnv: { PORT: '5000' },
  };
  const artifact = { runtime: 'docker', image: 'x', oneOff: { env: { TOKEN: 'oneoff-s3cret-33' } } };
  store.recordRelease({
    app: 'vault',
    release,
    version: 'v1',
    kind: 'deploy',
    deploymentId: 'dv',
    artifact,
    processes: [spec],
    createdAt: '2024-01-01T00:00:00.000Z',
    sourceRelease: null,
  });
  assert.equal(store.getConfigVars('vault'), { DB_PASSWORD: 'cfg-s3cret-91', EMPTY: '' });
  assert.equal(store.getRelease('vault', release)?.processes[0]?.appEnv, { API_KEY: 'app-s3cret-27' });
  assert.equal(store.listReleases('vault')[0]?.artifact.oneOff?.env, { TOKEN: 'oneoff-s3cret-33' });
  const dir = join(file, '..');
  const bytes = Buffer.concat(
    ['agent.db', 'agent.db-wal', 'agent.db-shm'].map((f) => {
      try {
        return readFileSync(join(dir, f));
      } catch {
        return Buffer.alloc(0);
      }
    }),
  );
  for (const secret of ['cfg-s3cret-91', 'app-s3cret-27', 'oneoff-s3cret-33'])
    assert.not.ok(bytes.includes(secret), secret);
  assert.is(mode(join(dir, 'secret.key')), 0o600);
  store.close();
  // Another store on the same files (the next agent) reads them with the same key.
  const again = Store.open(file);
  assert.equal(again.getConfigVars('vault').DB_PASSWORD, 'cfg-s3cret-91');
  again.close();
});

test('values stored in plain text by an older slipway are sealed when the store opens', () => {
  const file = freshFile();
  const first = Store.open(file);
  first.ensureApp('old', { host: '127.0.0.1' });
  first.close();
  const db = raw(file);
  db.prepare(`INSERT INTO config_vars (app, key, value) VALUES ('old', 'LEGACY', 'plain-s3cret-44')`).run();
  db.close();
  const store = Store.open(file);
  assert.equal(store.getConfigVars('old'), { LEGACY: 'plain-s3cret-44' });
  const check = raw(file);
  const stored = check.prepare(`SELECT value FROM config_vars WHERE key = 'LEGACY'`).get() as { value: string };
  check.close();
  assert.match(stored.value, /^sealed:v1:/);
  store.close();
});

test.run();
