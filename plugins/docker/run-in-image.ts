import type { HookRunResult } from '../../lib/core/context.js';
import { containerSpec } from './container-spec.js';
import { engineClient, ensureEngine } from './engine.js';
import { engineStep } from './engine-failure.js';
import { LABEL } from './labels.js';
import { startAndWait } from './run-one-off.js';

export interface RunInImageOptions {
  app: string;
  image: string;
  /** `run-<pid>`: CONTAINER in its env and part of the container's name. */
  container: string;
  command: string;
  env: Record<string, string>;
  /** The release's `docker.network` (the host's network when absent). */
  network?: string;
  /** The Engine the release runs on (DOCKER_HOST or the default socket when absent). */
  engine?: string;
  memoryBytes: number;
  timeoutMs: number;
  /** The slipway home, as a label: containers of two installations never mix. */
  home: string;
  signal: AbortSignal;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

/**
 * `slipway run` for a release of the Docker runtime: the command in a new
 * container of the live image, as the release's one-offs run (its own
 * filesystem, the memory limit, no PORT), removed when it ends. It carries
 * no app label, so a deployment running meanwhile does not take it for a
 * container left behind.
 */
export async function runInImage(options: RunInImageOptions): Promise<HookRunResult> {
  const docker = engineClient(options.engine);
  await ensureEngine(docker, options.engine);
  const container = await engineStep('RUN_FAILED', 'creating the one-off container', () =>
    docker.createContainer(
      containerSpec({
        name: `${options.app}-${options.container}`,
        image: options.image,
        command: options.command,
        env: options.env,
        labels: { [LABEL.process]: options.container, [LABEL.home]: options.home, [LABEL.run]: options.app },
        network: options.network,
        memory: options.memoryBytes,
      }),
    ),
  );
  try {
    return await engineStep('RUN_FAILED', 'running the one-off container', () =>
      startAndWait(container, { timeoutMs: options.timeoutMs, signal: options.signal, onLine: options.onLine }),
    );
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
