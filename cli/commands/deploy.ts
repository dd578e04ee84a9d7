import { detectRevision } from '../../lib/core/revision.js';
import { appArg, appOption } from '../args.js';
import { defineCommand } from '../command.js';
import { preflight } from '../preflight.js';
import { runDeployment } from '../run-deployment.js';

export const { run, options } = defineCommand(
  { ...appOption, revision: { type: 'string' }, 'no-wait': { type: 'boolean' } },
  async ({ values, positionals }, io) => {
    const { config, procfile, warnings } = await preflight(positionals[0] ?? '.', appArg(values.app, 'deploy'));
    for (const w of warnings) {
      if (io.json) io.data({ type: 'warning', warning: { message: w } });
      else io.err(`${io.color.yellow('warning')} ${w}`);
    }
    const version = await detectRevision(config.dir, values.revision as string | undefined);
    const record = await runDeployment({
      config,
      procfile,
      version,
      kind: 'deploy',
      wait: !values['no-wait'],
      io,
    });
    return record.status === 'success' ? 0 : 1;
  },
);
