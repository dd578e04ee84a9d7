/**
 * What a fault may leave behind in a SLIPWAY_HOME: processes running there
 * that no live release owns, scratch copies of one-offs, mounts, half-written
 * release directories; and the agent's memory, from /proc.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type E2E, until } from './e2e.js';

/** pids of the processes whose working directory is under `dir`. */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
      if ((cwd === dir || cwd.startsWith(`${dir}/`)) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}

/** pids of the processes the agent reports for the apps' live releases. */
export async function livePids(e2e: E2E): Promise<number[]> {
  const apps = await e2e.json<{ processes: { pid: number }[] }[]>(['status']);
  return apps.flatMap((a) => a.processes.map((p) => p.pid)).sort((a, b) => a - b);
}

/** The process group of a process (live processes lead their own), or null when it is gone. */
export function processGroup(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]);
  } catch {
    return null;
  }
}

/** Processes running in the home outside the live releases' process groups (one-offs, killed deployments' processes). */
export async function strayProcesses(e2e: E2E): Promise<number[]> {
  const live = new Set(await livePids(e2e));
  return processesUnder(e2e.home).filter((pid) => !live.has(processGroup(pid) ?? pid));
}

export function scratchLeft(home: string): string[] {
  const apps = join(home, 'apps');
  if (!existsSync(apps)) return [];
  return readdirSync(apps).flatMap((app) => {
    const dir = join(apps, app, 'scratch');
    return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
  });
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(`${dir}/`));
}

/**
 * Waits until nothing is left behind in the home: no stray process, no
 * scratch copy, no mount other than `allowedMounts`.
 */
export async function nothingLeftBehind(e2e: E2E, what: string, allowedMounts: string[] = []): Promise<void> {
  let last = '';
  try {
    await until(
      async () => {
        const strays = await strayProcesses(e2e);
        const scratch = scratchLeft(e2e.home);
        const mounts = mountsUnder(e2e.home).filter((m) => !allowedMounts.includes(m));
        last = JSON.stringify({ strays: strays.map(describe), scratch, mounts });
        return strays.length === 0 && scratch.length === 0 && mounts.length === 0;
      },
      10_000,
      what,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}: left ${last}`);
  }
}

function describe(pid: number): string {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return `${pid} ${cmd} (in ${readlinkSync(`/proc/${pid}/cwd`)})`;
  } catch {
    return String(pid);
  }
}

/** Resident memory of a process in MiB, from /proc/<pid>/status. */
export function rssMiB(pid: number): number {
  const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}
