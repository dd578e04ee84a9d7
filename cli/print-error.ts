import { type SlipwayError, toSlipwayError } from '../lib/core/errors.js';
import type { Io } from './io.js';

/** One line saying what happened, one saying what to do; a stack only with --debug. */
export function printError(io: Io, error: unknown): number {
  const e: SlipwayError = toSlipwayError(error);
  if (io.json) {
    io.data({ error: e.toJSON() });
  } else {
    // Parser messages already start with file:line:col.
    const where = e.where && !e.message.startsWith(`${e.where}:`) ? `${e.where}: ` : '';
    io.err(`${io.color.red('error')} ${io.color.bold(e.code)}: ${where}${e.message}`);
    if (e.location?.source !== undefined) {
      io.err(`  | ${e.location.source}`);
      if (e.location.column) io.err(`  | ${' '.repeat(e.location.column - 1)}^`);
    }
    io.err(`  ${io.color.dim(e.details)}`);
    if (io.debug) {
      io.err(e.stack ?? '');
      let cause = e.cause;
      while (cause) {
        io.err(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
        cause = cause instanceof Error ? cause.cause : undefined;
      }
    }
  }
  return e.exitCode;
}
