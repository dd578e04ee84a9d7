import type Docker from 'dockerode';
import { AgentClient } from '../../lib/agent/client.js';
import type { DeploymentContext } from '../../lib/context.js';
import { appContainers, displayName, ofDeployment, removeContainers } from './app-containers.js';
import { pruneImages } from './prune-images.js';

/**
 * After the switch: the router drains the previous release's upstreams (in
 * the agent), then its containers get SIGTERM, SIGKILL after the grace
 * period, and are removed; old release images are pruned last.
 */
export async function retireRelease(ctx: DeploymentContext, docker: Docker): Promise<void> {
  const grace = ctx.config.stop.grace;
  if (ctx.live) {
    let drained = true;
    if (ctx.control instanceof AgentClient) drained = (await ctx.control.retire(ctx.id, grace)).drained;
    const previous = ofDeployment(await appContainers(ctx, docker), ctx.live.deploymentId);
    await removeContainers(docker, previous, grace);
    const names = previous.map(displayName).join(', ');
    ctx.log(
      'retire',
      `release ${ctx.live.release} stopped${drained ? '' : ' (drain timed out)'}${names ? `: removed ${names}` : ''}`,
      'system',
    );
  }
  await pruneImages(ctx, docker);
}
