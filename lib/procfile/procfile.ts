import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { Procfile } from '../core/types.js';

/** Process types with a meaning of their own; every other type is a plain process. */
export const RESERVED_TYPES = Object.freeze({
  web: 'gets $PORT and receives the HTTP traffic',
  postdeploy: 'runs once per deployment in a one-off process, before traffic switches (the postdeploy hook)',
  release: 'runs after the build and before new processes start, in Heroku mode',
} as const);

export type ReservedType = keyof typeof RESERVED_TYPES;

export function isReservedType(type: string): type is ReservedType {
  return Object.hasOwn(RESERVED_TYPES, type);
}

/** What a Procfile may spell a process type with (Heroku's and foreman's set). */
export const PROCESS_TYPE_PATTERN = /^[A-Za-z0-9_-]+$/;
const TYPE_CHAR = /[A-Za-z0-9_-]/;
const MAX_TYPE_LENGTH = 63;

/**
 * The name a process type is known by everywhere after parsing: a lowercase
 * DNS label, because it ends up in container names, hostnames and cgroups.
 * Returns '' when nothing usable is left (e.g. `--`).
 */
export function canonicalProcessType(type: string): string {
  const label = type
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
  return label.slice(0, MAX_TYPE_LENGTH).replace(/-+$/, '');
}

// JSON quoting escapes control characters so a message stays on one line;
// U+2028/2029 are left alone by JSON.stringify but break lines in terminals.
function quote(s: string): string {
  return JSON.stringify(s)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

interface Seen {
  type: string;
  line: number;
}

/**
 * Parses Procfile text into processes keyed by their canonical type, in file
 * order. Throws PROCFILE_INVALID at the first bad line, with line and column.
 */
export function parseProcfile(text: string, options: { file?: string } = {}): Procfile {
  const file = options.file ?? 'Procfile';
  const processes: Record<string, string> = {};
  const lines: Record<string, number> = {};
  const warnings: string[] = [];
  const seen = new Map<string, Seen>();

  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  body.split(/\r\n|\r|\n/).forEach((source, index) => {
    const line = index + 1;
    const fail = (column: number, message: string, details?: string): never => {
      throw new SlipwayError('PROCFILE_INVALID', `${file}:${line}:${column}: ${message}`, {
        location: { file, line, column, source },
        details,
      });
    };

    const trimmed = source.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const indent = source.length - trimmed.length;

    const colon = source.indexOf(':');
    if (colon === -1) {
      let end = indent;
      while (end < source.length && TYPE_CHAR.test(source[end])) end++;
      fail(end + 1, 'missing ":" after the process type (expected "<type>: <command>")');
    }

    const type = source.slice(0, colon).trim();
    if (type === '') fail(colon + 1, 'empty process type before ":"');
    for (let i = 0; i < type.length; i++) {
      if (!TYPE_CHAR.test(type[i])) {
        fail(indent + i + 1, `invalid character ${quote(type[i])} in process type ${quote(type)}`);
      }
    }

    const command = source.slice(colon + 1).trim();
    if (command === '') fail(colon + 2, `empty command for process type ${quote(type)}`);

    const name = canonicalProcessType(type);
    if (name === '') fail(indent + 1, `process type ${quote(type)} needs at least one letter or digit`);

    const previous = seen.get(name);
    if (previous) {
      fail(
        indent + 1,
        previous.type === type
          ? `duplicate process type ${quote(type)} (lines ${previous.line} and ${line})`
          : `process type ${quote(type)} on line ${line} and ${quote(previous.type)} on line ${previous.line} are both named ${quote(name)}`,
        `Each process type appears once in a Procfile: remove line ${previous.line} or ${line}, or rename one of the two types.`,
      );
    }
    seen.set(name, { type, line });

    if (name !== type) {
      warnings.push(
        `${file}:${line}: process type ${quote(type)} will be named ${quote(name)} ` +
          `(process types are lowercase letters, digits and "-", at most ${MAX_TYPE_LENGTH} characters)`,
      );
    }
    processes[name] = command;
    lines[name] = line;
  });

  if (seen.size === 0) warnings.push(`${file}: no processes defined`);
  return { processes, lines, warnings, file: options.file };
}

/**
 * Writes processes back as Procfile text that parseProcfile reads back
 * unchanged. Throws PROCFILE_INVALID for anything a Procfile cannot hold.
 */
export function formatProcfile(processes: Record<string, string>): string {
  const names = new Map<string, string>();
  let out = '';
  for (const [type, command] of Object.entries(processes)) {
    const invalid = (message: string): never => {
      throw new SlipwayError('PROCFILE_INVALID', `cannot write process type ${quote(type)}: ${message}`);
    };
    if (!PROCESS_TYPE_PATTERN.test(type)) invalid('a process type is letters, digits, "_" and "-"');
    const name = canonicalProcessType(type);
    if (name === '') invalid('a process type needs at least one letter or digit');
    const clash = names.get(name);
    if (clash !== undefined) invalid(`it and ${quote(clash)} are both named ${quote(name)}`);
    names.set(name, type);
    if (typeof command !== 'string' || command.trim() === '') invalid('empty command');
    if (/[\r\n]/.test(command)) invalid('a command must fit on one line');
    out += `${type}: ${command.trim()}\n`;
  }
  return out;
}

/** Reads and parses `<dir>/Procfile`; throws PROCFILE_NOT_FOUND when there is none. */
export async function readProcfile(dir: string): Promise<Procfile> {
  const file = join(dir, 'Procfile');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const misnamed = await findMisnamed(dir);
      const hint = misnamed ? ` (found ${quote(misnamed)}: the name must be exactly "Procfile")` : '';
      throw new SlipwayError('PROCFILE_NOT_FOUND', `no Procfile in ${dir}${hint}`, { cause: error });
    }
    throw new SlipwayError('PROCFILE_INVALID', `${file}: cannot be read (${code ?? String(error)})`, {
      cause: error,
      location: { file },
    });
  }
  return parseProcfile(text, { file });
}

// Procfile is case-sensitive on Linux; a `procfile` written on macOS is a common slip.
async function findMisnamed(dir: string): Promise<string | undefined> {
  try {
    return (await readdir(dir)).find((n) => n.toLowerCase() === 'procfile');
  } catch {
    return undefined;
  }
}
