import { dynoMetadata } from '../compat/heroku/dyno-metadata.js';
import type { DeploymentContext } from './context.js';
import { runtimeEnv } from './env.js';

/**
 * The runtime variables of one container (process or one-off) of a
 * deployment, the same for every runtime: Scalingo's variables, plus the
 * mode's own (Heroku dyno metadata in heroku mode).
 */
export function containerEnv(ctx: DeploymentContext, container: string, memory: number): Record<string, string> {
  const env = runtimeEnv({ app: ctx.app, container, version: ctx.version, memory });
  if (ctx.mode !== 'heroku') return env;
  return {
    ...dynoMetadata({
      app: ctx.app,
      appId: ctx.appId,
      release: ctx.release,
      createdAt: ctx.startedAt,
      version: ctx.version,
      container,
    }),
    // Scalingo's names win on a clash: there is none today, and slipway's own contract comes first.
    ...env,
  };
}
