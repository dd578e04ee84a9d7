/**
 * The agent daemon: one per SLIPWAY_HOME. Started by the CLI when needed
 * (or `slipway agent start`); never loads plugin code.
 */
import {
  appendFileSync,
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { agentPaths } from '../control/paths.js';
import { processStartTime, processStat, sameProcessAlive } from '../core/managed-process.js';
import { Agent } from './agent.js';
import { createControlServer, listenOnSocket } from './server.js';
import { Store } from './store.js';

const paths = agentPaths();

function log(message: string): void {
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

/**
 * One agent per home: an exclusive lock file naming its holder by pid and
 * kernel start time. A holder that is gone — exited, a zombie nobody reaped,
 * or a pid now reused by another process (an app process the dead agent
 * started, say) — holds nothing, and its lock is taken over.
 */
function takeLock(): boolean {
  const me = `${process.pid} ${processStartTime(process.pid) ?? 0}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(paths.lockFile, 'wx', 0o600);
      writeFileSync(fd, me);
      closeSync(fd);
      return true;
    } catch {
      if (lockHeld(readFileSync(paths.lockFile, 'utf8'))) return false;
      unlinkSync(paths.lockFile);
    }
  }
  return false;
}

function lockHeld(content: string): boolean {
  const [pid, startTime] = content.trim().split(/\s+/).map(Number);
  if (!pid || pid === process.pid) return false;
  if (startTime) return sameProcessAlive(pid, startTime);
  // A lock written before start times were recorded: the pid alone, a zombie excepted.
  const stat = processStat(pid);
  return stat !== null && stat.state !== 'Z';
}

async function main(): Promise<void> {
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
  // mkdir's mode only applies to a new directory: make sure of it.
  chmodSync(paths.home, 0o700);
  chmodSync(paths.runDir, 0o700);
  if (!takeLock()) {
    log('another agent holds the lock; exiting');
    process.exit(0);
  }
  if (await socketAnswers(paths.socket)) {
    log('another agent answers on the socket; exiting');
    process.exit(0);
  }
  try {
    unlinkSync(paths.socket);
  } catch {
    // no stale socket
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
  const server = createControlServer(agent, () => void stop('request'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('uncaughtException', (error) => log(`uncaught: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (error) => log(`unhandled rejection: ${(error as Error)?.stack ?? String(error)}`));
  await agent.recover();
  await listenOnSocket(server, paths.socket);
  writeFileSync(paths.pidFile, String(process.pid), { mode: 0o600 });
  log(`agent ready on ${paths.socket}`);
}

main().catch((error) => {
  log(`failed to start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
