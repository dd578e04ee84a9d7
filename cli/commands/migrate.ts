import { resolve } from 'node:path';
import { readHerokuApp } from '../../compat/heroku/read-app.js';
import { renderPlan } from '../../compat/heroku/render.js';
import { buildPlan } from '../../compat/heroku/report.js';
import { refusal, writePlan } from '../../compat/heroku/writer.js';
import { SlipwayError } from '../../lib/core/errors.js';
import type { Mode } from '../../lib/core/types.js';
import { appOption } from '../args.js';
import { defineCommand } from '../command.js';

const MODES: readonly Mode[] = ['postdeploy', 'heroku'];

export const { run, options } = defineCommand(
  { ...appOption, write: { type: 'boolean' }, force: { type: 'boolean' }, mode: { type: 'string' } },
  async ({ values, positionals }, io) => {
    const [platform, dirArg, extra] = positionals;
    if (platform !== 'heroku') {
      throw new SlipwayError('USAGE', `migrate: the only source platform is heroku (slipway migrate heroku [dir])`);
    }
    if (extra !== undefined) throw new SlipwayError('USAGE', `migrate heroku: unexpected argument "${extra}"`);
    const mode = values.mode as string | undefined;
    if (mode !== undefined && !MODES.includes(mode as Mode)) {
      throw new SlipwayError('USAGE', `migrate heroku: --mode must be postdeploy or heroku, not "${mode}"`);
    }
    const dir = resolve(dirArg ?? '.');
    // Read and plan everything first: a malformed file stops here, before anything is written.
    const plan = buildPlan(readHerokuApp(dir), {
      ...(mode ? { mode: mode as Mode } : {}),
      ...(typeof values.app === 'string' ? { app: values.app } : {}),
    });
    const written = values.write ? writePlan(dir, plan, { force: Boolean(values.force) }) : null;
    if (io.json) {
      io.data({ ...plan, written });
      return 0;
    }
    io.out(renderPlan(plan, written).replace(/\n$/, ''));
    if (!values.write) {
      const refused = refusal(dir, plan, Boolean(values.force));
      if (refused) io.err(`${io.color.yellow('warning')} --write would refuse: ${refused.message}`);
    }
    return 0;
  },
);
