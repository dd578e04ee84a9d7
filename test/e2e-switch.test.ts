// (a) first deployment: 404 during the hook, new version after;
// (b) redeploy: old version during the hook, new version after.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

/** A hook that waits for a gate file, so the test decides when it ends. */
const gated = (gate: string, started: string) =>
  `web: node server.js\npostdeploy: touch ${started}; while [ ! -f ${gate} ]; do sleep 0.05; done\n`;

test('(a) first deployment: the router answers 404 during the hook, the new version after', async () => {
  const gate = join(e2e.home, 'gate-a');
  const started = join(e2e.home, 'started-a');
  const { dir, port } = await e2e.app(gated(gate, started), { app: 'first' });
  const deploying = e2e.deploy(dir, ['--revision', 'v1']);
  await until(() => existsSync(started), 15_000, 'the hook to start');
  const during = await get(port);
  assert.is(during.status, 404);
  assert.match(during.body, /no live release/);
  writeFileSync(gate, '');
  const { code, record } = await deploying;
  assert.is(code, 0);
  assert.is(record.status, 'success');
  assert.is(record.hookExitCode, 0);
  const after = await get(port);
  assert.is(after.status, 200);
  assert.is(after.body, 'v1');
});

test('(b) redeploy: every request during the hook gets the old version, the new one after', async () => {
  const gate = join(e2e.home, 'gate-b');
  const started = join(e2e.home, 'started-b');
  const { dir, port } = await e2e.app(gated(gate, started), { app: 'redeploy' });
  writeFileSync(gate, '');
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const { rmSync } = await import('node:fs');
  rmSync(gate);
  rmSync(started);
  const deploying = e2e.deploy(dir, ['--revision', 'v2']);
  await until(() => existsSync(started), 15_000, 'the hook to start');
  const answers = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const r = await get(port);
    answers.add(`${r.status} ${r.body}`);
  }
  assert.equal([...answers], ['200 v1']);
  writeFileSync(gate, '');
  const { code, record } = await deploying;
  assert.is(code, 0);
  assert.is(record.release, 2);
  assert.is((await get(port)).body, 'v2');
  const list = await e2e.json<any[]>(['deployments', '--app', 'redeploy']);
  assert.equal(
    list.map((d) => [d.release, d.version, d.status]),
    [
      [2, 'v2', 'success'],
      [1, 'v1', 'success'],
    ],
  );
  for (const key of ['id', 'app', 'release', 'version', 'status', 'hookExitCode', 'startedAt', 'finishedAt']) {
    assert.ok(key in list[0], `deployments --json has ${key}`);
  }
});

test.run();
