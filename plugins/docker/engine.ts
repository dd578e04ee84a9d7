import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { SlipwayError } from '../../lib/core/errors.js';

// dockerode is CommonJS: `require` loads its module graph about 50 ms faster
// than an ESM import does on Node 20, and every deployment pays that load.
const DockerClient = createRequire(import.meta.url)('dockerode') as typeof Docker;

/** The default socket, used when neither the options nor DOCKER_HOST name an Engine. */
export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** How long the Engine gets to answer the first ping before the deployment gives up. */
const PING_TIMEOUT_MS = 5000;

/** Where the Engine is expected, for messages: the option, else DOCKER_HOST, else the default socket. */
export function engineAddress(host?: string): string {
  return host ?? process.env.DOCKER_HOST ?? `unix://${DEFAULT_SOCKET}`;
}

/** A client for the Engine at `host`, or wherever DOCKER_HOST points (docker-modem reads it), or the default socket. */
export function engineClient(host?: string): Docker {
  if (!host) return new DockerClient();
  if (host.startsWith('unix://'))
    return new DockerClient({ socketPath: host.slice('unix://'.length) || DEFAULT_SOCKET });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new DockerClient({
    host: url.hostname,
    port: url.port || (url.protocol === 'https:' ? 2376 : 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}

/** Fails fast with DOCKER_UNAVAILABLE when nothing answers, instead of a socket error halfway through a deployment. */
export async function ensureEngine(docker: Docker, host?: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS / 1000}s`)), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new SlipwayError(
      'DOCKER_UNAVAILABLE',
      `no Docker Engine answers at ${engineAddress(host)} (${why}); start dockerd or set DOCKER_HOST`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}
