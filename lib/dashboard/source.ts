/**
 * What the dashboard reads and does, as the agent hands it over: the
 * dashboard never reaches into the agent's internals (lib/agent builds this).
 */
import type { ReleaseRow } from '../control/protocol.js';
import type { DeploymentRecord, LogLine } from '../core/context.js';
import type { TrafficStats } from '../router/traffic-counter.js';

export interface AppProcess {
  name: string;
  pid: number;
  port?: number;
  /** Epoch ms. */
  startedAt: number;
  running: boolean;
}

export interface AppSummary {
  name: string;
  port: number | null;
  host: string;
  live: { release: number; version: string; deploymentId: string; runtime: string; since: number } | null;
  /** `host:port` of the live release's upstreams. */
  upstreams: string[];
  processes: AppProcess[];
}

export interface DashboardSource {
  /** The agent's SLIPWAY_HOME: rollbacks run the CLI against it. */
  readonly home: string;
  apps(): AppSummary[];
  app(name: string): AppSummary | undefined;
  deployments(app: string, limit: number): DeploymentRecord[];
  deployment(id: string): DeploymentRecord | undefined;
  logsAfter(id: string, seq: number): (LogLine & { seq: number })[];
  phaseMarks(id: string): Record<string, number>;
  releases(app: string): ReleaseRow[];
  traffic(app: string): TrafficStats | undefined;
  /** Starts a fresh set of the live processes; false when the runtime does not let the agent do it. */
  restart(app: string): Promise<boolean>;
  log(message: string): void;
}
