// `slipway migrate heroku` on realistic Heroku apps, through the real CLI: its
// text and --json output are compared exactly with golden files next to the
// fixtures. UPDATE_GOLDEN=1 rewrites them (then read the diff before committing).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, root } from './support/e2e.js';

const cli = new E2E();
test.after(() => cli.cleanup());

const fixtures = join(root, 'test', 'fixtures', 'heroku');
const update = process.env.UPDATE_GOLDEN === '1';

function golden(file: string, actual: string): void {
  const path = join(fixtures, file);
  if (update) writeFileSync(path, actual);
  assert.ok(existsSync(path), `${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
  assert.fixture(actual, readFileSync(path, 'utf8'));
}

const cases: [name: string, exitCode: number][] = [
  ['rails', 0],
  ['django', 0],
  ['node', 0],
  ['docker-yml', 0],
  ['bad-app-json', 2],
  ['bad-heroku-yml', 2],
];

for (const [name, exitCode] of cases) {
  test(`${name}: text output`, async () => {
    const r = await cli.run(['migrate', 'heroku', '.'], { cwd: join(fixtures, name) });
    assert.is(r.code, exitCode, r.stderr);
    golden(`${name}.golden.txt`, r.stdout + r.stderr);
  });

  test(`${name}: --json output`, async () => {
    const r = await cli.run(['migrate', 'heroku', join(fixtures, name), '--json']);
    assert.is(r.code, exitCode, r.stderr);
    assert.is(r.stderr, '');
    golden(`${name}.golden.json`, `${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
  });
}

test('every fixture app has its goldens, and no golden is left without its fixture', () => {
  const names = new Set(cases.map(([n]) => n));
  for (const file of readdirSync(fixtures).filter((f) => f.includes('.golden.'))) {
    assert.ok(names.has(file.replace(/\.golden\.(txt|json)$/, '')), `${file} has no fixture case`);
  }
});

test('the mode is chosen per app, with the reason', async () => {
  const modes: Record<string, string> = {};
  for (const name of ['rails', 'django', 'node', 'docker-yml']) {
    modes[name] = (await cli.json(['migrate', 'heroku', join(fixtures, name)])).mode;
  }
  assert.equal(modes, { rails: 'postdeploy', django: 'postdeploy', node: 'heroku', 'docker-yml': 'heroku' });
});

test('--mode overrides the choice, and the report says what slipway would have chosen', async () => {
  const plan = await cli.json(['migrate', 'heroku', join(fixtures, 'rails'), '--mode', 'heroku']);
  assert.is(plan.mode, 'heroku');
  assert.is(plan.suggestedMode, 'postdeploy');
  assert.equal(
    plan.files.map((f: any) => [f.path, f.action]),
    [
      ['.slipwayrc.yaml', 'create'],
      ['Procfile', 'unchanged'],
    ],
  );
  assert.match(plan.files[0].content, /# heroku: chosen with --mode\.\nmode: heroku\n/);
  assert.ok(plan.changes.some((c: any) => c.id === 'release-phase-kept'));
  assert.not.ok(plan.changes.some((c: any) => c.id === 'release-order'));
  const text = await cli.run(['migrate', 'heroku', join(fixtures, 'rails'), '--mode', 'heroku']);
  assert.match(
    text.stdout,
    /Chosen with --mode\. By itself slipway would choose postdeploy: the release command only runs/,
  );
  const bad = await cli.run(['migrate', 'heroku', join(fixtures, 'rails'), '--mode', 'release']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--mode must be postdeploy or heroku/);
});

test('--app names the app; a name slipway cannot use is a usage error', async () => {
  const plan = await cli.json(['migrate', 'heroku', join(fixtures, 'node'), '--app', 'notes']);
  assert.is(plan.app, 'notes');
  assert.match(plan.files[0].content, /^app: notes$/m);
  const bad = await cli.run(['migrate', 'heroku', join(fixtures, 'node'), '--app', 'Notes API']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /"Notes API" is not an app name/);
});

test('usage: only heroku, and a directory without Procfile or heroku.yml is reported', async () => {
  const r = await cli.run(['migrate', 'dokku']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /the only source platform is heroku/);
  const empty = await cli.run(['migrate', 'heroku', cli.home, '--json']);
  assert.is(empty.code, 2);
  const e = JSON.parse(empty.stdout).error;
  assert.is(e.code, 'MIGRATE_INPUT');
  assert.match(e.message, /no Procfile and no heroku\.yml/);
});

test.run();
