import { SlipwayError } from '../../lib/errors.js';
import type { Procfile } from '../../lib/types.js';

/** Procfile entries that are one-offs, never long-running containers. */
const ONE_OFF_TYPES = new Set(['postdeploy', 'release']);

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
 * The containers to start, as the process runtime counts them: web ×1 by
 * default, or what `formation` says. A Procfile without web still gets a web
 * container when the image has a CMD (an image is an app on its own).
 */
export function formationPlan(
  procfile: Procfile,
  formation: Record<string, number>,
  imageHasCommand: boolean,
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
