import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { pruneImages } from '../docker/prune-images.js';
import { drain } from '../docker/retire-release.js';
import { appServices, ofDeployment, removeServices, serviceNames } from './app-services.js';
import { registryRepository } from './push-image.js';

/**
 * After the switch: the router drains the previous release's upstreams (in
 * the agent), then its services are removed (their tasks get SIGTERM, then
 * SIGKILL after `stop.grace`); old release images are pruned on the manager
 * last (their `swarm.registry` tags included).
 */
export async function retireServices(ctx: DeploymentContext, docker: Docker): Promise<void> {
  if (ctx.live) {
    const grace = ctx.config.stop.grace;
    const [drained, services] = await Promise.all([drain(ctx, grace), appServices(ctx, docker)]);
    const previous = ofDeployment(services, ctx.live.deploymentId);
    await removeServices(docker, previous);
    const names = serviceNames(previous);
    ctx.log(
      'retire',
      `release ${ctx.live.release} stopped${drained ? '' : ' (drain timed out)'}${names ? `: removed ${names}` : ''}`,
      'system',
    );
  }
  await pruneImages(ctx, docker);
  // The registry's tags on the manager go too; the registry keeps its copies (its own garbage collection).
  const registry = ctx.config.swarm?.registry;
  if (registry) await pruneImages(ctx, docker, registryRepository(registry, ctx.app));
}
