/**
 * Actions started from the dashboard that take a while (rollbacks), with
 * their output kept so that a page following one sees it from the start.
 *
 * A rollback runs a real deployment, and deployments run in the CLI's process
 * because that is where plugins run (the agent never loads plugin code): so
 * the dashboard runs `slipway rollback N --app APP` as a child, with argv (no
 * shell), against this agent's SLIPWAY_HOME, and streams what it prints.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lineSplitter } from '../core/line-splitter.js';
import { packageInfo } from '../core/package-root.js';

export interface ActionEvent {
  type: 'line' | 'exit';
  text?: string;
  code?: number;
}

export interface Action {
  id: string;
  title: string;
  events: ActionEvent[];
  done: boolean;
  listeners: Set<(e: ActionEvent) => void>;
}

const KEPT = 20;

function emit(action: Action, e: ActionEvent): void {
  action.events.push(e);
  for (const l of action.listeners) l(e);
}

function end(action: Action, code: number): void {
  action.done = true;
  emit(action, { type: 'exit', code });
  action.listeners.clear();
}

export class Actions {
  readonly #all = new Map<string, Action>();
  #next = 1;
  readonly #children = new Set<number>();

  get(id: string): Action | undefined {
    return this.#all.get(id);
  }

  /** Runs the CLI; `cwd` matters for config files (a directory release holds its own). */
  runCli(title: string, args: string[], options: { cwd: string; home: string }): Action {
    const action = this.#add(title);
    const bin = join(packageInfo(import.meta.url).root, 'bin', 'slipway');
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: existsSync(options.cwd) ? options.cwd : options.home,
      env: { ...process.env, SLIPWAY_HOME: options.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) this.#children.add(child.pid);
    const line = (text: string) => emit(action, { type: 'line', text });
    line(`$ slipway ${args.join(' ')}`);
    for (const stream of [child.stdout, child.stderr]) {
      const split = lineSplitter(line);
      stream.on('data', (chunk: Buffer) => split.push(chunk));
      stream.on('end', () => split.end());
    }
    child.on('error', (error) => line(`could not run slipway: ${error.message}`));
    child.on('close', (code) => {
      if (child.pid) this.#children.delete(child.pid);
      end(action, code ?? 1);
    });
    return action;
  }

  /** Work done in this process; its lines and exit code are streamed like a child's. */
  task(title: string, work: (line: (text: string) => void) => Promise<number>): Action {
    const action = this.#add(title);
    const line = (text: string) => emit(action, { type: 'line', text });
    void work(line)
      .catch((error: Error) => {
        line(error.message);
        return 1;
      })
      .then((code) => end(action, code));
    return action;
  }

  /** Children still running get SIGTERM (the dashboard closes with the agent). */
  stop(): void {
    for (const pid of this.#children) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }

  #add(title: string): Action {
    const action: Action = { id: String(this.#next++), title, events: [], done: false, listeners: new Set() };
    this.#all.set(action.id, action);
    for (const [id, a] of this.#all) {
      if (this.#all.size <= KEPT) break;
      if (a.done) this.#all.delete(id);
    }
    return action;
  }
}
