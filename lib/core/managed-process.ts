import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { lineSplitter, RingBuffer } from './line-splitter.js';

export interface SpawnOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /**
   * Gives the child a pipe as fd 3 that `open()` writes a line to and closes
   * (an argv made to wait for it: see MemoryLimit.argv's `gated`).
   */
  gate?: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child in its own process group (so a stop reaches everything it forked),
 * stdin closed, output split into lines.
 */
export class ManagedProcess {
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly exited: Promise<ExitInfo>;
  readonly lastLines = new RingBuffer(20);
  exit: ExitInfo | null = null;
  #child: ChildProcess;
  #paused = false;
  /** Settles `exited` once the output is read again (see pause). */
  #onResume: (() => void) | undefined;

  constructor(options: SpawnOptions) {
    const [file, ...args] = options.argv;
    this.#child = spawn(file!, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: options.gate ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.#child.pid ?? -1;
    for (const stream of ['stdout', 'stderr'] as const) {
      const split = lineSplitter((line) => {
        this.lastLines.push(line);
        options.onLine?.(stream, line);
      });
      this.#child[stream]?.on('data', (chunk: Buffer) => split.push(chunk));
      this.#child[stream]?.on('end', () => split.end());
    }
    this.exited = new Promise((resolve) => {
      let settled = false;
      const settle = (info: ExitInfo) => {
        if (settled) return;
        settled = true;
        this.exit ??= info;
        resolve(this.exit);
      };
      this.#child.on('error', () => settle({ code: 127, signal: null }));
      // 'close' waits for the output pipes, which a forked grandchild can hold
      // open forever: once the leader exited, give its output a moment, then settle.
      this.#child.on('exit', (code, signal) => {
        // A gate never opened would otherwise hold 'close' (and its pipe) open.
        this.#child.stdio[3]?.destroy();
        let timer: NodeJS.Timeout | undefined;
        // While its output is paused, what is left in the pipes is not read yet: wait for it.
        const arm = () => {
          timer = setTimeout(() => settle({ code, signal }), 200);
        };
        if (this.#paused) this.#onResume = arm;
        else arm();
        this.#child.once('close', () => {
          clearTimeout(timer);
          settle({ code, signal });
        });
      });
    });
  }

  /**
   * Stops reading the child's output until resume(): what it writes waits in
   * the pipes, and once they are full the child waits too. (Once the child
   * exits, Node reads what is left in the pipes anyway: at most a pipe's
   * worth.) False when it was paused already.
   */
  pause(): boolean {
    if (this.#paused) return false;
    this.#paused = true;
    this.#child.stdout?.pause();
    this.#child.stderr?.pause();
    return true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#child.stdout?.resume();
    this.#child.stderr?.resume();
    this.#onResume?.();
    this.#onResume = undefined;
  }

  /** Lets a gated child go on. */
  open(): void {
    const gate = this.#child.stdio[3] as NodeJS.WritableStream | null | undefined;
    gate?.on('error', () => undefined);
    gate?.end('\n');
  }

  get running(): boolean {
    return this.exit === null && this.pid > 0;
  }

  /** Signals the whole process group; quiet when it is already gone. */
  signalGroup(signal: NodeJS.Signals): void {
    signalProcessGroup(this.pid, signal);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once it has exited. */
  stop(graceMs: number): Promise<ExitInfo> {
    return stopProcessGroup(this, graceMs);
  }
}

/** Signals the process group `pid` leads; quiet when it is already gone. */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
}

/** What stopping a process group needs to know of its leader. */
export interface GroupLeader {
  readonly running: boolean;
  readonly exited: Promise<ExitInfo>;
  signalGroup(signal: NodeJS.Signals): void;
}

/**
 * SIGTERM to the leader's whole group, then SIGKILL after the grace period;
 * resolves once the leader has exited. Children that outlived it are killed
 * too: they must not keep ports or memory.
 */
export async function stopProcessGroup(leader: GroupLeader, graceMs: number): Promise<ExitInfo> {
  if (leader.running) {
    leader.signalGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        leader.signalGroup('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([leader.exited, killed]);
    clearTimeout(timer);
  }
  const info = await leader.exited;
  leader.signalGroup('SIGKILL');
  return info;
}

/** Reads the process start time (clock ticks since boot) so a reused pid is never mistaken for ours. */
export function processStartTime(pid: number): number | null {
  return processStat(pid)?.startTime ?? null;
}

/** A process's state letter (`R`, `S`, `Z` for a zombie…) and start time, or null when there is none. */
export function processStat(pid: number): { state: string; startTime: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, startTime: Number(fields[19]) };
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc's times: USER_HZ, 100 on every Linux ABI. */
const USER_HZ = 100;
let bootTimeMs: number | undefined;

/** A process start time from /proc (ticks since boot) as a wall-clock time in ms. */
export function startTimeToEpochMs(startTime: number): number {
  if (bootTimeMs === undefined) {
    try {
      const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
      bootTimeMs = Number(btime) * 1000;
    } catch {
      return Date.now();
    }
  }
  return bootTimeMs + (startTime * 1000) / USER_HZ;
}

/**
 * Whether `pid` is still the process that was recorded with `startTime`
 * and has not exited: a zombie (exited, not yet reaped) and a reused pid
 * both count as gone.
 */
export function sameProcessAlive(pid: number, startTime: number): boolean {
  const stat = processStat(pid);
  return stat !== null && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}
