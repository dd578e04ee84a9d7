// Fault matrix, Docker runtime: the agent SIGKILLed while a deployment's hook
// container runs. After the restart: the deployment aborted as recorded, the
// new web and hook containers removed, the live container serving through
// the router, SQLite's integrity check passing, the lock free.
// The CLI killed during the hook and the agent restarted with live
// containers: test/docker-ownership.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerSuite } from '../support/docker.js';
import { get, servedBody, until } from '../support/e2e.js';

const { e2e, gate, engineTest } = dockerSuite();

function integrityCheck(): string {
  const db = new Database(join(e2e.home, 'state.db'), { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

engineTest('agent SIGKILLed during a Docker hook: aborted, its containers removed, the live one serving', async () => {
  const { dir, port, app } = await e2e.dockerApp('dagent', 'web: node server.js\npostdeploy: true\n');
  const first = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(first.code, 0, first.stderr);
  gate.reset();
  writeFileSync(
    join(dir, 'Procfile'),
    `web: node server.js\npostdeploy: wget -q -O /dev/null http://127.0.0.1:${gate.port}/started; exec sleep 600\n`,
  );
  const cli = e2e.spawn(['deploy', dir, '--revision', 'v2']);
  await until(() => gate.started > 0, 120_000, 'the hook container to start');
  const status = await e2e.restartAgent('SIGKILL');
  assert.is(status.code, 0, status.stderr);
  if (cli.exitCode === null && cli.signalCode === null) await new Promise((resolve) => cli.once('exit', resolve));
  const [latest] = await e2e.json<any[]>(['deployments', '--app', app]);
  assert.is(latest.version, 'v2');
  assert.is(latest.status, 'aborted');
  assert.is(await servedBody(port, 5000, 'v1 to serve again'), 'v1');
  await until(async () => (await e2e.containers(app)).length === 1, 30_000, 'only the live container to be left');
  assert.equal(
    (await e2e.containers(app)).map((c) => [c.Labels['slipway.deployment'], c.Labels['slipway.process']]),
    [[first.record.id, 'web-1']],
  );
  assert.is(integrityCheck(), 'ok');
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: true\n');
  const next = await e2e.deploy(dir, ['--revision', 'v3', '--no-wait']);
  assert.is(next.code, 0, `the lock is free: ${next.stderr}`);
  assert.is((await get(port)).body, 'v3');
  console.log(
    `figures: agent SIGKILLed during a Docker hook -> ${latest.status}; containers left: the live one; integrity_check ok`,
  );
});

test.run();
