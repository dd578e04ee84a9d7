/** Deployment statuses, with Scalingo's strings. */
export const statuses = [
  'queued',
  'building',
  'starting',
  'success',
  'aborted',
  'build-error',
  'crashed-error',
  'timeout-error',
  'hook-error',
] as const;

export type DeploymentStatus = (typeof statuses)[number];

const failures = ['aborted', 'build-error', 'crashed-error', 'timeout-error', 'hook-error'] as const;

/**
 * Allowed moves. `building → hook-error` is the Heroku release phase, which
 * runs after the build and before anything starts.
 */
export const transitions: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = Object.freeze({
  queued: ['building', 'aborted'],
  building: ['starting', 'build-error', 'hook-error', 'aborted'],
  starting: ['success', 'crashed-error', 'timeout-error', 'hook-error', 'aborted'],
  success: [],
  aborted: [],
  'build-error': [],
  'crashed-error': [],
  'timeout-error': [],
  'hook-error': [],
});

export function isStatus(value: unknown): value is DeploymentStatus {
  return typeof value === 'string' && (statuses as readonly string[]).includes(value);
}

/** Finished = no longer queued, building or starting. */
export function isFinished(status: DeploymentStatus): boolean {
  return transitions[status].length === 0;
}

export function isFailed(status: DeploymentStatus): boolean {
  return (failures as readonly string[]).includes(status);
}

export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return transitions[from].includes(to);
}

export function assertTransition(from: DeploymentStatus, to: DeploymentStatus): void {
  if (!canTransition(from, to)) {
    throw new Error(`impossible deployment status change: ${from} → ${to}`);
  }
}
