// (i) the deploying CLI killed with SIGKILL during the hook → aborted, old version serving, lock free;
// (j) the agent restarted (SIGTERM, then SIGKILL) → routes and history intact, serving again.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, get, servedBody, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

/** Deploys v1 of an app, then starts deploying v2 with a hook that runs until stopped; returns once it runs. */
async function deployStuckInHook(app: string) {
  const hookPid = join(e2e.home, `${app}-hook.pid`);
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  writeFileSync(join(dir, 'Procfile'), `web: node server.js\npostdeploy: echo $$ > ${hookPid}; exec sleep 600\n`);
  const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  await until(() => existsSync(hookPid), 15_000, 'the hook to start');
  return { dir, port, cli, pid: Number(readFileSync(hookPid, 'utf8')) };
}

test('(i) CLI killed during the hook: aborted within seconds, old version serving, lock free', async () => {
  const { dir, port, cli, pid } = await deployStuckInHook('orphan');
  cli.kill('SIGKILL');
  const aborted = await until(
    async () => {
      const [latest] = await e2e.json<any[]>(['deployments', '--app', 'orphan']);
      return latest.status === 'aborted' ? latest : null;
    },
    15_000,
    'the deployment to be marked aborted',
  );
  assert.is(aborted.version, 'v2');
  assert.ok(aborted.finishedAt);
  await until(() => !alive(pid), 10_000, 'the hook process to be stopped');
  assert.is((await get(port)).body, 'v1');
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: true\n');
  const next = await e2e.deploy(dir, ['--revision', 'v3', '--no-wait']);
  assert.is(next.code, 0, `the lock is free: ${next.stderr}`);
  assert.is((await get(port)).body, 'v3');
});

test('CLI killed right after the switch: the deployment is a success, the new version serving', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'switched' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  // A plugin whose routeSwitch tap runs after the switch itself and then
  // holds the deploying process there until it is killed.
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
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'switched', port, plugins: ['hold'] }));
  const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  await until(() => existsSync(marker), 15_000, 'the switch');
  cli.kill('SIGKILL');
  assert.is((await get(port)).body, 'v2');
  const ended = await until(
    async () => {
      const [latest] = await e2e.json<any[]>(['deployments', '--app', 'switched']);
      return latest.finishedAt ? latest : null;
    },
    15_000,
    'the deployment to be finished by the agent',
  );
  assert.is(ended.version, 'v2');
  assert.is(ended.status, 'success');
  assert.is((await get(port)).body, 'v2');
});

test('a second deployment waits for the first, or fails at once with --no-wait', async () => {
  const gate = join(e2e.home, 'gate');
  const started = join(e2e.home, 'started');
  const { dir } = await e2e.app(
    `web: node server.js\npostdeploy: touch ${started}; while [ ! -f ${gate} ]; do sleep 0.05; done\n`,
    { app: 'locked' },
  );
  const first = e2e.deploy(dir, ['--revision', 'v1']);
  await until(() => existsSync(started), 15_000, 'the hook to start');
  const refused = await e2e.run(['deploy', dir, '--no-wait']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /DEPLOY_LOCKED/);
  const waiting = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  let stderr = '';
  waiting.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => waiting.on('close', resolve));
  await until(() => /waiting/.test(stderr), 15_000, 'the second deployment to say it waits');
  writeFileSync(gate, '');
  assert.is((await first).code, 0);
  assert.is(await exited, 0, stderr);
});

test('(j) agent restarted with SIGTERM and with SIGKILL: history intact, live release serving again', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'survivor' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  assert.is((await e2e.deploy(dir, ['--revision', 'v2'])).code, 0);
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const status = await e2e.restartAgent(signal);
    assert.is(status.code, 0, status.stderr);
    const body = await servedBody(port, 2000, `the live release to serve again after ${signal}`);
    assert.is(body, 'v2');
    const list = await e2e.json<any[]>(['deployments', '--app', 'survivor']);
    assert.equal(
      list.map((d) => d.version),
      ['v2', 'v1'],
    );
  }
});

test('agent killed during the hook: the next agent stops the hook process and frees the app', async () => {
  const { port, cli, pid } = await deployStuckInHook('agentkilled');
  const status = await e2e.restartAgent('SIGKILL');
  assert.is(status.code, 0, status.stderr);
  await until(() => !alive(pid), 10_000, 'the hook process of the killed agent to be stopped');
  if (cli.exitCode === null && cli.signalCode === null) await new Promise((resolve) => cli.once('exit', resolve));
  const [latest] = await e2e.json<any[]>(['deployments', '--app', 'agentkilled']);
  assert.is(latest.version, 'v2');
  assert.is(latest.status, 'aborted');
  assert.is(await servedBody(port, 2000, 'v1 to serve again'), 'v1');
});

test.run();
