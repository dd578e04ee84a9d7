import type { AgentPaths } from '../control/paths.js';

/** What the supervisor needs from the rest of the agent. */
export interface SupervisorHost {
  paths: AgentPaths;
  configVars(app: string): Record<string, string>;
  /**
   * Stores a line of process output (masked by the host): under its deployment
   * while that runs, in the app's log after it ended. `process` names the
   * long-running process (`web-1`) that wrote it.
   */
  output(
    app: string,
    deploymentId: string,
    phase: 'start' | 'postdeploy' | 'release' | 'first-deploy',
    stream: 'stdout' | 'stderr',
    line: string,
    process?: string,
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
