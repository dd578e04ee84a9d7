import { resolve } from 'node:path';
import { loadConfig } from '../lib/config/load-config.js';
import type { Procfile, ResolvedConfig } from '../lib/core/types.js';
import { lintPostdeploy } from '../lib/procfile/postdeploy-lint.js';
import { readProcfile } from '../lib/procfile/procfile.js';
import { configCache } from './config-cache.js';

export interface Preflight {
  config: ResolvedConfig;
  procfile: Procfile;
  warnings: string[];
}

/** Loads and checks config and Procfile; nothing is started. Throws on any error. */
export async function preflight(dir: string, app?: string): Promise<Preflight> {
  const root = resolve(dir);
  const config = await loadConfig(root, { cache: configCache() });
  if (app) config.app = app;
  const procfile = await readProcfile(root);
  const warnings = [...procfile.warnings];
  const postdeploy = procfile.processes.postdeploy;
  if (postdeploy) {
    const lint = lintPostdeploy(postdeploy);
    if (lint) warnings.push(lint);
  }
  if (config.mode === 'postdeploy' && procfile.processes.release && !postdeploy) {
    warnings.push(
      'the Procfile has a `release` entry but no `postdeploy`: `release` only runs with `mode: heroku`. ' +
        'Set `mode: heroku`, or rename it to `postdeploy` (see `slipway migrate heroku`).',
    );
  }
  return { config, procfile, warnings };
}
