/**
 * slipway's own plugins by config name. Static imports (loaded on demand) so
 * a bundled CLI carries them and every plugin shares one copy of the core.
 */
export const builtinPlugins: Readonly<Record<string, () => Promise<unknown>>> = Object.freeze({
  process: () => import('../plugins/process/index.js'),
  docker: () => import('../plugins/docker/index.js'),
  newrelic: () => import('../plugins/newrelic/index.js'),
  rollbar: () => import('../plugins/rollbar/index.js'),
  appsignal: () => import('../plugins/appsignal/index.js'),
  sentry: () => import('../plugins/sentry/index.js'),
  slack: () => import('../plugins/slack/index.js'),
  webhook: () => import('../plugins/webhook/index.js'),
});
