// `slipway logs --follow` and the app log, real CLI and agent: following a
// running deployment prints its new lines and ends with it; Ctrl-C stops the
// following, not the deployment; what live processes write after their
// deployment ended goes to the app's log (`--tail`), not the deployment's.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

/** A spawned CLI with its output collected as it comes, and its exit. */
function collect(child: ChildProcess) {
  const out = { stdout: '', code: null as number | null };
  child.stdout?.on('data', (d) => (out.stdout += d));
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code) => {
      out.code = code ?? -1;
      resolve(out.code);
    }),
  );
  return { out, exited, child };
}

/** An app whose postdeploy prints a line, waits for a gate file, then prints another. */
async function gatedApp(name: string) {
  const gate = join(e2e.home, `${name}-gate`);
  const { dir } = await e2e.app(
    `web: node server.js\npostdeploy: echo hook started; while [ ! -f ${gate} ]; do sleep 0.05; done; echo hook done\n`,
    { app: name },
  );
  return { dir, gate };
}

/** Starts `deploy` and waits until its deployment is recorded as running; its id. */
async function deployRunning(dir: string, app: string) {
  const deploy = collect(e2e.spawn(['deploy', dir, '--json', '--revision', 'v1']));
  const id = await until(
    async () => {
      const [d] = await e2e.json<any[]>(['deployments', '--app', app]);
      return d && d.finishedAt === null ? (d.id as string) : null;
    },
    30_000,
    'the deployment to run',
  );
  return { deploy, id: id! };
}

test('--follow prints a running deployment’s lines as they come and ends when it ends', async () => {
  const { dir, gate } = await gatedApp('follow');
  const { deploy, id } = await deployRunning(dir, 'follow');
  const follow = collect(e2e.spawn(['logs', id.slice(0, 8), '--follow']));
  await until(() => follow.out.stdout.includes('hook started'), 30_000, 'the hook output in the followed log');
  assert.not.match(follow.out.stdout, /^ +hook done$/m);
  writeFileSync(gate, '');
  assert.is(await deploy.exited, 0);
  // Ends by itself once the deployment has finished, with the lines written after it started.
  assert.is(await follow.exited, 0);
  assert.match(follow.out.stdout, /-----> postdeploy\n(.*\n)*? +hook done\n/);
  const whole = await e2e.run(['logs', id]);
  for (const line of ['hook started', 'hook done'])
    assert.ok(follow.out.stdout.includes(line) && whole.stdout.includes(line));
});

test('Ctrl-C stops following; the deployment goes on and succeeds', async () => {
  const { dir, gate } = await gatedApp('interrupt');
  const { deploy, id } = await deployRunning(dir, 'interrupt');
  const child = e2e.spawn(['logs', '--app', 'interrupt', '--follow']);
  const follow = collect(child);
  await until(() => follow.out.stdout.includes('hook started'), 30_000, 'the hook output');
  child.kill('SIGINT');
  assert.is(await follow.exited, 0);
  writeFileSync(gate, '');
  assert.is(await deploy.exited, 0);
  const d = await e2e.json<any>(['deployments', '--app', 'interrupt']);
  assert.is(d[0].id, id);
  assert.is(d[0].status, 'success');
  assert.not.match(follow.out.stdout, /^ +hook done$/m);
});

test('after its deployment, a live process’s output goes to the app log (--tail), colour codes stripped', async () => {
  const { dir, port } = await e2e.app('web: node log-server.js\n', { app: 'chatty' });
  writeFileSync(
    join(dir, 'log-server.js'),
    `import { createServer } from 'node:http';
console.log('booting ' + process.env.CONTAINER_VERSION);
createServer((req, res) => { console.log('\\u001b[32mGET\\u001b[0m ' + req.url); res.end('ok'); }).listen(Number(process.env.PORT));
`,
  );
  const deployed = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(deployed.code, 0);
  assert.is((await get(port, '/r0')).body, 'ok');
  await until(async () => (await e2e.run(['logs', '--app', 'chatty', '--tail'])).stdout.includes('/r0'), 10_000, '/r0');
  // It prints the last line first: then it follows, and what comes next is new.
  const follow = collect(e2e.spawn(['logs', '--app', 'chatty', '--tail', '--follow', '--num', '1']));
  await until(() => follow.out.stdout.includes('/r0'), 10_000, 'the follower to start');
  for (const n of [1, 2, 3]) assert.is((await get(port, `/r${n}`)).body, 'ok');
  const tailed = await until(
    async () => {
      const r = await e2e.run(['logs', '--app', 'chatty', '--tail']);
      return r.stdout.includes('/r3') ? r.stdout : null;
    },
    10_000,
    'the requests in the app log',
  ).then((t) => t!);
  assert.match(tailed, /^\d{4}-\d\d-\d\dT[\d:.]+Z web-1: GET \/r1$/m);
  assert.not.ok(tailed.includes('\u001b'), 'no escape character');
  const json = await e2e.json<any[]>(['logs', '--app', 'chatty', '--tail', '--num', '2']);
  assert.equal(
    json.map((e) => [e.process, e.stream, e.line]),
    [
      ['web-1', 'stdout', 'GET /r2'],
      ['web-1', 'stdout', 'GET /r3'],
    ],
  );
  // The deployment's own log keeps what it wrote while it ran, and nothing after.
  const own = await e2e.run(['logs', '--app', 'chatty']);
  assert.match(own.stdout, /booting v1/);
  assert.not.match(own.stdout, /GET \/r/);
  // Following the app log: new lines until Ctrl-C.
  await until(() => follow.out.stdout.includes('/r3'), 10_000, 'the followed app log');
  assert.not.match(follow.out.stdout, /booting/);
  for (const l of follow.out.stdout.split('\n').filter(Boolean)) assert.match(l, / web-1: GET \/r\d$/);
  follow.child.kill('SIGINT');
  assert.is(await follow.exited, 0);
});

test.run();
