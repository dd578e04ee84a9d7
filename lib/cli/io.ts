import { Chalk, type ChalkInstance } from 'chalk';

/** Where a command writes, and how: colour only on a TTY without NO_COLOR, JSON when asked. */
export interface Io {
  json: boolean;
  debug: boolean;
  color: ChalkInstance;
  out(text: string): void;
  err(text: string): void;
  /** One JSON document (or NDJSON line) on stdout. */
  data(value: unknown): void;
}

export function createIo(options: { json: boolean; debug: boolean }): Io {
  const tty = Boolean(process.stdout.isTTY);
  const noColor = 'NO_COLOR' in process.env || process.env.TERM === 'dumb' || !tty || options.json;
  return {
    ...options,
    color: new Chalk({ level: noColor ? 0 : 1 }),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    data: (value) => process.stdout.write(`${JSON.stringify(value)}\n`),
  };
}
