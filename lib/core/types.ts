/**
 * Shapes shared by the core, the CLI and plugins. Kept free of runtime code so
 * that any part can import them without loading anything.
 */
export type Mode = 'postdeploy' | 'heroku';

/**
 * A plugin object as config holds it. Structural, so that config types need
 * not import the hooks (lib/core/plugins.ts has the full `Plugin`, which
 * fits here).
 */
export interface PluginObject {
  name: string;
  apply(deployer: never): void | Promise<void>;
}

/** A plugin as written in config: a name, a name with options, or an object. */
export type PluginSpec = string | [string, Record<string, unknown>?] | PluginObject;

/** What a user writes (all optional); see docs/configuration.md. */
export interface SlipwayConfig {
  app?: string;
  port?: number;
  host?: string;
  runtime?: string;
  build?: string;
  formation?: Record<string, number>;
  env?: Record<string, string>;
  start?: { timeout?: string | number };
  postdeploy?: { timeout?: string | number; memory?: string | number };
  stop?: { grace?: string | number };
  healthcheck?: { path?: string; timeout?: string | number };
  mode?: Mode;
  plugins?: PluginSpec[];
  scripts?: { 'first-deploy'?: string };
  /** Release directories kept on disk (process runtime), the live one included. */
  keepReleases?: number;
  docker?: {
    dockerfile?: string;
    image?: string;
    network?: string;
    keepImages?: number;
    /** Docker build arguments (`ARG` in the Dockerfile), passed to the Engine's build. */
    buildArgs?: Record<string, string | number | boolean>;
  };
  /** runtime: swarm. */
  swarm?: { registry?: string };
}

/** Config after defaults and unit parsing. Durations in ms, sizes in bytes. */
export interface ResolvedConfig {
  /** Absolute app directory. */
  dir: string;
  /** The file the config came from, when there was one. */
  file?: string;
  app: string;
  /** The router's public port for this app; chosen by the agent when absent. */
  port?: number;
  host: string;
  runtime: string;
  build?: string;
  formation: Record<string, number>;
  env: Record<string, string>;
  start: { timeout: number };
  postdeploy: { timeout: number; memory: number };
  stop: { grace: number };
  healthcheck?: { path: string; timeout: number };
  mode: Mode;
  plugins: PluginSpec[];
  scripts: { 'first-deploy'?: string };
  keepReleases: number;
  docker: {
    dockerfile?: string;
    image?: string;
    network?: string;
    keepImages: number;
    buildArgs?: Record<string, string>;
  };
  /** runtime: swarm; absent when the config has no `swarm` settings. */
  swarm?: { registry?: string };
}

export interface Procfile {
  /** Process type → command, in file order. */
  processes: Record<string, string>;
  /** Process type → 1-based line number. */
  lines: Record<string, number>;
  warnings: string[];
  file?: string;
}
