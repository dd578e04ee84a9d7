import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { appFilter, LABEL } from '../docker/labels.js';

/** A service as the Engine lists it, with the labels slipway gave it. */
export type ServiceInfo = Docker.Service & { Spec?: { Name?: string; Labels?: Record<string, string> } };

/** Every service of the app (long-running and jobs) made by this slipway home. */
export async function appServices(ctx: DeploymentContext, docker: Docker): Promise<ServiceInfo[]> {
  return (await docker.listServices({ filters: appFilter(ctx) })) as ServiceInfo[];
}

function deploymentOf(s: ServiceInfo): string | undefined {
  return s.Spec?.Labels?.[LABEL.deployment];
}

/** The services of one deployment, from a list of the app's services. */
export function ofDeployment(services: ServiceInfo[], deploymentId: string): ServiceInfo[] {
  return services.filter((s) => deploymentOf(s) === deploymentId);
}

/** Services that belong neither to the live release nor to the running deployment: left by a dead deployment. */
export function strayServices(services: ServiceInfo[], keep: ReadonlyArray<string | undefined>): ServiceInfo[] {
  const kept = new Set(keep.filter(Boolean));
  return services.filter((s) => !kept.has(deploymentOf(s)));
}

export function serviceNames(services: ServiceInfo[]): string {
  return services.map((s) => s.Spec?.Name ?? s.ID.slice(0, 12)).join(', ');
}

/**
 * Removes services, all at once: their tasks get SIGTERM, then SIGKILL
 * after the service's stop grace period. A service already gone counts as
 * removed.
 */
export async function removeServices(docker: Docker, services: ServiceInfo[]): Promise<void> {
  await Promise.all(
    services.map((s) =>
      docker
        .getService(s.ID)
        .remove()
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404) throw error;
        }),
    ),
  );
}
