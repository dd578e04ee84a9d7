// Seeded secrets never leave slipway, on both runtimes: a config var set with
// config:set, an env value in the config file and a notifier token given
// through the deploying process's env. The app's postdeploy prints its whole
// env; a vendor echoes the token back. Then every byte of CLI output (text
// and --json, of every command that shows deployments, logs, config or
// status) and every file under SLIPWAY_HOME (state.db and its WAL, agent.log,
// the app's output logs) is searched for each secret, also URL-encoded.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DockerE2E, dockerSuite } from '../support/docker.js';
import type { E2E } from '../support/e2e.js';
import { servedBody } from '../support/e2e.js';
import { filesUnder, readPresent } from '../support/files.js';

const { e2e: dockerE2E, engineTest } = dockerSuite();

// The worst vendor: it answers 500 echoing what it received, the token header and the URL first.
const vendor = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`rejected ${req.url} token=${req.headers['x-rollbar-access-token'] ?? '-'} ${body}`);
  });
});
test.before(async () => {
  await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
});
test.after(() => {
  vendor.close();
});

interface Seeded {
  configVar: string;
  fileEnv: string;
  token: string;
}

async function scenario(
  e2e: E2E,
  app: string,
  make: (config: Record<string, unknown>) => Promise<{ dir: string; port: number }>,
  seeded: Seeded,
) {
  const base = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`;
  const { dir, port } = await make({
    app,
    env: { API_KEY: seeded.fileEnv, PLAIN: 'not-a-secret' },
    plugins: [['rollbar', { environment: 'production', baseUrl: base, retries: 1 }]],
  });
  const deployEnv = { ROLLBAR_ACCESS_TOKEN: seeded.token };
  const outputs: string[] = [];
  const commands: string[] = [];
  const keep = (r: { stdout: string; stderr: string }, what = 'deploy') => {
    outputs.push(r.stdout, r.stderr);
    commands.push(what, what);
  };

  // A first deployment so that the app exists, then the config var, which redeploys.
  const first = await e2e.run(['deploy', dir, '--json'], { env: deployEnv });
  assert.is(first.code, 0, first.stderr);
  keep(first);
  const set = await e2e.run(['config:set', '--app', app, `DB_PASSWORD=${seeded.configVar}`], {
    env: deployEnv,
    cwd: dir,
  });
  assert.is(set.code, 0, set.stderr);
  keep(set);
  for (const args of [['--json'], []]) {
    const r = await e2e.run(['deploy', dir, ...args], { env: deployEnv });
    assert.is(r.code, 0, r.stderr);
    keep(r);
  }
  assert.match(await servedBody(port, 30_000), /./);
  for (const args of [
    ['deployments', '--json'],
    ['deployments'],
    ['logs', '--app', app],
    ['logs', '--app', app, '--json'],
    ['logs', '--app', app, '--tail'],
    ['status', '--json'],
    ['ps', '--json'],
    ['config', '--app', app],
    ['config', '--app', app, '--json'],
    ['releases', '--app', app, '--json'],
  ]) {
    keep(await e2e.run(args, { cwd: dir }), args.join(' '));
  }
  // `slipway run` hands the command's output to the terminal as it is (documented: neither masked
  // nor stored; `slipway run -- printenv X` is how a value is read). It must not be stored anywhere.
  const oneOff = await e2e.run(['run', '--app', app, '--', 'env'], { cwd: dir });
  assert.is(oneOff.code, 0, oneOff.stderr);
  assert.ok(oneOff.stdout.includes(seeded.configVar), 'the one-off had the config var');
  const all = outputs.join('\n');
  // The secrets were there to leak: the hook printed its env, the vendor echoed the token, both masked.
  assert.match(all, /DB_PASSWORD=••••/);
  assert.match(all, /API_KEY=••••/);
  assert.match(all, /token=••••/);

  // A process-runtime release is a copy of the app directory: the app's own files (its config file
  // with its env among them) are the user's source, byte for byte, not something slipway wrote.
  const ownSource = (file: string) => {
    const m = /\/apps\/[^/]+\/releases\/\d+\/(.+)$/.exec(file);
    const original = m ? join(dir, m[1]!) : '';
    return m !== null && existsSync(original) && readFileSync(original).equals(readPresent(file));
  };
  const files = filesUnder(e2e.home).filter((f) => !ownSource(f));
  assert.ok(files.some((f) => f.endsWith('state.db')));
  assert.ok(files.some((f) => f.endsWith('agent.log')));
  let bytes = 0;
  const found: string[] = [];
  for (const [name, secret] of Object.entries(seeded)) {
    for (const file of files)
      if (readPresent(file).includes(secret)) found.push(`${name} in ${file.slice(e2e.home.length)}`);
  }
  assert.equal(found, [], 'secrets found');
  for (const [name, secret] of Object.entries(seeded)) {
    const leaks = commands.filter((_, i) => outputs[i]!.includes(secret));
    assert.equal(leaks, [], `${name} in the output of`);
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])) {
      assert.not.ok(all.includes(form), `${name} in CLI output`);
      for (const file of files) {
        const content = readPresent(file);
        if (form === secret) bytes += content.length;
        assert.not.ok(content.includes(form), `${name} in ${file}`);
      }
    }
  }
  return { files: files.length, bytes: Math.round(bytes / 3), output: all.length };
}

const secretsFor = (tag: string): Seeded => ({
  configVar: `cfgvar-${tag}-7d1e55aa90c3`,
  fileEnv: `filekey-${tag}-3b9f0c2e11`,
  token: `rbtoken-${tag}-5f2c9e1a77d04b`,
});

test('process runtime: no seeded secret in any output or any file under SLIPWAY_HOME', async () => {
  const { E2E } = await import('../support/e2e.js');
  const e2e = new E2E();
  try {
    const procfile = 'web: node server.js\npostdeploy: env | sort\n';
    const r = await scenario(e2e, 'secrets-proc', (config) => e2e.app(procfile, config), secretsFor('proc'));
    console.log(
      `figures: secrets, process runtime: 3 secrets in 3 forms, ${r.output} bytes of CLI output and ${r.files} files (${r.bytes} bytes) under SLIPWAY_HOME: none found`,
    );
  } finally {
    await e2e.cleanup();
  }
});

engineTest('docker runtime: no seeded secret in any output or any file under SLIPWAY_HOME', async () => {
  const e2e: DockerE2E = dockerE2E;
  const app = e2e.name('secrets-docker');
  const procfile = 'web: node server.js\npostdeploy: env | sort\n';
  const r = await scenario(
    e2e,
    app,
    async (config) => {
      const made = await e2e.dockerApp('unused', procfile, { ...config, app });
      return made;
    },
    secretsFor('docker'),
  );
  console.log(
    `figures: secrets, docker runtime: 3 secrets in 3 forms, ${r.output} bytes of CLI output and ${r.files} files (${r.bytes} bytes) under SLIPWAY_HOME: none found`,
  );
});

test.run();
