import { type ChildProcess, spawn } from 'node:child_process';
import { lockHolder } from './agent-lock.js';
import type { AgentPaths } from './paths.js';

const FOLLOW_POLL_MS = 500;
const MAX_BACKOFF_MS = 5_000;
/** An agent that ran this long before it died starts its backoff again from the shortest delay. */
const STABLE_MS = 60_000;

export interface KeeperOptions {
  paths: AgentPaths;
  /** The agent's entry file. */
  entry: string;
  env: NodeJS.ProcessEnv;
  log(message: string): void;
}

/**
 * Keeps an agent running in the foreground, for a service manager (the
 * systemd unit `slipway agent install` writes): starts the agent with its
 * output on this process's stdout (the journal), starts it again when it
 * dies, and follows the agent that replaced it after `slipway agent restart`
 * (which is not this process's child). SIGTERM or SIGINT stop the current
 * agent — and so its apps — then resolve with 0.
 */
export function keepAgentRunning(options: KeeperOptions): Promise<number> {
  let stopping = false;
  let current: { pid: number; child?: ChildProcess } | null = null;
  let wake: (() => void) | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.log(`received ${signal}: stopping the agent`);
    if (current) {
      try {
        process.kill(current.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    wake?.();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async (): Promise<number> => {
    let backoff = 100;
    while (!stopping) {
      const holder = lockHolder(options.paths);
      if (holder !== null) {
        // An agent runs already (started by a CLI, or the successor of ours): follow it until it is gone.
        current = { pid: holder };
        options.log(`following the agent (pid ${holder})`);
        while (!stopping && lockHolder(options.paths) === holder) await sleep(FOLLOW_POLL_MS);
        if (stopping) await waitUntilGone(holder);
        continue;
      }
      const startedAt = Date.now();
      const child = spawn(process.execPath, ['--max-semi-space-size=1', options.entry, '--foreground'], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: options.env,
      });
      current = { pid: child.pid ?? -1, child };
      const exit = await new Promise<string>((resolve) => {
        child.once('error', (error) => resolve(error.message));
        child.once('exit', (code, signal) => resolve(signal ?? `status ${code}`));
      });
      current = null;
      if (stopping) break;
      if (lockHolder(options.paths) !== null) continue;
      if (Date.now() - startedAt > STABLE_MS) backoff = 100;
      options.log(`the agent exited (${exit}); starting it again in ${backoff} ms`);
      await sleep(backoff);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    return 0;
  };
  return run();
}

async function waitUntilGone(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
