import type Docker from 'dockerode';
import { agentControl } from '../../lib/control/agent-control.js';
import type { DeploymentContext } from '../../lib/core/context.js';
import { appContainers, displayName, ofDeployment, removeContainers } from './app-containers.js';
import { pruneImages } from './prune-images.js';

/** The new containers serve now: the Engine restarts them from here on (after a crash, after a reboot). */
function keepRunning(ctx: DeploymentContext, docker: Docker): Promise<unknown> {
  return Promise.all(
    (ctx.formation?.processes ?? []).map((p) =>
      docker.getContainer(p.id).update({ RestartPolicy: { Name: 'unless-stopped' } }),
    ),
  );
}

/** The router drains the previous release's upstreams (in the agent); false when the drain timed out. */
export async function drain(ctx: DeploymentContext, grace: number): Promise<boolean> {
  const agent = agentControl(ctx);
  if (!agent) return true;
  return (await agent.retire(ctx.id, grace)).drained;
}

/**
 * After the switch: the new containers get their restart policy; the router
 * drains the previous release's upstreams (in the agent), then its
 * containers get SIGTERM, SIGKILL after the grace period, and are removed;
 * old release images are pruned last.
 */
export async function retireRelease(ctx: DeploymentContext, docker: Docker): Promise<void> {
  const grace = ctx.config.stop.grace;
  const policy = keepRunning(ctx, docker);
  policy.catch(() => undefined);
  if (ctx.live) {
    const [drained, containers] = await Promise.all([drain(ctx, grace), appContainers(ctx, docker)]);
    const previous = ofDeployment(containers, ctx.live.deploymentId);
    await removeContainers(docker, previous, grace);
    const names = previous.map(displayName).join(', ');
    ctx.log(
      'retire',
      `release ${ctx.live.release} stopped${drained ? '' : ' (drain timed out)'}${names ? `: removed ${names}` : ''}`,
      'system',
    );
  }
  await pruneImages(ctx, docker);
  await policy;
}
