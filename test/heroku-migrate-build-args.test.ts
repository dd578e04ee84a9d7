// `slipway migrate heroku`: heroku.yml build.config becomes docker.buildArgs
// (the written config loads with them), the report names each variable, and
// what is still not carried over is listed with its value's key names.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../lib/config/load-config.js';
import { E2E, root } from './support/e2e.js';

const cli = new E2E();
test.after(() => cli.cleanup());

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-buildargs-'));
  cli.dirs.push(dir);
  return dir;
}

test('build.config → docker.buildArgs in the written config, each variable named in the report', async () => {
  const dir = tempDir();
  cpSync(join(root, 'test', 'fixtures', 'heroku', 'docker-yml'), dir, { recursive: true });
  writeFileSync(
    join(dir, 'heroku.yml'),
    'build:\n  docker:\n    web: Dockerfile\n  config:\n    BUNDLE_WITHOUT: development:test\n    NODE_MAJOR: 20\nrun:\n  web: bundle exec puma\n',
  );
  const plan = await cli.json(['migrate', 'heroku', dir]);
  const change = plan.changes.find((c: any) => c.id === 'build-config');
  assert.ok(change, 'the report has a build.config change');
  assert.match(change.detail, /^BUNDLE_WITHOUT, NODE_MAJOR: passed to the Docker build of Dockerfile/);
  assert.not.ok(
    plan.notCarried.some((n: any) => n.key === 'build.config'),
    'build.config is carried over',
  );
  const w = await cli.run(['migrate', 'heroku', dir, '--write']);
  assert.is(w.code, 0, w.stderr);
  const config = await loadConfig(dir);
  assert.equal(config.docker.buildArgs, { BUNDLE_WITHOUT: 'development:test', NODE_MAJOR: '20' });
});

test('not carried over: each key listed by name with the key names of its value', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\n');
  writeFileSync(
    join(dir, 'heroku.yml'),
    'setup:\n  addons:\n    - plan: heroku-redis\n      as: CACHE\n    - plan: heroku-postgresql\n      options: { version: 16 }\nbuild:\n  config:\n    TOKENLESS: x\n',
  );
  writeFileSync(join(dir, 'app.json'), '{"environments": {"test": {"scripts": {}}, "review": {}}}\n');
  const plan = await cli.json(['migrate', 'heroku', dir]);
  const byKey = Object.fromEntries(plan.notCarried.map((n: any) => [n.key, n]));
  assert.equal(byKey['setup.addons'].keys, ['plan', 'as', 'options']);
  assert.equal(byKey.environments.keys, ['test', 'review']);
  // No Dockerfile is built, so the build arguments have nowhere to go: named, not dropped.
  assert.equal(byKey['build.config'].keys, ['TOKENLESS']);
  const text = await cli.run(['migrate', 'heroku', dir]);
  assert.match(text.stdout, /setup\.addons \(keys: plan, as, options\): slipway provisions no add-ons/);
  assert.match(text.stdout, /build\.config \(keys: TOKENLESS\): heroku\.yml builds no Dockerfile/);
});

test.run();
