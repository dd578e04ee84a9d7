// `slipway dashboard` over plain HTTP against a real agent: the token (query
// once, cookie after), refusals without it, actions that need it, a
// confirmation and the dashboard's own origin, restart, and traffic counted
// by the router as the dashboard reports it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../lib/core/ports.js';
import { E2E, get, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to the dashboard; `until` ends an event stream once its text so far matches. */
function call(
  port: number,
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: unknown;
    until?: (body: string) => boolean;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        // An event stream that never shows what the test waits for ends the test, not the run.
        const timer = setTimeout(() => res.destroy(), 30_000);
        const done = () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        };
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          if (options.until?.(body)) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('close', done);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

let port: number;
let token: string;
let appPort: number;
let cookie: string;
const json = { 'content-type': 'application/json' };

test('slipway dashboard prints the URL with its token; asked again, the same one; the agent log never holds it', async () => {
  const app = await e2e.app("web: node server.js\npostdeploy: echo '<b>migrated</b>'\n", { app: 'plain' });
  appPort = app.port;
  assert.is((await e2e.deploy(app.dir, ['--revision', 'v1'])).code, 0);
  const first = await e2e.run(['dashboard']);
  assert.is(first.code, 0, first.stderr);
  const url = /Dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+))/.exec(first.stdout);
  assert.ok(url, first.stdout);
  port = Number(url![2]);
  token = url![3]!;
  assert.is(first.stdout.split(token).length - 1, 1, 'the token is printed once');
  const again = await e2e.json<{ url: string }>(['dashboard']);
  assert.is(again.url, url![1]);
  const log = readFileSync(join(e2e.home, 'agent.log'), 'utf8');
  assert.match(log, new RegExp(`dashboard listening on 127.0.0.1:${port}`));
  assert.not.ok(log.includes(token));
});

test('without the token: 401 and no app data; a wrong token or another host name: 403', async () => {
  for (const path of ['/', '/apps/plain', '/traffic', '/traffic/events', '/assets/dashboard.js']) {
    const r = await call(port, path);
    assert.is(r.status, 401, path);
    assert.not.match(r.body, /plain|v1/);
  }
  const wrong = await call(port, `/?token=${'A'.repeat(token.length)}`);
  assert.is(wrong.status, 403);
  assert.is(wrong.headers['set-cookie'], undefined);
  const badCookie = await call(port, '/', { headers: { cookie: `slipway_dashboard=${'A'.repeat(token.length)}` } });
  assert.is(badCookie.status, 403);
  // A page of another site whose name resolves here gets nothing, even with the cookie.
  const rebound = await call(port, '/', {
    headers: { host: `evil.example:${port}`, cookie: `slipway_dashboard=${token}` },
  });
  assert.is(rebound.status, 403);
  assert.not.match(rebound.body, /plain/);
});

test('the token in the query string becomes an HttpOnly SameSite=Strict cookie, and the URL loses it', async () => {
  const r = await call(port, `/apps/plain?token=${token}`);
  assert.is(r.status, 303);
  assert.is(r.headers.location, '/apps/plain');
  const set = String(r.headers['set-cookie']);
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  cookie = set.split(';')[0]!;
  const page = await call(port, '/apps/plain', { headers: { cookie } });
  assert.is(page.status, 200);
  assert.match(page.body, /<h1>plain<\/h1>/);
  assert.match(page.body, /success/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
});

test("a deployment's output is shown as text, never as markup, in the order it was written", async () => {
  const [d] = await e2e.json<any[]>(['deployments', '--app', 'plain']);
  const page = await call(port, `/deployments/${d.id}`, { headers: { cookie } });
  assert.is(page.status, 200);
  assert.match(page.body, /&lt;b&gt;migrated&lt;\/b&gt;/);
  assert.not.match(page.body, /<b>migrated/);
  // In the order the lines were written: the CLI's build lines reach the store after the hook's.
  const build = page.body.indexOf('snapshot:');
  assert.ok(build > 0 && build < page.body.indexOf('&lt;b&gt;migrated'), 'build output before the hook output');
});

test('actions need the token, a confirmation, a JSON body and the dashboard origin', async () => {
  const rollback = (headers: Record<string, string>, body: unknown) =>
    call(port, '/apps/plain/rollback', { method: 'POST', headers, body });
  assert.is((await rollback(json, { confirm: true, release: 1 })).status, 401);
  assert.is((await rollback({ ...json, cookie }, { release: 1 })).status, 400);
  assert.is(
    (await rollback({ ...json, cookie, origin: 'http://evil.example' }, { confirm: true, release: 1 })).status,
    403,
  );
  // What an HTML form of another page could send.
  const form = await rollback({ cookie, 'content-type': 'text/plain' }, { confirm: true, release: 1 });
  assert.is(form.status, 403);
  const missing = await rollback({ ...json, cookie }, { confirm: true, release: 9 });
  assert.is(missing.status, 404);
  assert.equal(JSON.parse(missing.body).error, { code: 'RELEASE_NOT_FOUND', message: 'plain has no release 9' });
  const deployments = await e2e.json<any[]>(['deployments', '--app', 'plain']);
  assert.is(deployments.length, 1, 'no rollback ran');
});

test('restart from the dashboard starts a fresh set of processes that serves', async () => {
  const before = (await e2e.json<any[]>(['status']))[0].processes[0].pid;
  const started = await call(port, '/apps/plain/restart', {
    method: 'POST',
    headers: { ...json, cookie, origin: `http://127.0.0.1:${port}` },
    body: { confirm: true },
  });
  assert.is(started.status, 202, started.body);
  const { action } = JSON.parse(started.body);
  const events = await call(port, `/actions/${action}/events`, {
    headers: { cookie },
    until: (b) => b.includes('event: exit'),
  });
  assert.match(events.body, /event: exit\ndata: \{"type":"exit","code":0\}/);
  const after = (await e2e.json<any[]>(['status']))[0].processes[0].pid;
  assert.is.not(after, before);
  assert.is((await get(appPort)).body, 'v1');
});

/** The samples of a traffic event stream so far. */
const samples = (body: string) =>
  body
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));

test("traffic: the router's counters by status and by release, as the dashboard samples them", async () => {
  // One request in the restart test, five here.
  for (let i = 0; i < 5; i++) assert.is((await get(appPort)).status, 200);
  const stream = await call(port, '/traffic/events', {
    headers: { cookie },
    until: (b) => (samples(b).at(-1)?.apps.plain?.requests ?? 0) >= 6,
  });
  const last = samples(stream.body).at(-1).apps.plain;
  assert.is(last.requests, 6);
  assert.equal(last.byStatus, { 200: 6 });
  assert.equal(last.byRelease, { v1: 6 });
  assert.is(last.live, 1);
});

test('--open hands the URL to the desktop opener as one argument', async () => {
  const bin = join(e2e.home, 'fake-bin');
  const seen = join(e2e.home, 'opened');
  mkdirSync(bin);
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$#" "$1" > ${seen}\n`, { mode: 0o755 });
  const r = await e2e.run(['dashboard', '--open'], { env: { PATH: `${bin}:${process.env.PATH}` } });
  assert.is(r.code, 0, r.stderr);
  const opened = await until(() => existsSync(seen) && readFileSync(seen, 'utf8'), 10_000, 'the opener to run');
  assert.is(opened, `1\nhttp://127.0.0.1:${port}/?token=${token}\n`);
  // Where no opener exists, the command still succeeds and says so.
  const none = await e2e.run(['dashboard', '--open'], { env: { PATH: join(e2e.home, 'nothing') } });
  assert.is(none.code, 0, none.stderr);
  assert.match(none.stderr, /could not start a browser here/);
});

test('a bad --port is a usage error; a taken one says so; another port moves the dashboard with a new token', async () => {
  const bad = await e2e.run(['dashboard', '--port', 'eighty']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--port must be a number from 1 to 65535, got "eighty"/);
  const taken = await e2e.run(['dashboard', '--port', String(appPort)]);
  assert.is(taken.code, 2);
  assert.match(taken.stderr, new RegExp(`port ${appPort} on 127.0.0.1 is already in use`));
  assert.match(taken.stderr, /Pass another --port/);
  // The running dashboard was not touched by the refused move.
  assert.is((await call(port, '/', { headers: { cookie } })).status, 200);
  const other = await freePort();
  const moved = await e2e.json<{ url: string }>(['dashboard', '--port', String(other)]);
  assert.match(moved.url, new RegExp(`^http://127\\.0\\.0\\.1:${other}/\\?token=`));
  assert.not.ok(moved.url.includes(token));
  assert.ok(
    await call(port, '/').then(
      () => false,
      () => true,
    ),
    'nothing listens on the old port',
  );
  assert.is((await call(other, '/', { headers: { cookie } })).status, 403, 'the old token is void');
});

test.run();
