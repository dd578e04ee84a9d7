// The control socket belongs to the agent's user: the socket is 0600, its
// directory and SLIPWAY_HOME 0700, and a client running as another uid
// (nobody) cannot connect — neither through the directory nor, were the
// directory opened up, through the socket itself. Needs root to switch uid.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E } from '../support/e2e.js';

const NOBODY = 65534;
const e2e = new E2E();
// A home slipway creates itself, under a parent anyone may traverse (mkdtemp's own mode proves nothing).
const parent = mkdtempSync(join(tmpdir(), 'slipway-socket-'));
chmodSync(parent, 0o755);
const home = join(parent, 'home');
Object.defineProperty(e2e, 'home', { value: home });
e2e.dirs.push(parent);
test.after(() => e2e.cleanup());

const mode = (path: string) => statSync(path).mode & 0o777;

/** Connects to the socket as `uid` and asks for /health; resolves to the error code or 'connected'. */
function connectAs(uid: number, socket: string): Promise<string> {
  const script = `
    const s = require('node:net').connect(process.argv[1]);
    s.on('connect', () => { s.write('GET /health HTTP/1.1\\r\\nHost: agent\\r\\nConnection: close\\r\\n\\r\\n'); });
    s.on('data', () => { console.log('connected'); process.exit(0); });
    s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, socket], {
      uid,
      gid: uid,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}

test('socket 0600 in a 0700 run dir, home 0700; nobody gets EACCES, the owner gets an answer', async () => {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') assert.unreachable('needs root to run a client as another uid');
    console.log('skipped: not root');
    return;
  }
  const r = await e2e.run(['agent', 'start']);
  assert.is(r.code, 0, r.stderr);
  const socket = join(home, 'run', 'agent.sock');
  assert.is(mode(home).toString(8), '700');
  assert.is(mode(join(home, 'run')).toString(8), '700');
  assert.ok(statSync(socket).isSocket());
  assert.is(mode(socket).toString(8), '600');
  assert.is(mode(join(home, 'state.db')) & 0o077, 0, 'state.db readable by others');

  assert.is(await connectAs(0, socket), 'connected', 'the owner connects');
  assert.is(await connectAs(NOBODY, socket), 'EACCES', 'nobody is stopped by the directories');
  // With the directories opened up, the socket's own mode still refuses.
  chmodSync(home, 0o755);
  chmodSync(join(home, 'run'), 0o755);
  try {
    assert.is(await connectAs(NOBODY, socket), 'EACCES', 'nobody is stopped by the socket mode');
  } finally {
    chmodSync(join(home, 'run'), 0o700);
    chmodSync(home, 0o700);
  }
  // A CLI run as nobody with this home gets a clear error, not a hang.
  const cli = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'slipway'), 'status'], {
      uid: NOBODY,
      gid: NOBODY,
      cwd: '/',
      env: { ...process.env, SLIPWAY_HOME: home, NO_COLOR: '1', HOME: '/' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  assert.ok(cli.code !== 0, cli.stderr);
  assert.match(cli.stderr, /^error [A-Z_]+: /);
  console.log(
    'figures: control socket: 0600 socket, 0700 run dir and home; uid 65534 refused with EACCES (also with the dirs opened)',
  );
  console.log(`figures: control socket: a CLI as nobody: ${cli.stderr.split('\n')[0]}`);
});

test.run();
