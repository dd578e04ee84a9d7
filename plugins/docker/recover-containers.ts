import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { appContainers, displayName, removeContainers, strayContainers } from './app-containers.js';

/**
 * Removes what a deployment that died (CLI killed, machine rebooted) left on
 * the Engine: containers of the app that are neither the live release's nor
 * this deployment's. The agent cannot do it: it never owns containers.
 */
export async function recoverContainers(ctx: DeploymentContext, docker: Docker): Promise<number> {
  const stray = strayContainers(await appContainers(ctx, docker), [ctx.live?.deploymentId, ctx.id]);
  if (stray.length === 0) return 0;
  await removeContainers(docker, stray, 0);
  ctx.log(
    'build',
    `removed ${stray.length} container(s) left by earlier deployments: ${stray.map(displayName).join(', ')}`,
    'system',
  );
  return stray.length;
}
