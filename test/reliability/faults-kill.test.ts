// Fault matrix, killed processes: the deploying CLI SIGKILLed while it
// builds and while the new processes start; the agent SIGKILLed while the new
// processes start, while the CLI builds, and during the switch. Each time: the deployment ends
// `aborted` (or `success` once past the switch) as recorded, the lock is
// free, the live release answers through the router, no process is left
// outside the live release, and SQLite's integrity check passes.
// The CLI killed during the hook and right after the switch, and the agent
// killed during the hook: test/e2e-ownership.test.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, get, servedBody, until } from '../support/e2e.js';
import { nothingLeftBehind, processesUnder } from '../support/leftovers.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

async function liveApp(app: string, config: Record<string, unknown> = {}) {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app, ...config });
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
  return { dir, port };
}

async function latest(app: string) {
  const [d] = await e2e.json<any[]>(['deployments', '--app', app]);
  return d;
}

/** Waits until the app's newest deployment has finished; returns it and how long that took. */
async function finished(app: string, since: number) {
  const d = await until(
    async () => {
      const l = await latest(app);
      return l.finishedAt ? l : null;
    },
    15_000,
    `the deployment of ${app} to be finished`,
  );
  return { d, ms: Date.now() - since };
}

function integrityCheck(): string {
  const db = new Database(join(e2e.home, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** The lock is free: the next deployment goes through at once, and serves. */
async function lockFree(dir: string, port: number, version: string) {
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: true\n');
  const next = await e2e.deploy(dir, ['--revision', version, '--no-wait']);
  assert.is(next.code, 0, `the lock is free: ${next.stderr}`);
  assert.is((await get(port)).body, version);
}

test('CLI SIGKILLed while it builds: aborted within the lease, nothing of the build left, lock free', async () => {
  const marker = join(e2e.home, 'building');
  const { dir, port } = await liveApp('killbuild');
  writeFileSync(
    join(dir, '.slipwayrc.json'),
    JSON.stringify({ app: 'killbuild', port, build: `touch ${marker}; exec sleep 600` }),
  );
  const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  await until(() => existsSync(marker), 15_000, 'the build to run');
  const killedAt = Date.now();
  cli.kill('SIGKILL');
  const { d, ms } = await finished('killbuild', killedAt);
  assert.is(d.version, 'v2');
  assert.is(d.status, 'aborted');
  assert.is((await get(port)).body, 'v1');
  await nothingLeftBehind(e2e, 'the build command to be stopped');
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'killbuild', port }));
  await lockFree(dir, port, 'v3');
  // The half-built release goes with the next deployment's pruning, as every failed one's.
  const halfBuilt = join(e2e.home, 'apps', 'killbuild', 'releases', String(d.release));
  await until(() => !existsSync(halfBuilt), 5000, 'the half-built release directory to be removed');
  console.log(`figures: CLI SIGKILLed while building -> ${d.status} ${ms} ms after the kill`);
});

test('CLI SIGKILLed while the new processes start: aborted within the lease, they are stopped, lock free', async () => {
  const pidFile = join(e2e.home, 'starting.pid');
  const { dir, port } = await liveApp('killstart', { start: { timeout: '60s' } });
  writeFileSync(join(dir, 'Procfile'), `web: echo $$ > ${pidFile}; exec sleep 600\npostdeploy: true\n`);
  const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  await until(() => existsSync(pidFile), 15_000, 'the new web process to start');
  const web = Number(readFileSync(pidFile, 'utf8'));
  const killedAt = Date.now();
  cli.kill('SIGKILL');
  const { d, ms } = await finished('killstart', killedAt);
  assert.is(d.version, 'v2');
  assert.is(d.status, 'aborted');
  await until(() => !alive(web), 10_000, 'the starting web process to be stopped');
  assert.is((await get(port)).body, 'v1');
  await nothingLeftBehind(e2e, 'nothing of the aborted start to be left');
  await lockFree(dir, port, 'v3');
  console.log(`figures: CLI SIGKILLed while starting -> ${d.status} ${ms} ms after the kill`);
});

test('agent SIGKILLed while the new processes start: after its restart aborted, nothing orphaned, integrity ok', async () => {
  const pidFile = join(e2e.home, 'agent-starting.pid');
  const { dir, port } = await liveApp('agentstart', { start: { timeout: '60s' } });
  writeFileSync(join(dir, 'Procfile'), `web: echo $$ > ${pidFile}; exec sleep 600\npostdeploy: true\n`);
  const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  await until(() => existsSync(pidFile), 15_000, 'the new web process to start');
  const web = Number(readFileSync(pidFile, 'utf8'));
  const status = await e2e.restartAgent('SIGKILL');
  assert.is(status.code, 0, status.stderr);
  if (cli.exitCode === null && cli.signalCode === null) await new Promise((resolve) => cli.once('exit', resolve));
  await until(() => !alive(web), 10_000, 'the orphaned web process to be stopped');
  const d = await latest('agentstart');
  assert.is(d.version, 'v2');
  assert.is(d.status, 'aborted');
  assert.ok(d.finishedAt);
  assert.is(await servedBody(port, 5000, 'v1 to serve again'), 'v1');
  assert.is(integrityCheck(), 'ok');
  await nothingLeftBehind(e2e, 'no orphaned process');
  await lockFree(dir, port, 'v3');
  console.log(`figures: agent SIGKILLed while starting -> ${d.status}; integrity_check ${integrityCheck()}`);
});

test('agent SIGKILLed while the CLI builds: after its restart aborted, the build stopped, integrity ok', async () => {
  const pidFile = join(e2e.home, 'agent-building.pid');
  const { dir, port } = await liveApp('agentbuild');
  writeFileSync(
    join(dir, '.slipwayrc.json'),
    JSON.stringify({ app: 'agentbuild', port, build: `echo $$ > ${pidFile}; exec sleep 600` }),
  );
  const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  await until(() => existsSync(pidFile), 15_000, 'the build to run');
  const build = Number(readFileSync(pidFile, 'utf8'));
  const status = await e2e.restartAgent('SIGKILL');
  assert.is(status.code, 0, status.stderr);
  await until(() => !alive(build), 10_000, 'the build command to be stopped');
  if (cli.exitCode === null && cli.signalCode === null) await new Promise((resolve) => cli.once('exit', resolve));
  const d = await latest('agentbuild');
  assert.is(d.version, 'v2');
  assert.is(d.status, 'aborted');
  assert.is(await servedBody(port, 5000, 'v1 to serve again'), 'v1');
  assert.is(integrityCheck(), 'ok');
  await nothingLeftBehind(e2e, 'no orphaned process');
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'agentbuild', port }));
  await lockFree(dir, port, 'v3');
  console.log(`figures: agent SIGKILLed while building -> ${d.status}; integrity_check ${integrityCheck()}`);
});

test('agent SIGKILLed during the switch: success as recorded, the new release serving, nothing orphaned, integrity ok', async () => {
  const { dir, port } = await liveApp('agentswitch');
  // A plugin whose routeSwitch tap runs after the core's (the switch itself) and then holds the deployment there.
  const marker = join(e2e.home, 'switched');
  const plugin = join(dir, 'node_modules', 'slipway-plugin-hold');
  mkdirSync(plugin, { recursive: true });
  writeFileSync(join(plugin, 'package.json'), '{"name":"slipway-plugin-hold","type":"module","main":"index.js"}\n');
  writeFileSync(
    join(plugin, 'index.js'),
    `import { writeFileSync } from 'node:fs';
export default () => ({
  name: 'hold',
  apply(deployer) {
    deployer.hooks.routeSwitch.tapPromise({ name: 'hold', stage: 10, timeout: 600000 }, async () => {
      writeFileSync(${JSON.stringify(marker)}, 'x');
      await new Promise(() => {});
    });
  },
});
`,
  );
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'agentswitch', port, plugins: ['hold'] }));
  const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  await until(() => existsSync(marker), 15_000, 'the switch');
  const before = processesUnder(e2e.home);
  const status = await e2e.restartAgent('SIGKILL');
  assert.is(status.code, 0, status.stderr);
  assert.is(await servedBody(port, 5000, 'the new release to serve'), 'v2');
  const d = await finished('agentswitch', Date.now());
  assert.is(d.d.version, 'v2');
  assert.is(d.d.status, 'success');
  assert.is(integrityCheck(), 'ok');
  // The old release's processes were outside the live release: stopped by the new agent; the new ones adopted.
  await nothingLeftBehind(e2e, 'no orphaned process');
  const after = processesUnder(e2e.home);
  assert.ok(
    after.every((pid) => before.includes(pid)),
    'the live processes were adopted, not started again',
  );
  cli.kill('SIGKILL');
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'agentswitch', port }));
  await lockFree(dir, port, 'v3');
  console.log(`figures: agent SIGKILLed during the switch -> ${d.d.status}; integrity_check ${integrityCheck()}`);
});

test.run();
