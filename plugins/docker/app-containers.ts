import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { appFilter, LABEL } from './labels.js';

/** Every container of the app, running or not, made by this slipway home. */
export function appContainers(ctx: DeploymentContext, docker: Docker): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: appFilter(ctx) });
}

/** The containers of one deployment, from a list of the app's containers. */
export function ofDeployment(containers: Docker.ContainerInfo[], deploymentId: string): Docker.ContainerInfo[] {
  return containers.filter((c) => c.Labels?.[LABEL.deployment] === deploymentId);
}

/** Containers that belong neither to the live release nor to the running deployment: left by a dead deployment. */
export function strayContainers(
  containers: Docker.ContainerInfo[],
  keep: ReadonlyArray<string | undefined>,
): Docker.ContainerInfo[] {
  const kept = new Set(keep.filter(Boolean));
  return containers.filter((c) => !kept.has(c.Labels?.[LABEL.deployment]));
}

/** A container's name without the Engine's leading slash. */
export function displayName(c: Docker.ContainerInfo): string {
  return (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
}

/**
 * Stops containers (SIGTERM, then SIGKILL after `graceMs`) and removes them,
 * all at once. A container already gone counts as removed.
 */
export async function removeContainers(
  docker: Docker,
  containers: Docker.ContainerInfo[],
  graceMs: number,
): Promise<void> {
  await Promise.all(
    containers.map(async (info) => {
      const container = docker.getContainer(info.Id);
      if (graceMs > 0 && info.State === 'running') {
        await container.stop({ t: Math.ceil(graceMs / 1000) }).catch(() => undefined);
      }
      await container.remove({ force: true }).catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
      });
    }),
  );
}
