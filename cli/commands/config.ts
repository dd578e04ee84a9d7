import { appHistory, liveSource } from '../../compat/heroku/release-source.js';
import type { AgentClient } from '../../lib/control/client.js';
import type { DeploymentRecord } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { MASK } from '../../lib/core/mask.js';
import { agent, resolveApp } from '../app.js';
import { appOption } from '../args.js';
import { defineCommand } from '../command.js';
import type { Io } from '../io.js';
import { redeploy } from '../redeploy.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Changes = Record<string, string | null>;

function changesFrom(command: string, args: string[]): Changes {
  const changes: Changes = {};
  for (const arg of args) {
    if (command === 'config:set') {
      const eq = arg.indexOf('=');
      const key = eq > 0 ? arg.slice(0, eq) : '';
      if (!KEY.test(key))
        throw new SlipwayError('USAGE', `config:set: expected KEY=VALUE, got "${eq > 0 ? key : arg.slice(0, 40)}=…"`);
      changes[key] = arg.slice(eq + 1);
    } else {
      if (!KEY.test(arg)) throw new SlipwayError('USAGE', `config:unset: "${arg}" is not a valid key`);
      changes[arg] = null;
    }
  }
  if (Object.keys(changes).length === 0) throw new SlipwayError('USAGE', `${command}: nothing to change`);
  return changes;
}

const path = (app: string, rest: string) => `/apps/${encodeURIComponent(app)}/${rest}`;

/** Default mode (Scalingo): store, restart the live processes with the new env; postdeploy does not run. */
async function setAndRestart(client: AgentClient, app: string, command: string, changes: Changes, io: Io) {
  const result = await client.call<{ restarted: boolean }>('POST', path(app, 'config'), { changes });
  const keys = Object.keys(changes);
  if (io.json) io.data({ app, changed: keys, restarted: result.restarted });
  else {
    io.out(`${command === 'config:set' ? 'Set' : 'Unset'} ${keys.join(', ')} on ${app}`);
    io.out(
      result.restarted
        ? 'Live processes restarted with the new env.'
        : 'No live release: applies at the next deployment.',
    );
  }
  return 0;
}

/**
 * Heroku mode, and any app running in containers: a config change is a new
 * release (in the default mode without its postdeploy). The vars are stored first
 * (the release command must see them), then the live build is deployed again
 * as a `config` release: release command, new processes, switch. If that
 * fails, the previous values are put back, so processes of the serving
 * release — even one restarted after a crash — keep the env it was made with.
 */
async function setAsRelease(
  client: AgentClient,
  app: string,
  command: string,
  changes: Changes,
  io: Io,
): Promise<number | null> {
  const history = await appHistory(client, app);
  const live = await liveSource(client, app, history);
  if (!live) return null;
  // Containers are not the agent's to restart: in the default mode a config change
  // starts the live image again with the new env (no postdeploy), then switches.
  const apps = await client.call<{ name: string; live: { runtime: string } | null }[]>('GET', '/apps');
  const runtime = apps.find((a) => a.name === app)?.live?.runtime;
  const containers = runtime === 'docker' || runtime === 'swarm';
  if (live.mode !== 'heroku' && !containers) return null;
  const before = await client.call<Record<string, string>>('GET', path(app, 'config'));
  await client.call('POST', path(app, 'config/store'), { changes });
  const keys = Object.keys(changes);
  if (!io.json) {
    io.out(
      `${command === 'config:set' ? 'Setting' : 'Unsetting'} ${keys.join(', ')} on ${app}: new release (${live.mode === 'heroku' ? 'heroku mode' : 'containers restart with the new env'})`,
    );
  }
  const restore: Changes = Object.fromEntries(keys.map((k) => [k, k in before ? before[k]! : null]));
  let record: DeploymentRecord;
  try {
    record = await redeploy({
      client,
      app,
      source: live,
      kind: 'config',
      io,
      withoutHooks: live.mode !== 'heroku',
    });
  } catch (error) {
    // Nothing was released: the stored vars go back to what the live release runs with.
    await client.call('POST', path(app, 'config/store'), { changes: restore });
    throw error;
  }
  if (record.status === 'success') {
    if (io.json) io.data({ app, changed: keys, restarted: true, release: record.release, deployment: record });
    return 0;
  }
  await client.call('POST', path(app, 'config/store'), { changes: restore });
  if (io.json)
    io.data({ app, changed: [], restored: keys, restarted: false, release: record.release, deployment: record });
  else
    io.out(
      `Config not changed: release ${record.release} failed, so ${keys.join(', ')} went back to the values before.`,
    );
  return 1;
}

export const { run, options } = defineCommand({ ...appOption, reveal: { type: 'boolean' } }, async (args, io) => {
  const app = await resolveApp(args.values.app);
  const client = await agent();
  if (args.command === 'config') {
    const vars = await client.call<Record<string, string>>('GET', path(app, 'config'));
    const shown = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, args.values.reveal ? v : MASK]));
    if (io.json) io.data(shown);
    else if (Object.keys(shown).length === 0) io.out(`${app} has no config vars`);
    else for (const [k, v] of Object.entries(shown)) io.out(`${k}=${v}`);
    return 0;
  }
  const changes = changesFrom(args.command, args.positionals);
  // The mode is the serving release's: it is what the app runs under, whatever directory this runs in.
  const released = await setAsRelease(client, app, args.command, changes, io);
  return released ?? setAndRestart(client, app, args.command, changes, io);
});
