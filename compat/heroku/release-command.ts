/**
 * What a Heroku release command does, step by step, as far as the app's own
 * files tell: `npm run release` is read from package.json, `./bin/release`
 * from the script. The mode choice rests on it: database migrations and
 * deploy notifications are what postdeploy is for; anything else may need
 * Heroku's guarantees (before boot, on every config change).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';

export type StepKind = 'migration' | 'notification' | 'other';

export interface ReleaseStep {
  command: string;
  kind: StepKind;
  /** Where the step is written: `Procfile:3`, `package.json scripts.release`, `bin/release:4`. */
  source: string;
}

const MIGRATIONS: RegExp[] = [
  /^(bin\/)?(rake|rails) db:(migrate|prepare)$/,
  /^python3? manage\.py migrate( |$)/,
  /^(\.\/)?manage\.py migrate( |$)/,
  /^(npx )?prisma migrate deploy( |$)/,
  /^(npx )?knex migrate:latest( |$)/,
  /^(npx )?sequelize(-cli)? db:migrate( |$)/,
  /^(npx )?typeorm(-ts-node-commonjs)? migration:run( |$)/,
  /^(npx )?drizzle-kit migrate( |$)/,
  /^(npx )?db-migrate up( |$)/,
  /^alembic upgrade /,
  /^flask db upgrade( |$)/,
  /^php artisan migrate( |$)/,
  /^mix ecto\.migrate( |$)/,
  /^flyway .*migrate( |$)/,
  /^goose .* up$/,
  // A script named after what it does: `node scripts/migrate.js`, `python migrate_db.py`.
  /^(node|python3?|ruby|bash|sh) \S*migrat\S*$/,
];

const NOTIFICATIONS: RegExp[] = [
  /^newrelic deployments( |$)/,
  /^(npx )?sentry-cli releases( |$)/,
  /^(npx )?honeybadger deploy( |$)/,
  /^curl .*(api\.rollbar\.com|sentry|appsignal\.com|newrelic\.com|hooks\.slack\.com)/,
];

/** Lines that change nothing outside the shell running them. */
const NOISE = /^(set( |$)|echo( |$)|true$|:$|exit 0$|cd |export [A-Za-z_][A-Za-z0-9_]*=|#)/;

/** Wrappers that run the command after them unchanged. */
const WRAPPERS = /^(bundle exec|exec|poetry run|pipenv run|npx --no-install|time) /;
const ENV_PREFIX = /^([A-Za-z_][A-Za-z0-9_]*=(\S+|'[^']*'|"[^"]*") )+/;

const MAX_DEPTH = 4;
const MAX_SCRIPT_BYTES = 64 * 1024;

/** Splits a shell line on `&&`, `||`, `;` outside quotes. Good enough for release commands. */
export function splitCommands(line: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (c === ';' || ((c === '&' || c === '|') && line[i + 1] === c)) {
      parts.push(current);
      current = '';
      if (c !== ';') i++;
    } else current += c;
  }
  parts.push(current);
  return parts.map((p) => p.trim().replace(/\s+/g, ' ')).filter(Boolean);
}

function bare(command: string): string {
  let c = command.replace(ENV_PREFIX, '');
  while (WRAPPERS.test(c)) c = c.replace(WRAPPERS, '');
  return c;
}

export function classify(command: string): StepKind {
  const c = bare(command);
  if (MIGRATIONS.some((r) => r.test(c))) return 'migration';
  if (NOTIFICATIONS.some((r) => r.test(c))) return 'notification';
  return 'other';
}

function packageScripts(dir: string): Record<string, string> {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> };
    return Object.fromEntries(
      Object.entries(pkg.scripts ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  } catch {
    return {};
  }
}

/** `npm run release` → `release`, when it names a package.json script. */
function npmScript(command: string): string | undefined {
  const m = /^(?:npm run(?:-script)?|yarn run|yarn|pnpm run|pnpm|bun run) ([A-Za-z0-9:_.-]+)$/.exec(command);
  return m?.[1];
}

/** `./bin/release`, `bash bin/release.sh` → the script's path inside the app, when it is one. */
function shellScript(dir: string, command: string): string | undefined {
  const m = /^(?:(?:ba)?sh (?:-\w+ )*)?(\.?\.?\/?[A-Za-z0-9_./-]+)$/.exec(command);
  if (!m) return undefined;
  const path = normalize(m[1]!);
  if (path.startsWith('..') || path.startsWith('/')) return undefined;
  const full = join(dir, path);
  try {
    if (!existsSync(full) || !statSync(full).isFile() || statSync(full).size > MAX_SCRIPT_BYTES) return undefined;
    const head = readFileSync(full, 'utf8').slice(0, 200);
    // Only shell scripts are read line by line; a node or ruby script is judged by its name.
    return /^#!.*\b(ba|da|z)?sh\b/.test(head) || /\.sh$/.test(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The steps of a release command, with npm scripts and shell scripts read from the app. */
export function releaseSteps(dir: string, command: string, source: string, depth = 0): ReleaseStep[] {
  const steps: ReleaseStep[] = [];
  for (const part of splitCommands(command)) {
    if (NOISE.test(part)) continue;
    const c = bare(part);
    const script = depth < MAX_DEPTH ? npmScript(c) : undefined;
    const scripts = script ? packageScripts(dir) : {};
    if (script && scripts[script] !== undefined) {
      // npm runs `pre<name>` and `post<name>` around a script on its own.
      for (const name of [`pre${script}`, script, `post${script}`]) {
        if (scripts[name] !== undefined) {
          steps.push(...releaseSteps(dir, scripts[name]!, `package.json scripts.${name}`, depth + 1));
        }
      }
      continue;
    }
    const file = depth < MAX_DEPTH ? shellScript(dir, c) : undefined;
    if (file) {
      const lines = readFileSync(join(dir, file), 'utf8').split(/\r?\n/);
      lines.forEach((line, n) => {
        const text = line.trim();
        if (text === '' || text.startsWith('#')) return;
        steps.push(...releaseSteps(dir, text, `${file}:${n + 1}`, depth + 1));
      });
      continue;
    }
    steps.push({ command: part, kind: classify(part), source });
  }
  return steps;
}
