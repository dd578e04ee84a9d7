import type { DeploymentContext } from '../../lib/core/context.js';

/** `<app>-<type>-r<release>`: one service per process type and release (`shop-web-r7`, `shop-postdeploy-r7`). */
export function serviceName(ctx: DeploymentContext, type: string): string {
  return `${ctx.app}-${type}-r${ctx.release}`;
}
