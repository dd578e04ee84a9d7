import { basename, relative, resolve } from 'node:path';
import { SIZE_M_BYTES } from '../core/env.js';

/** The config's conventions: file names, defaults, where settings live, the default app name. */

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
  keepReleases: 5,
} as const);

/**
 * What an app may be named: a DNS label. The name becomes a directory under
 * SLIPWAY_HOME, a path segment of the control API and part of container and
 * cgroup names, so nothing else (no "/", no "..") is ever accepted.
 */
export const APP_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function isAppName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 63 && APP_NAME_PATTERN.test(name);
}

/** Where the slipway settings live inside a file: under "slipway" in package.json. */
export function settingsPath(filepath: string): string[] {
  return basename(filepath) === 'package.json' ? ['slipway'] : [];
}

/** A config file's path as shown in messages: relative to the app directory. */
export function display(file: string, appDir: string): string {
  const rel = relative(appDir, file);
  return rel === '' ? '.' : rel;
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
