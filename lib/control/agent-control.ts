import type { DeploymentContext } from '../core/context.js';
import { AgentClient } from './client.js';

/**
 * The agent behind a deployment, when its control plane is the agent (the
 * CLI's case) rather than another implementation (an in-memory one in
 * tests, a caller's own): what runtimes use for the agent's own services
 * (its home, draining, first-deploy state).
 */
export function agentControl(ctx: Pick<DeploymentContext, 'control'>): AgentClient | undefined {
  return ctx.control instanceof AgentClient ? ctx.control : undefined;
}
