// Heroku mode end to end, real CLI and agent: the release command runs before
// any process of its release exists, a failing one starts nothing and leaves
// the old release serving, releases:output shows it, releases:retry reruns it
// on a copy of the latest release, and every container gets dyno metadata.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agentOf, herokuApp } from './fixtures/heroku/e2e-app.js';
import { alive, E2E, get, startedPids } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

const app = await herokuApp(e2e, 'hk');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('first deployment: the release command runs while no process of the app exists (router 404), then web boots', async () => {
  const { code, record } = await e2e.deploy(app.dir, ['--revision', 'rev1']);
  assert.is(code, 0, JSON.stringify(record));
  const [run] = app.releases();
  assert.ok(run, 'the release command ran');
  assert.equal(run!.webs, [], 'no web process of the app was running during the release phase');
  assert.match(run!.router, /^404 /);
  const boots = app.boots();
  assert.is(boots.length, 1);
  assert.is(boots[0]!.release, 'v1');
  assert.ok(boots[0]!.at > run!.at, 'web booted after the release command had finished its check');
  assert.is((await get(app.port)).body, 'rev1');
});

test('dyno metadata: web and the release one-off get HEROKU_* and DYNO, with the same app id', async () => {
  const web = JSON.parse((await get(app.port, '/env')).body);
  const release = app.releases()[0]!.env;
  const info = await agentOf(e2e).call<{ id: string }>('GET', '/apps/hk');
  assert.is(web.HEROKU_APP_NAME, 'hk');
  assert.is(web.HEROKU_APP_ID, info.id);
  assert.is(release.HEROKU_APP_ID, info.id);
  assert.is(web.HEROKU_RELEASE_VERSION, 'v1');
  assert.is(release.HEROKU_RELEASE_VERSION, 'v1');
  assert.is(web.HEROKU_SLUG_COMMIT, 'rev1');
  assert.is(web.HEROKU_SLUG_DESCRIPTION, 'Deploy rev1');
  assert.match(web.HEROKU_RELEASE_CREATED_AT, ISO);
  assert.is(release.HEROKU_RELEASE_CREATED_AT, web.HEROKU_RELEASE_CREATED_AT);
  assert.is(web.DYNO, 'web.1');
  assert.is(release.DYNO, 'release.1');
  assert.match(web.HEROKU_DYNO_ID, UUID);
  assert.match(release.HEROKU_DYNO_ID, UUID);
  assert.is.not(web.HEROKU_DYNO_ID, release.HEROKU_DYNO_ID);
  assert.is(release.PORT, undefined, 'the release one-off gets no PORT');
  // Scalingo's variables stay.
  assert.is(web.CONTAINER, 'web-1');
  assert.is(web.CONTAINER_VERSION, 'rev1');
});

test('redeploy: during the release command the old release serves and only its web process runs', async () => {
  const { code } = await e2e.deploy(app.dir, ['--revision', 'rev2']);
  assert.is(code, 0);
  const run = app.releases()[1]!;
  assert.is(run.env.HEROKU_RELEASE_VERSION, 'v2');
  assert.is(run.router, '200 rev1');
  assert.ok(run.webs.length >= 1, 'the check sees running web processes');
  assert.equal([...new Set(run.webs.map((w) => w.release))], ['v1'], 'every web process running is the old release');
  assert.ok(app.boots()[1]!.at > run.at);
  assert.is((await get(app.port)).body, 'rev2');
});

test('a failing release command: hook-error, nothing of the new release starts, the old one keeps serving', async () => {
  writeFileSync(app.failFile, '');
  const bootsBefore = app.boots().length;
  const { code, record, events } = await e2e.deploy(app.dir, ['--revision', 'rev3']);
  assert.is(code, 1);
  assert.is(record.status, 'hook-error');
  assert.is(record.release, 3);
  assert.is(record.hookExitCode, 3);
  assert.is(record.error.code, 'HOOK_FAILED');
  assert.equal(startedPids(events), [], 'no process was started');
  assert.is(app.boots().length, bootsBefore, 'no web process booted');
  assert.is((await get(app.port)).body, 'rev2');
  const status = await e2e.json<any[]>(['status']);
  const hk = status.find((a) => a.name === 'hk');
  assert.is(hk.live.release, 2);
  for (const p of hk.processes) assert.ok(alive(p.pid));
});

test('releases:output shows the release command output of a release, the latest by default', async () => {
  const out = await e2e.run(['releases:output', 'v3', '--app', 'hk']);
  assert.is(out.code, 0, out.stderr);
  assert.match(out.stdout, /\$ node release-check\.js/);
  assert.match(out.stdout, /release v3 checked: [1-9]\d* web processes of hk running/);
  assert.match(out.stdout, /release command failed on purpose/);
  const latest = await e2e.json(['releases:output', '--app', 'hk']);
  assert.is(latest.release, 3);
  assert.is(latest.status, 'hook-error');
  assert.ok(latest.lines.some((l: any) => l.stream === 'stderr' && /failed on purpose/.test(l.line)));
  const first = await e2e.json(['releases:output', '1', '--app', 'hk']);
  assert.ok(first.lines.some((l: any) => /release v1 checked: 0 web processes/.test(l.line)));
});

test('releases:retry reruns the release command on a copy of the latest release, which then goes live', async () => {
  rmSync(app.failFile);
  const runs = app.releases().length;
  const r = await e2e.run(['releases:retry', '--app', 'hk']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Retrying the release command of v3/);
  assert.is(app.releases().length, runs + 1);
  const run = app.releases().at(-1)!;
  assert.is(run.env.HEROKU_RELEASE_VERSION, 'v4');
  assert.is(run.env.HEROKU_SLUG_COMMIT, 'rev3', "it is a copy of v3: v3's build and revision");
  assert.is(run.router, '200 rev2');
  assert.is((await get(app.port)).body, 'rev3');
  assert.is(existsSync(app.failFile), false);
});

test('releases: number, revision, what made each, status, created at; the live one marked', async () => {
  const list = await e2e.json<any[]>(['releases', '--app', 'hk']);
  assert.equal(
    list.map((r) => [r.version, r.revision, r.kind, r.status, r.live]),
    [
      ['v4', 'rev3', 'retry', 'success', true],
      ['v3', 'rev3', 'deploy', 'hook-error', false],
      ['v2', 'rev2', 'deploy', 'success', false],
      ['v1', 'rev1', 'deploy', 'success', false],
    ],
  );
  assert.is(list[0].description, 'Retry of the release command (build from v3)');
  assert.is(list[3].description, 'Deploy rev1');
  for (const r of list) assert.match(r.createdAt, ISO);
  const text = await e2e.run(['releases', '--app', 'hk']);
  assert.is(text.code, 0);
  assert.match(text.stdout, /^RELEASE\s+REVISION\s+MADE BY\s+STATUS\s+CREATED/);
  assert.match(text.stdout, /v4 \*\s+rev3\s+Retry of the release command/);
  assert.match(text.stdout, /v3\s+rev3\s+Deploy rev3\s+hook-error/);
});

test.run();
