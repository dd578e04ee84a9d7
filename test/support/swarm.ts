/**
 * Swarm end-to-end helpers: a single-node swarm on the test's Engine
 * (`docker swarm init --advertise-addr 127.0.0.1`) when it is not in one,
 * left again by the last test file that used it, and cleanup of the
 * services a test file made. Every service uses the host's network: the
 * ingress network the init makes (and its gateway bridge) is removed at
 * once, so no task ever gets a private-range address.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { test } from 'uvu';
import { DockerE2E, docker, dockerSuite, type HookGate, runEngineTests } from './docker.js';
import { alive } from './e2e.js';

/** Shared by the test files of one machine: who uses the swarm, and whether a test made it. */
const STATE_DIR = join(tmpdir(), 'slipway-swarm-tests');
const CREATED = join(STATE_DIR, 'created');
const USERS = join(STATE_DIR, 'users');
const LOCK = join(STATE_DIR, 'lock');

/**
 * Runs `work` while holding the state directory's lock (a directory made
 * atomically, with the holder's pid in it; a dead holder's lock is taken
 * over): joining and leaving never interleave between test files.
 */
async function locked<T>(work: () => Promise<T>): Promise<T> {
  mkdirSync(STATE_DIR, { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSyncQuiet(join(LOCK, 'pid')));
      if (holder && !alive(holder)) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the swarm test lock ${LOCK} is held by ${holder || 'someone'}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function readFileSyncQuiet(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function dockerCli(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

async function swarmState(): Promise<{ state: string; manager: boolean; nodeId?: string }> {
  const info = (await docker.info()) as {
    Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string };
  };
  return {
    state: info.Swarm?.LocalNodeState ?? 'inactive',
    manager: Boolean(info.Swarm?.ControlAvailable),
    nodeId: info.Swarm?.NodeID,
  };
}

/** The networks a swarm init makes that nothing here uses: removing them takes their private-range interfaces away. */
async function removeSwarmNetworks(): Promise<void> {
  for (const name of ['ingress', 'docker_gwbridge']) {
    await docker
      .getNetwork(name)
      .remove()
      .catch(() => undefined);
  }
}

/**
 * Makes the Engine a single-node swarm manager advertising 127.0.0.1 unless
 * it is one already, and registers this test file as a user. Refuses a
 * swarm whose node is reached at another address: the router would send
 * traffic there.
 */
export function joinTestSwarm(): Promise<void> {
  return locked(enter);
}

async function enter(): Promise<void> {
  mkdirSync(USERS, { recursive: true });
  writeFileSync(join(USERS, String(process.pid)), '');
  let current = await swarmState();
  if (current.state !== 'active') {
    const init = dockerCli(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    current = await swarmState();
    if (current.state !== 'active') throw new Error(`docker swarm init failed: ${init.out}`);
    if (init.status === 0) {
      writeFileSync(CREATED, String(process.pid));
      await removeSwarmNetworks();
    }
  }
  if (!current.manager) throw new Error('the Engine is a swarm worker: the swarm tests need a manager');
  const node = (await docker.getNode(current.nodeId!).inspect()) as { Status?: { Addr?: string } };
  if (node.Status?.Addr !== '127.0.0.1') {
    throw new Error(
      `the Engine's swarm node is at ${node.Status?.Addr}, not 127.0.0.1: the swarm tests only use loopback`,
    );
  }
}

/** Unregisters this file; the last user of a swarm a test made leaves it (and removes its gateway bridge). */
export function leaveTestSwarm(): Promise<void> {
  return locked(leave);
}

async function leave(): Promise<void> {
  rmSync(join(USERS, String(process.pid)), { force: true });
  const others = existsSync(USERS) ? readdirSync(USERS).filter((p) => alive(Number(p))) : [];
  if (others.length > 0 || !existsSync(CREATED)) return;
  rmSync(CREATED, { force: true });
  const left = dockerCli(['swarm', 'leave', '--force']);
  if (left.status !== 0) throw new Error(`docker swarm leave failed: ${left.out}`);
  await removeSwarmNetworks();
}

/** E2E with swarm apps: `runtime: swarm`, and the app's services removed at cleanup. */
export class SwarmE2E extends DockerE2E {
  /** The fixture app with a Procfile, a Dockerfile, and `runtime: swarm`. */
  swarmApp(base: string, procfile: string, config: Record<string, unknown> = {}) {
    return this.dockerApp(base, procfile, { runtime: 'swarm', ...config });
  }

  /** The services of an app (long-running and jobs), sorted by name. */
  async services(app: string): Promise<{ name: string; process: string; deployment: string }[]> {
    const list = (await docker.listServices({ filters: { label: [`slipway.app=${app}`] } })) as (Docker.Service & {
      Spec?: { Name?: string; Labels?: Record<string, string> };
    })[];
    return list
      .map((s) => ({
        name: s.Spec?.Name ?? '',
        process: s.Spec?.Labels?.['slipway.process'] ?? '',
        deployment: s.Spec?.Labels?.['slipway.deployment'] ?? '',
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Removes the apps' services; the containers and images go as with the Docker runtime. */
  override async cleanup(): Promise<void> {
    for (const app of this.apps) {
      const services = await docker.listServices({ filters: { label: [`slipway.app=${app}`] } }).catch(() => []);
      for (const s of services) {
        await docker
          .getService(s.ID)
          .remove()
          .catch(() => undefined);
      }
    }
    await super.cleanup();
  }
}

/** dockerSuite with a SwarmE2E, on a single-node swarm joined before the file's tests and left after. */
export function swarmSuite(): { e2e: SwarmE2E; gate: HookGate; engineTest: typeof test } {
  const suite = dockerSuite(new SwarmE2E());
  test.before(async () => {
    if (runEngineTests) await joinTestSwarm();
  });
  test.after(async () => {
    if (runEngineTests) await leaveTestSwarm();
  });
  return suite;
}
