import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SlipwayError } from './errors.js';
import type { Hooks } from './hooks.js';
import { importModule } from './import-module.js';
import { registeredPlugin } from './registry.js';
import type { PluginSpec } from './types.js';

/**
 * A plugin: an object (or an instance of a class) with a `name` and an
 * `apply` that taps the hooks it needs. Taps use `tapPromise({ name, stage })`.
 */
export interface Plugin {
  name: string;
  apply(deployer: PluginHost): void | Promise<void>;
}

/** What `apply` receives: the Deployer, seen from a plugin. */
export interface PluginHost {
  readonly hooks: Hooks;
  /** Registers a secret (a token) so it is masked in every output, log and record. */
  addSecret(value: string): void;
}

/** Anything with a zod-style `safeParse` validates plugin options. */
export interface OptionsSchema<O = unknown> {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: O }
    | { success: false; error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } };
}

/** A plugin module's default export: a factory or a class taking options. */
export type PluginFactory<O = Record<string, unknown>> = ((options: O) => Plugin) & {
  optionsSchema?: OptionsSchema<O>;
};
export type PluginClass<O = Record<string, unknown>> = (new (
  options: O,
) => Plugin) & {
  optionsSchema?: OptionsSchema<O>;
};

/** A plugin loadable by a bare name: slipway's own, registered by the CLI (lib/core/registry.ts). */
export function isBuiltinPlugin(name: string): boolean {
  return registeredPlugin(name) !== undefined;
}

function isPlugin(value: unknown): value is Plugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Plugin).name === 'string' &&
    typeof (value as Plugin).apply === 'function'
  );
}

function isClass(fn: (...args: never[]) => unknown): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Finds a plugin module: the app's own packages first, then slipway's. */
async function importPlugin(name: string, dir: string): Promise<{ module: unknown; from: string }> {
  const candidates: string[] = [];
  if (name.startsWith('.') || name.startsWith('/')) candidates.push(resolve(dir, name));
  else {
    const require = createRequire(join(dir, 'package.json'));
    const names = name.startsWith('slipway-plugin-') || name.includes('/') ? [name] : [`slipway-plugin-${name}`];
    if (!isBuiltinPlugin(name) && !names.includes(name)) names.push(name);
    for (const n of names) {
      try {
        candidates.push(require.resolve(n));
        break;
      } catch {
        // not installed in the app: try the next form
      }
    }
  }
  if (candidates.length === 0 && isBuiltinPlugin(name)) {
    return { module: await registeredPlugin(name)!(), from: `slipway's ${name} plugin` };
  }
  const file = candidates[0];
  if (!file) {
    throw new SlipwayError(
      'PLUGIN_NOT_FOUND',
      `plugin "${name}" was not found in ${dir} (tried slipway-plugin-${name} and ${name}) nor among slipway's plugins`,
    );
  }
  try {
    return { module: await importModule(pathToFileURL(file).href), from: file };
  } catch (error) {
    throw new SlipwayError('PLUGIN_INVALID', `plugin "${name}" could not be loaded from ${file}: ${String(error)}`, {
      cause: error,
    });
  }
}

function validateOptions(name: string, index: number, target: { optionsSchema?: OptionsSchema }, options: unknown) {
  const schema = target.optionsSchema;
  if (!schema) return options;
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues
    .map((i) => `${['options', ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
  throw new SlipwayError('PLUGIN_OPTIONS', `plugins[${index}] "${name}": ${issues}`, {
    data: { plugin: name, index },
  });
}

/**
 * What a plugin module exports: its default export. An ES module compiled to
 * CommonJS (`exports.default = …`, marked `__esModule`, as TypeScript and
 * Babel emit it, and as slipway's own bundled plugins are) reaches here
 * through Node's interop as `{ default: exports }`: its own default then.
 */
function defaultExport(module: unknown): unknown {
  const exported = (module as { default?: unknown }).default ?? module;
  const inner = exported as { __esModule?: unknown; default?: unknown } | null;
  if (
    inner &&
    (typeof inner === 'object' || typeof inner === 'function') &&
    inner.__esModule === true &&
    'default' in inner
  ) {
    return inner.default;
  }
  return exported;
}

/** Turns one config entry into a plugin instance, validating its options first. */
export async function loadPlugin(spec: PluginSpec, index: number, dir: string): Promise<Plugin> {
  if (isPlugin(spec)) return spec;
  const [name, options] = typeof spec === 'string' ? [spec, undefined] : spec;
  const { module, from } = await importPlugin(name, dir);
  const exported = defaultExport(module);
  if (isPlugin(exported)) return exported;
  if (typeof exported !== 'function') {
    throw new SlipwayError('PLUGIN_INVALID', `plugin "${name}" (${from}) exports neither a plugin nor a factory`);
  }
  const target = exported as PluginFactory & PluginClass;
  const valid = validateOptions(name, index, target, options) as Record<string, unknown>;
  const plugin = isClass(target) ? new target(valid) : target(valid);
  if (!isPlugin(plugin)) {
    throw new SlipwayError(
      'PLUGIN_INVALID',
      `plugin "${name}" (${from}) did not produce an object with name and apply`,
    );
  }
  return plugin;
}

/** Loads every configured plugin before anything runs: bad options stop here. */
export async function loadPlugins(specs: readonly PluginSpec[], dir: string): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const [index, spec] of specs.entries()) plugins.push(await loadPlugin(spec, index, dir));
  return plugins;
}
