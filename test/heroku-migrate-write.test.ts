// `slipway migrate heroku --write`: says what it writes and overwrites, never
// overwrites a slipway config without --force, writes nothing on any error,
// and what it writes passes `slipway check`.
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../lib/config/load-config.js';
import { readProcfile } from '../lib/procfile/procfile.js';
import { E2E, root } from './support/e2e.js';

const cli = new E2E();
test.after(() => cli.cleanup());

function copy(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `slipway-migrate-${name}-`));
  cli.dirs.push(dir);
  cpSync(join(root, 'test', 'fixtures', 'heroku', name), dir, { recursive: true });
  return dir;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

test('--write creates .slipwayrc.yaml, overwrites the Procfile (saying so), and the result passes check', async () => {
  const dir = copy('rails');
  const before = read(dir, 'Procfile');
  const r = await cli.run(['migrate', 'heroku', dir, '--write']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /\ncreated \.slipwayrc\.yaml\noverwritten Procfile\n$/);
  assert.not.match(r.stdout, /Nothing was written/);
  assert.is(read(dir, 'Procfile'), before.replace('release: bundle exec', 'postdeploy: bundle exec'));
  assert.match(read(dir, 'Procfile'), /^# Heroku processes of the shop\n/, 'comments are kept');
  const config = await loadConfig(dir);
  assert.is(config.app, 'rails-shop');
  assert.is(config.mode, 'postdeploy');
  assert.equal(config.formation, { web: 2, worker: 1 });
  assert.equal(config.env, { RAILS_ENV: 'production', RAILS_LOG_TO_STDOUT: 'enabled' });
  assert.equal(config.scripts, { 'first-deploy': 'bundle exec rake db:seed' });
  assert.is((await readProcfile(dir)).processes.postdeploy, 'bundle exec rake db:migrate');
  const check = await cli.run(['check', dir, '--json']);
  assert.is(check.code, 0, check.stdout + check.stderr);
  const plan = JSON.parse(check.stdout);
  assert.equal(plan.hook, {
    type: 'postdeploy',
    command: 'bundle exec rake db:migrate',
    timeoutMs: 1_200_000,
    memoryBytes: 536_870_912,
  });
  assert.equal(plan.warnings, []);
});

test('a second --write refuses to overwrite .slipwayrc.yaml and writes nothing; --force overwrites it', async () => {
  const dir = copy('node');
  assert.is((await cli.run(['migrate', 'heroku', dir, '--write'])).code, 0);
  writeFileSync(join(dir, '.slipwayrc.yaml'), 'app: edited\n');
  const procfile = read(dir, 'Procfile');
  const again = await cli.run(['migrate', 'heroku', dir, '--write', '--mode', 'postdeploy']);
  assert.is(again.code, 2);
  assert.match(again.stderr, /\.slipwayrc\.yaml already exists; nothing was written\. Use --force to overwrite it/);
  assert.is(read(dir, '.slipwayrc.yaml'), 'app: edited\n');
  assert.is(read(dir, 'Procfile'), procfile, 'the Procfile was not touched either');
  const dry = await cli.run(['migrate', 'heroku', dir]);
  assert.is(dry.code, 0);
  assert.match(dry.stdout, /overwrite\s+\.slipwayrc\.yaml/);
  assert.match(dry.stderr, /--write would refuse: \.slipwayrc\.yaml already exists/);
  const forced = await cli.json(['migrate', 'heroku', dir, '--write', '--force']);
  assert.equal(forced.written, [{ path: '.slipwayrc.yaml', action: 'overwritten' }]);
  assert.match(read(dir, '.slipwayrc.yaml'), /^app: notes-api$/m);
});

test('another slipway config file is never replaced, even with --force', async () => {
  const dir = copy('django');
  writeFileSync(join(dir, '.slipwayrc.json'), '{"app":"mine"}\n');
  const r = await cli.run(['migrate', 'heroku', dir, '--write', '--force', '--json']);
  assert.is(r.code, 2);
  assert.match(JSON.parse(r.stdout).error.message, /\.slipwayrc\.json already configures slipway here/);
  assert.not.ok(existsSync(join(dir, '.slipwayrc.yaml')));
  assert.match(read(dir, 'Procfile'), /^release: /m);
});

test('malformed input: MIGRATE_INPUT with file:line:column, and nothing is written', async () => {
  const dir = copy('bad-app-json');
  const procfile = read(dir, 'Procfile');
  const r = await cli.run(['migrate', 'heroku', dir, '--write', '--json']);
  assert.is(r.code, 2);
  const e = JSON.parse(r.stdout).error;
  assert.equal([e.code, e.file, e.line, e.column], ['MIGRATE_INPUT', 'app.json', 4, 41]);
  assert.not.ok(existsSync(join(dir, '.slipwayrc.yaml')));
  assert.is(read(dir, 'Procfile'), procfile);
});

test('every malformed file is reported at once', async () => {
  const dir = copy('bad-app-json');
  writeFileSync(join(dir, 'Procfile'), 'web node server.js\n');
  writeFileSync(join(dir, 'heroku.yml'), 'run:\n\tweb: npm start\n');
  const r = await cli.run(['migrate', 'heroku', dir, '--json']);
  const e = JSON.parse(r.stdout).error;
  assert.is(e.code, 'MIGRATE_INPUT');
  assert.equal(
    e.data.problems.map((p: any) => `${p.file}:${p.line}`),
    ['Procfile:1', 'app.json:4', 'heroku.yml:2'],
  );
  assert.match(e.message, /^Procfile:1:4: missing ":" .* \(and 2 more\)$/);
});

test('heroku.yml app: the Procfile is created from run and release, the config selects the docker runtime', async () => {
  const dir = copy('docker-yml');
  const r = await cli.json(['migrate', 'heroku', dir, '--write']);
  assert.equal(r.written, [
    { path: '.slipwayrc.yaml', action: 'created' },
    { path: 'Procfile', action: 'created' },
  ]);
  assert.is(
    read(dir, 'Procfile'),
    'web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq\nrelease: ./deployment-tasks.sh\n',
  );
  const config = await loadConfig(dir);
  assert.equal([config.runtime, config.mode, config.docker.dockerfile], ['docker', 'heroku', 'Dockerfile']);
  assert.equal(config.env, { RAILS_ENV: 'production', RAILS_SERVE_STATIC_FILES: 'true' });
});

test.run();
