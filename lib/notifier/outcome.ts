import type { DeploymentStatus } from '../core/status.js';
import type { NotifyRun } from './define-notifier.js';

export interface Outcome {
  status: DeploymentStatus;
  /** Since the deployment started. */
  durationMs: number;
  /** The failure, its message masked. */
  error: { code: string; message: string } | null;
}

/** How the deployment stands for a notification: status, time taken, failure. */
export function outcomeOf(run: NotifyRun): Outcome {
  const { ctx, error } = run;
  return {
    status: ctx.status,
    durationMs: Date.now() - ctx.startedAt.getTime(),
    error: error ? { code: error.code, message: run.mask(error.message) } : null,
  };
}
