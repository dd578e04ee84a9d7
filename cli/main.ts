/**
 * CLI entry. Kept tiny so `slipway --version` costs about a bare Node start:
 * every command, and anything heavy (SQLite, Docker), loads only when used.
 */
import { registerHerokuMode } from '../compat/heroku/mode.js';
import { packageInfo } from '../lib/core/package-root.js';
import { registerBuiltinPlugins } from '../plugins/builtins.js';
import type { CommandModule } from './command.js';

export type { CommandModule };

interface CommandEntry {
  summary: string;
  usage: string;
  load: () => Promise<CommandModule>;
}

export const commands: Record<string, CommandEntry> = {
  deploy: {
    summary: 'Deploy the app in a directory (build, start, postdeploy, switch)',
    usage: 'slipway deploy [dir] [--app NAME] [--revision REV] [--no-wait] [--json]',
    load: () => import('./commands/deploy.js'),
  },
  deployments: {
    summary: 'List deployments, newest first',
    usage: 'slipway deployments [--app NAME] [--limit N] [--json]',
    load: () => import('./commands/deployments.js'),
  },
  logs: {
    summary: 'Show the build, start and hook output of a deployment',
    usage: 'slipway logs [DEPLOYMENT-ID] [--app NAME] [--json]',
    load: () => import('./commands/logs.js'),
  },
  status: {
    summary: 'Apps, live releases, processes, ports, uptime',
    usage: 'slipway status [--json]',
    load: () => import('./commands/status.js'),
  },
  ps: {
    summary: 'Same as status',
    usage: 'slipway ps [--json]',
    load: () => import('./commands/status.js'),
  },
  rollback: {
    summary: "Deploy an earlier release's build again (its postdeploy runs again)",
    usage: 'slipway rollback [RELEASE] [--app NAME] [--json]',
    load: () => import('./commands/rollback.js'),
  },
  run: {
    summary: "Run a one-off command with the live release's env",
    usage: 'slipway run [--app NAME] -- CMD...',
    load: () => import('./commands/run.js'),
  },
  config: {
    summary: "Show the app's config vars (masked unless --reveal)",
    usage: 'slipway config [--app NAME] [--reveal] [--json]',
    load: () => import('./commands/config.js'),
  },
  'config:set': {
    summary: 'Set config vars: restart the live processes (no postdeploy), or a new release in heroku mode',
    usage: 'slipway config:set [--app NAME] KEY=VALUE...',
    load: () => import('./commands/config.js'),
  },
  'config:unset': {
    summary: 'Remove config vars: restart the live processes, or a new release in heroku mode',
    usage: 'slipway config:unset [--app NAME] KEY...',
    load: () => import('./commands/config.js'),
  },
  releases: {
    summary: 'List releases: number, revision, what made each, status, created at',
    usage: 'slipway releases [--app NAME] [--json]',
    load: () => import('./commands/releases.js'),
  },
  'releases:output': {
    summary: "Show a release's release command output (heroku mode)",
    usage: 'slipway releases:output [RELEASE] [--app NAME] [--json]',
    load: () => import('./commands/releases.js'),
  },
  'releases:retry': {
    summary: 'Run the release command again on a copy of the latest release (heroku mode)',
    usage: 'slipway releases:retry [--app NAME] [--json]',
    load: () => import('./commands/releases.js'),
  },
  migrate: {
    summary: 'Migrate an app from Heroku: config, Procfile, and a report of what behaves differently',
    usage: 'slipway migrate heroku [dir] [--write] [--force] [--mode postdeploy|heroku] [--app NAME] [--json]',
    load: () => import('./commands/migrate.js'),
  },
  init: {
    summary: 'Write a commented .slipwayrc.yaml for the app in this directory',
    usage: 'slipway init [--app NAME] [--force]',
    load: () => import('./commands/init.js'),
  },
  check: {
    summary: 'Validate config and Procfile and print what a deployment would do',
    usage: 'slipway check [dir] [--json]',
    load: () => import('./commands/check.js'),
  },
  procfile: {
    summary: 'Procfile tools: `procfile check [path]`',
    usage: 'slipway procfile check [path] [--json]',
    load: () => import('./commands/procfile.js'),
  },
  dashboard: {
    summary: 'Serve the web dashboard on 127.0.0.1 and print its URL (with its token)',
    usage: 'slipway dashboard [--port N] [--open] [--json]',
    load: () => import('./commands/dashboard.js'),
  },
  agent: {
    summary: 'Manage the agent: start, stop, status',
    usage: 'slipway agent start|stop|status [--json]',
    load: () => import('./commands/agent.js'),
  },
};

export function packageVersion(): string {
  return packageInfo(import.meta.url).version;
}

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'slipway — deploy Procfile apps; the new version goes live only after its postdeploy succeeded',
    '',
    'Usage: slipway <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Global options:',
    '  --json       machine-readable output',
    '  --debug      show stack traces',
    '  -h, --help   help for a command',
    '  --version    print the version',
    '',
    'Exit codes: 0 ok, 1 deployment failed, 2 usage or config error, 3 internal error.',
    'Docs: docs/cli.md',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const entry = topic ? commands[topic] : undefined;
    process.stdout.write(`${entry ? `${entry.usage}\n\n${entry.summary}` : helpText()}\n`);
    return first ? 0 : 2;
  }
  const entry = commands[first];
  if (!entry) {
    const { unknownCommand } = await import('./unknown-command.js');
    return unknownCommand(first, Object.keys(commands), argv);
  }
  // Flags after `--` belong to the command being run (`slipway run -- ls -h`).
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    process.stdout.write(`${entry.usage}\n\n${entry.summary}\n`);
    return 0;
  }
  // The composition root: the core reaches slipway's plugins and modes only through its registry.
  registerBuiltinPlugins();
  registerHerokuMode();
  const module = await entry.load();
  return module.run(rest, first);
}
