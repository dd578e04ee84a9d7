/**
 * Replacing a running agent with a new one without dropping a request, as
 * nginx's binary upgrade and HAProxy's seamless reload do: the old agent
 * starts the new one (from the code now installed: also how slipway is
 * upgraded) and hands it every app's listening socket over an IPC channel.
 * The new agent adopts the app processes, sets the routes and accepts on the
 * same sockets; only then does the old one stop accepting, finish its
 * in-flight requests and exit, leaving the processes running.
 *
 *   old                                   new (--takeover)
 *   spawn ───────────────────────────────▶ recover: adopt processes, set routes
 *                                   ◀──── hello
 *   listener(app) + socket, … , done ────▶ accept on them
 *                                   ◀──── serving
 *   stop accepting, close control socket
 *   control-free ────────────────────────▶ listen on the control socket, take the lock
 *                                   ◀──── done
 *   finish in-flight requests, exit
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { SlipwayError } from '../core/errors.js';

type Message =
  | { t: 'hello' }
  | { t: 'listener'; app: string }
  | { t: 'listeners-done' }
  | { t: 'serving' }
  | { t: 'control-free' }
  | { t: 'done'; pid: number }
  | { t: 'failed'; message: string };

/** How long the new agent may take to adopt everything and serve (a dead process restarts within its start timeout). */
const SERVING_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 30_000;

/** Messages of one IPC peer, awaited in order by type. */
class Inbox {
  #queue: { message: Message; handle: unknown }[] = [];
  #waiting: (() => void) | undefined;
  #gone: Error | undefined;

  constructor(peer: NodeJS.EventEmitter) {
    peer.on('message', (message: Message, handle: unknown) => {
      this.#queue.push({ message, handle });
      this.#waiting?.();
    });
    const gone = (why: string) => {
      this.#gone ??= new Error(why);
      this.#waiting?.();
    };
    peer.on('disconnect', () => gone('the other agent closed the channel'));
    peer.on('exit', (code: number | null, signal: string | null) =>
      gone(`the other agent exited (${signal ?? `status ${code}`})`),
    );
  }

  /** The next message, which must be of one of `types`. */
  async next<T extends Message['t']>(
    types: T | readonly T[],
    timeoutMs: number,
  ): Promise<{ message: Extract<Message, { t: T }>; handle: unknown }> {
    const wanted: readonly string[] = typeof types === 'string' ? [types] : types;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#queue.shift();
      if (found) {
        if (found.message.t === 'failed') throw new Error(found.message.message);
        if (!wanted.includes(found.message.t)) throw new Error(`expected "${wanted}", got "${found.message.t}"`);
        return found as { message: Extract<Message, { t: T }>; handle: unknown };
      }
      if (this.#gone) throw this.#gone;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${wanted}" within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiting = undefined;
    }
  }
}

/** What the old agent gives for a handover. */
export interface HandoverFrom {
  /** The agent's entry file: the code installed now, which the new agent runs. */
  entry: string;
  /** The agent's log, which the new agent's output also goes to. */
  logFile: string;
  /** Run in the foreground (a service manager's): the new agent writes to the same stdout, the journal. */
  foreground: boolean;
  env: NodeJS.ProcessEnv;
  /** Every app's listening socket, by app. */
  listeners: ReadonlyMap<string, Server>;
  /** Called once the new agent serves: stop accepting on the control socket (resolves once closed). */
  closeControl(): Promise<void>;
  log(message: string): void;
}

/**
 * The old agent's side: resolves with the new agent's pid once it serves
 * and owns the control socket. Before the new agent serves, any failure
 * leaves the old one as it was (the new one is killed): AGENT_RESTART_FAILED.
 */
export async function handOver(from: HandoverFrom): Promise<{ pid: number }> {
  const out = from.foreground ? 'inherit' : openSync(from.logFile, 'a', 0o600);
  const args = [...process.execArgv, '--max-semi-space-size=1', from.entry, '--takeover'];
  if (from.foreground) args.push('--foreground');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out, 'ipc'], env: from.env });
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
  const inbox = new Inbox(child);
  const send = (message: Message, handle?: Server) =>
    new Promise<void>((resolve, reject) =>
      child.send(message, handle as never, (error) => (error ? reject(error) : resolve())),
    );
  try {
    // The new agent says hello once it has adopted the processes and set the routes.
    await inbox.next('hello', SERVING_TIMEOUT_MS);
    for (const [app, server] of from.listeners) await send({ t: 'listener', app }, server);
    await send({ t: 'listeners-done' });
    await inbox.next('serving', STEP_TIMEOUT_MS);
  } catch (error) {
    child.kill('SIGKILL');
    throw new SlipwayError(
      'AGENT_RESTART_FAILED',
      `the new agent did not take over: ${(error as Error).message}; the running agent goes on serving`,
    );
  }
  from.log(`new agent (pid ${child.pid}) serves every app; handing over the control socket`);
  await from.closeControl();
  await send({ t: 'control-free' });
  const { message } = await inbox.next('done', STEP_TIMEOUT_MS);
  child.disconnect();
  child.unref();
  return { pid: message.pid };
}

/** A listener received from the agent being replaced, with the connections it accepted so far. */
export interface HeldListener {
  server: Server;
  /** Stops holding: the connections held until now, for the router to serve. */
  release(): Socket[];
}

export function holdConnections(server: Server): HeldListener {
  const held: Socket[] = [];
  const hold = (socket: Socket) => {
    socket.pause();
    held.push(socket);
  };
  server.on('connection', hold);
  return {
    server,
    release() {
      server.off('connection', hold);
      return held.splice(0);
    },
  };
}

/** The new agent's side, started with `--takeover` by the old one over an IPC channel. */
export class Takeover {
  readonly #inbox = new Inbox(process);

  static available(): boolean {
    return process.argv.includes('--takeover') && typeof process.send === 'function';
  }

  #send(message: Message): Promise<void> {
    return new Promise((resolve, reject) =>
      process.send!(message, undefined, undefined, (e) => (e ? reject(e) : resolve())),
    );
  }

  /**
   * Says hello and receives every app's listening socket. A received
   * socket accepts at once: what it accepts before the app's route is set
   * is held, paused, and handed to the router with it.
   */
  async listeners(): Promise<Map<string, HeldListener>> {
    await this.#send({ t: 'hello' });
    const listeners = new Map<string, HeldListener>();
    for (;;) {
      const { message, handle } = await this.#inbox.next(['listener', 'listeners-done'], STEP_TIMEOUT_MS);
      if (message.t === 'listeners-done') return listeners;
      listeners.set(message.app, holdConnections(handle as Server));
    }
  }

  /** Tells the old agent that this one serves every app, then waits until the control socket is free. */
  async serving(): Promise<void> {
    await this.#send({ t: 'serving' });
    await this.#inbox.next('control-free', STEP_TIMEOUT_MS);
  }

  async done(): Promise<void> {
    await this.#send({ t: 'done', pid: process.pid });
    process.disconnect();
  }

  async failed(message: string): Promise<void> {
    await this.#send({ t: 'failed', message }).catch(() => undefined);
  }
}
