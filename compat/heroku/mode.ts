import { type ModeSupport, registerMode } from '../../lib/core/registry.js';
import { dynoMetadata } from './dyno-metadata.js';

/** Heroku mode's part of every container's env: the dyno metadata (HEROKU_APP_ID, DYNO, …). */
export const herokuMode: ModeSupport = {
  containerEnv(ctx, container, env) {
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
  },
};

/** Lets the core apply heroku mode (called by the CLI at start; library users call it once). */
export function registerHerokuMode(): void {
  registerMode('heroku', herokuMode);
}
