import type { AgentPaths } from '../control/paths.js';

/** What the supervisor needs from the rest of the agent. */
export interface SupervisorHost {
  paths: AgentPaths;
  configVars(app: string): Record<string, string>;
  /** Stores a line of process output under a deployment (masked by the host). */
  output(
    app: string,
    deploymentId: string,
    phase: 'start' | 'postdeploy' | 'release' | 'first-deploy',
    stream: 'stdout' | 'stderr',
    line: string,
  ): void;
  recordProcess(p: {
    key: string;
    app: string;
    deploymentId: string;
    name: string;
    pid: number;
    startedAt: number;
  }): void;
  removeProcess(key: string): void;
  log(message: string): void;
}
