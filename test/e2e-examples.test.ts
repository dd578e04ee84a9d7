// The shipped examples deploy as documented: migrations' postdeploy migrates
// the schema its web process reads; notify-script's `set -e` chain fails the
// deployment when its second step fails.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../lib/core/ports.js';
import { E2E, get, root } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

async function example(name: string, config: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${name}-`));
  e2e.dirs.push(dir);
  cpSync(join(root, 'examples', name), dir, { recursive: true });
  const port = await freePort();
  // The test's own config replaces the example's (two config files in one directory are refused).
  rmSync(join(dir, '.slipwayrc.yaml'));
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: name, port, ...config }));
  return { dir, port };
}

test('examples/migrations: the web process serves the schema the postdeploy migrated', async () => {
  const db = join(e2e.home, 'example.db');
  const { dir, port } = await example('migrations', { env: { DATABASE_PATH: db } });
  const { code, record } = await e2e.deploy(dir, ['--revision', 'm1']);
  assert.is(code, 0, JSON.stringify(record));
  const body = JSON.parse((await get(port)).body);
  assert.equal(body.greetings, [{ text: 'hello from a migrated schema', language: 'en' }]);
  const logs = await e2e.run(['logs', record.id]);
  assert.match(logs.stdout, /migrated 003_add_language/);
  // A redeploy finds nothing to migrate and still succeeds.
  assert.is((await e2e.deploy(dir, ['--revision', 'm2'])).code, 0);
});

test('examples/notify-script: a failing second step of the && chain is a hook-error', async () => {
  const { dir, port } = await example('notify-script', {});
  assert.is((await e2e.deploy(dir, ['--revision', 'n1'])).code, 0);
  const set = await e2e.run(['config:set', '--app', 'notify-script', 'NOTIFY_FAIL=1']);
  assert.is(set.code, 0, set.stderr);
  const { code, record } = await e2e.deploy(dir, ['--revision', 'n2']);
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.hookExitCode, 22);
  assert.match((await get(port)).body, /n1/);
});

test.run();
