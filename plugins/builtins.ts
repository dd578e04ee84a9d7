import { registerPlugins } from '../lib/core/registry.js';

/**
 * slipway's own plugins by config name, each loaded when a config names it.
 * The notifiers come as one module (plugins/notifiers.ts): one copy of their
 * shared kit for any number of them.
 */
const notifiers = () => import('./notifiers.js');

export const builtinPlugins: Readonly<Record<string, () => Promise<unknown>>> = Object.freeze({
  process: () => import('./process/index.js'),
  docker: () => import('./docker/index.js'),
  swarm: () => import('./swarm/index.js'),
  newrelic: async () => (await notifiers()).newrelic,
  rollbar: async () => (await notifiers()).rollbar,
  appsignal: async () => (await notifiers()).appsignal,
  sentry: async () => (await notifiers()).sentry,
  slack: async () => (await notifiers()).slack,
  webhook: async () => (await notifiers()).webhook,
});

/** Makes slipway's own plugins loadable by name (called by the CLI at start; library users call it once). */
export function registerBuiltinPlugins(): void {
  registerPlugins(builtinPlugins);
}
