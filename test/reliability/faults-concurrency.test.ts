// Fault matrix, contention: the app's router port already taken by another
// program; two deployments of one app started at the same moment; ten apps
// deploying at once. Each time the live releases keep answering through the
// router and nothing is left behind.
// A second deployment that waits for the first, or fails with --no-wait:
// test/e2e-ownership.test.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../../lib/core/ports.js';
import { E2E, get, until } from '../support/e2e.js';
import { nothingLeftBehind } from '../support/leftovers.js';

const e2e = new E2E();
const others = new Set<ChildProcess>();
test.after(async () => {
  for (const child of others) child.kill('SIGKILL');
  await e2e.cleanup();
});

/** Another program listening on 127.0.0.1:port, until the test ends. */
async function squat(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:net').createServer(s => s.end('squatter')).listen(${port}, '127.0.0.1', () => console.log('up'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  others.add(child);
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  return child;
}

/** Polls the apps' ports until stopped; counts answers by what they were. */
function poll(ports: number[]) {
  const seen = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const port of ports) {
        const r = await get(port).catch((e: Error) => ({ status: 0, body: e.message }));
        const key = r.status === 200 ? '200' : `${r.status} ${r.body}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
  })();
  return async () => {
    running = false;
    await loop;
    return seen;
  };
}

test("the app's port taken by another program: PORT_IN_USE, nothing started or recorded", async () => {
  const port = await freePort();
  await squat(port);
  const { dir } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'squatted', port });
  const r = await e2e.run(['deploy', dir, '--revision', 'v1']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  const said = r.stdout + r.stderr;
  assert.match(said, /PORT_IN_USE: port \d+ on 127\.0\.0\.1 is already in use; app squatted cannot listen there/);
  assert.not.match(said, /\n\s+at /, 'no stack trace');
  const apps = await e2e.json<{ name: string }[]>(['status']);
  assert.not.ok(
    apps.some((a) => a.name === 'squatted'),
    'the app is not recorded',
  );
  assert.not.ok(existsSync(join(e2e.home, 'apps', 'squatted', 'releases')), 'nothing was built');
  await nothingLeftBehind(e2e, 'nothing to be started');
});

test('a live app moved to a port another program holds: PORT_IN_USE, and it keeps serving where it was', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'moving' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const taken = await freePort();
  await squat(taken);
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'moving', port: taken }));
  const r = await e2e.run(['deploy', dir, '--revision', 'v2']);
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /PORT_IN_USE/);
  const served = await get(port);
  assert.is(served.status, 200);
  assert.is(served.body, 'v1', 'the live release still answers on its port');
  const [app] = (await e2e.json<{ name: string; port: number }[]>(['status'])).filter((a) => a.name === 'moving');
  assert.is(app?.port, port, 'the app keeps its port');
  await nothingLeftBehind(e2e, 'nothing to be started');
});

test('two deployments of one app started at the same moment: one at a time, both succeed, the live one serving', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: sleep 0.3\n', { app: 'twice' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const stop = poll([port]);
  const [a, b] = await Promise.all([e2e.deploy(dir, ['--revision', 'v2']), e2e.deploy(dir, ['--revision', 'v3'])]);
  const seen = await stop();
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  const [first, second] = [a.record, b.record].sort((x, y) => x.release - y.release);
  assert.ok(
    Date.parse(first.finishedAt) <= Date.parse(second.startedAt),
    `the second started after the first had finished (${first.finishedAt}, ${second.startedAt})`,
  );
  assert.is((await get(port)).body, second.version, 'the later release is live');
  assert.equal([...seen.keys()], ['200'], `every request answered 200 (${JSON.stringify([...seen])})`);
  await nothingLeftBehind(e2e, 'the replaced releases to be stopped');
  console.log(
    `figures: two deployments of one app at once -> both success, one after the other; ${seen.get('200')} requests, all 200`,
  );
});

test('ten apps deploying at once: all succeed, each serves its own release, no request fails', async () => {
  const apps = await Promise.all(
    Array.from({ length: 10 }, (_, i) => e2e.app('web: node server.js\npostdeploy: true\n', { app: `many-${i}` })),
  );
  const started = Date.now();
  const firsts = await Promise.all(apps.map((a) => e2e.deploy(a.dir, ['--revision', 'v1'])));
  const firstSeconds = (Date.now() - started) / 1000;
  for (const r of firsts) assert.is(r.code, 0, r.stderr);
  const stop = poll(apps.map((a) => a.port));
  const again = Date.now();
  const seconds = await Promise.all(apps.map((a, i) => e2e.deploy(a.dir, ['--revision', `v2-${i}`])));
  const secondSeconds = (Date.now() - again) / 1000;
  const seen = await stop();
  for (const r of seconds) assert.is(r.code, 0, r.stderr);
  for (const [i, a] of apps.entries()) assert.is((await get(a.port)).body, `v2-${i}`);
  assert.equal([...seen.keys()], ['200'], `every request answered 200 (${JSON.stringify([...seen])})`);
  await until(async () => (await e2e.json<any[]>(['status'])).length >= 10, 5000, 'the apps to be listed');
  await nothingLeftBehind(e2e, 'the replaced releases to be stopped');
  console.log(
    `figures: ten apps deploying at once -> first deployments ${firstSeconds.toFixed(1)} s, second ${secondSeconds.toFixed(1)} s, all success; ${seen.get('200')} requests during the second, all 200`,
  );
});

test.run();
