import type { DeploymentRecord } from '../lib/core/context.js';

/**
 * Every deployment takes the app's next release number, but only a successful
 * one made a release: a failed deployment's number never served, so
 * `slipway rollback` cannot deploy it again.
 */
export function isRollbackTarget(d: DeploymentRecord): boolean {
  return d.status === 'success';
}

/** Why `rollback N` cannot deploy N, and what it can deploy instead. */
export function notATarget(app: string, wanted: string, n: number, deployments: DeploymentRecord[]): string {
  const targets = deployments.filter(isRollbackTarget).map((d) => `v${d.release}`);
  const choice = targets.length > 0 ? `rollback targets: ${targets.join(', ')}` : 'it has no release to roll back to';
  const d = deployments.find((x) => x.release === n);
  if (!d) return `${app} has no release ${wanted}; ${choice}`;
  const how = d.finishedAt ? `ended ${d.status}, so it never served` : `is still running (${d.status})`;
  return `v${n} of ${app} is no rollback target: its deployment ${d.id.slice(0, 8)} ${how}; ${choice}`;
}
