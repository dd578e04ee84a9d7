import { resolve } from 'node:path';
import { loadConfig } from '../lib/config/load-config.js';
import { AgentClient } from '../lib/control/client.js';
import { SlipwayError } from '../lib/core/errors.js';
import { appArg } from './args.js';
import { configCache } from './config-cache.js';

/** The app a command is about: --app, else the one configured in the current directory. */
export async function resolveApp(app: unknown, dir = process.cwd()): Promise<string> {
  const given = appArg(app);
  if (given) return given;
  const config = await loadConfig(resolve(dir), { cache: configCache() }).catch(() => undefined);
  // Without a config file the name would only be guessed from the directory: ask instead.
  if (!config?.file) {
    throw new SlipwayError('USAGE', 'no --app given and no slipway config in this directory: pass --app NAME');
  }
  return config.app;
}

/** A client to the agent, which its first call starts when none is running. */
export async function agent(): Promise<AgentClient> {
  return new AgentClient(undefined, { startOnDemand: true });
}
