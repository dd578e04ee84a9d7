/**
 * A real image registry on 127.0.0.1 for the swarm tests: Debian's
 * docker-registry (the distribution registry), its storage in a temporary
 * directory, stopped by its pid. The Engine pushes to it over plain HTTP:
 * dockerd counts 127.0.0.0/8 as an insecure registry.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../lib/core/ports.js';
import { until } from './e2e.js';

export function registryInstalled(): boolean {
  return spawnSync('docker-registry', ['--version'], { stdio: 'ignore' }).status === 0;
}

export class TestRegistry {
  dir = '';
  port = 0;
  #child: ChildProcess | undefined;

  /** `127.0.0.1:<port>` */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'slipway-registry-'));
    this.port = await freePort();
    const config = join(this.dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(this.dir, 'data')}`,
        'http:',
        `  addr: 127.0.0.1:${this.port}`,
        '',
      ].join('\n'),
    );
    this.#child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    await until(async () => (await this.get('/v2/')) !== null, 20_000, 'the registry to answer');
    return this;
  }

  /** A GET on the registry API, parsed; null when it does not answer 200. */
  async get<T = unknown>(path: string): Promise<T | null> {
    try {
      const res = await fetch(`http://${this.address}${path}`);
      return res.ok ? ((await res.json()) as T) : null;
    } catch {
      return null;
    }
  }

  /** The tags of a repository, sorted. */
  async tags(repository: string): Promise<string[]> {
    const list = await this.get<{ tags: string[] | null }>(`/v2/${repository}/tags/list`);
    return [...(list?.tags ?? [])].sort();
  }

  stop(): void {
    if (this.#child?.pid) {
      try {
        process.kill(this.#child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
