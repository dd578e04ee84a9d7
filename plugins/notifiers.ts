/**
 * The notifier plugins, loaded together: a deployment that notifies several
 * vendors loads their shared kit (HTTP, retries, option schemas) once.
 */
export * as appsignal from './appsignal/index.js';
export * as newrelic from './newrelic/index.js';
export * as rollbar from './rollbar/index.js';
export * as sentry from './sentry/index.js';
export * as slack from './slack/index.js';
export * as webhook from './webhook/index.js';
