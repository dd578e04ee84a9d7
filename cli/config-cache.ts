import { join } from 'node:path';
import type { ConfigCache } from '../lib/config/cache.js';
import { slipwayHome } from '../lib/control/paths.js';

/** Set by scripts/bundle-cli.mjs: a digest of the sources the CLI bundle was built from. */
declare const __SLIPWAY_BUILD__: string | undefined;

/**
 * The CLI's cache of resolved configs (SLIPWAY_HOME/cache). Only a bundled
 * CLI has one: it knows which build it is, so a rebuilt slipway never reads
 * what an older one resolved.
 */
export function configCache(): ConfigCache | undefined {
  const build = typeof __SLIPWAY_BUILD__ === 'string' ? __SLIPWAY_BUILD__ : undefined;
  return build ? { dir: join(slipwayHome(), 'cache'), build } : undefined;
}
