import { SlipwayError } from './errors.js';
import type { Procfile } from './types.js';

/** Procfile entries that are one-offs, never long-running processes. */
const ONE_OFF_TYPES = new Set(['postdeploy', 'release']);

export function isOneOff(type: string): boolean {
  return ONE_OFF_TYPES.has(type);
}

export interface PlannedProcess {
  type: string;
  index: number;
  /** `web-1` */
  name: string;
  /** The Procfile command; absent for web when the image's CMD serves instead. */
  command?: string;
  web: boolean;
}

/**
 * The processes a runtime starts: web ×1 by default, or what `formation`
 * says; one-offs never. A Procfile without web gets no web process (workers
 * only), unless the artifact brings its own command (an image with a CMD).
 */
export function formationPlan(
  procfile: Procfile,
  formation: Record<string, number>,
  imageHasCommand = false,
): PlannedProcess[] {
  const counts: Record<string, number> = { web: 1, ...formation };
  const plan: PlannedProcess[] = [];
  for (const [type, count] of Object.entries(counts)) {
    if (count === 0 || ONE_OFF_TYPES.has(type)) continue;
    const command = procfile.processes[type];
    if (!command) {
      if (type === 'web' && !imageHasCommand) continue;
      if (type !== 'web') {
        throw new SlipwayError('CONFIG_INVALID', `formation.${type}: the Procfile has no "${type}" process`);
      }
    }
    for (let index = 1; index <= count; index++) {
      plan.push({ type, index, name: `${type}-${index}`, web: type === 'web', ...(command ? { command } : {}) });
    }
  }
  return plan;
}
