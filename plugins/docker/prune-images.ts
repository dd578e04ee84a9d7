import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { imageRepository } from './labels.js';

/** The release tags to drop: all but the newest `keep` releases, never the ones in `protect`. */
export function imagesToPrune(tags: string[], repository: string, keep: number, protect: number[] = []): string[] {
  const releases = tags
    .filter((t) => t.startsWith(`${repository}:`))
    .map((t) => ({ tag: t, release: Number(t.slice(repository.length + 1)) }))
    .filter((t) => Number.isInteger(t.release))
    .sort((a, b) => b.release - a.release);
  const kept = new Set(protect);
  return releases
    .slice(keep)
    .filter((t) => !kept.has(t.release))
    .map((t) => t.tag);
}

/**
 * Untags the app's release images older than the last `docker.keepImages`
 * releases; the Engine deletes an image with its last tag. An image a
 * container still uses stays (the Engine refuses, nothing is forced).
 * `repository` is where the release tags are (`slipway/<app>` by default).
 */
export async function pruneImages(
  ctx: DeploymentContext,
  docker: Docker,
  repository = imageRepository(ctx.app),
): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [repository] } });
  const tags = images.flatMap((i) => i.RepoTags ?? []);
  const doomed = imagesToPrune(tags, repository, ctx.config.docker.keepImages, [ctx.release]);
  const removed: string[] = [];
  for (const tag of doomed) {
    try {
      await docker.getImage(tag).remove();
      removed.push(tag);
    } catch {
      // in use by a container, or removed by someone else meanwhile: nothing to do
    }
  }
  if (removed.length) ctx.log('retire', `removed ${removed.length} old image(s): ${removed.join(', ')}`, 'system');
  return removed;
}
