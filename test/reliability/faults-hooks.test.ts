// Fault matrix, the postdeploy hook and the new release's processes: a hook
// killed by a signal, one that forks children which outlive it, one that
// reads stdin, one that prints 200 MB; a new web process that crashes while
// the hook runs. Each time the live release keeps serving through the router
// (or the new one does, when the hook succeeded) and nothing is left behind.
// Exit status, time and memory limits: test/e2e-hook-failures.test.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, get, until } from '../support/e2e.js';
import { nothingLeftBehind, rssMiB } from '../support/leftovers.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

const APP = 'hooks';
let app: { dir: string; port: number };
let live = 'v1';
let revision = 1;

test.before(async () => {
  app = await e2e.app('web: node server.js\npostdeploy: true\n', { app: APP, postdeploy: { timeout: '60s' } });
  const first = await e2e.deploy(app.dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
});

/** Deploys the next revision with this Procfile; returns the CLI's exit code and the final record. */
async function deployWith(procfile: string) {
  writeFileSync(join(app.dir, 'Procfile'), procfile);
  const version = `v${++revision}`;
  const r = await e2e.deploy(app.dir, ['--revision', version]);
  return { ...r, version };
}

async function liveServes(version: string) {
  const r = await get(app.port);
  assert.is(r.status, 200);
  assert.is(r.body, version, 'the live release answers through the router');
}

test('a hook killed by a signal: hook-error saying which signal, the live release serving, nothing left', async () => {
  const { code, record } = await deployWith('web: node server.js\npostdeploy: echo about to die; kill -9 $$\n');
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.error.code, 'HOOK_FAILED');
  assert.match(record.error.message, /killed by SIGKILL/);
  assert.is(record.hookExitCode, 137);
  assert.is(record.hookReason, 'signal');
  await liveServes(live);
  await nothingLeftBehind(e2e, 'the new web process and the hook to be gone');
  console.log(
    `figures: hook killed by SIGKILL -> ${record.status} (${record.error.code}, exit ${record.hookExitCode})`,
  );
});

test('a hook whose children outlive it (background, nohup, ignoring SIGTERM, in a new session): all killed', async () => {
  const pids = join(e2e.home, 'children.pids');
  const hook = [
    `sleep 300 & echo $! >> ${pids}`,
    `nohup sleep 301 >/dev/null 2>&1 & echo $! >> ${pids}`,
    `sh -c 'trap "" TERM HUP; sleep 302' & echo $! >> ${pids}`,
    `setsid sleep 303 & echo $! >> ${pids}`,
    'echo forked',
  ].join('; ');
  const { code, record, version } = await deployWith(`web: node server.js\npostdeploy: ${hook}\n`);
  assert.is(code, 0, JSON.stringify(record?.error));
  assert.is(record.status, 'success');
  live = version;
  const children = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
  assert.is(children.length, 4);
  await until(() => children.every((pid) => !alive(pid)), 10_000, 'every child of the hook to be killed').catch((e) => {
    throw new Error(`${e.message}: alive ${children.filter(alive).join(', ')} of ${children.join(', ')}`);
  });
  await liveServes(live);
  await nothingLeftBehind(e2e, 'nothing of the hook to be left');
  console.log(`figures: hook forked ${children.length} children that outlived it -> all killed, ${record.status}`);
});

test('a hook that reads stdin gets end of file at once', async () => {
  const { code, record, version } = await deployWith(
    'web: node server.js\npostdeploy: read line; echo "read status $? [$line]"; cat; echo "cat done"\n',
  );
  assert.is(code, 0, JSON.stringify(record?.error));
  assert.is(record.status, 'success');
  live = version;
  const logs = await e2e.run(['logs', record.id]);
  assert.match(logs.stdout, /read status 1 \[\]/);
  assert.match(logs.stdout, /cat done/);
  await liveServes(live);
  await nothingLeftBehind(e2e, 'nothing of the hook to be left');
});

test('a new web process that crashes while the hook runs: no switch to it, crashed-error, the live release serving', async () => {
  const pidFile = (version: string) => join(e2e.home, `web-${version}.pid`);
  const next = `v${revision + 1}`;
  const { code, record } = await deployWith(
    `web: echo $$ > ${join(e2e.home, 'web-')}$CONTAINER_VERSION.pid; exec node server.js\n` +
      `postdeploy: kill -9 $(cat ${pidFile(next)}); sleep 0.5; echo migrated\n`,
  );
  assert.ok(existsSync(pidFile(next)));
  assert.is(code, 1, 'a deployment whose web process died is not a success');
  assert.is(record.status, 'crashed-error');
  assert.is(record.error.code, 'START_CRASHED');
  assert.match(record.error.message, /web-1/);
  for (let i = 0; i < 5; i++) await liveServes(live);
  await nothingLeftBehind(e2e, 'nothing of the failed deployment to be left');
  console.log(`figures: web process killed during the hook -> ${record.status} (${record.error.code})`);
});

test('a hook printing 200 MB: success, the stored log bounded to its last 10,000 lines, the agent memory flat', async () => {
  const agent = e2e.agentPid()!;
  const before = rssMiB(agent);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(agent));
  }, 50);
  // 200,000 lines of 1,000 bytes.
  writeFileSync(
    join(app.dir, 'Procfile'),
    'web: node server.js\npostdeploy: yes $(printf %0999d 7) | head -c 200000000; echo last line\n',
  );
  const version = `v${++revision}`;
  const started = Date.now();
  // The plain reporter prints the hook's output as it comes: 200 MB read here and dropped.
  const cli = e2e.spawn(['deploy', app.dir, '--revision', version]);
  let printed = 0;
  cli.stdout!.on('data', (d: Buffer) => (printed += d.length));
  const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const after = rssMiB(agent);
  assert.is(code, 0);
  const [latest] = await e2e.json<any[]>(['deployments', '--app', APP]);
  assert.is(latest.version, version);
  assert.is(latest.status, 'success', JSON.stringify(latest.error));
  live = version;
  assert.ok(printed > 200_000_000, `the CLI printed the whole output (${printed} bytes)`);
  const stored = await e2e.json<{ phase: string; line: string }[]>(['logs', latest.id]);
  assert.ok(stored.length <= 10_000, `${stored.length} lines stored`);
  const hook = stored.filter((l) => l.phase === 'postdeploy');
  assert.ok(
    hook.some((l) => l.line === 'last line'),
    'the tail of the output is kept',
  );
  assert.ok(
    stored.some((l) => /release \d+ stopped|exited with status 0/.test(l.line)),
    'the lines after the hook are kept',
  );
  // Bound: the output is 200 MB; an agent that held it, or more than a
  // fraction of it, for a reader slower than the hook grows by hundreds of
  // megabytes (about 210 MB without backpressure). Batches, SQLite's cache and
  // the V8 heap's growth stay well under 100 MB.
  assert.ok(peak - before < 100, `agent RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`);
  await liveServes(live);
  await nothingLeftBehind(e2e, 'nothing of the hook to be left');
  console.log(
    `figures: hook printed 200 MB (200,000 lines) -> ${latest.status} in ${seconds.toFixed(1)} s; ${stored.length} lines stored; agent RSS ${before.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak, ${after.toFixed(0)} MiB after`,
  );
});

test.run();
