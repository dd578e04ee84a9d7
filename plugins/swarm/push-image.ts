import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { readProgress } from '../docker/json-stream.js';
import { imageRepository } from '../docker/labels.js';

/** `<registry>/slipway/<app>`: where the release images of an app are pushed for the nodes to pull. */
export function registryRepository(registry: string, app: string): string {
  return `${registry}/${imageRepository(app)}`;
}

/**
 * Tags the release image (`slipway/<app>:<release>`, on the manager) as
 * `<registry>/slipway/<app>:<release>` and pushes it there, so that every
 * node can pull it; answers that reference. The push sends no credentials: the registry must take pushes from
 * the manager as it is.
 */
export async function pushImage(
  ctx: DeploymentContext,
  docker: Docker,
  local: string,
  registry: string,
): Promise<string> {
  const repo = registryRepository(registry, ctx.app);
  const tag = String(ctx.release);
  const reference = `${repo}:${tag}`;
  ctx.log('build', `pushing ${reference}`, 'system');
  const started = Date.now();
  let failure: string | undefined;
  try {
    await docker.getImage(local).tag({ repo, tag });
    // The Engine wants an X-Registry-Auth header even when there is nothing in it.
    const stream = await docker.getImage(reference).push({ authconfig: {} });
    await readProgress(
      stream,
      (m) => {
        if (m.error) failure = m.errorDetail?.message ?? m.error;
        else if (m.status && !m.progress && m.status !== 'Pushing')
          ctx.log('build', m.id ? `${m.id}: ${m.status}` : m.status);
      },
      ctx.signal,
    );
  } catch (error) {
    failure = (error as Error).message;
  }
  if (failure) {
    throw new SlipwayError(
      'BUILD_FAILED',
      `could not push ${reference} (swarm.registry): ${failure}; the nodes pull release images from there`,
    );
  }
  ctx.log('build', `pushed ${reference} in ${Date.now() - started} ms`, 'system');
  return reference;
}
