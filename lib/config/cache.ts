/**
 * Resolved configs, kept by the CLI between runs. A deploy whose config file
 * has not changed skips parsing and validating it, and so never loads the
 * YAML parser and the schema: most of the code its start-up would load.
 *
 * An entry is used only for the same file, the same app directory, the same
 * content to the byte and the same build of slipway; anything else is a miss
 * and the file is read, checked and stored again. Only YAML and JSON files
 * (and "no file at all") are kept: a JavaScript config can compute anything.
 * Invalid configs are never stored, since they throw before.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ResolvedConfig } from '../core/types.js';

export interface ConfigCache {
  /** A directory of the CLI's own (SLIPWAY_HOME/cache). */
  dir: string;
  /** Identifies the code that resolved the entries; another build misses. */
  build: string;
}

interface Entry {
  /** The config file, '' for none. */
  file: string;
  dir: string;
  content: string;
  config: ResolvedConfig;
}

const FILE = 'config.json';
const MAX_ENTRIES = 32;

function entries(cache: ConfigCache): Entry[] {
  try {
    const data = JSON.parse(readFileSync(join(cache.dir, FILE), 'utf8')) as { build?: unknown; entries?: unknown };
    return data.build === cache.build && Array.isArray(data.entries) ? (data.entries as Entry[]) : [];
  } catch {
    return [];
  }
}

export function cachedConfig(
  cache: ConfigCache,
  file: string,
  dir: string,
  content: string,
): ResolvedConfig | undefined {
  return entries(cache).find((e) => e.file === file && e.dir === dir && e.content === content)?.config;
}

export function storeConfig(
  cache: ConfigCache,
  file: string,
  dir: string,
  content: string,
  config: ResolvedConfig,
): void {
  // Only what survives JSON as it is (a YAML `.inf` in plugin options would not).
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(config)), config)) return;
  const kept = entries(cache).filter((e) => e.file !== file || e.dir !== dir);
  const data = { build: cache.build, entries: [{ file, dir, content, config }, ...kept].slice(0, MAX_ENTRIES) };
  try {
    // Config env values may be secrets: readable by this user only.
    mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    const tmp = join(cache.dir, `${FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    renameSync(tmp, join(cache.dir, FILE));
  } catch {
    // A cache: a command never fails because it could not write one.
  }
}
