// The agent is not a single point of failure for the apps: live processes
// outlive an agent that is SIGKILLed, the next agent adopts them (same pids,
// no restart) and restarts only what died; a reopened router port never
// answers 404 for an app with a live release; a dead agent's lock is taken
// over even when nobody reaped it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, get, root, servedBody, sleep, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

interface Proc {
  name: string;
  pid: number;
  port?: number;
}

async function processesOf(app: string): Promise<Proc[]> {
  const apps = await e2e.json<{ name: string; processes: Proc[] }[]>(['status']);
  return (apps.find((a) => a.name === app)?.processes ?? []).sort((a, b) => a.name.localeCompare(b.name));
}

async function killAgent(): Promise<void> {
  const pid = e2e.agentPid()!;
  process.kill(pid, 'SIGKILL');
  await until(() => !alive(pid) || procState(pid) === 'Z', 10_000, 'the agent to die');
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

const agentLog = () => readFileSync(join(e2e.home, 'agent.log'), 'utf8');

test('agent SIGKILLed: the live processes keep running and are adopted by the next agent; only the dead one restarts', async () => {
  // The worker writes all the time: a process whose output went to a pipe of the dead agent would die of it.
  const { dir, port } = await e2e.app(
    'web: node server.js\nworker: node -e "setInterval(() => console.log(\'tick\'), 50)"\npostdeploy: true\n',
    { app: 'adopted', formation: { web: 2, worker: 1 } },
  );
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const before = await processesOf('adopted');
  assert.equal(
    before.map((p) => p.name),
    ['web-1', 'web-2', 'worker-1'],
  );
  await killAgent();
  await sleep(500);
  for (const p of before) assert.ok(alive(p.pid), `${p.name} outlived the agent`);
  // One web process dies while no agent watches.
  const dead = before.find((p) => p.name === 'web-2')!;
  process.kill(-dead.pid, 'SIGKILL');
  await until(() => !alive(dead.pid), 5000, 'web-2 to die');

  const started = await e2e.run(['agent', 'start']);
  assert.is(started.code, 0, started.stderr);
  assert.is(await servedBody(port, 5000, 'the app to answer after the restart'), 'v1');
  const after = (await until(
    async () => {
      const list = await processesOf('adopted');
      return list.length === 3 && list.every((p) => p.pid > 0) ? list : undefined;
    },
    10_000,
    'three processes again',
  )) as Proc[];
  const pid = (name: string, list: Proc[]) => list.find((p) => p.name === name)?.pid;
  assert.is(pid('web-1', after), pid('web-1', before), 'web-1 adopted: same pid');
  assert.is(pid('worker-1', after), pid('worker-1', before), 'worker-1 adopted: same pid');
  assert.is.not(pid('web-2', after), dead.pid, 'web-2 started again');
  assert.ok(alive(pid('web-2', after)!));
  const log = agentLog();
  assert.match(log, /recovered adopted release 1: adopted web-1 \(pid \d+\), worker-1 \(pid \d+\); restarted web-2/);
  // Both web processes serve: a request to each port through the router answers.
  const bodies = new Set<string>();
  for (let i = 0; i < 6; i++) bodies.add((await get(port)).body);
  assert.equal([...bodies], ['v1']);
});

test('while the agent restarts, a request gets the live release or no connection — never a 404', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'no404' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const statuses = new Map<string, number>();
  let polling = true;
  let firstRefusedAt = 0;
  let servedAgainAt = 0;
  const poller = (async () => {
    while (polling) {
      const r = await get(port).catch(() => null);
      const key = r ? String(r.status) : 'refused';
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (!r && firstRefusedAt === 0) firstRefusedAt = Date.now();
      if (r?.status === 200 && firstRefusedAt && !servedAgainAt) servedAgainAt = Date.now();
      await sleep(2);
    }
  })();
  try {
    await sleep(100);
    await killAgent();
    const started = await e2e.run(['agent', 'start']);
    assert.is(started.code, 0, started.stderr);
    await until(() => servedAgainAt > 0, 5000, 'the app to answer again');
    await sleep(200);
  } finally {
    polling = false;
    await poller;
  }
  assert.is(statuses.get('404'), undefined, `no 404 (${JSON.stringify([...statuses])})`);
  assert.equal(
    [...statuses.keys()].filter((k) => k !== '200' && k !== 'refused'),
    [],
  );
  console.log(`refused connections for ${servedAgainAt - firstRefusedAt} ms (agent killed, then started)`);
});

test("a dead agent's lock is taken over even when its parent never reaped it (a zombie keeps its pid)", async () => {
  await e2e.run(['agent', 'stop']);
  // A parent that never waits for its child: the killed agent stays a zombie.
  const parent = spawn(
    'python3',
    [
      '-c',
      'import subprocess, sys, time\n' +
        'p = subprocess.Popen(sys.argv[1:])\n' +
        'print(p.pid, flush=True)\n' +
        'time.sleep(120)\n',
      process.execPath,
      join(root, 'dist/lib/agent/main.js'),
    ],
    { env: e2e.env(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d) => resolve(Number(String(d)))));
    await until(() => e2e.agentPid() === pid, 10_000, 'the agent under the non-reaping parent');
    const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'zombie' });
    assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
    const web = (await processesOf('zombie'))[0]!;
    process.kill(pid, 'SIGKILL');
    await until(() => procState(pid) === 'Z', 5000, 'the agent to be a zombie');
    const started = await e2e.run(['agent', 'start']);
    assert.is(started.code, 0, started.stderr);
    assert.is(await servedBody(port, 5000, 'the app to answer'), 'v1');
    assert.is((await processesOf('zombie'))[0]?.pid, web.pid, 'the app process kept running and was adopted');
  } finally {
    parent.kill('SIGKILL');
  }
});

test.run();
