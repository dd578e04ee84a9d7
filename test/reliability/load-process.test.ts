// Load during deployments, process runtime: autocannon's steady load and a
// recording probe on the router while examples/hello is deployed 50 times
// (a passing and a failing postdeploy in turn), rolled back, given new
// config vars, and while a web process of web=2 crashes and restarts. No
// request fails, every status is 2xx, and every answer comes from the
// release live at that moment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get, servedBody, sleep, until } from '../support/e2e.js';
import { deployAlternating, helloApp, helloVersion, ALTERNATING_PROCFILE as PROCFILE } from '../support/hello-app.js';
import { LiveTimeline, timedRun } from '../support/live-timeline.js';
import { assertNoFailures, type MeasuredFigures, measure, reportFigures } from '../support/measured-load.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

function report(scenario: string, figures: MeasuredFigures): void {
  reportFigures(scenario, 'process', figures);
}

async function webPids(app: string): Promise<Map<string, number>> {
  const apps = await e2e.json<{ name: string; processes: { name: string; pid: number; running: boolean }[] }[]>([
    'status',
  ]);
  const procs = apps.find((a) => a.name === app)?.processes ?? [];
  return new Map(procs.filter((p) => p.running).map((p) => [p.name, p.pid]));
}

async function deployed(dir: string, version: string): Promise<void> {
  const r = await e2e.deploy(dir, ['--revision', version]);
  assert.is(r.code, 0, r.stderr);
}

test('50 deployments, a passing and a failing postdeploy in turn: 0 failed requests, each answer from the live release', async () => {
  const { dir, port } = await helloApp(e2e, PROCFILE, { app: 'load-deploys' });
  await deployed(dir, 'r0');
  assert.is(helloVersion(await servedBody(port, 10_000)), 'r0');
  const timeline = new LiveTimeline('r0');
  const { figures, samples, wrong } = await measure({ port, timeline, versionOf: helloVersion }, async () => {
    await deployAlternating(e2e, dir, 50, timeline);
  });
  report('50 deployments, alternating passing and failing postdeploy', figures);
  assertNoFailures(figures, wrong);
  const seen = new Set(samples.map((s) => helloVersion(s.body)));
  assert.ok(!seen.has('r1-fail') && !seen.has('r49-fail'), 'no answer from a release whose postdeploy failed');
  assert.ok(seen.has('r50'), 'the last release answered');
  assert.is(helloVersion((await get(port)).body), 'r50');
});

test('rollback under load: the release rolled back to answers from its switch on', async () => {
  const { dir, port } = await helloApp(e2e, PROCFILE, { app: 'load-rollback' });
  await deployed(dir, 'v1');
  await deployed(dir, 'v2');
  await servedBody(port, 10_000);
  const timeline = new LiveTimeline('v2');
  const { figures, wrong } = await measure({ port, timeline, versionOf: helloVersion }, async () => {
    // Back to v1 (release 1), then forward again to v2 (release 2), twice.
    for (const [target, version] of [
      ['1', 'v1'],
      ['2', 'v2'],
      ['1', 'v1'],
      ['2', 'v2'],
    ]) {
      const r = await timedRun(e2e, ['rollback', target, '--app', 'load-rollback']);
      assert.is(r.code, 0, `${r.stderr}${JSON.stringify(r.events.at(-1))}`);
      assert.ok(r.switchedAt !== null, `the rollback to ${version} reported its switch`);
      timeline.change(version, r.startedAt, r.switchedAt);
      await sleep(200);
    }
  });
  report('rollback x4 (v2 → v1 → v2 → v1 → v2)', figures);
  assertNoFailures(figures, wrong);
  assert.is(helloVersion((await get(port)).body), 'v2');
});

test('config:set under load: the live processes restart with the new env, no request fails', async () => {
  const { dir, port } = await helloApp(e2e, PROCFILE, { app: 'load-config', formation: { web: 2 } });
  await deployed(dir, 'v1');
  await servedBody(port, 10_000);
  const timeline = new LiveTimeline('v1');
  const { figures, wrong } = await measure({ port, timeline, versionOf: helloVersion }, async () => {
    for (let i = 1; i <= 3; i++) {
      const before = await webPids('load-config');
      const r = await e2e.run(['config:set', '--app', 'load-config', `GREETING=hi-${i}`]);
      assert.is(r.code, 0, r.stderr);
      const after = await webPids('load-config');
      assert.is(after.size, 2);
      for (const [name, pid] of after) assert.not.equal(pid, before.get(name), `${name} restarted`);
      await sleep(200);
    }
  });
  report('config:set x3, web=2', figures);
  assertNoFailures(figures, wrong);
});

test('a crashed web process of web=2 restarts while the other serves: no request fails', async () => {
  const { dir, port } = await helloApp(e2e, PROCFILE, { app: 'load-crash', formation: { web: 2 } });
  await deployed(dir, 'v1');
  await servedBody(port, 10_000);
  const timeline = new LiveTimeline('v1');
  const { figures, samples, wrong } = await measure({ port, timeline, versionOf: helloVersion }, async () => {
    for (const name of ['web-1', 'web-2']) {
      const before = await webPids('load-crash');
      const pid = before.get(name)!;
      process.kill(-pid, 'SIGKILL');
      await until(
        async () => {
          const now = (await webPids('load-crash')).get(name);
          return now !== undefined && now !== pid;
        },
        15_000,
        `${name} to be restarted`,
      );
      await sleep(700);
    }
  });
  report('web process SIGKILLed and restarted x2, web=2', figures);
  assertNoFailures(figures, wrong);
  const last = samples.slice(-40).map((s) => /\((web-\d)\)/.exec(s.body)?.[1]);
  assert.ok(last.includes('web-1') && last.includes('web-2'), 'both web processes serve again');
});

test('requests in flight on a web process that is killed are answered by the other one', async () => {
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', {
    app: 'load-inflight',
    formation: { web: 2 },
  });
  await deployed(dir, 'v1');
  await servedBody(port, 10_000);
  // Two slow requests per web process (round robin): at least one per process on a fresh upstream connection.
  const slow = Array.from({ length: 4 }, () => get(port, '/slow?ms=1500'));
  await sleep(400);
  const pid = (await webPids('load-inflight')).get('web-1')!;
  process.kill(-pid, 'SIGKILL');
  const answers = await Promise.all(slow);
  console.log(`figures: ${JSON.stringify({ scenario: 'GETs in flight on a SIGKILLed web process', answers })}`);
  assert.equal(
    answers.map((a) => `${a.status} ${a.body}`),
    Array(4).fill('200 slow v1'),
  );
});

test.run();
