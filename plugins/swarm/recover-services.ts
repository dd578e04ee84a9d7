import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { appServices, removeServices, serviceNames, strayServices } from './app-services.js';

/**
 * Removes what a deployment that died (CLI killed, machine rebooted) left on
 * the swarm: services of the app that are neither the live release's nor
 * this deployment's.
 */
export async function recoverServices(ctx: DeploymentContext, docker: Docker): Promise<number> {
  const stray = strayServices(await appServices(ctx, docker), [ctx.live?.deploymentId, ctx.id]);
  if (stray.length === 0) return 0;
  await removeServices(docker, stray);
  ctx.log('build', `removed ${stray.length} service(s) left by earlier deployments: ${serviceNames(stray)}`, 'system');
  return stray.length;
}
