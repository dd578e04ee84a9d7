// After a deployment: crash restarts, config changes, rollbacks, one-offs, init.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, get, servedBody, startedPids, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

const hookCount = (file: string) => `web: node server.js\npostdeploy: echo ran >> ${file}\n`;
const runs = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0);

test('a crashed web process of the live release is restarted', async () => {
  const { dir, port } = await e2e.app('web: node server.js\n', { app: 'phoenix' });
  const { code, events } = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(code, 0);
  const [pid] = startedPids(events);
  process.kill(pid!, 'SIGKILL');
  await until(() => !alive(pid!), 5000, 'the process to die');
  // The supervisor notices, waits its backoff, and starts a new process.
  const restarted = await until(
    async () => {
      const [app] = await e2e.json<any[]>(['status']);
      const p = app.processes[0];
      return p && p.pid !== pid && p.running ? p : null;
    },
    15_000,
    'a new web process',
  );
  assert.ok(alive(restarted.pid));
  const body = await servedBody(port, 10_000, 'the restarted process to answer');
  assert.is(body, 'v1');
});

test('config:set restarts the live processes with the new env and does not run postdeploy', async () => {
  const marker = join(e2e.home, 'config-hook-runs');
  const { dir, port } = await e2e.app(hookCount(marker), { app: 'configured' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  assert.is(runs(marker), 1);
  const set = await e2e.run(['config:set', '--app', 'configured', 'GREETING=bonjour']);
  assert.is(set.code, 0, set.stderr);
  assert.match(set.stdout, /restarted/);
  const env = JSON.parse((await get(port, '/env')).body);
  assert.is(env.GREETING, 'bonjour');
  assert.is(runs(marker), 1);
  const shown = await e2e.run(['config', '--app', 'configured']);
  assert.not.match(shown.stdout, /bonjour/);
  assert.match(shown.stdout, /GREETING=/);
  const revealed = await e2e.run(['config', '--app', 'configured', '--reveal']);
  assert.match(revealed.stdout, /GREETING=bonjour/);
  const unset = await e2e.run(['config:unset', '--app', 'configured', 'GREETING']);
  assert.is(unset.code, 0);
  assert.is(JSON.parse((await get(port, '/env')).body).GREETING, undefined);
});

test('an edited config file takes effect at the next deploy (the resolved config is cached per content)', async () => {
  const { dir, port } = await e2e.app('web: node server.js\n', { app: 'edited', env: { GREETING: 'one' } });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  assert.is(JSON.parse((await get(port, '/env')).body).GREETING, 'one');
  const cache = join(e2e.home, 'cache', 'config.json');
  assert.is(statSync(cache).mode & 0o777, 0o600);
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'edited', port, env: { GREETING: 'two' } }));
  assert.is((await e2e.deploy(dir, ['--revision', 'v2'])).code, 0);
  assert.is(JSON.parse((await get(port, '/env')).body).GREETING, 'two');
  // And back: the first content again, now found in the cache.
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'edited', port, env: { GREETING: 'one' } }));
  assert.is((await e2e.deploy(dir, ['--revision', 'v3'])).code, 0);
  assert.is(JSON.parse((await get(port, '/env')).body).GREETING, 'one');
});

test('rollback deploys an earlier release again, running its postdeploy', async () => {
  const marker = join(e2e.home, 'rollback-hook-runs');
  const { dir, port } = await e2e.app(hookCount(marker), { app: 'rewind' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  assert.is((await e2e.deploy(dir, ['--revision', 'v2'])).code, 0);
  assert.is((await get(port)).body, 'v2');
  const r = await e2e.run(['rollback', '--app', 'rewind', '1']);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.is((await get(port)).body, 'v1');
  assert.is(runs(marker), 3);
  const [latest] = await e2e.json<any[]>(['deployments', '--app', 'rewind']);
  assert.is(latest.kind, 'rollback');
  assert.is(latest.release, 3);
  assert.is(latest.version, 'v1');
  assert.is(latest.sourceRelease, 1);
});

test('run: a one-off with the live env, its exit status passed through', async () => {
  const { dir } = await e2e.app('web: node server.js\n', { app: 'oneoff', env: { COLOR: 'teal' } });
  assert.is((await e2e.deploy(dir, ['--revision', 'v7'])).code, 0);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, run by the one-off's shell
  const r = await e2e.run(['run', '--app', 'oneoff', '--', 'echo $COLOR $CONTAINER_VERSION ${PORT:-noport}; exit 4']);
  assert.is(r.code, 4);
  assert.is(r.stdout.trim(), 'teal v7 noport');
});

test('init writes a commented .slipwayrc.yaml that check accepts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-init-'));
  e2e.dirs.push(dir);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\n');
  const r = await e2e.run(['init', '--app', 'fresh'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const text = readFileSync(join(dir, '.slipwayrc.yaml'), 'utf8');
  assert.match(text, /^app: fresh$/m);
  assert.match(text, /# postdeploy:/);
  const again = await e2e.run(['init'], { cwd: dir });
  assert.is(again.code, 2);
  const check = await e2e.run(['check', '--json'], { cwd: dir });
  assert.is(check.code, 0, check.stderr);
  assert.is(JSON.parse(check.stdout).app, 'fresh');
});

test.run();
