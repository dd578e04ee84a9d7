import type { DeploymentRecord } from '../core/context.js';

/** The phases of the duration chart, in the order a deployment goes through them. */
export const CHART_PHASES = ['build', 'start', 'postdeploy', 'switch'] as const;
export type ChartPhase = (typeof CHART_PHASES)[number];

/**
 * How long a deployment spent in each phase (ms), from the marks the store
 * keeps (Store.phaseMarks). A phase lasts until the next mark that exists, so
 * a deployment that failed in its postdeploy has no `switch`, and heroku
 * mode's release command counts as build. Phases never reached are absent.
 */
export function phaseDurations(
  d: Pick<DeploymentRecord, 'finishedAt'>,
  marks: Record<string, number>,
): Partial<Record<ChartPhase, number>> {
  const end = marks.end ?? (d.finishedAt ? Date.parse(d.finishedAt) : undefined);
  const bounds: [ChartPhase | 'end', number | undefined][] = [
    ['build', marks.build],
    ['start', marks.start],
    ['postdeploy', marks.postdeploy],
    ['switch', marks.switch],
    ['end', end],
  ];
  const out: Partial<Record<ChartPhase, number>> = {};
  for (let i = 0; i < bounds.length - 1; i++) {
    const [phase, at] = bounds[i]!;
    if (at === undefined || phase === 'end') continue;
    const next = bounds.slice(i + 1).find(([, t]) => t !== undefined)?.[1];
    if (next !== undefined) out[phase] = Math.max(0, next - at);
  }
  return out;
}
