// scripts.first-deploy (app.json's postdeploy after `slipway migrate heroku`),
// end to end: it runs after the switch of the first successful deployment, a
// failure only warns (the app is live), it runs again at the next deployment
// until it succeeded once, and never after that.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

const runs = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);

test('a failing first-deploy script warns, the release stays live, and it runs again until it succeeds', async () => {
  const log = join(e2e.home, 'seed.log');
  const broken = join(e2e.home, 'seed-broken');
  writeFileSync(broken, '');
  // The script records the router's answer (the app is already live), then fails while `broken` exists.
  const script = `echo "$CONTAINER_VERSION $CONTAINER $(node -e "fetch('http://127.0.0.1:'+process.env.ROUTER_PORT).then(r=>r.text()).then(t=>process.stdout.write(t))")" >> ${log}; echo seeding; test ! -f ${broken}`;
  const { dir, port } = await e2e.app('web: node server.js\n', { app: 'seeded', scripts: { 'first-deploy': script } });
  const rc = JSON.parse(readFileSync(join(dir, '.slipwayrc.json'), 'utf8'));
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ ...rc, env: { ROUTER_PORT: String(port) } }));

  const first = await e2e.deploy(dir, ['--revision', 'rev1']);
  assert.is(first.code, 0, 'the deployment succeeds');
  assert.is(first.record.status, 'success');
  assert.is(first.record.hookExitCode, null, 'the script is not the gate: the record keeps no hook result for it');
  assert.equal(
    runs(log),
    ['rev1 first-deploy-1 rev1'],
    'it ran once, after the switch (the router already served rev1)',
  );
  const warning = first.record.warnings.find((w: any) => w.hook === 'succeeded');
  assert.ok(warning, JSON.stringify(first.record.warnings));
  assert.match(warning.message, /first-deploy command exited with status 1; the new release is live anyway/);
  assert.ok(first.events.some((e: any) => e.type === 'warning' && /first-deploy/.test(e.warning.message)));
  assert.is((await get(port)).body, 'rev1');
  const logs = await e2e.run(['logs', first.record.id]);
  assert.match(logs.stdout, /-----> first-deploy\n\s+\$ echo/);
  assert.match(logs.stdout, /seeding/);

  rmSync(broken);
  const second = await e2e.deploy(dir, ['--revision', 'rev2']);
  assert.is(second.code, 0);
  assert.equal(second.record.warnings, []);
  assert.equal(runs(log), ['rev1 first-deploy-1 rev1', 'rev2 first-deploy-1 rev2'], 'it ran again, and succeeded');

  const third = await e2e.deploy(dir, ['--revision', 'rev3']);
  assert.is(third.code, 0);
  assert.is(runs(log).length, 2, 'never again once it succeeded');
  assert.not.ok(third.events.some((e: any) => e.type === 'step' && e.step === 'first-deploy'));
});

test('an app that was live before the script was configured never runs it', async () => {
  const log = join(e2e.home, 'late.log');
  const { dir } = await e2e.app('web: node server.js\n', { app: 'late' });
  assert.is((await e2e.deploy(dir, ['--revision', 'rev1'])).code, 0);
  const rc = JSON.parse(readFileSync(join(dir, '.slipwayrc.json'), 'utf8'));
  writeFileSync(
    join(dir, '.slipwayrc.json'),
    JSON.stringify({ ...rc, scripts: { 'first-deploy': `echo ran >> ${log}` } }),
  );
  assert.is((await e2e.deploy(dir, ['--revision', 'rev2'])).code, 0);
  assert.equal(runs(log), []);
});

test('a first deployment that fails does not count: the script runs after the first one that succeeds', async () => {
  const log = join(e2e.home, 'after-fail.log');
  const { dir } = await e2e.app('web: node server.js\npostdeploy: exit 1\n', {
    app: 'retry-first',
    scripts: { 'first-deploy': `echo "$CONTAINER_VERSION" >> ${log}` },
  });
  assert.is((await e2e.deploy(dir, ['--revision', 'rev1'])).code, 1);
  assert.equal(runs(log), []);
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: true\n');
  assert.is((await e2e.deploy(dir, ['--revision', 'rev2'])).code, 0);
  assert.equal(runs(log), ['rev2']);
});

test.run();
