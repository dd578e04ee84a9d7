/**
 * Finding, loading and validating the app's slipway config. Validation and
 * defaults live in resolveConfig so that they apply to every source alike.
 */

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import type { ResolvedConfig, SlipwayConfig } from '../core/types.js';
import { type ConfigCache, cachedConfig, storeConfig } from './cache.js';
import { CONFIG_FILES, DEFAULTS, defaultAppName, display, settingsPath } from './defaults.js';
import { ConfigSyntaxError } from './syntax-error.js';

/** Gives a config file its types: `export default defineConfig({ … })`. */
export function defineConfig(config: SlipwayConfig): SlipwayConfig {
  return config;
}

export interface LoadConfigOptions {
  /** This file instead of a search (relative to the current directory). */
  file?: string;
  /** Keep resolved YAML/JSON configs between runs (the CLI's own). */
  cache?: ConfigCache;
}

/**
 * Loads the config for the app in `dir`: `options.file` when given (relative
 * to the current directory), else the nearest config file from `dir` up to
 * the project root. No config file at all means the defaults.
 */
export async function loadConfig(dir: string, options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const appDir = resolve(dir);
  let found: Found | null = null;
  if (options.file) {
    const file = resolve(options.file);
    if (!existsSync(file)) throw new SlipwayError('CONFIG_LOAD', `config file not found: ${options.file}`);
    found = await readConfigFile(file, appDir, { explicit: true, cache: options.cache }).catch((error: unknown) => {
      throw loadError(error, file, appDir);
    });
  } else {
    search: for (const searchDir of searchDirs(appDir)) {
      for (const name of CONFIG_FILES) {
        const file = join(searchDir, name);
        if (!existsSync(file)) continue;
        found = await readConfigFile(file, appDir, { explicit: false, cache: options.cache }).catch(
          (error: unknown) => {
            throw loadError(error, file, appDir);
          },
        );
        if (found) {
          refuseSiblings(found.filepath, appDir);
          break search;
        }
      }
    }
  }
  if (found?.resolved) return found.resolved;
  const key = found ? { file: found.filepath, content: found.content } : { file: '', content: '' };
  if (!found && options.cache) {
    const hit = cachedConfig(options.cache, '', appDir, '');
    if (hit) return hit;
  }
  const { resolveConfig } = await import('./resolve.js');
  const config = resolveConfig(found ? found.config : {}, appDir, found?.filepath);
  if (options.cache && key.content !== undefined) storeConfig(options.cache, key.file, appDir, key.content, config);
  return config;
}

interface Found {
  filepath: string;
  /** The settings as read, to be checked. */
  config?: unknown;
  /** The file's text, when it may be cached (YAML and JSON). */
  content?: string;
  /** Already checked: a cache hit. */
  resolved?: ResolvedConfig;
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
async function readConfigFile(
  file: string,
  appDir: string,
  { explicit, cache }: { explicit: boolean; cache?: ConfigCache },
): Promise<Found | null> {
  if (SCRIPT_FILE.test(file)) return fromCosmiconfig(file, explicit);
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    if (!explicit && UNREADABLE.has((error as NodeJS.ErrnoException).code ?? '')) return null;
    throw error;
  }
  const hit = cache ? cachedConfig(cache, file, appDir, content) : undefined;
  if (hit) return { filepath: file, resolved: hit };
  const { loadYamlOrJson } = await import('./resolve.js');
  let settings = content.trim() === '' ? undefined : loadYamlOrJson(file, content);
  if (basename(file) === 'package.json') settings = (settings as Record<string, unknown> | null)?.slipway;
  if (typeof settings === 'object' && settings !== null && Object.hasOwn(settings, '$import')) {
    return fromCosmiconfig(file, explicit);
  }
  if (settings === undefined || settings === null) return explicit ? { filepath: file, content } : null;
  return { filepath: file, config: settings, content };
}

async function fromCosmiconfig(file: string, explicit: boolean): Promise<Found | null> {
  const [{ cosmiconfig, defaultLoaders }, { loadYamlOrJson }] = await Promise.all([
    import('cosmiconfig'),
    import('./resolve.js'),
  ]);
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
  if (!result || (result.isEmpty && !explicit)) return explicit ? { filepath: file } : null;
  return { filepath: result.filepath, config: result.config };
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

export { CONFIG_FILES, DEFAULTS, defaultAppName, display, settingsPath };
