/** Shapes exchanged between the CLI (and runtime plugins) and the agent. */
import type { Upstream } from '../context.js';

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
   * A one-off of this deployment will follow once the processes are ready
   * (the postdeploy command): the agent prepares its scratch copy while they
   * start. Only a one-off with the same name and `copyFrom` takes it; an
   * unused one is removed when the deployment ends.
   */
  prepareOneOff?: PrepareOneOff;
}

export interface PrepareOneOff {
  /** The one-off's name, as in OneOffRequest (`postdeploy-1`). */
  name: string;
  /** The release directory, as in OneOffRequest. */
  copyFrom: string;
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

export interface ErrorBody {
  error: { code: string; message: string; details?: string; data?: Record<string, unknown> };
}
