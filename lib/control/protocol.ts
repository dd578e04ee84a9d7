/** Shapes exchanged between the CLI (and runtime plugins) and the agent. */
import type { DeploymentKind, Upstream } from '../core/context.js';

/** One process of a formation, as the agent needs it to (re)start it. */
export interface ProcessSpec {
  type: string;
  index: number;
  /** `web-1` */
  name: string;
  command: string;
  cwd: string;
  /** The app's env from the config file; stored config vars are merged by the agent at spawn. */
  appEnv: Record<string, string>;
  /** Runtime variables (APP, CONTAINER, …) except PORT, which the agent allocates. */
  runtimeEnv: Record<string, string>;
  /** Web processes get a PORT and traffic. */
  web: boolean;
}

export interface StartRequest {
  specs: ProcessSpec[];
  startTimeoutMs: number;
  healthcheck?: { path: string; timeoutMs: number };
  graceMs: number;
  /**
   * The one-off of this deployment that will follow once the processes are
   * ready (the postdeploy command), as it will be requested: the agent
   * prepares its scratch copy, and its process up to the point of running
   * the command, while they start. Only a one-off with the same name and
   * `copyFrom` takes the copy, and the process only when its command, memory
   * limit and environment are also the same; what is unused is removed when
   * the deployment ends.
   */
  prepareOneOff?: OneOffRequest;
}

export interface StartedProcess {
  name: string;
  type: string;
  index: number;
  pid: number;
  port?: number;
}

export interface StartResult {
  processes: StartedProcess[];
  upstreams: Upstream[];
}

export interface OneOffRequest {
  /** `postdeploy-1`, `release-3`, `run-1` */
  name: string;
  command: string;
  /** The release directory; the one-off runs in its own copy of it. */
  copyFrom: string;
  appEnv: Record<string, string>;
  runtimeEnv: Record<string, string>;
  timeoutMs: number;
  memoryBytes: number;
  graceMs: number;
  phase: 'postdeploy' | 'release' | 'run' | 'first-deploy';
  /** Store output under the deployment's logs. */
  store: boolean;
}

/** Lines of a streamed answer (NDJSON). */
export type StreamMessage =
  | { type: 'log'; stream: 'stdout' | 'stderr'; line: string }
  | {
      type: 'exit';
      exitCode: number;
      reason: 'exit' | 'timeout' | 'oom' | 'signal' | 'aborted';
      signal?: string;
      durationMs: number;
    }
  | { type: 'error'; code: string; message: string };

/**
 * Sends a stream message; a promise back means the reader is behind: the
 * sender waits for it (pauses what produces the messages) until it settles.
 */
export type StreamSend = (message: StreamMessage) => void | Promise<void>;

export interface ErrorBody {
  error: { code: string; message: string; details?: string; data?: Record<string, unknown> };
}

/** The app's first-deploy script runs (scripts.first-deploy). */
export interface FirstDeployState {
  /** Runs so far, failed ones included. */
  attempts: number;
  /** Set by the first successful run; the script never runs again after it. */
  succeededAt: string | null;
  /** The deployment of the last recorded run. */
  deploymentId: string | null;
}

/** What a release was built into and how it was started. */
export interface ReleaseArtifact {
  runtime: string;
  path?: string;
  image?: string;
  /** Docker runtime: the config env, network and Engine of its containers, for `slipway run`. */
  oneOff?: { env: Record<string, string>; network?: string; engine?: string };
  /** How the release was started, so a restarted agent starts it the same way. */
  start?: { timeoutMs: number; graceMs: number; healthcheck?: { path: string; timeoutMs: number } };
}

/**
 * A process of a release, as much as a restarted agent needs to start it
 * again. A merged `env` is never stored: it would copy config var values into
 * every release and go stale on the next `config:set`.
 */
export interface ReleaseProcess {
  type: string;
  index: number;
  name: string;
  command: string;
  cwd: string;
  web?: boolean;
  /** The config file's env, without config vars (those are merged at spawn). */
  appEnv?: Record<string, string>;
  /** Runtime variables (APP, CONTAINER_VERSION…), without PORT. */
  runtimeEnv?: Record<string, string>;
}

/** A line of a live release's output, one JSON object per line of the app log (lib/control/paths.ts appLogFile). */
export interface AppLogEntry {
  /** Milliseconds since the epoch. */
  ts: number;
  /** `web-1`, `worker-2` */
  process: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** A release as the agent lists it (GET /apps/:app/releases). */
export interface ReleaseRow {
  app: string;
  release: number;
  version: string;
  kind: DeploymentKind;
  deploymentId: string;
  artifact: ReleaseArtifact;
  processes: ReleaseProcess[];
  createdAt: string;
  sourceRelease: number | null;
}
