// App names, process types, process and one-off names and release numbers
// never escape SLIPWAY_HOME: every way in (config, Procfile, CLI flags and
// arguments, the control API's routes and bodies) refuses a path with a
// clear error, and afterwards nothing exists outside the home.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AgentClient } from '../../lib/control/client.js';
import { agentPaths } from '../../lib/control/paths.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { E2E } from '../support/e2e.js';

const e2e = new E2E();
// The home three levels down, so that a `..` anywhere lands somewhere this test can see.
const outer = mkdtempSync(join(tmpdir(), 'slipway-traversal-'));
const home = join(outer, 'l1', 'l2', 'home');
mkdirSync(home, { recursive: true, mode: 0o700 });
Object.defineProperty(e2e, 'home', { value: home });
e2e.dirs.push(outer);
test.after(() => e2e.cleanup());

const ESCAPES = ['../escape', '../../escape', '../../../escape', 'a/b', '.', '..', '%2e%2e', 'x/../../escape'];

/** Every path under `outer` that is not under the home (the directories leading to it aside). */
function outsideHome(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (path === home) continue;
      if (!['l1', join('l1', 'l2')].includes(relative(outer, path))) found.push(relative(outer, path));
      try {
        walk(path);
      } catch {
        // a file
      }
    }
  };
  walk(outer);
  return found;
}

async function refused(call: Promise<unknown>, what: string): Promise<SlipwayError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, SlipwayError, `${what} was accepted`);
  const e = error as SlipwayError;
  assert.ok(['USAGE', 'AGENT_REQUEST', 'APP_NOT_FOUND'].includes(e.code), `${what}: ${e.code} ${e.message}`);
  assert.not.match(e.message, /\n/);
  return e;
}

let liveId = '';

test.before(async () => {
  const { dir } = await e2e.app('web: node server.js\n', { app: 'good' });
  const r = await e2e.deploy(dir);
  assert.is(r.code, 0, r.stderr);
  liveId = r.record.id;
});

test('config, Procfile and CLI: app names, process types and release numbers that are paths are refused', async () => {
  const { dir } = await e2e.app('web: node server.js\n', { app: 'good' });
  const attempts: { args: string[]; code: string; files?: Record<string, string> }[] = [];
  for (const bad of ESCAPES) {
    attempts.push({ args: ['deploy', dir, '--app', bad], code: 'USAGE' });
    attempts.push({ args: ['config:set', '--app', bad, 'A=1'], code: 'USAGE' });
    attempts.push({ args: ['rollback', bad, '--app', 'good'], code: 'USAGE' });
    attempts.push({ args: ['releases:output', bad, '--app', 'good'], code: 'USAGE' });
    attempts.push({ args: ['logs', bad], code: 'USAGE' });
  }
  for (const r of ['../../1', '1/../2', '-1', '1e3'])
    attempts.push({ args: ['rollback', r, '--app', 'good'], code: 'USAGE' });
  for (const a of attempts) {
    const r = await e2e.run(a.args);
    assert.is(r.code, 2, `${a.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error ${a.code}: `), a.args.join(' '));
  }
  for (const bad of ESCAPES) {
    writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: bad }));
    const r = await e2e.run(['deploy', dir]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error CONFIG_INVALID: \.slipwayrc\.json:1: app: must be lowercase letters/, r.stderr);
  }
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'good', formation: { '../w': 1 } }));
  const f = await e2e.run(['deploy', dir]);
  assert.is(f.code, 2, f.stderr);
  assert.match(f.stderr, /^error CONFIG_INVALID: /);
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'good' }));
  for (const type of ['../escape', 'a/b', '..']) {
    writeFileSync(join(dir, 'Procfile'), `web: node server.js\n${type}: node server.js\n`);
    const r = await e2e.run(['deploy', dir]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error PROCFILE_INVALID: \S*Procfile:2:\d+: invalid character/, r.stderr);
  }
  assert.equal(outsideHome(), []);
});

test('control API: path parameters and bodies that are paths are refused before any handler', async () => {
  const client = new AgentClient(agentPaths(home));
  const enc = (s: string) => encodeURIComponent(s);
  const changes = { changes: { set: { A: '1' }, unset: [] } };
  for (const bad of ESCAPES) {
    const app = enc(bad);
    for (const [method, path, body] of [
      ['GET', `/apps/${app}`],
      ['GET', `/apps/${app}/config`],
      ['POST', `/apps/${app}/config`, changes],
      ['POST', `/apps/${app}/config/store`, changes],
      ['GET', `/apps/${app}/releases`],
      ['GET', `/apps/${app}/live`],
      ['GET', `/apps/${app}/first-deploy`],
      ['POST', `/apps/${app}/run`, {}],
    ] as [string, string, unknown?][]) {
      const e = await refused(client.call(method, path, body), `${method} ${path}`);
      // `.` and `..` segments are resolved by URL parsing before routing (`/apps/./config` is
      // `/apps/config`), so they reach no app; a path that decodes to one with more segments matches
      // no route; every other path-like name is refused by name.
      assert.match(e.message, /is not an app name|no route|is not known to the agent/, e.message);
    }
    const open = {
      app: bad,
      version: 'v1',
      kind: 'deploy',
      mode: 'postdeploy',
      host: '127.0.0.1',
      wait: false,
      env: {},
    };
    const e = await refused(client.call('POST', '/deployments', open), `open ${bad}`);
    assert.match(e.message, /body\.app: must be an app name/);
  }
  // Inside a deployment of a real app: process types, process and one-off names that are paths.
  const opened = await client.call<{ id: string }>('POST', '/deployments', {
    app: 'good',
    version: 'evil',
    kind: 'deploy',
    mode: 'postdeploy',
    host: '127.0.0.1',
    wait: false,
    env: {},
  });
  const spec = {
    type: 'web',
    index: 1,
    name: 'web.1',
    command: 'node server.js',
    cwd: home,
    appEnv: {},
    runtimeEnv: {},
    web: true,
  };
  for (const bad of ['../../../escape', '..', 'a/b']) {
    for (const field of ['type', 'name']) {
      const body = { specs: [{ ...spec, [field]: bad }], startTimeoutMs: 1000, graceMs: 100 };
      const e = await refused(client.call('POST', `/deployments/${opened.id}/processes`, body), `${field} ${bad}`);
      assert.match(e.message, new RegExp(`body\\.specs\\.0\\.${field}: must be a name, not a path`));
    }
    const oneOff = {
      name: bad,
      command: 'true',
      copyFrom: home,
      appEnv: {},
      runtimeEnv: {},
      timeoutMs: 1000,
      memoryBytes: 64 * 1024 * 1024,
      graceMs: 100,
      phase: 'postdeploy',
      store: false,
    };
    const e = await refused(client.call('POST', `/deployments/${opened.id}/one-off`, oneOff), `one-off ${bad}`);
    assert.match(e.message, /body\.name: must be a name, not a path/);
    const sw = { upstreams: [], artifact: { runtime: 'process', release: bad } };
    await refused(client.call('POST', `/deployments/${opened.id}/switch`, sw), `release ${bad}`);
  }
  await client.call('POST', `/deployments/${opened.id}/finish`, {
    status: 'aborted',
    hookExitCode: null,
    hookReason: null,
    warnings: [],
    error: null,
  });
  assert.equal(outsideHome(), []);
  for (const p of ['/tmp/escape', join(tmpdir(), 'escape')]) assert.not.ok(existsSync(p), p);
  // The live app is still the one deployed first.
  const apps = await e2e.json<any[]>(['status']);
  assert.ok(apps.find((a) => a.name === 'good')?.live, JSON.stringify(apps));
  assert.ok(liveId);
  console.log(
    `figures: traversal: ${ESCAPES.length} path-like names through 5 CLI commands, the config, the Procfile and 9 control API routes: all refused, nothing outside SLIPWAY_HOME`,
  );
});

test.run();
