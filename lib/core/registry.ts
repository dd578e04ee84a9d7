import type { DeploymentContext } from './context.js';
import type { Mode } from './types.js';

/**
 * What the core knows of parts it does not import: plugins it can load by a
 * bare name (`runtime: docker`, `plugins: [slack]`) and what a deployment
 * mode adds to every container's env. The program that composes slipway —
 * the CLI — fills it in at start (plugins/builtins.ts,
 * compat/heroku/mode.ts); the core only reads it.
 */

/** Loads a plugin module (its default export is a plugin, a factory or a class). */
export type PluginLoader = () => Promise<unknown>;

/** A deployment mode's additions to the runtime variables of one container. */
export interface ModeSupport {
  /** The container's env: `env` holds Scalingo's runtime variables, which should win on a clash. */
  containerEnv?(ctx: DeploymentContext, container: string, env: Record<string, string>): Record<string, string>;
}

interface RegistryState {
  plugins: Map<string, PluginLoader>;
  modes: Map<Mode, ModeSupport>;
}

// One registry per process, kept on the global object: the bundled CLI holds a
// copy of this module in each of its bundles (scripts/bundle-cli.mjs), and
// what the entry registers must be what a command's bundle reads.
const KEY = Symbol.for('slipway.registry');
const holder = globalThis as { [KEY]?: RegistryState };
holder[KEY] ??= { plugins: new Map(), modes: new Map() };
const { plugins, modes } = holder[KEY];

/** Makes plugins loadable by name; a later registration of a name replaces the earlier. */
export function registerPlugins(entries: Readonly<Record<string, PluginLoader>>): void {
  for (const [name, load] of Object.entries(entries)) plugins.set(name, load);
}

/** The loader registered under a bare name, if any. */
export function registeredPlugin(name: string): PluginLoader | undefined {
  return plugins.get(name);
}

export function registerMode(mode: Mode, support: ModeSupport): void {
  modes.set(mode, support);
}

export function registeredMode(mode: Mode): ModeSupport | undefined {
  return modes.get(mode);
}
