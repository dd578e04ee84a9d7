/**
 * A command's help, rendered from its entry in the command table (cli/main.ts):
 * the same text `slipway <command> --help` prints and docs/cli.md shows, so the
 * two cannot drift (test/cli-help.test.ts compares them; scripts/cli-reference.mjs
 * rewrites the doc).
 */

/** One positional argument or option: a one-line meaning and, when it has one, its default. */
export interface HelpItem {
  /** `[dir]`, `--app NAME`, `-a, --app NAME` */
  name: string;
  meaning: string;
  default?: string;
}

export interface CommandHelp {
  summary: string;
  usage: string;
  args?: readonly HelpItem[];
  options?: readonly HelpItem[];
  examples?: readonly string[];
}

/** Flags every command accepts, listed under each command's own. */
export const globalHelp: readonly HelpItem[] = [
  { name: '--debug', meaning: 'on an error, also print the stack trace and its causes' },
  { name: '-h, --help', meaning: 'print this help' },
];

function section(title: string, items: readonly HelpItem[]): string[] {
  if (items.length === 0) return [];
  const width = Math.max(...items.map((i) => i.name.length));
  return [
    '',
    `${title}:`,
    ...items.map((i) => `  ${i.name.padEnd(width)}  ${i.meaning}${i.default ? ` (default: ${i.default})` : ''}`),
  ];
}

export function commandHelp(help: CommandHelp): string {
  return [
    `Usage: ${help.usage}`,
    '',
    help.summary,
    ...section('Arguments', help.args ?? []),
    ...section('Options', [...(help.options ?? []), ...globalHelp]),
    ...(help.examples?.length ? ['', 'Examples:', ...help.examples.map((e) => `  ${e}`)] : []),
  ].join('\n');
}
