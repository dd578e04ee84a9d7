import { readFileSync } from 'node:fs';
import { processStartTime, processStat, sameProcessAlive } from '../core/managed-process.js';
import type { AgentPaths } from './paths.js';

/**
 * The agent lock's content: the holder's pid and kernel start time, so that
 * a holder that is gone — exited, a zombie nobody reaped, or a pid now
 * reused by another process — holds nothing.
 */
export function lockContent(pid = process.pid): string {
  return `${pid} ${processStartTime(pid) ?? 0}`;
}

/** The pid of the live agent that holds the lock, or null. */
export function lockHolder(paths: AgentPaths): number | null {
  let content: string;
  try {
    content = readFileSync(paths.lockFile, 'utf8');
  } catch {
    return null;
  }
  const [pid, startTime] = content.trim().split(/\s+/).map(Number);
  if (!pid) return null;
  if (startTime) return sameProcessAlive(pid, startTime) ? pid : null;
  // A lock written before start times were recorded: the pid alone, a zombie excepted.
  const stat = processStat(pid);
  return stat !== null && stat.state !== 'Z' ? pid : null;
}
