import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RingBuffer } from '../core/line-splitter.js';
import {
  type ExitInfo,
  processStartTime,
  sameProcessAlive,
  signalProcessGroup,
  stopProcessGroup,
} from '../core/managed-process.js';
import { OutputTail } from './output-tail.js';

/** The files an app process writes its output to (see OutputTail). */
export interface OutputFiles {
  stdout: string;
  stderr: string;
}

type OnLine = (stream: 'stdout' | 'stderr', line: string) => void;

/** How often the exit of a process this agent did not start (so cannot wait for) is looked for. */
const ADOPTED_POLL_MS = 1000;
const adoptedProcesses = new Set<AppProcess>();
let poller: NodeJS.Timeout | undefined;

function pollAdopted(): void {
  for (const proc of adoptedProcesses) proc.checkAlive();
  if (adoptedProcesses.size === 0) {
    clearInterval(poller);
    poller = undefined;
  }
}

/**
 * A process of a live formation: in its own process group, stdin closed,
 * stdout and stderr appended to files rather than to pipes, so that it
 * survives the agent. Either spawned by this agent, or adopted: found still
 * running after an agent crash or a takeover, and followed by its pid (its
 * exit is polled; its status is then unknown).
 */
export class AppProcess {
  readonly lastLines = new RingBuffer(20);
  readonly exited: Promise<ExitInfo>;
  exit: ExitInfo | null = null;
  #settle!: (info: ExitInfo) => void;
  #tails: OutputTail[] = [];

  private constructor(
    readonly pid: number,
    /** The kernel's start time of the process (clock ticks since boot): its identity with the pid. */
    readonly startTime: number,
    readonly startedAt: number,
    readonly adopted: boolean,
  ) {
    this.exited = new Promise((resolve) => {
      this.#settle = (info) => {
        if (this.exit) return;
        this.exit = info;
        for (const tail of this.#tails) tail.close();
        adoptedProcesses.delete(this);
        resolve(info);
      };
    });
  }

  #follow(files: OutputFiles, onLine: OnLine, offsets?: { stdout: number; stderr: number }): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      try {
        this.#tails.push(
          new OutputTail(
            files[stream],
            (line) => {
              this.lastLines.push(line);
              onLine(stream, line);
            },
            { offset: offsets?.[stream] },
          ),
        );
      } catch {
        // the file is gone: the process's output is lost, the process itself is not
      }
    }
  }

  /** Starts `argv` with its output appended to `files`. */
  static spawn(options: {
    argv: string[];
    cwd: string;
    env: Record<string, string>;
    files: OutputFiles;
    onLine: OnLine;
  }): AppProcess {
    const fds: number[] = [];
    for (const file of [options.files.stdout, options.files.stderr]) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      fds.push(openSync(file, 'a', 0o600));
    }
    // What a restarted process with the same files wrote before was read already; what it writes from now on is new.
    const offsets = { stdout: fstatSync(fds[0]!).size, stderr: fstatSync(fds[1]!).size };
    const [file, ...args] = options.argv;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file!, args, {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ['ignore', fds[0]!, fds[1]!],
      });
    } finally {
      // The child holds its own copies.
      for (const fd of fds) closeSync(fd);
    }
    const pid = child.pid ?? -1;
    const proc = new AppProcess(pid, pid > 0 ? (processStartTime(pid) ?? 0) : 0, Date.now(), false);
    proc.#follow(options.files, options.onLine, offsets);
    child.on('error', () => proc.#settle({ code: 127, signal: null }));
    child.on('exit', (code, signal) => proc.#settle({ code, signal }));
    child.unref();
    return proc;
  }

  /** Takes over a process a previous agent started; null when it is no longer that process. */
  static adopt(options: {
    pid: number;
    startTime: number;
    startedAt: number;
    files: OutputFiles;
    onLine: OnLine;
  }): AppProcess | null {
    if (!sameProcessAlive(options.pid, options.startTime)) return null;
    const proc = new AppProcess(options.pid, options.startTime, options.startedAt, true);
    // What it wrote before was read by the agent that started it.
    proc.#follow(options.files, options.onLine);
    adoptedProcesses.add(proc);
    poller ??= setInterval(pollAdopted, ADOPTED_POLL_MS);
    poller.unref();
    return proc;
  }

  /** For an adopted process: settles `exited` once it is gone (its status is unknown). */
  checkAlive(): void {
    if (this.exit === null && !sameProcessAlive(this.pid, this.startTime)) this.#settle({ code: null, signal: null });
  }

  /** Stops following the process (another agent follows it now); the process itself runs on. */
  release(): void {
    for (const tail of this.#tails.splice(0)) tail.close();
    adoptedProcesses.delete(this);
  }

  get running(): boolean {
    return this.exit === null && this.pid > 0;
  }

  /** Signals the whole process group; quiet when it is already gone. */
  signalGroup(signal: NodeJS.Signals): void {
    signalProcessGroup(this.pid, signal);
  }

  async stop(graceMs: number): Promise<ExitInfo> {
    if (this.adopted) {
      // Its exit is polled: look more often while it stops.
      const fast = setInterval(() => this.checkAlive(), 50);
      try {
        return await stopProcessGroup(this, graceMs);
      } finally {
        clearInterval(fast);
      }
    }
    return stopProcessGroup(this, graceMs);
  }
}

/** A value of a running process's environment (PORT of an adopted web process), when it can be read. */
export function processEnvValue(pid: number, name: string): string | undefined {
  try {
    const prefix = `${name}=`;
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((e) => e.startsWith(prefix));
    return entry?.slice(prefix.length);
  } catch {
    return undefined;
  }
}
