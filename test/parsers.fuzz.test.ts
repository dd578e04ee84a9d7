// Bad input, fuzzed: the config (YAML and JSON), app.json and heroku.yml
// readers, fed arbitrary text and valid files broken the ways files break
// (test/support/mutations.ts). Each either gives a value or reports the
// problem as a SlipwayError (or, for the Heroku files, problems) with a stable
// code, a one-line message and the file:line it is about — never another
// exception, never a hang. The Procfile's own properties are in
// procfile.property.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAppJson } from '../compat/heroku/app-json.js';
import { parseHerokuYml } from '../compat/heroku/heroku-yml.js';
import { type InputProblem, inputError } from '../compat/heroku/problems.js';
import { loadConfig } from '../lib/config/load-config.js';
import { SlipwayError } from '../lib/core/errors.js';
import { hostileText, LINE_BREAK } from './support/mutations.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-fuzz-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const YAML_CONFIGS = [
  'app: shop\nport: 5000\nruntime: process\nformation:\n  web: 2\n  worker: 1\nenv:\n  RAILS_ENV: production\n  VERSION: 1.10\npostdeploy:\n  timeout: 5m\n  memory: 512MB\nhealthcheck:\n  path: /up\n',
  'app: api\nmode: heroku\nplugins:\n  - slack\n  - [webhook, { url: "http://127.0.0.1:9/x" }]\ndocker:\n  dockerfile: Dockerfile\n  buildArgs:\n    NODE_ENV: production\nkeepReleases: 3\n',
  'defaults: &d\n  timeout: 30s\nstart:\n  <<: *d\nstop:\n  grace: 10s\nscripts:\n  first-deploy: npm run seed\n',
];
const JSON_CONFIGS = YAML_CONFIGS.slice(0, 1).map(() =>
  JSON.stringify(
    {
      app: 'shop',
      port: 5000,
      formation: { web: 2, worker: 1 },
      env: { RAILS_ENV: 'production' },
      postdeploy: { timeout: '5m' },
      plugins: ['slack', ['webhook', { url: 'http://127.0.0.1:9/x' }]],
    },
    null,
    2,
  ),
);

const APP_JSONS = [
  JSON.stringify(
    {
      name: 'Rails Shop',
      scripts: { postdeploy: 'bin/rails db:seed' },
      env: {
        SECRET_KEY_BASE: { description: 'secret', generator: 'secret' },
        RAILS_ENV: 'production',
        WEB_CONCURRENCY: { value: '2', required: false },
      },
      formation: { web: { quantity: 2, size: 'standard-1x' }, worker: { quantity: 1 } },
      buildpacks: [{ url: 'heroku/ruby' }],
      addons: ['heroku-postgresql'],
    },
    null,
    2,
  ),
];
const HEROKU_YMLS = [
  'setup:\n  config:\n    RAILS_ENV: production\nbuild:\n  docker:\n    web: Dockerfile\n    worker: worker/Dockerfile\n  config:\n    NODE_ENV: production\nrelease:\n  command:\n    - ./release.sh\n  image: worker\nrun:\n  web: bundle exec puma\n  worker:\n    command:\n      - bundle exec sidekiq\n    image: worker\n',
];

function checkConfig(name: string, text: string): Promise<void> {
  const file = join(dir, name);
  writeFileSync(file, text);
  return loadConfig(dir, { file }).then(
    (config) => {
      assert.type(config.app, 'string');
    },
    (error: unknown) => {
      if (!(error instanceof SlipwayError)) throw error;
      assert.ok(['CONFIG_LOAD', 'CONFIG_INVALID'].includes(error.code), error.code);
      assert.not.match(error.message, LINE_BREAK, `message on more than one line: ${JSON.stringify(error.message)}`);
      assert.ok(error.message.includes(name), `message names the file: ${error.message}`);
      if (error.code === 'CONFIG_LOAD') assert.ok((error.location?.line ?? 0) >= 1, `no line: ${error.message}`);
      for (const p of error.problems ?? []) assert.not.match(p.message, LINE_BREAK);
    },
  );
}

function checkProblems(problems: InputProblem[], file: string): void {
  for (const p of problems) {
    assert.is(p.file, file);
    assert.ok((p.line ?? 0) >= 1 && (p.column ?? 0) >= 1, `problem without a place: ${JSON.stringify(p)}`);
    assert.not.match(p.message, LINE_BREAK, `problem on more than one line: ${JSON.stringify(p.message)}`);
  }
  if (problems.length > 0) {
    const error = inputError(problems);
    assert.is(error.code, 'MIGRATE_INPUT');
    assert.not.match(error.message, LINE_BREAK);
    assert.match(error.message, new RegExp(`^${file.replace('.', '\\.')}:\\d+:\\d+: `));
  }
}

test('.slipwayrc.yaml: any text loads or is a one-line CONFIG_LOAD/CONFIG_INVALID naming the file', async () => {
  await fc.assert(
    fc.asyncProperty(hostileText(YAML_CONFIGS), (text) => checkConfig('.slipwayrc.yaml', text)),
    { numRuns: 400 },
  );
});

test('.slipwayrc.json: any text loads or is a one-line CONFIG_LOAD/CONFIG_INVALID naming the file', async () => {
  await fc.assert(
    fc.asyncProperty(hostileText(JSON_CONFIGS), (text) => checkConfig('.slipwayrc.json', text)),
    { numRuns: 300 },
  );
});

test('app.json: any text gives a value or problems, each one line with line and column; never a throw', () => {
  fc.assert(
    fc.property(hostileText(APP_JSONS), (text) => {
      const r = parseAppJson(text);
      checkProblems(r.problems, 'app.json');
      if (r.problems.length === 0) assert.ok(r.appJson);
    }),
    { numRuns: 1000 },
  );
});

test('heroku.yml: any text gives a value or problems, each one line with line and column; never a throw', () => {
  fc.assert(
    fc.property(hostileText(HEROKU_YMLS), (text) => {
      const r = parseHerokuYml(text);
      checkProblems(r.problems, 'heroku.yml');
      if (r.problems.length === 0) assert.ok(r.herokuYml);
    }),
    { numRuns: 1000 },
  );
});

test.run();
