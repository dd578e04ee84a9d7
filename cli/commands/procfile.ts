import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SlipwayError } from '../../lib/core/errors.js';
import { parseProcfile } from '../../lib/procfile/procfile.js';
import { defineCommand } from '../command.js';
import { printError } from '../print-error.js';

export const { run, options } = defineCommand({}, async ({ positionals }, io) => {
  const [action, path = 'Procfile'] = positionals;
  if (action !== 'check')
    throw new SlipwayError('USAGE', 'procfile: the only action is `check` (slipway procfile check [path])');
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new SlipwayError('PROCFILE_NOT_FOUND', `no Procfile at ${file}`);
  }
  try {
    const procfile = parseProcfile(text, { file: path });
    if (io.json) io.data({ processes: procfile.processes, warnings: procfile.warnings });
    else {
      for (const [type, command] of Object.entries(procfile.processes)) io.out(`${io.color.bold(type)}: ${command}`);
      for (const w of procfile.warnings) io.err(`${io.color.yellow('warning')} ${w}`);
      io.out(io.color.green(`✓ ${path}: ${Object.keys(procfile.processes).length} process types`));
    }
    return 0;
  } catch (error) {
    if (io.json && error instanceof SlipwayError) {
      io.data({ error: { message: error.message, line: error.location?.line, column: error.location?.column } });
      return 2;
    }
    return printError(io, error);
  }
});
