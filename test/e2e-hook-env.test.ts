// (f) the hook sees the web env (config vars, CONTAINER_VERSION, APP) without PORT;
// (g) a file the hook writes is not visible to web.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get } from './support/e2e.js';

const e2e = new E2E();
/** A real CA bundle, so the Node processes given it start without a warning. */
const CA_FILE = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
test.after(() => e2e.cleanup());

test('(f) the hook gets exactly the web env, minus PORT', async () => {
  const out = join(e2e.home, 'hook-env.json');
  const { dir, port } = await e2e.app(
    `web: node server.js\npostdeploy: node -e "require('fs').writeFileSync('${out}', JSON.stringify(process.env))"\n`,
    { app: 'envcheck', env: { FROM_FILE: 'file-value' } },
  );
  // This command starts the agent: host variables beyond the basics must stay in it.
  const hostOnly = { HOST_ONLY_VAR: 'from-the-host', NODE_EXTRA_CA_CERTS: CA_FILE, SSL_CERT_FILE: CA_FILE };
  const set = await e2e.run(['config:set', '--app', 'envcheck', 'FROM_VARS=vars-value', 'FROM_FILE=overridden'], {
    env: hostOnly,
  });
  assert.is(set.code, 0, set.stderr);
  const status = await e2e.run(['agent', 'status', '--json']);
  const agentEnv = readFileSync(`/proc/${JSON.parse(status.stdout).pid}/environ`, 'utf8').split('\0');
  assert.ok(agentEnv.includes('HOST_ONLY_VAR=from-the-host'), 'the agent inherited the host variables');
  const { code } = await e2e.deploy(dir, ['--revision', 'abc123']);
  assert.is(code, 0);
  const hook = JSON.parse(readFileSync(out, 'utf8'));
  const web = JSON.parse((await get(port, '/env')).body);
  assert.is(hook.PORT, undefined);
  assert.ok(web.PORT);
  assert.is(hook.CONTAINER, 'postdeploy-1');
  assert.is(web.CONTAINER, 'web-1');
  for (const key of ['APP', 'CONTAINER_VERSION', 'FROM_VARS', 'FROM_FILE', 'CONTAINER_SIZE', 'STACK', 'PATH']) {
    assert.is(hook[key], web[key], key);
  }
  assert.is(hook.APP, 'envcheck');
  assert.is(hook.CONTAINER_VERSION, 'abc123');
  assert.is(hook.FROM_VARS, 'vars-value');
  assert.is(hook.FROM_FILE, 'overridden');
  // Host basics pass; nothing else from the host, TLS trust settings included (they are config vars).
  assert.is(web.HOME, process.env.HOME);
  for (const key of Object.keys(hostOnly)) {
    assert.is(web[key], undefined, key);
    assert.is(hook[key], undefined, key);
  }
  const differs = Object.keys({ ...hook, ...web })
    .filter((k) => hook[k] !== web[k])
    .sort();
  // PWD is the shell's own: the hook runs in its private copy of the release.
  assert.equal(differs, ['CONTAINER', 'HOSTNAME', 'PORT', 'PWD']);
});

test('(g) a file written by the hook is not seen by web', async () => {
  const { dir, port } = await e2e.app(
    'web: node server.js\npostdeploy: echo written > marker.txt && test -f marker.txt\n',
    {
      app: 'files',
    },
  );
  const { code } = await e2e.deploy(dir);
  assert.is(code, 0);
  assert.is((await get(port, '/file?name=marker.txt')).body, 'no');
  assert.is((await get(port, '/file?name=server.js')).body, 'yes');
});

test.run();
