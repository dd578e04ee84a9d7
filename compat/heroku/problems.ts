import { SlipwayError } from '../../lib/core/errors.js';

/** `app.json:12:5` */
export interface Source {
  file: string;
  line?: number;
  column?: number;
}

export function formatSource(s: Source): string {
  return [s.file, s.line, s.column].filter((p) => p !== undefined).join(':');
}

/** Something in a Heroku file that is malformed: the migration stops and writes nothing. */
export interface InputProblem extends Source {
  message: string;
  /** The offending line, shown under the message with a caret. */
  excerpt?: string;
}

/** Something a Heroku file says that slipway does not carry over, and why. Never dropped silently. */
export interface NotCarried {
  source: string;
  /** The key as written: `addons`, `build.config`, `scripts.pr-predestroy`. */
  key: string;
  detail: string;
  /** The key names inside its value, when that is a mapping (or a list of mappings): what was left behind. */
  keys?: string[];
}

/** The key names of a mapping, or of every mapping in a list, in order of first appearance. */
export function keyNames(maps: Iterable<readonly string[]>): string[] | undefined {
  const names = new Set<string>();
  for (const keys of maps) for (const k of keys) names.add(k);
  return names.size > 0 ? [...names] : undefined;
}

/** Every problem found in every file, as one error naming the first by file:line:column. */
export function inputError(problems: InputProblem[]): SlipwayError {
  const lines = problems.map((p) => `${formatSource(p)}: ${p.message}`);
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
  const first = problems[0]!;
  return new SlipwayError('MIGRATE_INPUT', `${lines[0]}${more}`, {
    location: { file: first.file, line: first.line, column: first.column, source: first.excerpt },
    problems: problems.map((p) => ({
      where: formatSource(p),
      message: p.message,
      source: p.excerpt,
      column: p.column,
    })),
    details:
      lines.length > 1
        ? 'Fix the files named above; nothing was written.'
        : 'Fix the file named in the message; nothing was written.',
    data: { problems },
  });
}
