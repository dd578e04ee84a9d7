// Retire: after the switch, requests in flight on the old release finish
// there (drain), and only then are the old release's processes stopped. The
// agent does it in the background: the deploy is done once the new release
// is live, and the outcome is appended to the deployment's log.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, get, startedPids, until } from './support/e2e.js';

/** The deployment's stored retire lines, once one says how it ended. */
async function retireOutcome(id: string): Promise<string[]> {
  return until<string[] | null>(
    async () => {
      const lines: string[] = (await e2e.json<any[]>(['logs', id]))
        .filter((l) => l.phase === 'retire')
        .map((l) => l.line);
      return lines.some((l) => /stopped/.test(l)) ? lines : null;
    },
    15_000,
    'the retire outcome in the deployment log',
  ) as Promise<string[]>;
}

const e2e = new E2E();
test.after(() => e2e.cleanup());

// Unlike the fixture's server, this one dies at once on SIGTERM, dropping
// whatever it is serving: a request only survives if nobody signals it first.
const IMPATIENT = `import { createServer } from 'node:http';
createServer((req, res) => {
  const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0);
  setTimeout(() => res.end(\`\${process.env.CONTAINER_VERSION} after \${ms} ms\`), ms);
}).listen(Number(process.env.PORT));
process.on('SIGTERM', () => process.exit(143));
`;

test('a request in flight on the old release finishes there; then the old process is stopped', async () => {
  const { dir, port } = await e2e.app('web: node impatient.js\npostdeploy: true\n', { app: 'retiring' });
  writeFileSync(join(dir, 'impatient.js'), IMPATIENT);
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0);
  const [oldPid] = startedPids(first.events);
  assert.ok(oldPid);

  const slow = get(port, '/?ms=1500');
  // Let the request reach the old process before the switch.
  await new Promise((r) => setTimeout(r, 200));
  const second = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(second.code, 0);
  assert.is((await get(port)).body, 'v2 after 0 ms');
  // The deploy did not wait for the slow request: the old process still serves it.
  assert.ok(alive(oldPid!), 'the old process is still draining when the deploy returns');
  assert.ok(
    second.events.some((e) => e.type === 'log' && /^release 1 retiring: /.test(e.line)),
    'the retire step says the agent retires release 1',
  );

  const answer = await slow;
  assert.is(answer.status, 200);
  assert.is(answer.body, 'v1 after 1500 ms');
  const outcome = await retireOutcome(second.record.id);
  assert.is(outcome.at(-1), 'release 1 stopped');
  await until(() => !alive(oldPid!), 5000, 'the old web process to be gone');
  const [app] = await e2e.json<any[]>(['status']);
  assert.equal(
    app.processes.map((p: any) => p.pid),
    startedPids(second.events),
  );
});

test('a drain that outlasts stop.grace is cut short, and says so', async () => {
  const { dir, port } = await e2e.app('web: node impatient.js\n', { app: 'hurried', stop: { grace: '1s' } });
  writeFileSync(join(dir, 'impatient.js'), IMPATIENT);
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const slow = get(port, '/?ms=8000');
  await new Promise((r) => setTimeout(r, 200));
  const second = await e2e.deploy(dir, ['--revision', 'v2']);
  assert.is(second.code, 0);
  const outcome = await retireOutcome(second.record.id);
  assert.is(outcome.at(-1), 'release 1 stopped (drain timed out)');
  // Its upstream died before answering: the router says so rather than hanging.
  assert.is((await slow).status, 502);
});

test.run();
