// The CLI shell: version, help, exit codes, --json, errors without stacks.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E } from './support/e2e.js';

const cli = new E2E();
test.after(() => cli.cleanup());

test('--version prints the package version; --help lists commands and exit codes', async () => {
  const { version } = JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8'));
  const v = await cli.run(['--version']);
  assert.is(v.code, 0);
  assert.is(v.stdout.trim(), version);
  const h = await cli.run(['--help']);
  assert.is(h.code, 0);
  for (const c of ['deploy', 'deployments', 'logs', 'rollback', 'config:set', 'procfile']) assert.match(h.stdout, c);
  assert.match(h.stdout, /Exit codes/);
  const dh = await cli.run(['deploy', '--help']);
  assert.match(dh.stdout, /--no-wait/);
});

test('unknown command and unknown flag: exit 2 with a one-line message, no stack trace', async () => {
  const r = await cli.run(['deplyo']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /did you mean "deploy"/);
  const f = await cli.run(['deployments', '--bogus']);
  assert.is(f.code, 2);
  assert.match(f.stderr, /USAGE/);
  assert.match(f.stderr, /--bogus/);
  assert.not.match(f.stderr, /at .*\.js:\d+/);
});

test('procfile check: JSON on success (exit 0) and on error with line and column (exit 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
  cli.dirs.push(dir);
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\nWorker_1: node w.js\n');
  const ok = await cli.run(['procfile', 'check', join(dir, 'Procfile'), '--json']);
  assert.is(ok.code, 0);
  const parsed = JSON.parse(ok.stdout);
  assert.is(parsed.processes.web, 'node server.js');
  assert.ok(parsed.warnings.some((w: string) => w.includes('worker-1')));
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\n: oops\n');
  const bad = await cli.run(['procfile', 'check', join(dir, 'Procfile'), '--json']);
  assert.is(bad.code, 2);
  const err = JSON.parse(bad.stdout).error;
  assert.is(err.line, 2);
  assert.is(err.column, 1);
  assert.type(err.message, 'string');
});

test('check: a misspelt config key names the key, the file and the intended key; exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
  cli.dirs.push(dir);
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: npm run build\n');
  writeFileSync(join(dir, '.slipwayrc.yaml'), 'app: demo\npostdeploy:\n  timout: 5m\n');
  const r = await cli.run(['check', dir]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /postdeploy\.timout/);
  assert.match(r.stderr, /\.slipwayrc\.yaml/);
  assert.match(r.stderr, /postdeploy\.timeout/);
  writeFileSync(join(dir, '.slipwayrc.yaml'), 'app: demo\npostdeploy:\n  timeout: 5m\n');
  const good = await cli.run(['check', dir, '--json']);
  assert.is(good.code, 0, good.stderr);
  const plan = JSON.parse(good.stdout);
  assert.is(plan.hook.timeoutMs, 300_000);
  assert.ok(
    plan.warnings.some((w: string) => /asset|build/.test(w)),
    'asset-build lint warns',
  );
});

test.run();
