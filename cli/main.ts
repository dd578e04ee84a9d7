/**
 * CLI entry. Kept tiny so `slipway --version` costs about a bare Node start:
 * every command, and anything heavy (SQLite, Docker), loads only when used.
 */
import { registerHerokuMode } from '../compat/heroku/mode.js';
import { packageInfo } from '../lib/core/package-root.js';
import { registerBuiltinPlugins } from '../plugins/builtins.js';
import type { CommandModule } from './command.js';
import { type CommandHelp, commandHelp, type HelpItem } from './help.js';

export type { CommandModule };
export { commandHelp };

/** A command: its help (options, defaults, examples; also docs/cli.md) and its module, loaded when it runs. */
interface CommandEntry extends CommandHelp {
  load: () => Promise<CommandModule>;
}

const app = (what: string): HelpItem => ({
  name: '-a, --app NAME',
  meaning: what,
  default: 'the `app` of the config file found from the current directory',
});
const json = (what: string): HelpItem => ({ name: '--json', meaning: what });

export const commands: Record<string, CommandEntry> = {
  deploy: {
    summary: 'Deploy the app in a directory (build, start, postdeploy, switch)',
    usage: 'slipway deploy [dir] [--app NAME] [--revision REV] [--no-wait] [--json]',
    args: [{ name: 'dir', meaning: 'the app directory: its config, Procfile and files', default: '.' }],
    options: [
      {
        name: '-a, --app NAME',
        meaning: "deploy under this app name instead of the config's",
        default: "the config's `app`, else the directory's name",
      },
      {
        name: '--revision REV',
        meaning: 'the version deployed, as CONTAINER_VERSION and SOURCE_VERSION',
        default: "the git HEAD commit of dir, else a hash of dir's content",
      },
      {
        name: '--no-wait',
        meaning: 'fail with DEPLOY_LOCKED (exit 1) if a deployment of the app runs, instead of waiting',
      },
      json('one JSON event per line (NDJSON) instead of text, the last one the result'),
    ],
    examples: ['slipway deploy', 'slipway deploy ./api --revision v1.4.2 --no-wait'],
    load: () => import('./commands/deploy.js'),
  },
  deployments: {
    summary: 'List deployments, newest first',
    usage: 'slipway deployments [--app NAME] [--limit N] [--json]',
    options: [
      { name: '-a, --app NAME', meaning: "only this app's deployments", default: 'every app' },
      { name: '--limit N', meaning: 'list at most N deployments', default: '50' },
      json('an array of deployment objects'),
    ],
    examples: ['slipway deployments --app hello --limit 5'],
    load: () => import('./commands/deployments.js'),
  },
  logs: {
    summary: "Show a deployment's output (build, start, hooks, retire), or the app's output with --tail",
    usage: 'slipway logs [DEPLOYMENT-ID] [--app NAME] [--follow] [--tail [--num N]] [--json]',
    args: [
      {
        name: 'DEPLOYMENT-ID',
        meaning: 'a deployment id, or its first characters as `slipway deployments` prints them',
        default: 'the latest deployment of the app',
      },
    ],
    options: [
      app('the app whose latest deployment (or, with --tail, whose output) is shown'),
      {
        name: '-f, --follow',
        meaning: 'keep printing new lines: of a running deployment until it ends, with --tail until Ctrl-C',
      },
      {
        name: '-t, --tail',
        meaning: "the app's output after its deployments ended (its live processes), instead of a deployment's",
      },
      { name: '-n, --num N', meaning: 'with --tail, how many of the last lines to print', default: '100' },
      json(
        'an array of { phase, stream, line, ts }; with --tail of { ts, process, stream, line }; one per line with --follow',
      ),
    ],
    examples: [
      'slipway logs --app hello',
      'slipway logs d45a6a7e --follow',
      'slipway logs --app hello --tail --follow',
    ],
    load: () => import('./commands/logs.js'),
  },
  status: {
    summary: 'Apps, live releases, processes, ports, uptime',
    usage: 'slipway status [--json]',
    options: [json('an array of apps with their live release and processes')],
    examples: ['slipway status'],
    load: () => import('./commands/status.js'),
  },
  ps: {
    summary: 'Same as status',
    usage: 'slipway ps [--json]',
    options: [json('an array of apps with their live release and processes')],
    examples: ['slipway ps --json'],
    load: () => import('./commands/status.js'),
  },
  rollback: {
    summary: "Deploy an earlier release's build again (its postdeploy runs again)",
    usage: 'slipway rollback [RELEASE] [--app NAME] [--json]',
    args: [
      {
        name: 'RELEASE',
        meaning: 'the release to deploy again: 3 or v3; only successful deployments are rollback targets',
        default: 'the newest successful release older than the live one',
      },
    ],
    options: [app('the app to roll back'), json('one JSON event per line (NDJSON), as for deploy')],
    examples: ['slipway rollback --app hello', 'slipway rollback v3 --app hello'],
    load: () => import('./commands/rollback.js'),
  },
  run: {
    summary: "Run a one-off command with the live release's env",
    usage: 'slipway run [--app NAME] -- CMD...',
    args: [{ name: 'CMD...', meaning: 'the command, after `--`; its words are joined and run with /bin/sh -c' }],
    options: [
      app('the app whose live release the command runs in'),
      json('one JSON object per output line, then {"type":"exit",…}'),
    ],
    examples: ["slipway run --app hello -- 'echo $CONTAINER_VERSION; ls'", 'slipway run -- npm run migrate'],
    load: () => import('./commands/run.js'),
  },
  config: {
    summary: "Show the app's config vars (masked unless --reveal)",
    usage: 'slipway config [--app NAME] [--reveal] [--json]',
    options: [
      app('the app whose config vars are shown'),
      { name: '--reveal', meaning: 'show the values instead of ••••' },
      json('an object { "NAME": "value" }, masked unless --reveal'),
    ],
    examples: ['slipway config --app hello', 'slipway config --app hello --reveal'],
    load: () => import('./commands/config.js'),
  },
  'config:set': {
    summary: 'Set config vars: restart the live processes (no postdeploy), or a new release in heroku mode',
    usage: 'slipway config:set [--app NAME] KEY=VALUE...',
    args: [{ name: 'KEY=VALUE...', meaning: 'one or more vars; KEY is [A-Za-z_][A-Za-z0-9_]*, VALUE may be empty' }],
    options: [app('the app whose config vars change'), json('{ app, changed, restarted } instead of text')],
    examples: ['slipway config:set --app hello GREETING=hi WELCOME_TOKEN=s3cret'],
    load: () => import('./commands/config.js'),
  },
  'config:unset': {
    summary: 'Remove config vars: restart the live processes, or a new release in heroku mode',
    usage: 'slipway config:unset [--app NAME] KEY...',
    args: [{ name: 'KEY...', meaning: 'one or more var names' }],
    options: [app('the app whose config vars change'), json('{ app, changed, restarted } instead of text')],
    examples: ['slipway config:unset --app hello GREETING'],
    load: () => import('./commands/config.js'),
  },
  releases: {
    summary: 'List releases: number, revision, what made each, status, created at',
    usage: 'slipway releases [--app NAME] [--json]',
    options: [app('the app whose releases are listed'), json('an array of releases')],
    examples: ['slipway releases --app hello'],
    load: () => import('./commands/releases.js'),
  },
  'releases:output': {
    summary: "Show a release's release command output (heroku mode)",
    usage: 'slipway releases:output [RELEASE] [--app NAME] [--json]',
    args: [{ name: 'RELEASE', meaning: 'a release number: 5 or v5', default: 'the latest release' }],
    options: [app('the app of the release'), json('{ app, release, status, lines } instead of text')],
    examples: ['slipway releases:output v5 --app hello'],
    load: () => import('./commands/releases.js'),
  },
  'releases:retry': {
    summary: 'Run the release command again on a copy of the latest release (heroku mode)',
    usage: 'slipway releases:retry [--app NAME] [--json]',
    options: [app('the app whose release command runs again'), json('one JSON event per line (NDJSON), as for deploy')],
    examples: ['slipway releases:retry --app hello'],
    load: () => import('./commands/releases.js'),
  },
  migrate: {
    summary: 'Migrate an app from Heroku: config, Procfile, and a report of what behaves differently',
    usage: 'slipway migrate heroku [dir] [--write] [--force] [--mode postdeploy|heroku] [--app NAME] [--json]',
    args: [
      { name: 'heroku', meaning: 'the platform migrated from (the only one)' },
      { name: 'dir', meaning: 'the app directory with its Procfile, app.json and heroku.yml', default: '.' },
    ],
    options: [
      {
        name: '--write',
        meaning: 'write the files (each one created or overwritten is named); without it nothing is written',
      },
      { name: '--force', meaning: 'with --write, replace an existing .slipwayrc.yaml' },
      { name: '--mode MODE', meaning: 'postdeploy or heroku', default: 'chosen from the app, the report says why' },
      {
        name: '-a, --app NAME',
        meaning: 'the app name written to the config',
        default: "app.json's name, else the directory's",
      },
      json('the plan as one object, with the files written'),
    ],
    examples: ['slipway migrate heroku', 'slipway migrate heroku ./shop --write --mode heroku'],
    load: () => import('./commands/migrate.js'),
  },
  init: {
    summary: 'Write a commented .slipwayrc.yaml for the app in this directory',
    usage: 'slipway init [--app NAME] [--force]',
    options: [
      { name: '-a, --app NAME', meaning: 'the app name written to the file', default: "the directory's name" },
      { name: '--force', meaning: 'overwrite an existing .slipwayrc.yaml' },
      json('{ file, app } instead of text'),
    ],
    examples: ['slipway init', 'slipway init --app shop --force'],
    load: () => import('./commands/init.js'),
  },
  check: {
    summary: 'Validate config and Procfile and print what a deployment would do',
    usage: 'slipway check [dir] [--json]',
    args: [{ name: 'dir', meaning: 'the app directory', default: '.' }],
    options: [json('the plan as one object, warnings included')],
    examples: ['slipway check', 'slipway check ./api --json'],
    load: () => import('./commands/check.js'),
  },
  procfile: {
    summary: 'Procfile tools: `procfile check [path]`',
    usage: 'slipway procfile check [path] [--json]',
    args: [
      { name: 'check', meaning: 'the action: parse the Procfile and list its process types' },
      { name: 'path', meaning: 'the Procfile', default: './Procfile' },
    ],
    options: [json('{ processes, warnings }, or { error: { message, line, column } }')],
    examples: ['slipway procfile check', 'slipway procfile check api/Procfile --json'],
    load: () => import('./commands/procfile.js'),
  },
  dashboard: {
    summary: 'Serve the web dashboard on 127.0.0.1 and print its URL (with its token)',
    usage: 'slipway dashboard [--port N] [--open] [--json]',
    options: [
      {
        name: '-p, --port N',
        meaning: 'the port on 127.0.0.1 to serve it on; another port moves it (with a new token)',
        default: 'a free port the system picks, or the one it already has',
      },
      { name: '--open', meaning: 'also open the URL in the desktop browser (xdg-open)' },
      json('{ url }'),
    ],
    examples: ['slipway dashboard', 'slipway dashboard --port 8080 --open'],
    load: () => import('./commands/dashboard.js'),
  },
  agent: {
    summary: 'Manage the agent: start, stop, restart, status',
    usage: 'slipway agent start|stop|restart|status [--json]',
    args: [
      {
        name: 'start|stop|restart|status',
        meaning:
          'start it unless it runs; stop it (and every app it runs); replace it with a new agent (the code installed now) without dropping a request or restarting an app process; report (exit 1 when not running)',
        default: 'status',
      },
    ],
    options: [json('{ running, pid, uptimeMs, rss, home }; restart: { restarted, previousPid, pid }')],
    examples: ['slipway agent status', 'slipway agent restart', 'slipway agent stop'],
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
    '  -h, --help   help for a command: its options, defaults and examples',
    '  --version    print the version',
    '',
    'Exit codes: 0 ok, 1 deployment failed, 2 usage or config error, 3 internal error.',
    'Run `slipway <command> --help` (or `slipway help <command>`) for its options. Docs: docs/cli.md',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  // Bare `slipway` is a request for help, as `git` and `heroku` take it: not a usage error.
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const entry = topic ? commands[topic] : undefined;
    process.stdout.write(`${entry ? commandHelp(entry) : helpText()}\n`);
    return 0;
  }
  const entry = commands[first];
  if (!entry) {
    const { unknownCommand } = await import('./unknown-command.js');
    return unknownCommand(first, Object.keys(commands), argv);
  }
  // Flags after `--` belong to the command being run (`slipway run -- ls -h`).
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    process.stdout.write(`${commandHelp(entry)}\n`);
    return 0;
  }
  // The composition root: the core reaches slipway's plugins and modes only through its registry.
  registerBuiltinPlugins();
  registerHerokuMode();
  const module = await entry.load();
  return module.run(rest, first);
}
