import type { ProcessSpec } from '../../lib/agent/protocol.js';
import type { DeploymentContext } from '../../lib/context.js';
import { SlipwayError } from '../../lib/errors.js';
import { containerEnv } from '../../lib/runtime-env.js';

/** Procfile entries that are one-offs, never long-running processes. */
const ONE_OFF_TYPES = new Set(['postdeploy', 'release']);

/** Memory a formation process is sized for (Scalingo's M). */
export const PROCESS_MEMORY = 512 * 1024 * 1024;

/** The processes to start: web ×1 by default (when the Procfile has web), or what `formation` says. */
export function formationSpecs(ctx: DeploymentContext): ProcessSpec[] {
  const { processes } = ctx.procfile;
  const formation: Record<string, number> = { web: 1, ...ctx.config.formation };
  const cwd = ctx.artifact?.path;
  if (!cwd) throw new SlipwayError('NO_RUNTIME', 'no release directory to start processes in');
  const specs: ProcessSpec[] = [];
  for (const [type, count] of Object.entries(formation)) {
    if (count === 0 || ONE_OFF_TYPES.has(type)) continue;
    const command = processes[type];
    if (!command) {
      // web ×1 is the default; an app without a web process (workers only) is fine.
      if (type === 'web') continue;
      throw new SlipwayError('CONFIG_INVALID', `formation.${type}: the Procfile has no "${type}" process`);
    }
    for (let index = 1; index <= count; index++) {
      const name = `${type}-${index}`;
      specs.push({
        type,
        index,
        name,
        command,
        cwd,
        web: type === 'web',
        appEnv: { ...ctx.config.env },
        runtimeEnv: containerEnv(ctx, name, PROCESS_MEMORY),
      });
    }
  }
  return specs;
}
