// Errors that stand for several problems print each with its own place and
// source, what to do indented under them; a duplicate Procfile type gets a hint
// about duplicates, not the line format.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E } from './support/e2e.js';

const cli = new E2E();
test.after(() => cli.cleanup());

function appDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-errors-'));
  cli.dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('config with three problems: one header, each problem on its own line with file:line, details indented', async () => {
  const dir = appDir({
    Procfile: 'web: node server.js\n',
    '.slipwayrc.yaml': 'app: demo\nport: 0\nhost: ""\nmode: x\n',
  });
  const r = await cli.run(['check', dir]);
  assert.is(r.code, 2);
  const lines = r.stderr.trimEnd().split('\n');
  assert.is(lines[0], 'error CONFIG_INVALID: 3 problems');
  assert.match(lines[1]!, /^ {2}\S*\.slipwayrc\.yaml:2: port: must be between 1 and 65535$/);
  assert.match(lines[2]!, /^ {2}\S*\.slipwayrc\.yaml:3: host: must be a host name/);
  assert.match(lines[3]!, /^ {2}\S*\.slipwayrc\.yaml:4: mode: must be "postdeploy" or "heroku"/);
  assert.match(lines[4]!, /^ {2}Fix each key named above/);
  assert.is(lines.length, 5);
});

test('migrate heroku with two malformed files: each problem with its location and its line under it', async () => {
  const dir = appDir({
    Procfile: 'web: node server.js\n',
    'app.json': '{\n  "name": "shop",\n}\n',
    'heroku.yml': 'build:\n  docker:\n    web: Dockerfile\n   run: x\n',
  });
  const r = await cli.run(['migrate', 'heroku', dir]);
  assert.is(r.code, 2, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.is(lines[0], 'error MIGRATE_INPUT: 2 problems');
  const app = lines.findIndex((l) => /^ {2}app\.json:\d+:\d+: invalid JSON/.test(l));
  assert.ok(app > 0, r.stderr);
  assert.match(lines[app + 1]!, /^ {4}\| /);
  assert.ok(
    lines.some((l) => /^ {2}heroku\.yml:\d+:\d+: invalid YAML/.test(l)),
    r.stderr,
  );
  assert.is(lines.at(-1), '  Fix the files named above; nothing was written.');
});

test('a duplicate Procfile process type: the hint is about duplicates, not the line format', async () => {
  const dir = appDir({ Procfile: 'web: node a.js\nworker: node w.js\nweb: node b.js\n' });
  const r = await cli.run(['procfile', 'check', join(dir, 'Procfile')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /duplicate process type "web" \(lines 1 and 3\)/);
  assert.match(r.stderr, /Each process type appears once in a Procfile: remove line 1 or 3/);
  assert.not.match(r.stderr, /Each line is `<type>: <command>`/);
});

test.run();
