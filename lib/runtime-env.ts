import type { DeploymentContext } from './context.js';
import { runtimeEnv } from './env.js';

/**
 * The runtime variables of one container (process or one-off) of a
 * deployment, the same for every runtime: Scalingo's variables, plus the
 * mode's own (Heroku dyno metadata in heroku mode).
 */
export function containerEnv(ctx: DeploymentContext, container: string, memory: number): Record<string, string> {
  return runtimeEnv({ app: ctx.app, container, version: ctx.version, memory });
}
