// New releases besides deployments, end to end: in heroku mode `config:set` /
// `config:unset` and `rollback` make a release whose release command runs; in
// the default mode `config:set` restarts the live processes and runs no
// postdeploy, while `rollback` runs postdeploy.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { herokuApp } from './fixtures/heroku/e2e-app.js';
import { E2E, get } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

const webEnv = async (port: number) => JSON.parse((await get(port, '/env')).body);

test('heroku mode: config:set makes a config release; the release command sees the new var; web restarts with it', async () => {
  const app = await herokuApp(e2e, 'cfg');
  assert.is((await e2e.deploy(app.dir, ['--revision', 'rev1'])).code, 0);
  const before = await webEnv(app.port);
  const r = await e2e.run(['config:set', '--app', 'cfg', 'FOO=bar']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /new release \(heroku mode\)/);
  assert.match(r.stdout, /Running release command/);
  const runs = app.releases();
  assert.is(runs.length, 2);
  assert.is(runs[1]!.env.FOO, 'bar');
  assert.is(runs[1]!.env.HEROKU_RELEASE_VERSION, 'v2');
  assert.is(runs[1]!.env.HEROKU_SLUG_COMMIT, 'rev1', 'same build, same revision');
  assert.equal(
    [...new Set(runs[1]!.webs.map((w) => w.release))],
    ['v1'],
    'v2 processes start after the release command',
  );
  const after = await webEnv(app.port);
  assert.is(after.FOO, 'bar');
  assert.is(after.HEROKU_RELEASE_VERSION, 'v2');
  assert.is(after.CONTAINER_VERSION, 'rev1');
  assert.is.not(after.HEROKU_DYNO_ID, before.HEROKU_DYNO_ID, 'a new process');
  const releases = await e2e.json<any[]>(['releases', '--app', 'cfg']);
  assert.equal(
    releases.map((x) => [x.version, x.kind, x.status, x.description]),
    [
      ['v2', 'config', 'success', 'Config vars changed'],
      ['v1', 'deploy', 'success', 'Deploy rev1'],
    ],
  );
  // A second change: the copy is made from a release that itself reused a build.
  // With --json a config release streams its deployment events (NDJSON); the last line is the result.
  const lines = (await e2e.run(['config:unset', '--app', 'cfg', 'FOO', '--json'])).stdout.trim().split('\n');
  assert.ok(lines.slice(0, -1).some((l) => JSON.parse(l).type === 'opened'));
  const unset = JSON.parse(lines.at(-1)!);
  assert.equal(unset.changed, ['FOO']);
  assert.is(unset.release, 3);
  assert.is(unset.deployment.status, 'success');
  assert.is(app.releases()[2]!.env.FOO, undefined);
  assert.is((await webEnv(app.port)).FOO, undefined);
});

test('heroku mode: a config change whose release command fails changes nothing', async () => {
  const app = await herokuApp(e2e, 'cfgfail');
  assert.is((await e2e.deploy(app.dir, ['--revision', 'rev1'])).code, 0);
  assert.is((await e2e.run(['config:set', '--app', 'cfgfail', 'FOO=one'])).code, 0);
  writeFileSync(app.failFile, '');
  const r = await e2e.run(['config:set', '--app', 'cfgfail', 'FOO=two', 'BAR=new']);
  assert.is(r.code, 1);
  assert.match(r.stdout, /Config not changed: release 3 failed/);
  assert.is(app.releases().at(-1)!.env.FOO, 'two', 'the release command saw the new value');
  const vars = await e2e.json(['config', '--app', 'cfgfail', '--reveal']);
  assert.equal(vars, { FOO: 'one' }, 'the previous values are back, the new key is gone');
  const web = await webEnv(app.port);
  assert.is(web.FOO, 'one');
  assert.is(web.HEROKU_RELEASE_VERSION, 'v2');
  rmSync(app.failFile);
});

test('heroku mode: rollback makes a release and runs its release command on the earlier build', async () => {
  const app = await herokuApp(e2e, 'back');
  assert.is((await e2e.deploy(app.dir, ['--revision', 'rev1'])).code, 0);
  assert.is((await e2e.deploy(app.dir, ['--revision', 'rev2'])).code, 0);
  const r = await e2e.run(['rollback', 'v1', '--app', 'back']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const run = app.releases().at(-1)!;
  assert.is(app.releases().length, 3);
  assert.is(run.env.HEROKU_RELEASE_VERSION, 'v3');
  assert.is(run.env.HEROKU_SLUG_COMMIT, 'rev1');
  assert.is(run.router, '200 rev2');
  assert.is((await get(app.port)).body, 'rev1');
  const [latest] = await e2e.json<any[]>(['releases', '--app', 'back']);
  assert.equal([latest.version, latest.kind, latest.description], ['v3', 'rollback', 'Rollback to v1']);
});

test('default mode: config:set restarts the live processes with the new env and runs no postdeploy', async () => {
  const hookLog = join(e2e.home, 'postdeploy.log');
  const { dir, port } = await e2e.app(`web: node server.js\npostdeploy: echo "$FOO" >> ${hookLog}\n`, {
    app: 'plain',
  });
  assert.is((await e2e.deploy(dir, ['--revision', 'rev1'])).code, 0);
  assert.is(readFileSync(hookLog, 'utf8'), '\n');
  const r = await e2e.json<any>(['config:set', '--app', 'plain', 'FOO=bar']);
  assert.equal(r, { app: 'plain', changed: ['FOO'], restarted: true });
  assert.is(readFileSync(hookLog, 'utf8'), '\n', 'postdeploy did not run');
  const web = await webEnv(port);
  assert.is(web.FOO, 'bar');
  assert.is(web.HEROKU_APP_NAME, undefined, 'no dyno metadata outside heroku mode');
  assert.is(web.DYNO, undefined);
  const releases = await e2e.json<any[]>(['releases', '--app', 'plain']);
  assert.equal(
    releases.map((x) => [x.version, x.kind]),
    [['v1', 'deploy']],
    'no new release',
  );
  // A rollback, though, is a deployment: its postdeploy runs (with the current config vars).
  assert.is((await e2e.deploy(dir, ['--revision', 'rev2'])).code, 0);
  const back = await e2e.run(['rollback', 'v1', '--app', 'plain']);
  assert.is(back.code, 0, back.stdout + back.stderr);
  assert.is(readFileSync(hookLog, 'utf8'), '\nbar\nbar\n', 'postdeploy ran for rev2 and for the rollback');
  assert.is((await get(port)).body, 'rev1');
});

test.run();
