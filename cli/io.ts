/** The few styles the CLI uses: chalk when colour is on, plain text otherwise. */
export type Paint = Record<'bold' | 'dim' | 'red' | 'yellow' | 'green', (text: string) => string>;

/** Where a command writes, and how: colour only on a TTY without NO_COLOR, JSON when asked. */
export interface Io {
  json: boolean;
  debug: boolean;
  color: Paint;
  out(text: string): void;
  err(text: string): void;
  /** One JSON document (or NDJSON line) on stdout. */
  data(value: unknown): void;
}

const plain: Paint = { bold: String, dim: String, red: String, yellow: String, green: String };

export async function createIo(options: { json: boolean; debug: boolean }): Promise<Io> {
  const tty = Boolean(process.stdout.isTTY);
  const noColor = 'NO_COLOR' in process.env || process.env.TERM === 'dumb' || !tty || options.json;
  return {
    ...options,
    // chalk, and the terminal probing it does when loaded, only when there is colour to show.
    color: noColor ? plain : new (await import('chalk')).Chalk({ level: 1 }),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    data: (value) => process.stdout.write(`${JSON.stringify(value)}\n`),
  };
}
