import type Docker from 'dockerode';

/** What one container of a deployment runs: a formation process or a one-off. */
export interface ContainerPlan {
  /** The container's name on the Engine. */
  name: string;
  image: string;
  /** A Procfile command, run with `sh -c`; absent: the image's own CMD. */
  command?: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** `docker.network`; absent: the host's network. */
  network?: string;
  /** Web: the port the process listens on ($PORT); on a user network it is published on 127.0.0.1. */
  port?: number;
  /** One-offs: the memory limit in bytes (swap included, so it is a hard limit). */
  memory?: number;
}

/** The Engine's create options for a plan: no restart policy yet (a crash before ready must be seen). */
export function containerSpec(plan: ContainerPlan): Docker.ContainerCreateOptions {
  // `network: host` is the default spelled out: nothing to publish there.
  const network = plan.network && plan.network !== 'host' ? plan.network : undefined;
  const published = network !== undefined && plan.port !== undefined;
  const portKey = `${plan.port}/tcp`;
  return {
    name: plan.name,
    Image: plan.image,
    ...(plan.command !== undefined ? { Cmd: ['sh', '-c', plan.command] } : {}),
    Env: Object.entries(plan.env).map(([key, value]) => `${key}=${value}`),
    Labels: plan.labels,
    ...(published ? { ExposedPorts: { [portKey]: {} } } : {}),
    HostConfig: {
      NetworkMode: network ?? 'host',
      ...(published ? { PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(plan.port) }] } } : {}),
      ...(plan.memory !== undefined ? { Memory: plan.memory, MemorySwap: plan.memory } : {}),
      RestartPolicy: { Name: 'no' },
      // A Procfile command runs under `sh -c`: an init forwards SIGTERM to it and reaps what it forks.
      Init: true,
    },
  };
}
