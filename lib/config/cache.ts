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
 *
 * The file's env values may be secrets, so neither the content nor the
 * config is kept as text: an entry holds the content's hash and the config
 * sealed (AES-256-GCM) with a key derived from the content itself. Only who
 * holds the config file can open its entry — and has the values already.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
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
  /** sha256 of the content (hex). */
  hash: string;
  /** The resolved config as JSON, sealed with the content's key (base64 of iv, tag, ciphertext). */
  sealed: string;
}

const hashOf = (content: string) => createHash('sha256').update(content).digest('hex');
const keyOf = (content: string) => createHash('sha256').update('slipway config cache\0').update(content).digest();

/** A config sealed with the key of `content` (exported for tests). */
export function sealConfig(content: string, config: ResolvedConfig): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(content), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(config), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** What sealConfig sealed, given the same content; undefined for any other. */
export function openConfig(content: string, sealed: string): ResolvedConfig | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', keyOf(content), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as ResolvedConfig;
  } catch {
    return undefined;
  }
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
  const hash = hashOf(content);
  const entry = entries(cache).find((e) => e.file === file && e.dir === dir && e.hash === hash);
  return entry && typeof entry.sealed === 'string' ? openConfig(content, entry.sealed) : undefined;
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
  const entry: Entry = { file, dir, hash: hashOf(content), sealed: sealConfig(content, config) };
  const data = { build: cache.build, entries: [entry, ...kept].slice(0, MAX_ENTRIES) };
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
