import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isAppName } from '../lib/config/defaults.js';
import { SlipwayError } from '../lib/core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command accepts. */
export const globalOptions = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies Options;

export const appOption = { app: { type: 'string', short: 'a' } } satisfies Options;

const APP_NAME_RULE = 'lowercase letters, digits and "-", at most 63 characters';

/** `--app`, checked before anything is asked of the agent: it names a directory under SLIPWAY_HOME. */
export function appArg(value: unknown, command?: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isAppName(value)) {
    const prefix = command ? `${command}: ` : '';
    throw new SlipwayError('USAGE', `${prefix}--app ${JSON.stringify(value)} is not an app name (${APP_NAME_RULE})`);
  }
  return value;
}

/** A RELEASE argument (`3`, `v3`) as its number. */
export function releaseArg(value: string, command: string): number {
  if (!/^v?[1-9][0-9]{0,8}$/.test(value)) {
    throw new SlipwayError('USAGE', `${command}: ${JSON.stringify(value)} is not a release number (3 or v3)`);
  }
  return Number(value.replace(/^v/, ''));
}

/** A whole number option (`--limit 20`) from 1 to `max`. */
export function countArg(value: unknown, name: string, command: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9]{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new SlipwayError(
      'USAGE',
      `${command}: --${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

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
