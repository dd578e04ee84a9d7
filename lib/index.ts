/** slipway's library API: run deployments from code, write plugins, parse Procfiles. */

export { defineConfig, loadConfig } from './config/load-config.js';
export { AgentClient } from './control/client.js';
export type * from './core/context.js';
export { Deployer, type DeployerOptions } from './core/deployer.js';
export { catalogue, type ErrorCode, exitCodes, type Severity, SlipwayError } from './core/errors.js';
export {
  createHooks,
  type HookName,
  type HookRule,
  type Hooks,
  hookRules,
  STAGE,
  type TapExtras,
} from './core/hooks.js';
export type { OptionsSchema, Plugin, PluginClass, PluginFactory, PluginHost } from './core/plugins.js';
export { loadPlugin, loadPlugins } from './core/plugins.js';
export { type DeploymentStatus, isFailed, isFinished, statuses, transitions } from './core/status.js';
export type * from './core/types.js';
export { formatProcfile, parseProcfile } from './procfile/procfile.js';
