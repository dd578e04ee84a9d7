import { SlipwayError } from '../../errors.js';
import { MASK } from '../../mask.js';
import { agent, resolveApp } from '../app.js';
import { appOption } from '../args.js';
import { defineCommand } from '../command.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function changesFrom(command: string, args: string[]): Record<string, string | null> {
  const changes: Record<string, string | null> = {};
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

export const { run } = defineCommand({ ...appOption, reveal: { type: 'boolean' } }, async (args, io) => {
  const app = await resolveApp(args.values.app);
  const client = await agent();
  if (args.command === 'config') {
    const vars = await client.call<Record<string, string>>('GET', `/apps/${encodeURIComponent(app)}/config`);
    const shown = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, args.values.reveal ? v : MASK]));
    if (io.json) io.data(shown);
    else if (Object.keys(shown).length === 0) io.out(`${app} has no config vars`);
    else for (const [k, v] of Object.entries(shown)) io.out(`${k}=${v}`);
    return 0;
  }
  const changes = changesFrom(args.command, args.positionals);
  const result = await client.call<{ vars: Record<string, string>; restarted: boolean }>(
    'POST',
    `/apps/${encodeURIComponent(app)}/config`,
    { changes },
  );
  const keys = Object.keys(changes);
  if (io.json) io.data({ app, changed: keys, restarted: result.restarted });
  else {
    io.out(`${args.command === 'config:set' ? 'Set' : 'Unset'} ${keys.join(', ')} on ${app}`);
    io.out(
      result.restarted
        ? 'Live processes restarted with the new env.'
        : 'No live release: applies at the next deployment.',
    );
  }
  return 0;
});
