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
        const timer = setTimeout(() => settle({ code, signal }), 200);
        this.#child.once('close', () => {
          clearTimeout(timer);
          settle({ code, signal });
        });
      });
    });
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
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // group already gone
    }
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once it has exited. */
  async stop(graceMs: number): Promise<ExitInfo> {
    if (this.running) {
      this.signalGroup('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.signalGroup('SIGKILL');
          resolve();
        }, graceMs);
      });
      await Promise.race([this.exited, killed]);
      clearTimeout(timer);
    }
    const info = await this.exited;
    // Children that outlived the leader must not keep ports or memory.
    this.signalGroup('SIGKILL');
    return info;
  }
}

/** Reads the process start time (clock ticks since boot) so a reused pid is never mistaken for ours. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return null;
  }
}
