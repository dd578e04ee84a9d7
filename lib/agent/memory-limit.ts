import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A memory limit on a whole process tree. A cgroup where the machine lets us
 * create one (the kernel OOM-kills the tree); otherwise the tree's RSS is
 * watched and the process group killed when it goes over.
 */
export interface MemoryLimit {
  readonly kind: 'cgroup-v1' | 'cgroup-v2' | 'rss-watch';
  /**
   * argv that runs `command` inside the limit (the shell joins the cgroup
   * first). `gated`: the shell then waits for a line on fd 3 (closing it on
   * EOF with status 125) before it runs the command, for a process spawned
   * ahead of time (ManagedProcess's `gate`).
   */
  argv(command: string, options?: { gated?: boolean }): string[];
  /** Starts watching once the process group exists. */
  watch(pgid: number, kill: () => void): void;
  /** True when the limit was hit. */
  exceeded(): boolean;
  /**
   * SIGKILLs every process still in the limit: with a cgroup, also those
   * that left the process group (a child in a new session, a daemon).
   */
  killAll(): void;
  /**
   * Removes the limit. A cgroup can only go once the kernel no longer counts
   * any process in it, which can lag the last exit a little: removal is
   * retried on timers (never blocking the event loop) and the promise settles
   * once the cgroup is gone. Rejects if it is still busy after `removeForMs`.
   */
  dispose(): Promise<void>;
  /** The cgroup directory, for a cgroup limit. */
  readonly path?: string;
}

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';

/** Waits for the go line on fd 3, which the command does not inherit. */
const GATE = 'read -r _ <&3 || exit 125; exec 3<&-; ';

function plainArgv(command: string, options?: { gated?: boolean }): string[] {
  if (options?.gated) return ['/bin/sh', '-c', `${GATE}exec /bin/sh -c "$1"`, 'slipway-gate', command];
  return ['/bin/sh', '-c', command];
}

/** The shell writes its own pid into the cgroup before exec'ing the command, so nothing runs outside it. */
function cgroupArgv(procsFile: string, command: string, options?: { gated?: boolean }): string[] {
  const gate = options?.gated ? GATE : '';
  return [
    '/bin/sh',
    '-c',
    `echo $$ > "$1" || exit 125; ${gate}exec /bin/sh -c "$2"`,
    'slipway-limit',
    procsFile,
    command,
  ];
}

function readCounter(file: string, key: string): number {
  try {
    const match = readFileSync(file, 'utf8').match(new RegExp(`^${key} (\\d+)$`, 'm'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

function cgroupV1(name: string, bytes: number): MemoryLimit | null {
  if (!existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) return null;
  const dir = join(V1_ROOT, 'slipway', name);
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return null;
  }
  if (!tryWrite(join(dir, 'memory.limit_in_bytes'), String(bytes))) {
    rmdirQuietly(dir);
    return null;
  }
  // Without a swap limit the tree could page out instead of being stopped.
  tryWrite(join(dir, 'memory.memsw.limit_in_bytes'), String(bytes));
  return {
    kind: 'cgroup-v1',
    path: dir,
    argv: (command, options) => cgroupArgv(join(dir, 'cgroup.procs'), command, options),
    watch() {},
    exceeded: () => readCounter(join(dir, 'memory.oom_control'), 'oom_kill') > 0,
    killAll: () => killListed(join(dir, 'cgroup.procs')),
    dispose: once(() => removeCgroup(dir)),
  };
}

function cgroupV2(name: string, bytes: number): MemoryLimit | null {
  if (!existsSync(join(V2_ROOT, 'cgroup.controllers'))) return null;
  try {
    if (!readFileSync(join(V2_ROOT, 'cgroup.subtree_control'), 'utf8').includes('memory')) return null;
  } catch {
    return null;
  }
  const dir = join(V2_ROOT, 'slipway', name);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(V2_ROOT, 'slipway', 'cgroup.subtree_control'), '+memory');
  } catch {
    // the parent may already delegate memory
  }
  if (!tryWrite(join(dir, 'memory.max'), String(bytes))) {
    rmdirQuietly(dir);
    return null;
  }
  tryWrite(join(dir, 'memory.swap.max'), '0');
  return {
    kind: 'cgroup-v2',
    path: dir,
    argv: (command, options) => cgroupArgv(join(dir, 'cgroup.procs'), command, options),
    watch() {},
    exceeded: () => readCounter(join(dir, 'memory.events'), 'oom_kill') > 0,
    killAll: () => killListed(join(dir, 'cgroup.procs')),
    dispose: once(() => removeCgroup(dir)),
  };
}

/** SIGKILLs the processes a cgroup.procs file lists. */
function killListed(procsFile: string): void {
  let listed: string;
  try {
    listed = readFileSync(procsFile, 'utf8');
  } catch {
    return;
  }
  for (const pid of listed.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // nothing ran in it; a leftover empty cgroup is harmless
  }
}

/** How long a cgroup removal keeps retrying while the kernel still counts a process in it. */
export const REMOVE_FOR_MS = 60_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A cgroup can only be removed once empty, and the kernel may count the last
 * process for a moment after it was reaped: retry with growing delays
 * (5 ms, doubling, at most 1 s apart) instead of spinning.
 */
async function removeCgroup(dir: string, removeForMs = REMOVE_FOR_MS): Promise<void> {
  const until = Date.now() + removeForMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 1000)) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() >= until) throw error;
    }
    await sleep(delay);
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}

const PAGE = 4096;

/** Sum of the resident memory of every process in a process group. */
export function groupRss(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[2] is pgrp, fields[21] rss (pages), counted from the state field
      if (Number(fields[2]) === pgid) total += Number(fields[21]) * PAGE;
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

function rssWatch(bytes: number, intervalMs = 100): MemoryLimit {
  let timer: NodeJS.Timeout | undefined;
  let hit = false;
  return {
    kind: 'rss-watch',
    argv: plainArgv,
    watch(pgid, kill) {
      timer = setInterval(() => {
        if (groupRss(pgid) > bytes) {
          hit = true;
          clearInterval(timer);
          kill();
        }
      }, intervalMs);
      timer.unref();
    },
    exceeded: () => hit,
    // Only the process group is known here: its leader's stop already reached it.
    killAll() {},
    dispose: async () => clearInterval(timer),
  };
}

export function createMemoryLimit(name: string, bytes: number, prefer?: MemoryLimit['kind']): MemoryLimit {
  if (prefer === 'rss-watch') return rssWatch(bytes);
  return cgroupV1(name, bytes) ?? cgroupV2(name, bytes) ?? rssWatch(bytes);
}
