// Load during deployments, Docker runtime: autocannon's steady load and a
// recording probe on the router while examples/hello is deployed 10 times as
// containers (a passing and a failing postdeploy in turn), rolled back,
// given new config vars (a new release), while the agent is replaced
// (`slipway agent restart`), and while a web container of web=2 crashes and
// the Engine restarts it.
// No request fails, every status is 2xx, and every answer comes from the
// release live at that moment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { docker, dockerSuite } from '../support/docker.js';
import { get, servedBody, sleep, until } from '../support/e2e.js';
import { ALTERNATING_PROCFILE, deployAlternating, helloApp, helloVersion } from '../support/hello-app.js';
import { LiveTimeline, timedRun } from '../support/live-timeline.js';
import { assertNoFailures, measure, reportFigures } from '../support/measured-load.js';

const { e2e, engineTest } = dockerSuite();

let app = '';
let dir = '';
let port = 0;

engineTest(
  '10 container deployments, a passing and a failing postdeploy in turn: 0 failed requests, each answer from the live release',
  async () => {
    app = e2e.name('load');
    ({ dir, port } = await helloApp(e2e, ALTERNATING_PROCFILE, { app, runtime: 'docker' }));
    const first = await e2e.deploy(dir, ['--revision', 'r0']);
    assert.is(first.code, 0, first.record?.error?.message ?? first.stderr);
    assert.is(helloVersion(await servedBody(port, 30_000)), 'r0');
    const timeline = new LiveTimeline('r0');
    const { figures, samples, wrong } = await measure({ port, timeline, versionOf: helloVersion }, () =>
      deployAlternating(e2e, dir, 10, timeline),
    );
    reportFigures('10 deployments, alternating passing and failing postdeploy', 'docker', figures);
    assertNoFailures(figures, wrong);
    const seen = new Set(samples.map((s) => helloVersion(s.body)));
    for (const failed of ['r1-fail', 'r3-fail', 'r5-fail', 'r7-fail', 'r9-fail']) assert.not.ok(seen.has(failed));
    assert.is(helloVersion((await get(port)).body), 'r10');
  },
);

engineTest(
  'rollback of the container release under load: the release rolled back to answers from its switch on',
  async () => {
    assert.ok(app, 'the deployments above ran');
    const timeline = new LiveTimeline('r10');
    const { figures, wrong } = await measure({ port, timeline, versionOf: helloVersion }, async () => {
      // r8 is the success before r10 (release numbers count failed deployments too: r8 is release 9).
      for (const [args, version] of [
        [['rollback', '--app', app], 'r8'],
        [['rollback', '11', '--app', app], 'r10'],
      ] as const) {
        // An image release takes its config and Procfile from the app directory.
        const r = await timedRun(e2e, [...args], { cwd: dir });
        assert.is(r.code, 0, `${r.stderr}${JSON.stringify(r.events.at(-1))}`);
        assert.ok(r.switchedAt !== null, `the rollback to ${version} reported its switch`);
        timeline.change(version, r.startedAt, r.switchedAt);
      }
    });
    reportFigures('rollback x2 (r10 → r8 → r10)', 'docker', figures);
    assertNoFailures(figures, wrong);
    assert.is(helloVersion((await get(port)).body), 'r10');
  },
);

engineTest(
  'config:set of the container app under load: a new release of the live build, no request fails',
  async () => {
    assert.ok(app, 'the deployments above ran');
    const timeline = new LiveTimeline('r10');
    const before = (await e2e.containers(app)).map((c) => c.Id);
    const { figures, wrong } = await measure({ port, timeline, versionOf: helloVersion }, async () => {
      const r = await e2e.run(['config:set', '--app', app, 'GREETING=hi'], { cwd: dir });
      assert.is(r.code, 0, r.stderr);
    });
    reportFigures('config:set (a config release)', 'docker', figures);
    assertNoFailures(figures, wrong);
    const after = (await e2e.containers(app)).filter((c) => c.State === 'running').map((c) => c.Id);
    assert.ok(after.length > 0 && after.every((id) => !before.includes(id)), 'new containers serve');
  },
);

engineTest('agent restart with a container app under load: no request fails, the same containers serve', async () => {
  assert.ok(app, 'the deployments above ran');
  const timeline = new LiveTimeline('r10');
  const running = async () =>
    (await e2e.containers(app))
      .filter((c) => c.State === 'running')
      .map((c) => c.Id)
      .sort();
  const before = await running();
  const { figures, wrong } = await measure({ port, timeline, versionOf: helloVersion }, async () => {
    const r = await e2e.run(['agent', 'restart']);
    assert.is(r.code, 0, r.stderr);
  });
  reportFigures('agent restart (socket handover)', 'docker', figures);
  assertNoFailures(figures, wrong);
  assert.equal(await running(), before, 'no container started or stopped');
});

engineTest(
  'a crashed web container of web=2 is restarted by the Engine while the other serves: no request fails',
  async () => {
    const crashApp = e2e.name('crash');
    const crash = await helloApp(e2e, ALTERNATING_PROCFILE, {
      app: crashApp,
      runtime: 'docker',
      formation: { web: 2 },
    });
    const r = await e2e.deploy(crash.dir, ['--revision', 'v1']);
    assert.is(r.code, 0, r.record?.error?.message ?? r.stderr);
    await servedBody(crash.port, 30_000);
    const timeline = new LiveTimeline('v1');
    const web = async (name: string) => {
      const found = (await e2e.containers(crashApp)).find(
        (c) => c.Labels['slipway.process'] === name && c.State === 'running',
      );
      return found ? docker.getContainer(found.Id).inspect() : undefined;
    };
    const { figures, samples, wrong } = await measure(
      { port: crash.port, timeline, versionOf: helloVersion },
      async () => {
        for (const name of ['web-1', 'web-2']) {
          const container = (await web(name))!;
          // The container's main process dies as in a crash (not `docker kill`, which counts as stopped by hand).
          process.kill(container.State.Pid, 'SIGKILL');
          await until(
            async () => {
              const now = await web(name);
              return now !== undefined && now.RestartCount > container.RestartCount;
            },
            30_000,
            `${name} to be restarted by the Engine`,
          );
          await sleep(1000);
        }
      },
    );
    reportFigures('web container SIGKILLed and restarted by the Engine x2, web=2', 'docker', figures);
    assertNoFailures(figures, wrong);
    const last = samples.slice(-40).map((s) => /\((web-\d)\)/.exec(s.body)?.[1]);
    assert.ok(last.includes('web-1') && last.includes('web-2'), 'both web containers serve again');
  },
);

test.run();
