// The app log (output of live processes after their deployment ended): bounded
// by rotation, read back in order across the rotation, followed across it; and
// stored lines, there and in deployment logs, are plain text without colour codes.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { followAppLog, tailAppLog } from '../cli/app-log-reader.js';
import { AppLog } from '../lib/agent/app-log.js';
import { Store } from '../lib/agent/store.js';
import { agentPaths, appLogFile } from '../lib/control/paths.js';
import type { AppLogEntry } from '../lib/control/protocol.js';
import { until } from './support/e2e.js';

const home = mkdtempSync(join(tmpdir(), 'slipway-app-log-'));
test.after(() => rmSync(home, { recursive: true, force: true }));

const entry = (n: number): AppLogEntry => ({
  ts: 1_800_000_000_000 + n,
  process: 'web-1',
  stream: 'stdout',
  line: `request ${n}`,
});

test('the log rotates at maxBytes into <file>.1, so an app keeps at most about twice that', () => {
  const paths = agentPaths(join(home, 'rotate'));
  const log = new AppLog(paths, 1000);
  for (let n = 0; n < 200; n++) log.append('shop', entry(n));
  log.close();
  const file = appLogFile(paths, 'shop');
  assert.ok(existsSync(`${file}.1`), 'rotated');
  assert.ok(statSync(file).size <= 1000);
  assert.ok(statSync(`${file}.1`).size <= 1000);
  assert.is(statSync(file).mode & 0o777, 0o600);
  const last = tailAppLog(file, 5).map((e) => e.line);
  assert.equal(last, ['request 195', 'request 196', 'request 197', 'request 198', 'request 199']);
  // Both files, oldest first, no gap between them.
  const all = tailAppLog(file, 1000).map((e) => Number(e.line.split(' ')[1]));
  assert.ok(all.length > 10 && all.length < 200, `kept ${all.length} of 200`);
  assert.equal(
    all,
    all.map((_, i) => all[0]! + i),
  );
  assert.equal(tailAppLog(file, 0), []);
});

test('following reads every new line in order, across a rotation', async () => {
  const paths = agentPaths(join(home, 'follow'));
  // About 75 bytes an entry: the 30 below rotate the file once.
  const log = new AppLog(paths, 1500);
  log.append('shop', entry(0));
  const file = appLogFile(paths, 'shop');
  const seen: string[] = [];
  const stop = new AbortController();
  const following = followAppLog(file, (e) => seen.push(e.line), stop.signal);
  try {
    for (let n = 1; n <= 30; n++) log.append('shop', entry(n));
    await until(() => seen.length >= 30, 10_000, 'the followed lines');
  } finally {
    stop.abort();
    await following;
    log.close();
  }
  assert.ok(existsSync(`${file}.1`), 'it rotated meanwhile');
  assert.equal(
    seen,
    Array.from({ length: 30 }, (_, i) => `request ${i + 1}`),
  );
});

test('colour codes are stripped from stored lines: the app log and deployment logs alike', () => {
  const paths = agentPaths(join(home, 'ansi'));
  const log = new AppLog(paths);
  log.append('shop', { ...entry(1), line: '\u001b[32mGET\u001b[0m /a \u001b[1m200\u001b[22m' });
  log.close();
  assert.is(tailAppLog(appLogFile(paths, 'shop'), 1)[0]!.line, 'GET /a 200');

  const store = Store.open(':memory:');
  store.ensureApp('shop', { host: '127.0.0.1' });
  store.createDeployment({
    id: 'd1',
    app: 'shop',
    release: 1,
    version: 'v1',
    kind: 'deploy',
    mode: 'postdeploy',
    sourceRelease: null,
    leaseExpiresAt: Date.now() + 60_000,
  });
  store.appendLogs('d1', [
    { phase: 'build', stream: 'stdout', line: '\u001b[31merror\u001b[39m in step', ts: 1 },
    { phase: 'build', stream: 'stdout', line: 'plain', ts: 2 },
  ]);
  assert.equal(
    store.getLogs('d1').map((l) => l.line),
    ['error in step', 'plain'],
  );
  assert.equal(
    store.getLogsAfter('d1', 1).map((l) => [l.seq, l.line]),
    [[2, 'plain']],
  );
  store.close();
});

test.run();
