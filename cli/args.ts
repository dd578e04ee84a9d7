import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SlipwayError } from '../lib/core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command accepts. */
export const globalOptions = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies Options;

export const appOption = { app: { type: 'string', short: 'a' } } satisfies Options;

/** Parses a command's argv strictly: an unknown flag is a usage error naming it. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: Options, command: string): ParsedArgs {
  try {
    return parseArgs({ args: argv, options: { ...globalOptions, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, '');
    throw new SlipwayError('USAGE', `${command}: ${message}`);
  }
}
