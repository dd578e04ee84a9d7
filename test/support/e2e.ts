/**
 * End-to-end helpers: real CLI processes, a real agent per test file (its own
 * SLIPWAY_HOME), real HTTP through the router on 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../lib/core/ports.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'slipway');
const fixture = join(root, 'test', 'fixtures', 'app');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class E2E {
  readonly home = mkdtempSync(join(tmpdir(), 'slipway-e2e-'));
  readonly dirs: string[] = [this.home];
  readonly children = new Set<ChildProcess>();

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, SLIPWAY_HOME: this.home, NO_COLOR: '1', ...extra };
  }

  /** Runs the CLI to completion. */
  run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Result> {
    const child = this.spawn(args, options);
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d) => (stdout += d));
      child.stderr?.on('data', (d) => (stderr += d));
      child.on('close', (code) => {
        this.children.delete(child);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  spawn(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? root,
      env: this.env(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.on('close', () => this.children.delete(child));
    return child;
  }

  /** An app directory made from the test fixture with a Procfile and config. */
  async app(procfile: string, config: Record<string, unknown> = {}): Promise<{ dir: string; port: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-app-'));
    this.dirs.push(dir);
    cpSync(fixture, dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(dir, 'Procfile'), procfile);
    const port = (config.port as number | undefined) ?? (await freePort());
    writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ app: 'e2e', port, ...config }, null, 2));
    return { dir, port };
  }

  /** `deploy --json`, parsed: the final record and every event. */
  async deploy(
    dir: string,
    args: string[] = [],
  ): Promise<{ code: number; record: any; events: any[]; stderr: string }> {
    const r = await this.run(['deploy', dir, '--json', ...args]);
    const events = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const record = events.find((e) => e.type === 'result')?.deployment;
    return { code: r.code, record, events, stderr: r.stderr };
  }

  async json<T = any>(args: string[]): Promise<T> {
    const r = await this.run([...args, '--json']);
    return JSON.parse(r.stdout) as T;
  }

  /** Stops the agent with a signal, then runs a command that starts it again. */
  async restartAgent(signal: NodeJS.Signals): Promise<Result> {
    const pid = this.agentPid()!;
    process.kill(pid, signal);
    await until(() => !alive(pid), 10_000, 'the agent to exit');
    return this.run(['status']);
  }

  agentPid(): number | null {
    try {
      return Number(readFileSync(join(this.home, 'run', 'agent.pid'), 'utf8'));
    } catch {
      return null;
    }
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await this.run(['agent', 'stop']);
    const pid = this.agentPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // stopped
      }
    }
    // A test that failed half-way may leave app processes behind: every one running in this home goes.
    killProcessesUnder(this.home);
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * SIGKILLs the process group of every process working under `dir`, or run
 * with it as SLIPWAY_HOME (an agent a late CLI call started): ours only.
 */
function killProcessesUnder(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cwd: string;
    let environ: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
      environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      continue;
    }
    const underDir = cwd === dir || cwd.startsWith(`${dir}/`);
    if (!underDir && !environ.split('\0').includes(`SLIPWAY_HOME=${dir}`)) continue;
    try {
      process.kill(-Number(entry), 'SIGKILL');
    } catch {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

export function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls until the app answers 200 through the router; returns the body. */
export async function servedBody(port: number, timeoutMs: number, what = 'the app to answer'): Promise<string> {
  const body = await until(
    async () => {
      const r = await get(port).catch(() => null);
      return r?.status === 200 ? r.body : null;
    },
    timeoutMs,
    what,
  );
  return body as string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a truthy value or the time is up. */
export async function until<T>(check: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** pids of the processes a deployment started, from its `ready on port … (pid N)` lines. */
export function startedPids(events: any[]): number[] {
  return events
    .filter((e) => e.type === 'log' && /ready/.test(e.line))
    .map((e) => Number(/\(pid (\d+)\)/.exec(e.line)?.[1]))
    .filter(Boolean);
}
