/** slipway's library API: run deployments from code, write plugins, parse Procfiles. */

export { AgentClient } from './agent/client.js';
export { defineConfig, loadConfig } from './config.js';
export type * from './context.js';
export { Deployer, type DeployerOptions } from './deployer.js';
export { catalogue, type ErrorCode, exitCodes, type Severity, SlipwayError } from './errors.js';
export { createHooks, type HookName, type HookRule, type Hooks, hookRules, STAGE, type TapExtras } from './hooks.js';
export type { OptionsSchema, Plugin, PluginClass, PluginFactory, PluginHost } from './plugins.js';
export { loadPlugin, loadPlugins } from './plugins.js';
export { formatProcfile, parseProcfile } from './procfile.js';
export { type DeploymentStatus, isFailed, isFinished, statuses, transitions } from './status.js';
export type * from './types.js';
