// `slipway agent restart` replaces the agent without dropping a request: the
// new agent takes over the listening sockets and the app processes (same
// pids), an in-flight request finishes on the old agent, and a restart is
// refused while a deployment is under way.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, get, sleep, until } from './support/e2e.js';
import { startLoad } from './support/load.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

async function webPids(app: string): Promise<number[]> {
  const apps = await e2e.json<{ name: string; processes: { pid: number }[] }[]>(['status']);
  return (apps.find((a) => a.name === app)?.processes ?? []).map((p) => p.pid).sort();
}

test('agent restart under load: 0 failed requests, every answer from the live release, the app processes kept', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', {
    app: 'steady',
    formation: { web: 2 },
  });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const pids = await webPids('steady');
  const load = startLoad({ port, rate: 500, connections: 16, maxSeconds: 60, expectBody: 'v1' });
  await sleep(500);
  const agents: number[] = [e2e.agentPid()!];
  for (let i = 0; i < 3; i++) {
    const r = await e2e.run(['agent', 'restart', '--json']);
    assert.is(r.code, 0, r.stderr);
    const { previousPid, pid } = JSON.parse(r.stdout);
    assert.is(previousPid, agents.at(-1));
    assert.ok(!alive(previousPid), 'the old agent exited');
    agents.push(pid);
    await sleep(300);
  }
  const figures = await load.stop();
  console.log(`agent restart x3 under load: ${JSON.stringify(figures)}`);
  assert.ok(figures.requests > 1000, `load ran (${figures.requests} requests)`);
  assert.is(figures.errors, 0, 'no request without a response');
  assert.is(figures.non2xx, 0, 'no status other than 2xx');
  assert.is(figures.mismatches, 0, 'every body from the live release');
  assert.equal(await webPids('steady'), pids, 'the same app processes, none restarted');
  assert.is(e2e.agentPid(), agents.at(-1));
});

test('a request in flight during the restart finishes on the old agent', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'inflight' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const slow = get(port, '/slow?ms=1500');
  await sleep(200);
  const r = await e2e.run(['agent', 'restart']);
  assert.is(r.code, 0, r.stderr);
  const answer = await slow;
  assert.is(answer.status, 200);
  assert.is(answer.body, 'slow v1');
});

test('agent restart is refused while a deployment is under way, and the agent goes on', async () => {
  const gate = join(e2e.home, 'gate');
  const started = join(e2e.home, 'started');
  const { dir, port } = await e2e.app(
    `web: node server.js\npostdeploy: touch ${started}; while [ ! -f ${gate} ]; do sleep 0.05; done\n`,
    { app: 'busy' },
  );
  const deploying = e2e.deploy(dir, ['--revision', 'v1']);
  await until(() => existsSync(started), 15_000, 'the hook to start');
  const before = e2e.agentPid();
  const refused = await e2e.run(['agent', 'restart']);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /AGENT_BUSY: deployment [0-9a-f]{8} of busy is under way/);
  assert.is(e2e.agentPid(), before);
  writeFileSync(gate, '');
  assert.is((await deploying).code, 0);
  assert.is((await get(port)).body, 'v1');
});

test.run();
