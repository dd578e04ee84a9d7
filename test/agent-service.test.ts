// The agent under a service manager: `slipway agent install` writes a systemd
// unit (checked by systemd-analyze verify where it exists), and `slipway
// agent run`, its foreground process, starts the agent again when it dies
// (the apps adopted, not restarted), follows the agent that replaced it after
// `slipway agent restart`, and stops it on SIGTERM.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, E2E, root, servedBody, until } from './support/e2e.js';

const e2e = new E2E();
test.after(() => e2e.cleanup());

test('agent install writes a unit that runs `slipway agent run` with this home, restarts always and leaves the apps to the agent', async () => {
  const file = join(e2e.home, 'slipway-agent.service');
  const r = await e2e.run(['agent', 'install', '--output', file, '--user', 'deploy']);
  assert.is(r.code, 0, r.stderr);
  const unit = readFileSync(file, 'utf8');
  assert.ok(unit.includes(`ExecStart=${process.execPath} ${join(root, 'bin', 'slipway')} agent run\n`), unit);
  assert.ok(unit.includes(`Environment=SLIPWAY_HOME=${e2e.home}\n`));
  for (const line of ['Restart=always', 'KillMode=process', 'User=deploy', 'WantedBy=multi-user.target']) {
    assert.ok(unit.includes(`${line}\n`), line);
  }
  const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  if (verify.error) {
    console.log('systemd-analyze not found: the unit was not verified');
    return;
  }
  // verify only warns (exit 0) on a value it cannot parse: any output is a failure.
  assert.is(verify.status, 0, verify.stderr);
  assert.is(verify.stderr.trim(), '');
});

test('agent run keeps the agent up: a killed agent comes back with the apps adopted; it follows a restarted agent; SIGTERM stops it', async () => {
  const keeper = e2e.spawn(['agent', 'run']);
  let output = '';
  keeper.stdout?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => keeper.on('exit', resolve));
  const first = (await until(() => e2e.agentPid(), 10_000, 'the agent under agent run')) as number;
  const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'kept' });
  assert.is((await e2e.deploy(dir, ['--revision', 'v1'])).code, 0);
  const apps = await e2e.json<{ processes: { pid: number }[] }[]>(['status']);
  const web = apps[0]!.processes[0]!.pid;

  process.kill(first, 'SIGKILL');
  const second = await until(
    () => {
      const pid = e2e.agentPid();
      return pid && pid !== first && alive(pid) ? pid : null;
    },
    10_000,
    'agent run to start the agent again',
  );
  assert.is(await servedBody(port, 5000, 'the app to answer again'), 'v1');
  assert.match(output, /the agent exited \(SIGKILL\); starting it again/);
  assert.is((await e2e.json<{ processes: { pid: number }[] }[]>(['status']))[0]!.processes[0]!.pid, web);

  const restarted = await e2e.run(['agent', 'restart', '--json']);
  assert.is(restarted.code, 0, restarted.stderr);
  const third = JSON.parse(restarted.stdout).pid as number;
  await until(() => output.includes(`following the agent (pid ${third})`), 10_000, 'agent run to follow the new agent');
  assert.is(await servedBody(port, 5000, 'the app after the restart'), 'v1');

  keeper.kill('SIGTERM');
  assert.is(await exited, 0);
  assert.not.ok(alive(third), 'the agent stopped with agent run');
  assert.not.ok(alive(web), 'and its apps with it');
  assert.not.ok(alive(second as number));
});

test.run();
