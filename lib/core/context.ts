/**
 * The typed context every hook receives, and the control-plane interface the
 * Deployer talks to (the agent in production, an in-memory one in tests).
 */
import type { DeploymentStatus } from './status.js';
import type { Mode, Procfile, ResolvedConfig } from './types.js';

export type Phase =
  | 'build'
  | 'release'
  | 'start'
  | 'postdeploy'
  | 'first-deploy'
  | 'switch'
  | 'retire'
  | 'notify'
  | 'system';
export type Stream = 'stdout' | 'stderr' | 'system';

/** What made a deployment. */
export type DeploymentKind = 'deploy' | 'rollback' | 'config' | 'retry';

export interface Upstream {
  host: string;
  port: number;
}

/** What a runtime built: a release directory or an image. */
export interface Artifact {
  runtime: string;
  release: number;
  /** Release directory (process runtime). */
  path?: string;
  /** Image reference (docker runtime). */
  image?: string;
  /** Docker runtime: what a later one-off of the release (`slipway run`) needs to run like it. */
  oneOff?: { env: Record<string, string>; network?: string; engine?: string };
}

export interface ProcessInstance {
  type: string;
  index: number;
  /** `web-1` */
  name: string;
  /** pid or container id */
  id: string;
  port?: number;
}

export interface StartedFormation {
  processes: ProcessInstance[];
  /** Where the router sends traffic for this release (the web processes). */
  upstreams: Upstream[];
}

/** How a one-off (postdeploy, release) ended. */
export interface HookRunResult {
  /** Exit status; `-128` when stopped for running past its time limit. */
  exitCode: number;
  reason: 'exit' | 'timeout' | 'oom' | 'signal' | 'aborted';
  signal?: string;
  durationMs: number;
}

export interface LogLine {
  phase: Phase;
  stream: Stream;
  line: string;
  ts: number;
}

export interface Warning {
  hook?: string;
  plugin?: string;
  code?: string;
  message: string;
}

export interface DeploymentRecord {
  id: string;
  app: string;
  release: number;
  version: string;
  kind: DeploymentKind;
  mode: Mode;
  status: DeploymentStatus;
  hookExitCode: number | null;
  hookReason: string | null;
  warnings: Warning[];
  error: { code: string; message: string } | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** Release whose artifact a rollback reuses. */
  sourceRelease: number | null;
}

export interface LiveRelease {
  release: number;
  version: string;
  deploymentId: string;
  upstreams: Upstream[];
}

export interface OpenRequest {
  app: string;
  version: string;
  kind: DeploymentKind;
  mode: Mode;
  port?: number;
  host: string;
  sourceRelease?: number;
  /** Wait for the app's lock instead of failing at once. */
  wait: boolean;
  /** Environment stored with the app (config vars are merged by the control plane). */
  env: Record<string, string>;
}

export interface OpenedDeployment {
  id: string;
  release: number;
  /** The app's port on the router. */
  port: number;
  /** Config vars stored for the app (set with `slipway config:set`). */
  configVars: Record<string, string>;
  live: LiveRelease | null;
  /** True when no deployment of this app ever succeeded. */
  firstDeploy: boolean;
  /** The app's stable id (HEROKU_APP_ID in heroku mode); absent from control planes that keep none. */
  appId?: string;
}

export interface FinishRecord {
  status: DeploymentStatus;
  hookExitCode: number | null;
  hookReason: string | null;
  warnings: Warning[];
  error: { code: string; message: string } | null;
  /** Output lines not yet sent: stored before the deployment is finished. */
  logs?: LogLine[];
}

export type DeploymentEvent =
  | { type: 'opened'; id: string; app: string; release: number; port: number }
  | { type: 'waiting'; message: string }
  | { type: 'status'; status: DeploymentStatus }
  | { type: 'step'; step: string; state: 'start' | 'done' | 'failed' | 'skipped'; ms?: number; detail?: string }
  | { type: 'log'; phase: Phase; stream: Stream; line: string }
  | { type: 'warning'; warning: Warning }
  | { type: 'result'; deployment: DeploymentRecord };

/** The deployment side of the agent, as the Deployer needs it. */
export interface ControlPlane {
  open(request: OpenRequest, onWait: (message: string) => void): Promise<OpenedDeployment>;
  heartbeat(id: string): Promise<void>;
  setStatus(id: string, status: DeploymentStatus): Promise<void>;
  appendLogs(id: string, lines: LogLine[]): Promise<void>;
  /** Points the app's route at `upstreams` and makes the deployment `success`, in one step. */
  switchRoute(id: string, upstreams: Upstream[], artifact?: Artifact): Promise<void>;
  finish(id: string, record: FinishRecord): Promise<DeploymentRecord>;
}

/** What every hook gets. Plugins read it and add to it through its methods. */
export interface DeploymentContext {
  readonly id: string;
  readonly app: string;
  readonly release: number;
  /** CONTAINER_VERSION: the revision being deployed. */
  readonly version: string;
  readonly kind: DeploymentKind;
  readonly mode: Mode;
  readonly config: ResolvedConfig;
  readonly procfile: Procfile;
  readonly control: ControlPlane;
  /** The app's env: config `env`, then stored config vars (which win). */
  readonly env: Readonly<Record<string, string>>;
  /** The router port of the app. */
  readonly port: number;
  readonly live: LiveRelease | null;
  readonly firstDeploy: boolean;
  /** The app's stable id, when the control plane keeps one. */
  readonly appId?: string;
  /** Rollback: the release whose artifact is reused. */
  readonly sourceRelease: number | null;
  readonly startedAt: Date;
  /** Aborted when the deployment is cancelled. */
  readonly signal: AbortSignal;
  status: DeploymentStatus;
  artifact?: Artifact;
  formation?: StartedFormation;
  hook?: HookRunResult;
  readonly warnings: Warning[];
  /**
   * Records an output line under the deployment (shown and stored). With
   * `stored: true` the line is only shown: the agent already stored it.
   */
  log(phase: Phase, line: string, stream?: Stream, options?: { stored?: boolean }): void;
  warn(warning: Warning): void;
  /** Marks a named step for progress display. */
  step(step: string, state: 'start' | 'done' | 'failed' | 'skipped', detail?: string): void;
  /** The error that failed the deployment, once it failed (set before `failed` and `done`). */
  error?: { code: string; message: string };
  /** Secret values to mask in anything shown or stored. */
  addSecret(value: string): void;
  /** Masks every known secret (env values, tokens) in a text before it leaves slipway. */
  mask(text: string): string;
}
