// Unit tests of the Heroku compat pieces: the JSON reader with positions, the
// app.json and heroku.yml readers, the release command analysis and the mode
// choice, dyno metadata and containerEnv, and the config the migration writes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAppJson } from '../compat/heroku/app-json.js';
import { chooseMode } from '../compat/heroku/choose-mode.js';
import { dynoMetadata, dynoName } from '../compat/heroku/dyno-metadata.js';
import { parseHerokuYml, shellJoin } from '../compat/heroku/heroku-yml.js';
import { JsonSyntaxError, parseJson } from '../compat/heroku/json-source.js';
import { registerHerokuMode } from '../compat/heroku/mode.js';
import { readHerokuApp } from '../compat/heroku/read-app.js';
import { classify, releaseSteps, splitCommands } from '../compat/heroku/release-command.js';
import { buildPlan } from '../compat/heroku/report.js';
import { renderSlipwayrc } from '../compat/heroku/slipwayrc.js';
import { resolveConfig } from '../lib/config/resolve.js';
import { loadYamlOrJson } from '../lib/config/source.js';
import { containerEnv } from '../lib/core/container-env.js';
import type { DeploymentContext } from '../lib/core/context.js';

// As the CLI does at start: the core applies heroku mode through its registry.
registerHerokuMode();

const tmp: string[] = [];
test.after(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});
function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'slipway-heroku-unit-'));
  tmp.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

function jsonError(text: string): { message: string; line: number; column: number } {
  try {
    parseJson(text);
  } catch (error) {
    assert.instance(error, JsonSyntaxError);
    const e = error as JsonSyntaxError;
    return { message: e.message, ...e.position };
  }
  throw new Error(`parsed: ${text}`);
}

// ── JSON with positions ────────────────────────────────────────────────

test('parseJson: values as JSON.parse gives them, and where each key and value starts', () => {
  const text = '\uFEFF{\n  "a": [1, {"b": "x\\u0041\\n"}],\n  "c": -1.5e2,\n  "d": null, "e": true\n}';
  const json = parseJson(text);
  assert.equal(json.value, JSON.parse(text.slice(1)));
  assert.equal(json.at(['a']), { line: 2, column: 3 });
  assert.equal(json.at(['a', 1, 'b']), { line: 2, column: 13 });
  assert.equal(json.at(['c']), { line: 3, column: 3 });
  assert.equal(json.at(['d']), { line: 4, column: 3 });
  assert.equal(json.at(['e']), { line: 4, column: 14 });
  assert.equal(json.at([]), { line: 1, column: 1 }, 'a byte order mark takes no column');
  assert.equal(
    json.at(['a', 7, 'missing']),
    { line: 2, column: 3 },
    'a missing path is located at its deepest known parent',
  );
});

test('parseJson: each syntax error names what is wrong and where', () => {
  assert.equal(jsonError('{\n  "a": 1,\n}'), { message: 'trailing comma before "}"', line: 2, column: 9 });
  assert.equal(jsonError('[1, 2,]'), { message: 'trailing comma before "]"', line: 1, column: 6 });
  assert.equal(jsonError('{"a": 1, "a": 2}'), { message: 'duplicate key "a"', line: 1, column: 10 });
  assert.equal(jsonError('{"a": 1\n "b": 2}'), { message: 'expected "," or "}", found "\\""', line: 2, column: 2 });
  assert.equal(jsonError('{a: 1}'), { message: 'expected a "quoted" key, found "a"', line: 1, column: 2 });
  assert.equal(jsonError('{"a": "open'), { message: 'unterminated string', line: 1, column: 7 });
  assert.equal(jsonError('{"a": "\\x"}'), { message: 'invalid escape in string', line: 1, column: 8 });
  assert.equal(jsonError('{"a": tru}'), { message: 'expected a value, found "t"', line: 1, column: 7 });
  assert.equal(jsonError('{} {}'), { message: 'unexpected "{" after the end of the JSON value', line: 1, column: 4 });
  assert.equal(jsonError(''), { message: 'expected a value, found the end of the file', line: 1, column: 1 });
  assert.equal(jsonError('{"a": 01}'), { message: 'expected "," or "}", found "1"', line: 1, column: 8 });
});

// ── app.json ───────────────────────────────────────────────────────────

test('app.json: env short and long forms, required by default, secrets, formation, buildpacks', () => {
  const { appJson, problems } = parseAppJson(
    JSON.stringify(
      {
        name: 'shop',
        env: {
          SHORT: 'v',
          LONG: { value: 'w', description: 'd', required: false },
          NEEDED: {},
          SECRET: { generator: 'secret' },
        },
        formation: { web: { quantity: 2, size: 'standard-1x' } },
        buildpacks: [{ url: 'heroku/ruby' }],
        stack: 'heroku-24',
        scripts: { postdeploy: 'rake db:seed', 'pr-predestroy': 'rake cleanup' },
      },
      null,
      2,
    ),
  );
  assert.equal(problems, []);
  assert.is(appJson!.name!.value, 'shop');
  assert.equal(
    appJson!.env.map((e) => [e.key, e.value, e.required, e.secret]),
    [
      ['SHORT', 'v', true, false],
      ['LONG', 'w', false, false],
      ['NEEDED', undefined, true, false],
      ['SECRET', undefined, true, true],
    ],
  );
  assert.equal(appJson!.formation, [{ type: 'web', source: 'app.json:16:5', quantity: 2, size: 'standard-1x' }]);
  assert.equal(appJson!.buildpacks, [{ value: 'heroku/ruby', source: 'app.json:22:5' }]);
  assert.is(appJson!.postdeploy!.value, 'rake db:seed');
  assert.is(appJson!.prPredestroy!.value, 'rake cleanup');
  assert.equal(appJson!.notCarried, []);
});

test('app.json: every key it does not carry over is listed with where and why', () => {
  const { appJson } = parseAppJson(
    '{\n "logo": "x.png",\n "addons": ["heroku-redis"],\n "mystery": 1,\n "scripts": {"test": "npm test"},\n "env": {"A": {"value": "1", "secret": true}}\n}',
  );
  assert.equal(
    appJson!.notCarried.map((u) => [u.source, u.key]),
    [
      ['app.json:2:2', 'logo'],
      ['app.json:3:2', 'addons'],
      ['app.json:4:2', 'mystery'],
      ['app.json:5:14', 'scripts.test'],
      ['app.json:6:30', 'env.A.secret'],
    ],
  );
  assert.match(appJson!.notCarried[1]!.detail, /provisions no add-ons/);
});

test('app.json: wrong types are problems with line and column, all of them', () => {
  const { problems } = parseAppJson(
    '{\n  "env": {"A": 3, "B": {"generator": "uuid"}},\n  "formation": {"web": {"quantity": -1}},\n  "scripts": {"postdeploy": ""}\n}',
  );
  assert.equal(
    problems.map((p) => `${p.line}:${p.column} ${p.message}`),
    [
      '2:11 env.A must be a string or an object with value, required, generator, description',
      '2:25 env.B.generator must be "secret" (the only generator app.json has)',
      '3:25 formation.web.quantity must be a whole number, 0 or more',
      '4:15 scripts.postdeploy must be a non-empty string',
    ],
  );
  assert.equal(parseAppJson('[]').problems, [
    { file: 'app.json', line: 1, column: 1, message: 'app.json must be a JSON object' },
  ]);
});

// ── heroku.yml ─────────────────────────────────────────────────────────

test('heroku.yml: build.docker, release in exec form, run in both forms, setup.config', () => {
  const { herokuYml, problems } = parseHerokuYml(
    [
      'setup:',
      '  config:',
      '    VERSION: 1.10',
      'build:',
      '  docker:',
      '    web: Dockerfile',
      'release:',
      '  command: ["./release.sh", "--tag", "it\'s"]',
      '  image: web',
      'run:',
      '  web: npm start',
      '  jobs:',
      '    command: [node, jobs.js]',
      '    image: web',
      '',
    ].join('\n'),
  );
  assert.equal(problems, []);
  assert.equal(herokuYml!.dockerfiles, [{ type: 'web', path: 'Dockerfile', source: 'heroku.yml:6:5' }]);
  assert.equal(herokuYml!.release, {
    command: `./release.sh --tag 'it'\\''s'`,
    image: 'web',
    source: 'heroku.yml:7:1',
  });
  assert.equal(
    herokuYml!.run.map((p) => [p.type, p.command, p.image]),
    [
      ['web', 'npm start', undefined],
      ['jobs', 'node jobs.js', 'web'],
    ],
  );
  assert.equal(herokuYml!.setupConfig, [{ key: 'VERSION', value: '1.10', source: 'heroku.yml:3:5' }]);
  assert.is(shellJoin(['echo', 'a b', '$HOME']), `echo 'a b' '$HOME'`);
});

test('heroku.yml: malformed parts are problems with line and column', () => {
  const problem = (text: string) => parseHerokuYml(text).problems.map((p) => `${p.line}:${p.column} ${p.message}`);
  assert.equal(problem('- a\n- b\n'), ['1:1 heroku.yml must be a mapping of sections (build, release, run, setup)']);
  assert.equal(problem('release:\n  image: web\n'), ['2:3 release needs a command']);
  assert.equal(problem('run:\n  web: \n'), ['2:3 run.web must be a non-empty string']);
  assert.equal(problem('run:\n\tweb: x\n'), ['2:1 invalid YAML: Tabs are not allowed as indentation']);
  assert.equal(problem('run:\n  web: a\n  web: b\n'), ['3:3 invalid YAML: Map keys must be unique']);
  assert.equal(problem('build: Dockerfile\n'), ['1:8 build must be a mapping']);
  assert.equal(parseHerokuYml('').problems, [], 'an empty file is an empty manifest');
});

test('heroku.yml: unknown sections and settings are listed, not dropped', () => {
  const { herokuYml } = parseHerokuYml(
    'deploy:\n  x: 1\nbuild:\n  languages: [ruby]\n  docker:\n    web: Dockerfile\n',
  );
  assert.equal(
    herokuYml!.notCarried.map((u) => [u.source, u.key]),
    [
      ['heroku.yml:1:1', 'deploy'],
      ['heroku.yml:4:3', 'build.languages'],
    ],
  );
});

// ── release command analysis and mode choice ───────────────────────────

test('splitCommands: on && || ; outside quotes', () => {
  assert.equal(splitCommands(`a && b || c; d 'x && y' "p;q"`), ['a', 'b', 'c', `d 'x && y' "p;q"`]);
});

test('classify: migrations and notifications of the usual stacks, through wrappers and env prefixes', () => {
  for (const c of [
    'bundle exec rake db:migrate',
    'bin/rails db:prepare',
    'python manage.py migrate --noinput',
    'npx prisma migrate deploy',
    'RAILS_ENV=production bundle exec rails db:migrate',
    'php artisan migrate --force',
    'node scripts/migrate.js',
    'alembic upgrade head',
  ]) {
    assert.is(classify(c), 'migration', c);
  }
  assert.is(classify('newrelic deployments --revision=$CONTAINER_VERSION'), 'notification');
  assert.is(classify('curl -X POST https://api.rollbar.com/api/1/deploy/'), 'notification');
  for (const c of [
    'bundle exec rake db:migrate db:seed',
    'rake assets:precompile',
    'node scripts/sync.js',
    './bin/release',
  ]) {
    assert.is(classify(c), 'other', c);
  }
});

test('releaseSteps: reads npm scripts (with pre/post) and shell scripts from the app', () => {
  const d = dir({
    'package.json': JSON.stringify({
      scripts: {
        prerelease: 'echo start',
        release: 'npm run db && node notify-slack.js',
        db: 'knex migrate:latest',
        loop: 'npm run loop',
      },
    }),
    'release.sh': '#!/bin/sh\nset -e\n# migrate first\nbundle exec rake db:migrate\ncurl https://hooks.slack.com/x\n',
  });
  assert.equal(
    releaseSteps(d, 'npm run release', 'Procfile:2').map((s) => [s.command, s.kind, s.source]),
    [
      ['knex migrate:latest', 'migration', 'package.json scripts.db'],
      ['node notify-slack.js', 'other', 'package.json scripts.release'],
    ],
  );
  assert.equal(
    releaseSteps(d, './release.sh', 'Procfile:2').map((s) => [s.command, s.kind, s.source]),
    [
      ['bundle exec rake db:migrate', 'migration', 'release.sh:4'],
      ['curl https://hooks.slack.com/x', 'notification', 'release.sh:5'],
    ],
  );
  assert.equal(
    releaseSteps(d, 'npm run loop', 'Procfile:2').map((s) => s.command),
    ['npm run loop'],
    'recursion stops',
  );
  assert.equal(
    releaseSteps(d, './missing.sh', 'Procfile:2').map((s) => s.kind),
    ['other'],
  );
});

test('chooseMode: postdeploy for migrations and notifications, heroku for anything else, with the reason', () => {
  assert.is(chooseMode(null).mode, 'postdeploy');
  const migrate = chooseMode({
    command: 'rake db:migrate',
    steps: [{ command: 'rake db:migrate', kind: 'migration', source: 'Procfile:1' }],
  });
  assert.is(migrate.mode, 'postdeploy');
  assert.match(migrate.reason, /only runs database migrations \(`rake db:migrate`\)/);
  const other = chooseMode({
    command: 'npm run release',
    steps: [
      { command: 'rake db:migrate', kind: 'migration', source: 'Procfile:1' },
      { command: 'node warm.js', kind: 'other', source: 'package.json scripts.release' },
    ],
  });
  assert.is(other.mode, 'heroku');
  assert.match(other.reason, /^`node warm\.js` \(package\.json scripts\.release\) is neither/);
});

test('buildPlan: a Procfile with both release and postdeploy is left alone and the report says why', () => {
  const d = dir({ Procfile: 'web: x\nrelease: rake db:migrate\npostdeploy: rake notify\n' });
  const plan = buildPlan(readHerokuApp(d));
  assert.is(plan.mode, 'postdeploy');
  assert.is(plan.files.find((f) => f.path === 'Procfile')!.action, 'unchanged');
  assert.ok(plan.changes.some((c) => c.id === 'release-and-postdeploy'));
});

// ── dyno metadata and the config written ───────────────────────────────

test('dynoName and dynoMetadata', () => {
  assert.is(dynoName('web-1'), 'web.1');
  assert.is(dynoName('release-12'), 'release.12');
  assert.is(dynoName('first-deploy-1'), 'first-deploy.1');
  assert.is(dynoName('run'), 'run');
  const env = dynoMetadata({
    app: 'shop',
    appId: 'abc',
    release: 7,
    createdAt: new Date('2024-05-01T10:00:00Z'),
    version: '0123456789abcdef',
    container: 'web-2',
  });
  assert.equal(
    { ...env, HEROKU_DYNO_ID: 'x' },
    {
      HEROKU_APP_NAME: 'shop',
      HEROKU_APP_ID: 'abc',
      HEROKU_RELEASE_VERSION: 'v7',
      HEROKU_RELEASE_CREATED_AT: '2024-05-01T10:00:00.000Z',
      HEROKU_SLUG_COMMIT: '0123456789abcdef',
      HEROKU_SLUG_DESCRIPTION: 'Deploy 0123456',
      HEROKU_DYNO_ID: 'x',
      DYNO: 'web.2',
    },
  );
});

test('containerEnv: dyno metadata in heroku mode only, Scalingo variables in both', () => {
  const ctx = (mode: 'heroku' | 'postdeploy') =>
    ({ app: 'shop', appId: 'id1', release: 3, version: 'rev', mode, startedAt: new Date(0) }) as DeploymentContext;
  const heroku = containerEnv(ctx('heroku'), 'release-3', 1024);
  assert.is(heroku.DYNO, 'release.3');
  assert.is(heroku.HEROKU_APP_ID, 'id1');
  assert.is(heroku.CONTAINER, 'release-3');
  assert.is(heroku.CONTAINER_MEMORY, '1024');
  const plain = containerEnv(ctx('postdeploy'), 'web-1', 1024);
  assert.equal(
    Object.keys(plain).filter((k) => k.startsWith('HEROKU_') || k === 'DYNO'),
    [],
  );
  assert.is(plain.CONTAINER_VERSION, 'rev');
});

test('the config the migration writes is valid slipway config', () => {
  const text = renderSlipwayrc({
    app: 'shop',
    mode: 'heroku',
    modeReason: 'a long reason '.repeat(12).trim(),
    docker: { dockerfile: 'docker/Dockerfile' },
    formation: { web: 2, worker: 0 },
    env: { TRUE_TEXT: 'true', COLON: 'a: b', NUM: '1.10' },
    envSources: ['app.json'],
    firstDeploy: 'node seed.js --count=10',
    sources: ['Procfile', 'app.json'],
  });
  for (const line of text.split('\n')) assert.ok(line.length <= 110, line);
  const config = resolveConfig(loadYamlOrJson('.slipwayrc.yaml', text), '/srv/shop');
  assert.is(config.app, 'shop');
  assert.is(config.mode, 'heroku');
  assert.is(config.runtime, 'docker');
  assert.equal(config.formation, { web: 2, worker: 0 });
  assert.equal(config.env, { TRUE_TEXT: 'true', COLON: 'a: b', NUM: '1.10' });
  assert.equal(config.scripts, { 'first-deploy': 'node seed.js --count=10' });
});

test.run();
