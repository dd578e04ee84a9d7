// One-offs of a deployment in the agent: the postdeploy command's scratch copy
// is prepared while the new processes start, a one-off takes it only when it
// is the one it was made for, and no copy or mount outlives the deployment
// (success, failure, agent shutdown) or a `slipway run`.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent } from '../lib/agent/agent.js';
import { makeScratchCopy, overlayPossible } from '../lib/agent/scratch-copy.js';
import { Store } from '../lib/agent/store.js';
import { agentPaths, releaseDir, scratchDir } from '../lib/control/paths.js';
import type { OneOffRequest, StartRequest, StreamMessage } from '../lib/control/protocol.js';
import { alive, root, until } from './support/e2e.js';

const home = mkdtempSync(join(tmpdir(), 'slipway-one-off-'));
const paths = agentPaths(home);
const logs: string[] = [];
const store = Store.open(':memory:');
const agent = new Agent(store, paths, (m) => logs.push(m));
const APP = 'oneoffs';
let version = 0;

test.after(async () => {
  await agent.shutdown(1000);
  store.close();
  rmSync(home, { recursive: true, force: true });
});

/** Opens a deployment and builds its release directory from the test fixture. */
async function open(): Promise<{ id: string; dir: string }> {
  const opened = await agent.open({
    app: APP,
    version: `v${++version}`,
    kind: 'deploy',
    mode: 'postdeploy',
    host: '127.0.0.1',
    wait: false,
    env: {},
  });
  const dir = releaseDir(paths, APP, opened.release);
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'test', 'fixtures', 'app', 'server.js'), join(dir, 'server.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  agent.setStatus(opened.id, 'building');
  agent.setStatus(opened.id, 'starting');
  return { id: opened.id, dir };
}

function startRequest(dir: string, command = 'node server.js', prepare = true): StartRequest {
  return {
    specs: [
      {
        type: 'web',
        index: 1,
        name: 'web-1',
        command,
        cwd: dir,
        appEnv: {},
        runtimeEnv: { APP, CONTAINER: 'web-1' },
        web: true,
      },
    ],
    startTimeoutMs: 20_000,
    graceMs: 5000,
    ...(prepare ? { prepareOneOff: oneOffRequest(dir, HOOK) } : {}),
  };
}

/** The postdeploy command these deployments prepare: the shell's pid, its directory, then a file written. */
const HOOK = 'echo $$ && pwd && echo hook > marker.txt && cat marker.txt';

function oneOffRequest(dir: string, command: string, name = 'postdeploy-1'): OneOffRequest {
  return {
    name,
    command,
    copyFrom: dir,
    appEnv: {},
    runtimeEnv: { APP, CONTAINER: name },
    timeoutMs: 20_000,
    memoryBytes: 256 * 1024 * 1024,
    graceMs: 1000,
    phase: 'postdeploy',
    store: true,
  };
}

/** Runs a one-off of the deployment; its output lines and how it ended. */
async function oneOff(id: string, request: OneOffRequest) {
  const lines: string[] = [];
  const send = (m: StreamMessage) => {
    if (m.type === 'log') lines.push(m.line);
  };
  const exit = await agent.oneOff(id, request, send, new AbortController().signal);
  return { exit, lines };
}

const scratchEntries = () => {
  const dir = join(paths.apps, APP, 'scratch');
  return existsSync(dir) ? readdirSync(dir) : [];
};
const mountsUnderHome = () =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((line) => line.split(' ')[1]?.startsWith(home));

async function nothingLeft(what: string): Promise<void> {
  await until(() => scratchEntries().length === 0 && mountsUnderHome().length === 0, 10_000, what);
}

const failed = (exit?: { exitCode: number; reason: string }) => ({
  status: 'hook-error' as const,
  hookExitCode: exit?.exitCode ?? 1,
  hookReason: (exit?.reason ?? 'exit') as 'exit',
  warnings: [],
  error: { code: 'HOOK_FAILED', message: 'test' },
});

test('the postdeploy one-off runs in the copy and process prepared during the start; the release never sees its files', async () => {
  const { id, dir } = await open();
  await agent.startProcesses(id, startRequest(dir));
  const prepared = await agent.supervisor.oneOffs.prepared(id);
  // Only an overlay is prepared ahead; without one, the one-off makes its own copy.
  assert.is(prepared !== undefined, overlayPossible(), JSON.stringify(prepared));
  const { exit, lines } = await oneOff(id, oneOffRequest(dir, HOOK));
  assert.is(exit.exitCode, 0, lines.join('\n'));
  assert.is(lines[2], 'hook');
  if (prepared) {
    assert.ok(prepared.pid, 'a process is spawned ahead');
    assert.is(lines[0], String(prepared.pid), 'the command ran in the process spawned ahead');
    assert.is(lines[1], join(scratchDir(paths, APP, prepared.scratchName), 'app'));
  }
  assert.is(await agent.supervisor.oneOffs.prepared(id), undefined, 'the copy is taken once');
  assert.not.ok(existsSync(join(dir, 'marker.txt')), 'the hook wrote into the release directory');
  // Its output is stored with the deployment, as that of any one-off.
  assert.ok(store.getLogs(id).some((l) => l.phase === 'postdeploy' && l.line === 'hook'));
  // A later one-off of the same deployment gets a fresh copy, without the first one's file.
  const second = await oneOff(id, oneOffRequest(dir, 'pwd && test ! -e marker.txt', 'first-deploy-1'));
  assert.is(second.exit.exitCode, 0, second.lines.join('\n'));
  assert.is.not(second.lines[0], lines[1]);
  agent.switchRoute(id, agent.supervisor.upstreams(id), { runtime: 'process', release: 0, path: dir });
  assert.is(store.getDeployment(id)?.status, 'success', 'the switch makes the deployment a success');
  await agent.finish(id, { status: 'success', hookExitCode: 0, hookReason: 'exit', warnings: [], error: null });
  await nothingLeft('the one-offs’ copies to be removed after the deployment');
});

test('config vars changed after the start reach the one-off: the process spawned ahead is not used then', async () => {
  const { id, dir } = await open();
  const request = oneOffRequest(dir, 'echo $$ && echo "$LATE_VAR"');
  await agent.startProcesses(id, { ...startRequest(dir), prepareOneOff: request });
  const prepared = await agent.supervisor.oneOffs.prepared(id);
  agent.storeConfigVars(APP, { LATE_VAR: 'set-after-start' });
  const { exit, lines } = await oneOff(id, request);
  agent.storeConfigVars(APP, { LATE_VAR: null });
  assert.is(exit.exitCode, 0, lines.join('\n'));
  assert.is(lines[1], 'set-after-start');
  if (prepared?.pid) assert.is.not(lines[0], String(prepared.pid));
  await agent.finish(id, failed());
  await nothingLeft('the copy to be removed');
  if (prepared?.pid) await until(() => !alive(prepared.pid!), 5000, 'the unused process to be stopped');
});

test('a one-off with another memory limit gets a process of its own, and that limit holds', async () => {
  const { id, dir } = await open();
  await agent.startProcesses(id, startRequest(dir));
  const prepared = await agent.supervisor.oneOffs.prepared(id);
  const { exit } = await oneOff(id, { ...oneOffRequest(dir, HOOK), memoryBytes: 48 * 1024 * 1024 });
  assert.is(exit.exitCode, 0);
  const hog = `node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"`;
  const over = await oneOff(id, { ...oneOffRequest(dir, hog, 'release-2'), memoryBytes: 48 * 1024 * 1024 });
  assert.is(over.exit.reason, 'oom');
  if (prepared?.pid) await until(() => !alive(prepared.pid!), 5000, 'the unused process to be stopped');
  await agent.finish(id, failed(over.exit));
  await nothingLeft('the copies to be removed');
});

test('a one-off with another name or release directory does not take the prepared copy', async () => {
  const { id, dir } = await open();
  await agent.startProcesses(id, startRequest(dir));
  const prepared = await agent.supervisor.oneOffs.prepared(id);
  const other = await oneOff(id, oneOffRequest(dir, 'pwd', 'release-9'));
  assert.is(other.exit.exitCode, 0);
  assert.equal(await agent.supervisor.oneOffs.prepared(id), prepared);
  if (prepared) assert.is.not(other.lines[0], join(scratchDir(paths, APP, prepared.scratchName), 'app'));
  const elsewhere = join(home, 'elsewhere');
  cpSync(dir, elsewhere, { recursive: true });
  const moved = await oneOff(id, { ...oneOffRequest(dir, 'pwd && test -f server.js'), copyFrom: elsewhere });
  assert.is(moved.exit.exitCode, 0, moved.lines.join('\n'));
  assert.equal(await agent.supervisor.oneOffs.prepared(id), prepared);
  await agent.finish(id, failed());
  assert.is(await agent.supervisor.oneOffs.prepared(id), undefined);
  await nothingLeft('an unused prepared copy to be removed after a failed deployment');
  if (prepared?.pid) assert.not.ok(alive(prepared.pid), 'the unused process is stopped');
  rmSync(elsewhere, { recursive: true, force: true });
});

test('an aborted deployment does not run a prepared one-off', async () => {
  const { id, dir } = await open();
  await agent.startProcesses(id, startRequest(dir));
  const aborted = new AbortController();
  aborted.abort();
  const lines: string[] = [];
  const exit = await agent.oneOff(
    id,
    oneOffRequest(dir, HOOK),
    (m) => {
      if (m.type === 'log') lines.push(m.line);
    },
    aborted.signal,
  );
  assert.is(exit.reason, 'aborted');
  assert.equal(lines, []);
  await agent.finish(id, failed(exit));
  await nothingLeft('the copy to be removed');
});

test('a start that crashes leaves no prepared copy behind', async () => {
  const { id, dir } = await open();
  const error = await agent.startProcesses(id, startRequest(dir, 'exit 3')).catch((e) => e);
  assert.is(error.code, 'START_CRASHED');
  await agent.finish(id, { ...failed(), status: 'crashed-error' });
  await nothingLeft('the prepared copy of a crashed start to be removed');
});

test('a `slipway run` one-off removes its copy once it ended', async () => {
  const dir = releaseDir(paths, APP, 1);
  const lines: string[] = [];
  const exit = await agent.supervisor.oneOffs.run(
    APP,
    'run-test',
    { ...oneOffRequest(dir, 'echo run > out.txt && cat out.txt', 'run-1'), phase: 'run', store: false },
    (m) => {
      if (m.type === 'log') lines.push(m.line);
    },
    new AbortController().signal,
  );
  assert.is(exit.exitCode, 0);
  assert.equal(lines, ['run']);
  assert.not.ok(existsSync(join(dir, 'out.txt')));
  await nothingLeft('the run copy to be removed');
});

test('an agent starting removes the scratch copies a killed one left, mounted or not, before it answers', async () => {
  const { dir } = await open();
  // What a SIGKILLed agent leaves: one copy still mounted, one plain directory.
  const mounted = await makeScratchCopy(dir, scratchDir(paths, APP, 'postdeploy-1-dead-1'));
  const plain = scratchDir(paths, APP, 'run-dead-2');
  mkdirSync(join(plain, 'app'), { recursive: true });
  writeFileSync(join(plain, 'app', 'left.txt'), 'x');
  if (overlayPossible()) assert.ok(mountsUnderHome().length > 0, 'the overlay is mounted');
  assert.ok(existsSync(join(mounted.path, 'server.js')));
  const next = new Agent(store, paths, (m) => logs.push(m));
  await next.recover();
  assert.equal(scratchEntries(), []);
  assert.equal(mountsUnderHome(), []);
  await next.shutdown(1000);
});

test('agent shutdown removes a prepared copy and process before it returns', async () => {
  const { id, dir } = await open();
  await agent.startProcesses(id, startRequest(dir));
  const prepared = await agent.supervisor.oneOffs.prepared(id);
  await agent.shutdown(1000);
  assert.equal(scratchEntries(), []);
  assert.equal(mountsUnderHome(), []);
  if (prepared?.pid) assert.not.ok(alive(prepared.pid));
  assert.ok(
    logs.every((line) => !/cleanup|preparing/.test(line)),
    logs.join('\n'),
  );
});

test.run();
