import type { DeploymentContext } from './context.js';
import { runtimeEnv } from './env.js';
import { registeredMode } from './registry.js';

/**
 * The runtime variables of one container (process or one-off) of a
 * deployment, the same for every runtime: Scalingo's variables, plus what the
 * deployment's mode adds (Heroku dyno metadata in heroku mode, registered by
 * compat/heroku).
 */
export function containerEnv(ctx: DeploymentContext, container: string, memory: number): Record<string, string> {
  const env = runtimeEnv({ app: ctx.app, container, version: ctx.version, memory });
  const mode = registeredMode(ctx.mode);
  return mode?.containerEnv ? mode.containerEnv(ctx, container, env) : env;
}
