import { agentControl } from '../../lib/control/agent-control.js';
import type { DeploymentContext, HookRunResult } from '../../lib/core/context.js';
import { hookFailure } from '../process/index.js';
import type { OneOffOptions } from './run-one-off.js';

/** A first-deploy script may seed a database: the postdeploy limits, and its tap time to use them. */
export const FIRST_DEPLOY_TAP_TIMEOUT_MS = 61 * 60_000;

/**
 * `scripts.first-deploy`, as the process runtime runs it: after the switch
 * of the app's first successful deployment, and of every later one until a
 * run succeeded (the agent keeps that state). The app is live already, so a
 * failure is a warning, and the script runs again next time. `execute`
 * runs it (in a container, or as a swarm job) and says how it ended.
 */
export async function runFirstDeploy(
  ctx: DeploymentContext,
  execute: (options: OneOffOptions) => Promise<HookRunResult>,
  pluginName: string,
): Promise<void> {
  const command = ctx.config.scripts['first-deploy'];
  const agent = agentControl(ctx);
  if (!command || !agent) return;
  const state = await agent.firstDeployState(ctx.app);
  // An app that was live before the script was added never had a first deployment to run it after.
  if (state.succeededAt || (!ctx.firstDeploy && state.attempts === 0)) return;
  const options: OneOffOptions = {
    command,
    container: 'first-deploy-1',
    memoryBytes: ctx.config.postdeploy.memory,
    timeoutMs: Math.min(ctx.config.postdeploy.timeout, FIRST_DEPLOY_TAP_TIMEOUT_MS - 60_000),
  };
  ctx.step('first-deploy', 'start', command);
  ctx.log('first-deploy', `$ ${command}`, 'system');
  const result = await execute(options);
  // Not ctx.hook: that is the gate's result, and the deployment record reports it.
  await agent.recordFirstDeploy(ctx.app, { deploymentId: ctx.id, exitCode: result.exitCode });
  if (result.exitCode === 0) {
    ctx.step('first-deploy', 'done');
    return;
  }
  ctx.step('first-deploy', 'failed');
  const failure = hookFailure('first-deploy', result, { timeout: options.timeoutMs, memory: options.memoryBytes });
  ctx.warn({
    hook: 'succeeded',
    plugin: pluginName,
    code: failure.code,
    message: `${failure.message}; the new release is live anyway, and the script runs again at the next deployment`,
  });
}
