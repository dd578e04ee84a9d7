import type { ParseArgsConfig } from 'node:util';
import { type ParsedArgs, parse } from './args.js';
import { createIo, type Io } from './io.js';
import { printError } from './print-error.js';

/** A command's module, loaded when the command runs. */
export interface CommandModule {
  run(argv: string[], command: string): Promise<number>;
  /** The flags it parses besides the global ones (test/cli-help.test.ts checks each is in its help). */
  options?: Readonly<Record<string, { readonly type: string; readonly short?: string }>>;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed = ParsedArgs;

/**
 * A command: strict flag parsing, an Io that honours --json/NO_COLOR/TTY,
 * and every error turned into one readable line and an exit code.
 */
export function defineCommand(
  options: Options,
  handler: (args: Parsed & { command: string }, io: Io) => Promise<number | undefined>,
): CommandModule {
  return {
    options,
    async run(argv, command) {
      const io = await createIo({ json: argv.includes('--json'), debug: argv.includes('--debug') });
      try {
        const args = parse(argv, options, command);
        return (await handler({ ...args, command }, io)) ?? 0;
      } catch (error) {
        return printError(io, error);
      }
    },
  };
}
