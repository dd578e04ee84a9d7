import { type SlipwayError, toSlipwayError } from '../lib/core/errors.js';
import type { Io } from './io.js';

/** One line saying what happened, one saying what to do; a stack only with --debug. */
export function printError(io: Io, error: unknown): number {
  const e: SlipwayError = toSlipwayError(error);
  if (io.json) {
    io.data({ error: e.toJSON() });
  } else if (e.problems && e.problems.length > 1) {
    // Each problem on its own line with its own place, its source under it; what to do last.
    io.err(`${io.color.red('error')} ${io.color.bold(e.code)}: ${e.problems.length} problems`);
    for (const p of e.problems) {
      io.err(`  ${p.where ? `${p.where}: ` : ''}${p.message}`);
      excerpt(io, '    ', p.source, p.column);
    }
    details(io, e.details);
  } else {
    // Parser messages already start with file:line:col.
    const where = e.where && !e.message.startsWith(`${e.where}:`) ? `${e.where}: ` : '';
    io.err(`${io.color.red('error')} ${io.color.bold(e.code)}: ${where}${e.message}`);
    excerpt(io, '  ', e.location?.source, e.location?.column);
    details(io, e.details);
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

/** The offending line, and a caret under its column. */
function excerpt(io: Io, indent: string, source: string | undefined, column: number | undefined): void {
  if (source === undefined) return;
  io.err(`${indent}| ${source}`);
  if (column) io.err(`${indent}| ${' '.repeat(column - 1)}^`);
}

/** What to do: every line indented under the error. */
function details(io: Io, text: string): void {
  for (const line of text.split('\n')) io.err(`  ${io.color.dim(line)}`);
}
