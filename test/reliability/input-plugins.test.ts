// Bad plugins against a live app: one whose apply throws, one whose tap never
// settles (cut off by its `timeout`), one that taps a hook that does not
// exist. Each deployment fails with one line naming the plugin and a code,
// nothing of it starts, and the live release goes on serving unchanged.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get, servedBody } from '../support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

let dir = '';
let port = 0;
let liveBody = '';
let liveRelease = 0;

test.before(async () => {
  ({ dir, port } = await e2e.app('web: node server.js\n', { app: 'plugged' }));
  const r = await e2e.deploy(dir, ['--revision', 'v1']);
  assert.is(r.code, 0, r.stderr);
  liveRelease = r.record.release;
  liveBody = await servedBody(port, 10_000);
  assert.match(liveBody, /v1/);
});

/** Deploys v2 with one plugin given as code in slipway.config.mjs. */
async function deployWith(plugin: string) {
  rmSync(join(dir, '.slipwayrc.json'), { force: true });
  writeFileSync(
    join(dir, 'slipway.config.mjs'),
    `export default { app: 'plugged', port: ${port}, plugins: [${plugin}] };\n`,
  );
  const started = Date.now();
  const text = await e2e.run(['deploy', dir, '--revision', 'v2']);
  const json = await e2e.deploy(dir, ['--revision', 'v2']);
  return { text, json, ms: Date.now() - started };
}

async function assertLiveUntouched(): Promise<void> {
  const r = await get(port);
  assert.is(r.status, 200);
  assert.is(r.body, liveBody);
  const apps = await e2e.json<any[]>(['status']);
  const app = apps.find((a) => a.name === 'plugged');
  assert.is(app?.live?.release, liveRelease, JSON.stringify(apps));
}

function errorLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  const line = lines.find((l) => l.startsWith('error '));
  assert.ok(line, stderr);
  assert.not.match(stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
  return line!;
}

test('a plugin whose apply throws: PLUGIN_FAILED naming it, nothing deployed', async () => {
  const { text, json } = await deployWith(
    `{ name: 'thrower', apply() { throw new Error('cannot read the token file\\n  (second line)'); } }`,
  );
  assert.is(text.code, 1, text.stderr);
  const line = errorLine(text.stderr);
  assert.match(line, /^error PLUGIN_FAILED: plugin "thrower" failed in apply: cannot read the token file$/);
  assert.is(json.code, 1);
  const err = json.events.find((e) => e.error)?.error;
  assert.is(err?.code, 'PLUGIN_FAILED', JSON.stringify(json.events));
  assert.not.match(err.message, /\n/);
  await assertLiveUntouched();
});

test('a tap that never settles is cut off by its timeout: PLUGIN_TIMEOUT, hook-error, the live release serving', async () => {
  const { text, json } = await deployWith(
    `{ name: 'stuck', apply(d) { d.hooks.postdeploy.tapPromise({ name: 'stuck', timeout: 300 }, () => new Promise(() => {})); } }`,
  );
  assert.is(text.code, 1, text.stderr);
  assert.match(text.stderr + text.stdout, /PLUGIN_TIMEOUT/);
  assert.match(text.stderr + text.stdout, /plugin "stuck" did not finish the postdeploy hook within 300ms/);
  assert.is(json.record.status, 'hook-error');
  assert.is(json.record.error?.code ?? json.record.errorCode, 'PLUGIN_TIMEOUT');
  await assertLiveUntouched();
});

test('a tap on a hook that does not exist: PLUGIN_INVALID naming the hook and the plugin, not a TypeError', async () => {
  const { text, json } = await deployWith(
    `{ name: 'typo', apply(d) { d.hooks.nope.tapPromise({ name: 'typo' }, async () => {}); } }`,
  );
  assert.is(text.code, 2, text.stderr);
  const line = errorLine(text.stderr);
  assert.match(line, /^error PLUGIN_INVALID: plugin "typo": no hook "nope" \(hooks: configure, /);
  assert.not.match(text.stderr, /TypeError|Cannot read properties/);
  assert.is(json.code, 2);
  await assertLiveUntouched();
  console.log(
    'figures: bad plugins: apply throws, tap never settles (300 ms timeout), unknown hook: each refused with its code, the live release serving',
  );
});

test.run();
