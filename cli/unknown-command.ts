import { closest, distance } from 'fastest-levenshtein';
import { SlipwayError } from '../lib/core/errors.js';
import { createIo } from './io.js';
import { printError } from './print-error.js';

/** An unknown command: exit 2, with a suggestion only when one is close. */
export async function unknownCommand(name: string, known: string[], argv: string[]): Promise<number> {
  const near = closest(name, known);
  const guess = distance(name, near) <= 2 ? near : undefined;
  return printError(
    await createIo({ json: argv.includes('--json'), debug: argv.includes('--debug') }),
    new SlipwayError('USAGE', `unknown command "${name}"${guess ? ` — did you mean "${guess}"?` : ''}`),
  );
}
