/**
 * Finding, loading and validating the app's slipway config. Validation and
 * defaults live in resolveConfig so that they apply to every source alike.
 */

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { type ConfigProblem, describeIssues, formatPath } from './config-problems.js';
import { configSchema, type ParsedConfig } from './config-schema.js';
import { ConfigSyntaxError, findLine, loadYamlOrJson, settingsPath } from './config-source.js';
import { SIZE_M_BYTES } from './env.js';
import { catalogue, SlipwayError } from './errors.js';
import { canonicalProcessType } from './procfile.js';
import type { ResolvedConfig, SlipwayConfig } from './types.js';

/** Config file names in the order they win when several could apply. */
export const CONFIG_FILES = Object.freeze([
  '.slipwayrc',
  '.slipwayrc.json',
  '.slipwayrc.yaml',
  '.slipwayrc.yml',
  'slipway.config.js',
  'slipway.config.mjs',
  'slipway.config.cjs',
  'slipway.config.ts',
  'package.json',
]);

export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  runtime: 'process',
  mode: 'postdeploy',
  startTimeout: 60_000,
  postdeployTimeout: 20 * 60_000,
  postdeployMemory: SIZE_M_BYTES,
  stopGrace: 30_000,
  healthcheckTimeout: 5_000,
  keepImages: 5,
} as const);

/** Gives a config file its types: `export default defineConfig({ … })`. */
export function defineConfig(config: SlipwayConfig): SlipwayConfig {
  return config;
}

/**
 * Loads the config for the app in `dir`: `options.file` when given (relative
 * to the current directory), else the nearest config file from `dir` up to
 * the project root. No config file at all means the defaults.
 */
export async function loadConfig(dir: string, options: { file?: string } = {}): Promise<ResolvedConfig> {
  const appDir = resolve(dir);
  let result: Found | null = null;
  if (options.file) {
    const file = resolve(options.file);
    if (!existsSync(file)) throw new SlipwayError('CONFIG_LOAD', `config file not found: ${options.file}`);
    result = await readConfigFile(file, { explicit: true }).catch((error: unknown) => {
      throw loadError(error, file, appDir);
    });
  } else {
    search: for (const searchDir of searchDirs(appDir)) {
      for (const name of CONFIG_FILES) {
        const file = join(searchDir, name);
        if (!existsSync(file)) continue;
        result = await readConfigFile(file, { explicit: false }).catch((error: unknown) => {
          throw loadError(error, file, appDir);
        });
        if (result) {
          refuseSiblings(result.filepath, appDir);
          break search;
        }
      }
    }
  }
  if (!result) return resolveConfig({}, appDir);
  return resolveConfig(result.config, appDir, result.filepath);
}

interface Found {
  config: unknown;
  filepath: string;
}

const SCRIPT_FILE = /\.(c|m)?[jt]s$/;
const UNREADABLE = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES']);

/**
 * One config file's settings; null when a searched file holds none (empty,
 * or a package.json without a "slipway" key), so the search goes on.
 * YAML and JSON are read here; JavaScript and TypeScript modules (and the
 * rare `$import` between files) go through cosmiconfig, loaded only then:
 * a deploy's start-up does not pay for code it does not run.
 */
async function readConfigFile(file: string, { explicit }: { explicit: boolean }): Promise<Found | null> {
  if (SCRIPT_FILE.test(file)) return fromCosmiconfig(file, explicit);
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    if (!explicit && UNREADABLE.has((error as NodeJS.ErrnoException).code ?? '')) return null;
    throw error;
  }
  let settings = content.trim() === '' ? undefined : loadYamlOrJson(file, content);
  if (basename(file) === 'package.json') settings = (settings as Record<string, unknown> | null)?.slipway;
  if (typeof settings === 'object' && settings !== null && Object.hasOwn(settings, '$import')) {
    return fromCosmiconfig(file, explicit);
  }
  if (settings === undefined || settings === null) return explicit ? { config: undefined, filepath: file } : null;
  return { config: settings, filepath: file };
}

async function fromCosmiconfig(file: string, explicit: boolean): Promise<Found | null> {
  const { cosmiconfig, defaultLoaders } = await import('cosmiconfig');
  const explorer = cosmiconfig('slipway', {
    searchPlaces: [...CONFIG_FILES],
    searchStrategy: 'none',
    cache: false,
    loaders: {
      ...defaultLoaders,
      '.json': loadYamlOrJson,
      '.yaml': loadYamlOrJson,
      '.yml': loadYamlOrJson,
      noExt: loadYamlOrJson,
    },
  });
  const result = await explorer.load(file);
  if (!result || (result.isEmpty && !explicit)) return explicit ? { config: undefined, filepath: file } : null;
  return { config: result.config, filepath: result.filepath };
}

/**
 * The app directory and its parents up to the project root: the first one
 * holding a package.json or .git. Without a project root, only the app
 * directory is searched, so a stray file higher up is never picked up.
 */
function searchDirs(appDir: string): string[] {
  const dirs: string[] = [];
  for (let dir = appDir; ; dir = dirname(dir)) {
    dirs.push(dir);
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, '.git'))) return dirs;
    if (dirname(dir) === dir) return [appDir];
  }
}

// Two config files side by side means one is silently ignored; say so instead.
function refuseSiblings(found: string, appDir: string): void {
  const dir = dirname(found);
  const others = CONFIG_FILES.filter((name) => join(dir, name) !== found && hasSettings(join(dir, name)));
  if (others.length === 0) return;
  const names = [basename(found), ...others].map((n) => (n === 'package.json' ? 'package.json#slipway' : n));
  throw new SlipwayError(
    'CONFIG_INVALID',
    `${display(dir, appDir) || '.'}: several config files (${names.join(', ')}); keep only one`,
    { data: { files: [found, ...others.map((n) => join(dir, n))] } },
  );
}

function hasSettings(file: string): boolean {
  if (!existsSync(file)) return false;
  if (basename(file) !== 'package.json') return true;
  try {
    return Object.hasOwn(JSON.parse(readFileSync(file, 'utf8')) ?? {}, 'slipway');
  } catch {
    return false;
  }
}

function display(file: string, appDir: string): string {
  const rel = relative(appDir, file);
  return rel === '' ? '.' : rel;
}

function loadError(error: unknown, file: string | undefined, appDir: string): SlipwayError {
  if (error instanceof SlipwayError) return error;
  const where = file ? display(file, appDir) : 'config';
  if (error instanceof ConfigSyntaxError) {
    const pos = error.line === undefined ? '' : `:${error.line}:${error.column}`;
    return new SlipwayError('CONFIG_LOAD', `${where}${pos}: ${error.message}`, {
      cause: error,
      location: { file: where, line: error.line, column: error.column },
      data: file ? { file } : undefined,
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  // cosmiconfig puts "TypeScript Error in <file>:" on a line of its own.
  const reason = text.split('\n').find((l) => l.trim() !== '' && !/^\w+ Error in /.test(l)) ?? text;
  const hint = /['"]typescript['"]/.test(reason)
    ? ' (loading a .ts config needs the typescript package installed)'
    : '';
  return new SlipwayError('CONFIG_LOAD', `${where}: ${reason.trim()}${hint}`, {
    cause: error,
    location: file ? { file: where } : undefined,
    data: file ? { file } : undefined,
  });
}

/**
 * Validates `raw` settings and fills in defaults. `file` (absolute) is where
 * they came from; it names the file, and the line when it is YAML or JSON.
 */
export function resolveConfig(raw: unknown, dir: string, file?: string): ResolvedConfig {
  const appDir = resolve(dir);
  const prefix = file ? settingsPath(file) : [];
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw invalid(describeIssues(parsed.error.issues, raw, prefix), appDir, file);
  const config = parsed.data;

  const formation = canonicalFormation(config.formation ?? {}, prefix);
  if (Array.isArray(formation)) throw invalid(formation, appDir, file);

  return {
    dir: appDir,
    ...(file ? { file } : {}),
    app: config.app ?? defaultAppName(appDir),
    ...(config.port !== undefined ? { port: config.port } : {}),
    host: config.host ?? DEFAULTS.host,
    runtime: config.runtime ?? DEFAULTS.runtime,
    ...(config.build !== undefined ? { build: config.build } : {}),
    formation: { web: 1, ...formation },
    env: config.env ?? {},
    start: { timeout: config.start?.timeout ?? DEFAULTS.startTimeout },
    postdeploy: {
      timeout: config.postdeploy?.timeout ?? DEFAULTS.postdeployTimeout,
      memory: config.postdeploy?.memory ?? DEFAULTS.postdeployMemory,
    },
    stop: { grace: config.stop?.grace ?? DEFAULTS.stopGrace },
    ...(config.healthcheck
      ? {
          healthcheck: {
            path: config.healthcheck.path,
            timeout: config.healthcheck.timeout ?? DEFAULTS.healthcheckTimeout,
          },
        }
      : {}),
    mode: config.mode ?? DEFAULTS.mode,
    plugins: (config.plugins ?? []) as ResolvedConfig['plugins'],
    scripts: config.scripts?.['first-deploy'] !== undefined ? { 'first-deploy': config.scripts['first-deploy'] } : {},
    docker: {
      ...(config.docker?.dockerfile !== undefined ? { dockerfile: config.docker.dockerfile } : {}),
      ...(config.docker?.image !== undefined ? { image: config.docker.image } : {}),
      ...(config.docker?.network !== undefined ? { network: config.docker.network } : {}),
      keepImages: config.docker?.keepImages ?? DEFAULTS.keepImages,
    },
  };
}

/** The directory's name as an app name: `My App_2` → `my-app-2`. */
export function defaultAppName(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name || 'app';
}

// Formation keys name Procfile types, which are known by their canonical name.
function canonicalFormation(
  counts: NonNullable<ParsedConfig['formation']>,
  prefix: readonly string[],
): Record<string, number> | ConfigProblem[] {
  const out: Record<string, number> = {};
  const spelledAs = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const [type, count] of Object.entries(counts)) {
    const name = canonicalProcessType(type);
    const other = spelledAs.get(name);
    if (name === '' || other !== undefined) {
      const key = formatPath(['formation', type], prefix);
      problems.push({
        path: ['formation', type],
        message:
          name === ''
            ? `${key}: a process type needs at least one letter or digit`
            : `${key}: same process type as "${other}" (both are "${name}")`,
      });
      continue;
    }
    spelledAs.set(name, type);
    out[name] = count;
  }
  return problems.length > 0 ? problems : out;
}

function invalid(problems: ConfigProblem[], appDir: string, file?: string): SlipwayError {
  const where = file ? display(file, appDir) : 'config';
  const content = file && !/\.(c|m)?[jt]s$/.test(file) ? readQuietly(file) : undefined;
  const prefix = file ? settingsPath(file) : [];
  const located = problems.map((p) => ({
    ...p,
    line: content === undefined ? undefined : findLine(content, [...prefix, ...p.path]),
  }));
  const lines = located.map((p) => `${where}${p.line ? `:${p.line}` : ''}: ${p.message}`);
  const first = located[0];
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
  return new SlipwayError('CONFIG_INVALID', `${lines[0]}${more}`, {
    location: file ? { file: where, line: first?.line } : undefined,
    details: lines.length > 1 ? `${lines.join('\n')}\n${catalogue.CONFIG_INVALID.details}` : undefined,
    data: {
      ...(file ? { file } : {}),
      problems: located.map((p) => ({ path: formatPath(p.path, prefix), message: p.message, line: p.line })),
    },
  });
}

function readQuietly(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
