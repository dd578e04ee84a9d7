/**
 * The agent daemon: one per SLIPWAY_HOME. Started by the CLI when needed
 * (or `slipway agent start`); never loads plugin code.
 */
import { appendFileSync, chmodSync, closeSync, mkdirSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { lockContent, lockHolder } from '../control/agent-lock.js';
import { agentPaths } from '../control/paths.js';
import { SlipwayError } from '../core/errors.js';
import { Agent } from './agent.js';
import { handOver, Takeover } from './handover.js';
import { createControlServer, listenOnSocket } from './server.js';
import { Store } from './store.js';

const paths = agentPaths();

/** Run by `slipway agent run` (a service manager's foreground process): the log also goes to stdout, for the journal. */
const foreground = process.argv.includes('--foreground');

function log(message: string): void {
  if (foreground) process.stdout.write(`[${process.pid}] ${message}\n`);
  try {
    appendFileSync(paths.log, `${new Date().toISOString()} [${process.pid}] ${message}\n`);
  } catch {
    // logging must never take the agent down
  }
}

function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** One agent per home: an exclusive lock file naming its holder (lib/control/agent-lock.ts); a stale one is taken over. */
function takeLock(): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(paths.lockFile, 'wx', 0o600);
      writeFileSync(fd, lockContent());
      closeSync(fd);
      return true;
    } catch {
      const holder = lockHolder(paths);
      if (holder !== null && holder !== process.pid) return false;
      unlinkSync(paths.lockFile);
    }
  }
  return false;
}

/** This file: the code installed now, which a successor agent runs. */
const entry = fileURLToPath(import.meta.url);

async function main(): Promise<void> {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  // mkdir's mode only applies to a new directory: make sure of it.
  chmodSync(paths.home, 0o700);
  chmodSync(paths.runDir, 0o700);
  // Started by the agent it replaces (slipway agent restart): that one holds the lock and the socket until done.
  const takeover = Takeover.available() ? new Takeover() : null;
  if (!takeover) {
    if (!takeLock()) {
      log('another agent holds the lock; exiting');
      process.exit(0);
    }
    if (await socketAnswers(paths.socket)) {
      log('another agent answers on the socket; exiting');
      process.exit(0);
    }
  }
  const store = Store.open(paths.db);
  const agent = new Agent(store, paths, log);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${signal})`);
    server.close();
    await agent.shutdown().catch((error) => log(`shutdown: ${(error as Error).message}`));
    store.close();
    for (const f of [paths.socket, paths.pidFile, paths.lockFile]) {
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
    }
    process.exit(0);
  };
  /** Hands everything to a new agent, then exits leaving the app processes running. */
  const restart = async (): Promise<{ pid: number }> => {
    if (stopping) throw new SlipwayError('AGENT_BUSY', 'the agent is already stopping');
    agent.assertIdle();
    stopping = true;
    log('restarting: handing over to a new agent');
    let result: { pid: number };
    try {
      result = await handOver({
        entry,
        logFile: paths.log,
        foreground,
        env: process.env,
        listeners: agent.router.listeners(),
        // Stops accepting at once; the connection asking for the restart is still answered.
        closeControl: async () => {
          server.close();
        },
        log,
      });
    } catch (error) {
      stopping = false;
      log((error as Error).message);
      throw error;
    }
    // After the answer: in-flight requests finish here while the new agent takes the new ones.
    setImmediate(async () => {
      await agent.handOff().catch((error) => log(`handoff: ${(error as Error).message}`));
      store.close();
      log(`handed over to pid ${result.pid}; exiting`);
      process.exit(0);
    });
    return result;
  };
  const server = createControlServer(agent, { stop: () => void stop('request'), restart });
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('uncaughtException', (error) => log(`uncaught: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (error) => log(`unhandled rejection: ${(error as Error)?.stack ?? String(error)}`));
  if (takeover) {
    try {
      // Everything adopted and routed first: the sockets come last, so nothing waits on this agent's start.
      await agent.recover({ takeover: true });
      await agent.openListeners(await takeover.listeners());
      await takeover.serving();
    } catch (error) {
      await takeover.failed((error as Error).message);
      throw error;
    }
  } else {
    await agent.recover();
  }
  try {
    unlinkSync(paths.socket);
  } catch {
    // no stale socket
  }
  await listenOnSocket(server, paths.socket);
  writeFileSync(paths.pidFile, String(process.pid), { mode: 0o600 });
  if (takeover) {
    writeFileSync(paths.lockFile, lockContent(), { mode: 0o600 });
    await takeover.done();
    log(`agent ready on ${paths.socket} (took over)`);
  } else {
    log(`agent ready on ${paths.socket}`);
  }
}

main().catch((error) => {
  log(`failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
