// Durations by phase: the store records when a deployment entered each phase
// (migration 3), the hook's start comes from its first output line, and the
// dashboard turns the marks into durations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { latestVersion } from '../lib/agent/migrations.js';
import { Store } from '../lib/agent/store.js';
import { phaseDurations } from '../lib/dashboard/phases.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open() {
  const store = Store.open(':memory:');
  store.ensureApp('web', { host: '127.0.0.1' });
  let n = 0;
  const deployment = () => {
    const id = `d${++n}`;
    store.createDeployment({
      id,
      app: 'web',
      release: n,
      version: 'abc',
      kind: 'deploy',
      mode: 'postdeploy',
      sourceRelease: null,
      leaseExpiresAt: Date.now() + 60_000,
    });
    return id;
  };
  return { store, deployment };
}

test('the schema has the phase marks table (migration 3)', () => {
  assert.ok(latestVersion() >= 3);
});

test('a successful deployment gets build, start, postdeploy, switch and end marks, in order', async () => {
  const { store, deployment } = open();
  const id = deployment();
  store.updateDeployment(id, { status: 'building' });
  await sleep(5);
  store.updateDeployment(id, { status: 'starting' });
  await sleep(5);
  store.appendLogs(id, [{ phase: 'postdeploy', stream: 'system', line: '$ migrate', ts: Date.now() }]);
  await sleep(5);
  store.appendLogs(id, [{ phase: 'postdeploy', stream: 'stdout', line: 'done', ts: Date.now() }]);
  store.updateDeployment(id, { status: 'success' });
  // The same status again (a lease renewal) keeps the first mark.
  const marks1 = store.phaseMarks(id);
  await sleep(5);
  store.updateDeployment(id, { status: 'success', leaseExpiresAt: Date.now() + 1 });
  store.updateDeployment(id, { finishedAt: new Date().toISOString() });
  const marks = store.phaseMarks(id);
  assert.is(marks.switch, marks1.switch);
  assert.equal(Object.keys(marks).sort(), ['build', 'end', 'postdeploy', 'start', 'switch']);
  assert.ok(marks.build! <= marks.start! && marks.start! <= marks.postdeploy!);
  assert.ok(marks.postdeploy! <= marks.switch! && marks.switch! <= marks.end!);
  const d = phaseDurations(store.getDeployment(id)!, marks);
  assert.equal(Object.keys(d), ['build', 'start', 'postdeploy', 'switch']);
  assert.is(d.build, marks.start! - marks.build!);
  assert.is(d.postdeploy, marks.switch! - marks.postdeploy!);
});

test('a hook-error has no switch: its postdeploy lasts until the end', () => {
  const marks = { build: 1000, start: 1100, postdeploy: 1300, end: 1700 };
  assert.equal(phaseDurations({ finishedAt: null }, marks), { build: 100, start: 200, postdeploy: 400 });
});

test('without a hook the start lasts until the switch; a running deployment has no duration for its current phase', () => {
  assert.equal(phaseDurations({ finishedAt: null }, { build: 0, start: 10, switch: 50, end: 60 }), {
    build: 10,
    start: 40,
    switch: 10,
  });
  assert.equal(phaseDurations({ finishedAt: null }, { build: 0, start: 10 }), { build: 10 });
});

test('logsAfter answers the lines after a seq, with their seq, for live views', () => {
  const { store, deployment } = open();
  const id = deployment();
  store.appendLogs(
    id,
    ['a', 'b', 'c'].map((line) => ({ phase: 'build' as const, stream: 'stdout' as const, line, ts: Date.now() })),
  );
  const all = store.logsAfter(id, 0);
  assert.equal(
    all.map((l) => [l.seq, l.line]),
    [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ],
  );
  assert.equal(
    store.logsAfter(id, 2).map((l) => l.line),
    ['c'],
  );
  assert.equal(store.logsAfter(id, 3), []);
});

test.run();
