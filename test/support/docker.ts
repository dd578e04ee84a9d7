/**
 * Docker end-to-end helpers: local base images made with `docker import` (no
 * registry is reachable), app directories with a Dockerfile, a loopback HTTP
 * "gate" that hook containers on the host network talk to, and cleanup of
 * every container and image a test file made (by the `slipway.app` label).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { test } from 'uvu';
import { E2E, until } from './e2e.js';

export const docker = new Docker();

/** `docker info` answers: an Engine is there (DOCKER_HOST or the default socket). */
export function engineAnswers(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/**
 * Without an Engine the Docker tests are skipped, except in CI, where they
 * run (and fail) so a missing Engine is never mistaken for a pass.
 */
export const runEngineTests = engineAnswers() || process.env.CI === 'true';

export const BUSYBOX_IMAGE = 'local/busybox:latest';
export const NODE_IMAGE = 'local/node:latest';

function imageExists(tag: string): boolean {
  return spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

function busybox(): string {
  for (const path of ['/bin/busybox', '/usr/bin/busybox']) {
    if (spawnSync(path, ['true']).status === 0) return path;
  }
  throw new Error('busybox not found: apt-get install busybox-static');
}

/** A rootfs with busybox and a link per applet in /bin, so `sh`, `sleep`, `wget`… exist. */
function busyboxRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'slipway-rootfs-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'tmp'));
  chmodSync(join(root, 'tmp'), 0o1777);
  const bin = busybox();
  copyFileSync(bin, join(root, 'bin', 'busybox'));
  chmodSync(join(root, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(bin, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') symlinkSync('busybox', join(root, 'bin', applet));
  }
  return root;
}

function importRoot(root: string, tag: string): void {
  const r = spawnSync(
    'sh',
    ['-c', `tar -C "$1" -c . | docker import --change "ENV PATH=/usr/local/bin:/usr/bin:/bin" - "$2"`, 'sh', root, tag],
    { encoding: 'utf8' },
  );
  rmSync(root, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`docker import ${tag} failed: ${r.stderr}`);
}

/** The host's node binary and the libraries `ldd` lists for it, at the same paths, plus busybox for `sh`. */
function buildNodeImage(): void {
  const root = busyboxRoot();
  const node = execFileSync('sh', ['-c', 'readlink -f "$(command -v node)"'], { encoding: 'utf8' }).trim();
  const libraries = execFileSync('ldd', [node], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /(\/\S+)/.exec(line)?.[1])
    .filter((path): path is string => Boolean(path));
  for (const file of [node, ...libraries]) {
    mkdirSync(join(root, dirname(file)), { recursive: true });
    copyFileSync(file, join(root, file));
    chmodSync(join(root, file), 0o755);
  }
  if (!node.startsWith('/usr/bin/')) {
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    symlinkSync(node, join(root, 'usr', 'bin', 'node'));
  }
  importRoot(root, NODE_IMAGE);
}

/** Makes `local/busybox` and `local/node` unless the Engine has them already (cached by tag). */
export function ensureBaseImages(): void {
  if (!imageExists(BUSYBOX_IMAGE)) importRoot(busyboxRoot(), BUSYBOX_IMAGE);
  if (!imageExists(NODE_IMAGE)) buildNodeImage();
}

/** The test app's Dockerfile: the fixture server on the local Node image. */
export const APP_DOCKERFILE = `FROM ${NODE_IMAGE}\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n`;

/** E2E with Docker apps: every app gets a name unique on the Engine, and is cleaned up after. */
export class DockerE2E extends E2E {
  readonly apps = new Set<string>();
  readonly images = new Set<string>();

  /** An app name no other test file (sharing the Engine) uses. */
  name(base: string): string {
    const name = `${base}-${randomBytes(3).toString('hex')}`;
    this.apps.add(name);
    return name;
  }

  /** The fixture app with a Procfile, a Dockerfile, and `runtime: docker`. */
  async dockerApp(
    base: string,
    procfile: string,
    config: Record<string, unknown> = {},
  ): Promise<{ dir: string; port: number; app: string }> {
    const app = this.name(base);
    const { dir, port } = await this.app(procfile, { app, runtime: 'docker', ...config });
    writeFileSync(join(dir, 'Dockerfile'), APP_DOCKERFILE);
    return { dir, port, app };
  }

  /** Containers of an app (any state), with their labels. */
  containers(app: string): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`slipway.app=${app}`] } });
  }

  /** Release tags of an app: `slipway/<app>:<n>`. */
  async imageTags(app: string): Promise<string[]> {
    const images = await docker.listImages({ filters: { reference: [`slipway/${app}`] } });
    return images.flatMap((i) => i.RepoTags ?? []).sort();
  }

  /** Builds an image outside slipway (a "prebuilt" image), removed at cleanup. */
  buildImage(dir: string, tag: string): void {
    this.images.add(tag);
    const r = spawnSync('docker', ['build', '--network', 'host', '-q', '-t', tag, dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker build ${tag} failed: ${r.stderr}`);
  }

  override async cleanup(): Promise<void> {
    await super.cleanup();
    for (const app of this.apps) {
      for (const c of await this.containers(app).catch(() => [])) {
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
      for (const tag of await this.imageTags(app).catch(() => [])) this.images.add(tag);
    }
    for (const tag of this.images) {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}

/**
 * A loopback HTTP server hook containers (host network) report to: `/started`
 * marks that a hook runs, `/gate` answers 503 until the test opens it, and a
 * POST to `/env` stores the hook's environment (logs would mask its values).
 */
export class HookGate {
  readonly server: Server;
  port = 0;
  open = false;
  started = 0;
  env: Record<string, string> | null = null;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/started') this.started++;
        if (req.url === '/env') this.env = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const closed = req.url === '/gate' && !this.open;
        res.writeHead(closed ? 503 : 200, { 'content-type': 'text/plain', connection: 'close' });
        res.end(closed ? 'closed' : 'ok');
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** A hook command: report the start, then wait until the test opens the gate. */
  gatedHook(): string {
    const base = `http://127.0.0.1:${this.port}`;
    return `wget -q -O /dev/null ${base}/started; until wget -q -O /dev/null ${base}/gate; do sleep 0.1; done`;
  }

  /**
   * Waits until a hook reported its start; fails at once, with what the
   * deployment printed, if the deployment ends first.
   */
  async waitStarted(
    deploying: Promise<{
      code: number;
      record?: { status?: string; error?: { message?: string } | null };
      stderr: string;
    }>,
  ): Promise<void> {
    let ended:
      | { code: number; record?: { status?: string; error?: { message?: string } | null }; stderr: string }
      | undefined;
    void deploying.then(
      (result) => {
        ended = result;
      },
      () => undefined,
    );
    await until(() => this.started > 0 || ended !== undefined, 120_000, 'the hook container to start');
    if (this.started === 0 && ended) {
      throw new Error(
        `the deployment ended before its hook started: exit ${ended.code}, ${ended.record?.status}: ${ended.record?.error?.message ?? ''} ${ended.stderr.trim()}`,
      );
    }
  }

  reset(): void {
    this.open = false;
    this.started = 0;
    this.env = null;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The set-up every Docker end-to-end file shares: a DockerE2E (or a
 * subclass: the swarm's), a HookGate
 * listening for the file's hooks, base images built once, and `engineTest`,
 * which runs a test only when an Engine answers (or CI requires one).
 */
export function dockerSuite<T extends DockerE2E = DockerE2E>(
  e2e: T = new DockerE2E() as T,
): { e2e: T; gate: HookGate; engineTest: typeof test } {
  const gate = new HookGate();
  test.before(async () => {
    await gate.listen();
    if (runEngineTests) ensureBaseImages();
  });
  test.after(async () => {
    await gate.close();
    await e2e.cleanup();
  });
  return { e2e, gate, engineTest: runEngineTests ? test : (test.skip as unknown as typeof test) };
}
