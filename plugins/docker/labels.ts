import { agentControl } from '../../lib/control/agent-control.js';
import type { DeploymentContext } from '../../lib/core/context.js';

/** Labels on every image and container slipway makes: cleanup and recovery find them by these. */
export const LABEL = Object.freeze({
  app: 'slipway.app',
  release: 'slipway.release',
  deployment: 'slipway.deployment',
  /** `web-1`, `postdeploy-1`, `release-3` */
  process: 'slipway.process',
  /** The agent home: two slipway installations on one Engine never touch each other's containers. */
  home: 'slipway.home',
  /** `slipway run` one-offs: the app they run for, instead of `slipway.app` (see run-in-image.ts). */
  run: 'slipway.run',
});

/** `slipway/<app>`: the repository every release image of an app is tagged in. */
export function imageRepository(app: string): string {
  return `slipway/${app}`;
}

/** `slipway/<app>:<release>` */
export function imageTag(app: string, release: number): string {
  return `${imageRepository(app)}:${release}`;
}

function home(ctx: DeploymentContext): string | undefined {
  return agentControl(ctx)?.paths.home;
}

/**
 * The labels of a release image. Only these three: the Engine's classic
 * builder adds one LABEL step (an intermediate container) per label.
 */
export function imageLabels(ctx: DeploymentContext): Record<string, string> {
  return { [LABEL.app]: ctx.app, [LABEL.release]: String(ctx.release), [LABEL.deployment]: ctx.id };
}

/** The labels of the deployment's containers. */
export function deploymentLabels(ctx: DeploymentContext, process?: string): Record<string, string> {
  const h = home(ctx);
  return {
    [LABEL.app]: ctx.app,
    [LABEL.release]: String(ctx.release),
    [LABEL.deployment]: ctx.id,
    ...(process ? { [LABEL.process]: process } : {}),
    ...(h ? { [LABEL.home]: h } : {}),
  };
}

/** The label filter selecting every container of the app (of this slipway home). */
export function appFilter(ctx: DeploymentContext): { label: string[] } {
  const h = home(ctx);
  return { label: [`${LABEL.app}=${ctx.app}`, ...(h ? [`${LABEL.home}=${h}`] : [])] };
}

/** A readable container name that stays unique across releases, retries and slipway homes. */
export function containerName(ctx: DeploymentContext, process: string): string {
  return `${ctx.app}-r${ctx.release}-${process}-${ctx.id.slice(0, 8)}`;
}
