import type Docker from 'dockerode';
import { SlipwayError } from '../../lib/core/errors.js';
import { engineAddress } from '../docker/engine.js';

/**
 * Fails fast with SWARM_UNAVAILABLE unless the Engine is a manager of an
 * active swarm: only a manager creates services and lists their tasks.
 */
export async function ensureSwarm(docker: Docker, host?: string): Promise<void> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  if (state === 'active' && info.Swarm?.ControlAvailable) return;
  const why = state === 'active' ? 'is a swarm worker, not a manager' : `is not in a swarm (${state})`;
  throw new SlipwayError(
    'SWARM_UNAVAILABLE',
    `the Docker Engine at ${engineAddress(host)} ${why}; point DOCKER_HOST at a manager, or run \`docker swarm init\``,
  );
}
