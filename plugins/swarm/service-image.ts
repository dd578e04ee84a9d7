import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { pushImage, registryRepository } from './push-image.js';

/**
 * The image reference the release's services run, pinned so that a node
 * never asks a registry it was not given. Before it starts a task, a swarm
 * node pulls the task's image unless the reference is an image id, or a
 * digest it has: a tag such as `slipway/<app>:<n>` would send it to Docker
 * Hub first. So without `swarm.registry` the services run the image's id
 * (the image is the manager's, for a single-node swarm); with it, the image
 * is pushed and the services run `<registry>/slipway/<app>@<digest>`, which
 * the manager has and every other node pulls from that registry.
 */
export async function serviceImage(ctx: DeploymentContext, docker: Docker, tag: string): Promise<string> {
  const registry = ctx.config.swarm?.registry;
  if (registry) await pushImage(ctx, docker, tag, registry);
  const info = await docker.getImage(tag).inspect();
  if (!registry) return info.Id;
  const repo = registryRepository(registry, ctx.app);
  const pinned = info.RepoDigests?.find((d) => d.startsWith(`${repo}@`));
  if (!pinned) {
    throw new SlipwayError('BUILD_FAILED', `the registry gave no digest for ${repo}:${ctx.release} (swarm.registry)`);
  }
  return pinned;
}
