/**
 * The environment of every app process and one-off: a small base taken from
 * the host, the app's env (config file, then stored config vars), then the
 * runtime variables slipway injects, which nothing overrides.
 */

/**
 * Host variables a process needs to run at all; nothing else leaks in. TLS
 * trust settings (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, ...) are the app's to
 * set as config vars, as on a platform: passed through from the host they
 * would also cost every Node process of the app tens of milliseconds at
 * start-up (Node 20 loads its whole root store eagerly when the variable is set).
 */
const HOST_KEYS = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SHELL'];

export const STACK = 'slipway-1';
export const DEFAULT_SIZE = 'M';
/** Memory of an M container: formation processes and one-offs are sized for it. */
export const SIZE_M_BYTES = 512 * 1024 * 1024;

export interface RuntimeEnvInput {
  app: string;
  /** `web-1`, `postdeploy-1` */
  container: string;
  version: string;
  memory: number;
  size?: string;
  /** Only web processes get a port. */
  port?: number;
  region?: string;
}

/** Scalingo's runtime variables, in every container. */
export function runtimeEnv(input: RuntimeEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    APP: input.app,
    CONTAINER: input.container,
    CONTAINER_VERSION: input.version,
    CONTAINER_SIZE: input.size ?? DEFAULT_SIZE,
    CONTAINER_MEMORY: String(input.memory),
    HOSTNAME: `${input.app}-${input.container}`,
    STACK,
    REGION_NAME: input.region ?? 'local',
  };
  if (input.port !== undefined) env.PORT = String(input.port);
  return env;
}

/** The build env: what the build command sees. */
export function buildEnv(app: string, version: string, appEnv: Record<string, string>): Record<string, string> {
  return { ...hostEnv(), ...appEnv, APP: app, SOURCE_VERSION: version };
}

export function hostEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of HOST_KEYS) {
    const value = source[key];
    if (value !== undefined) env[key] = value;
  }
  if (!env.PATH) env.PATH = '/usr/local/bin:/usr/bin:/bin';
  return env;
}

export interface EnvParts {
  host?: Record<string, string>;
  /** From the config file. */
  app?: Record<string, string>;
  /** Set with `slipway config:set`; they win over the file. */
  configVars?: Record<string, string>;
  runtime: Record<string, string>;
}

export function composeEnv(parts: EnvParts): Record<string, string> {
  return { ...(parts.host ?? hostEnv()), ...parts.app, ...parts.configVars, ...parts.runtime };
}
