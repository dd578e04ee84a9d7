import type { ProcessSpec } from '../../lib/control/protocol.js';
import { containerEnv } from '../../lib/core/container-env.js';
import type { DeploymentContext } from '../../lib/core/context.js';
import { SIZE_M_BYTES } from '../../lib/core/env.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { formationPlan } from '../../lib/core/formation-plan.js';

/** Memory a formation process is sized for (Scalingo's M). */
export const PROCESS_MEMORY = SIZE_M_BYTES;

/** The processes to start, each in the release directory with the app env and its runtime variables. */
export function formationSpecs(ctx: DeploymentContext): ProcessSpec[] {
  const cwd = ctx.artifact?.path;
  if (!cwd) throw new SlipwayError('NO_RUNTIME', 'no release directory to start processes in');
  return formationPlan(ctx.procfile, ctx.config.formation).map((p) => ({
    type: p.type,
    index: p.index,
    name: p.name,
    command: p.command!,
    cwd,
    web: p.web,
    appEnv: { ...ctx.config.env },
    runtimeEnv: containerEnv(ctx, p.name, PROCESS_MEMORY),
  }));
}
