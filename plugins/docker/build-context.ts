import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { parseDockerignore } from './dockerignore.js';
import { packDirectory } from './pack-directory.js';

export interface BuildContextOptions {
  /** The Dockerfile, relative to the app directory; always sent, whatever .dockerignore says. */
  dockerfile: string;
  /** Absolute paths never sent (the slipway home when it lives inside the app). */
  exclude?: string[];
}

/**
 * The app directory as a tar stream for the Engine's build endpoint:
 * without `.git` (at any depth), without what `.dockerignore` lists, and
 * without the slipway home.
 */
export function buildContext(dir: string, options: BuildContextOptions): Readable {
  const ignoreFile = resolve(dir, '.dockerignore');
  const rules = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : null;
  const keep = new Set([options.dockerfile, '.dockerignore']);
  const skipped = (options.exclude ?? [])
    .map((p) => relative(dir, p))
    .filter((p) => p && !p.startsWith('..') && !isAbsolute(p))
    .map((p) => p.split(sep).join('/'));
  return packDirectory(dir, {
    exclude(path, isDirectory) {
      if (path === '.git' || path.endsWith('/.git')) return true;
      if (skipped.includes(path)) return true;
      if (keep.has(path) || !rules) return false;
      // With `!` rules a file under an excluded directory may come back: walk in and decide per file.
      if (isDirectory && rules.hasExceptions) return false;
      return rules.excludes(path);
    },
  });
}
