import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where one agent keeps everything: one agent per SLIPWAY_HOME. */
export function slipwayHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_HOME || join(homedir(), '.slipway');
}

export interface AgentPaths {
  home: string;
  /** 0700: holds the control socket. */
  runDir: string;
  socket: string;
  pidFile: string;
  lockFile: string;
  log: string;
  db: string;
  apps: string;
}

export function agentPaths(home = slipwayHome()): AgentPaths {
  const runDir = join(home, 'run');
  return {
    home,
    runDir,
    socket: join(runDir, 'agent.sock'),
    pidFile: join(runDir, 'agent.pid'),
    lockFile: join(runDir, 'agent.lock'),
    log: join(home, 'agent.log'),
    db: join(home, 'state.db'),
    apps: join(home, 'apps'),
  };
}

export function releaseDir(paths: AgentPaths, app: string, release: number): string {
  return join(paths.apps, app, 'releases', String(release));
}

/**
 * An app's output once its deployment has ended: NDJSON of AppLogEntry, kept
 * bounded by rotation to `<file>.1` (lib/agent/app-log.ts writes, `slipway logs --tail` reads).
 */
export function appLogFile(paths: AgentPaths, app: string): string {
  return join(paths.apps, app, 'output.log');
}

/** Where an app's one-offs get their private copies of a release. */
export function scratchRoot(paths: AgentPaths, app: string): string {
  return join(paths.apps, app, 'scratch');
}

export function scratchDir(paths: AgentPaths, app: string, name: string): string {
  return join(scratchRoot(paths, app), name);
}

/** Where an app's live processes append their output (they outlive the agent: see lib/agent/output-tail.ts). */
export function outputDir(paths: AgentPaths, app: string): string {
  return join(paths.apps, app, 'output');
}
