import { brand } from './brand.js';
import type { DeploymentStatus } from './status.js';

/** How bad an error is; decides the CLI exit code. */
export type Severity = 'usage' | 'deployment' | 'internal';

export const exitCodes: Readonly<Record<Severity, number>> = Object.freeze({
  deployment: 1,
  usage: 2,
  internal: 3,
});

interface CatalogueEntry {
  severity: Severity;
  /** What the user should do about it. */
  details: string;
  /** The deployment status this error ends a deployment with, when it does. */
  status?: DeploymentStatus;
}

/** Where the user docs live in the package. */
const DOCS = 'docs';

/**
 * Every user-facing failure, by stable code. Codes never change meaning;
 * messages are written where the error is raised, one line each.
 */
export const catalogue = {
  USAGE: { severity: 'usage', details: 'Run `slipway help` for the list of commands and options.' },
  PROCFILE_NOT_FOUND: {
    severity: 'usage',
    details: 'Add a Procfile with at least a `web: <command>` line to the app directory.',
  },
  PROCFILE_INVALID: {
    severity: 'usage',
    details: `Each line is \`<type>: <command>\`; see ${DOCS}/configuration.md#procfile.`,
  },
  CONFIG_INVALID: {
    severity: 'usage',
    details: `Fix the key named in the message; every key is described in ${DOCS}/configuration.md.`,
  },
  CONFIG_LOAD: { severity: 'usage', details: 'The config file could not be read or evaluated; fix its syntax.' },
  PLUGIN_NOT_FOUND: {
    severity: 'usage',
    details: 'Install the plugin in the app directory (npm install <name>) or fix its name in `plugins`.',
  },
  PLUGIN_INVALID: {
    severity: 'usage',
    details: `A plugin is an object or class with \`name\` and \`apply(deployer)\`; see ${DOCS}/plugins.md.`,
  },
  PLUGIN_OPTIONS: { severity: 'usage', details: "Fix the plugin's options in the `plugins` list of the config." },
  PLUGIN_FAILED: {
    severity: 'deployment',
    details: 'A plugin failed during a gating hook; its own error is shown as the cause.',
  },
  PLUGIN_TIMEOUT: {
    severity: 'deployment',
    details: 'A plugin did not finish in time; check the service it talks to or raise its timeout.',
  },
  NO_RUNTIME: {
    severity: 'usage',
    details: 'Set `runtime` to `process`, `docker` or `swarm`, or add a runtime plugin.',
  },
  BUILD_FAILED: {
    severity: 'deployment',
    status: 'build-error',
    details: 'The build command failed; its output is in `slipway logs`.',
  },
  DISK_FULL: {
    severity: 'deployment',
    status: 'build-error',
    details:
      'The file system holding SLIPWAY_HOME is full: free space (a lower `keepReleases`, other files), then deploy again. The previous version is still serving.',
  },
  START_CRASHED: {
    severity: 'deployment',
    status: 'crashed-error',
    details: 'A process exited before it accepted connections on $PORT; its last lines are shown above.',
  },
  START_TIMEOUT: {
    severity: 'deployment',
    status: 'timeout-error',
    details: 'The web process must listen on $PORT within `start.timeout`; check it binds to $PORT.',
  },
  HOOK_FAILED: {
    severity: 'deployment',
    status: 'hook-error',
    details: 'The postdeploy command failed; the previous version is still serving. Fix it and deploy again.',
  },
  HOOK_TIMEOUT: {
    severity: 'deployment',
    status: 'hook-error',
    details:
      'The postdeploy command ran past `postdeploy.timeout`; long tasks belong in `slipway run` after the deployment.',
  },
  HOOK_OOM: {
    severity: 'deployment',
    status: 'hook-error',
    details: 'The postdeploy command used more memory than `postdeploy.memory`; raise the limit or use less memory.',
  },
  DEPLOY_ABORTED: {
    severity: 'deployment',
    status: 'aborted',
    details: 'The deployment was cancelled or its owner stopped; the previous version is still serving.',
  },
  DEPLOY_LOCKED: {
    severity: 'deployment',
    details: 'Another deployment of this app is running; wait for it or run without --no-wait.',
  },
  DEPLOY_NOT_FOUND: { severity: 'usage', details: 'List deployments with `slipway deployments`.' },
  APP_NOT_FOUND: { severity: 'usage', details: 'List apps with `slipway status`, or deploy the app first.' },
  RELEASE_NOT_FOUND: { severity: 'usage', details: 'List releases with `slipway deployments` or `slipway releases`.' },
  NO_LIVE_RELEASE: { severity: 'usage', details: 'The app has no live release yet; deploy it first.' },
  RUN_FAILED: {
    severity: 'deployment',
    details: 'The one-off could not be started or followed; the message says what the runtime answered.',
  },
  ROUTE_SWITCH_FAILED: {
    severity: 'deployment',
    status: 'hook-error',
    details: 'The router could not switch to the new version; the previous version is still serving.',
  },
  AGENT_UNAVAILABLE: {
    severity: 'internal',
    details: 'The slipway agent could not be reached or started; see `slipway agent status` and its log.',
  },
  AGENT_REQUEST: { severity: 'internal', details: 'The agent refused a request; see the agent log.' },
  AGENT_BUSY: {
    severity: 'usage',
    details: 'A deployment or a one-off is under way; restart the agent once it has finished.',
  },
  AGENT_RESTART_FAILED: {
    severity: 'internal',
    details: 'The new agent could not take over; the running agent goes on serving. See the agent log.',
  },
  PORT_IN_USE: { severity: 'usage', details: 'Choose another `port` in the config, or stop what listens there.' },
  DOCKER_UNAVAILABLE: {
    severity: 'usage',
    details: 'Start the Docker Engine or set DOCKER_HOST; `docker info` must answer.',
  },
  SWARM_UNAVAILABLE: {
    severity: 'usage',
    details: `runtime: swarm needs a swarm manager: set DOCKER_HOST to one, or run \`docker swarm init\`; see ${DOCS}/swarm.md.`,
  },
  NOTIFY_FAILED: {
    severity: 'deployment',
    details: "A notification could not be delivered; the vendor's answer is in the message.",
  },
  MIGRATE_INPUT: { severity: 'usage', details: 'Fix the file named in the message; nothing was written.' },
  INTERNAL: {
    severity: 'internal',
    details: 'This is a bug in slipway; run again with --debug and report the stack trace.',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;

export interface Location {
  file?: string;
  line?: number;
  column?: number;
  /** The offending source line, shown under the message. */
  source?: string;
}

/** One of several problems an error stands for (config keys, migration input), each with its own place. */
export interface Problem {
  /** `file:line:col`, as far as known. */
  where?: string;
  message: string;
  /** The offending source line, and the column to mark in it. */
  source?: string;
  column?: number;
}

export interface SlipwayErrorOptions {
  cause?: unknown;
  location?: Location;
  /** When the error stands for several problems: all of them, the first one also in the message. */
  problems?: readonly Problem[];
  /** Overrides the deployment status given by the catalogue. */
  status?: DeploymentStatus;
  /** Extra structured data kept with the error (never secrets). */
  data?: Record<string, unknown>;
  details?: string;
}

/** The one error type slipway raises for anything a user can act on. */
export class SlipwayError extends Error {
  override readonly name = 'SlipwayError';
  readonly code: ErrorCode;
  readonly severity: Severity;
  readonly details: string;
  readonly location?: Location;
  readonly problems?: readonly Problem[];
  readonly status?: DeploymentStatus;
  readonly data?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry: CatalogueEntry = catalogue[code];
    this.code = code;
    this.severity = entry.severity;
    this.details = options.details ?? entry.details;
    this.location = options.location;
    this.problems = options.problems;
    this.status = options.status ?? entry.status;
    this.data = options.data;
  }

  get exitCode(): number {
    return exitCodes[this.severity];
  }

  /** `file:line:col` when known. */
  get where(): string | undefined {
    const l = this.location;
    if (!l?.file && l?.line === undefined) return undefined;
    return [l.file ?? '<input>', l.line, l.column].filter((p) => p !== undefined).join(':');
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      details: this.details,
      ...(this.location ?? {}),
      ...(this.status ? { status: this.status } : {}),
      ...(this.data ? { data: this.data } : {}),
    };
  }
}

brand(SlipwayError, 'SlipwayError');

export function isSlipwayError(error: unknown): error is SlipwayError {
  return error instanceof SlipwayError;
}

/** Turns anything thrown into a SlipwayError, keeping the original as cause. */
export function toSlipwayError(error: unknown, fallback: ErrorCode = 'INTERNAL'): SlipwayError {
  if (error instanceof SlipwayError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SlipwayError(fallback, message, { cause: error });
}
