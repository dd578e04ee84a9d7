import type Docker from 'dockerode';

/** What one service of a deployment runs: a formation process type, or a one-off as a job. */
export interface ServicePlan {
  /** `<app>-<type>-r<release>` */
  name: string;
  image: string;
  /** A Procfile command, run with `sh -c`; absent: the image's own CMD. */
  command?: string;
  /** Taken as they are: any `{{` in a value is escaped from swarm's templates. */
  env: Record<string, string>;
  /** Swarm templates, expanded per task (`{{.Task.Slot}}`); they win over `env`. */
  templates?: Record<string, string>;
  labels: Record<string, string>;
  /** A long-running service's task count; absent: a replicated job of one task, never restarted. */
  replicas?: number;
  /** The memory limit in bytes. */
  memory?: number;
  /** How long a task gets between SIGTERM and SIGKILL when it is stopped. */
  stopGraceMs?: number;
}

/** A value swarm must not read as a template: `{{` becomes the template that prints `{{`. */
export function literal(value: string): string {
  return value.replaceAll('{{', '{{"{{"}}');
}

/**
 * A template that gives each task its own value by its slot (1, 2, …):
 * swarm's templates have no arithmetic, so `PORT` is picked from a list.
 */
export function perSlot(values: readonly (string | number)[]): string {
  const branches = values.map((v, i) => `{{${i === 0 ? 'if' : 'else if'} eq .Task.Slot "${i + 1}"}}${v}`);
  return `${branches.join('')}{{end}}`;
}

/**
 * One env for the tasks of a service, from the env each task (slot 1, 2, …)
 * should have: what all share is plain, what differs (PORT, CONTAINER,
 * DYNO…) a template picking each task's value by its slot.
 */
export function perTaskEnv(envs: readonly Record<string, string>[]): Pick<ServicePlan, 'env' | 'templates'> {
  const env: Record<string, string> = {};
  const templates: Record<string, string> = {};
  const keys = new Set(envs.flatMap((e) => Object.keys(e)));
  for (const key of keys) {
    const values = envs.map((e) => e[key] ?? '');
    if (values.every((v) => v === values[0])) env[key] = values[0]!;
    else templates[key] = perSlot(values.map(literal));
  }
  return { env, templates };
}

const NS_PER_MS = 1_000_000;

/**
 * The Engine's create options for a plan: every task on the host's network
 * (no overlay, no ingress: the router reaches each task at its node's
 * address and its own port). A service restarts its tasks whatever ends
 * them; the deployment watches the task list, so a crash before ready is
 * still seen. A job runs once.
 */
export function serviceSpec(plan: ServicePlan): Docker.CreateServiceOptions {
  const templates = plan.templates ?? {};
  const env = [
    ...Object.entries(plan.env)
      .filter(([key]) => !(key in templates))
      .map(([key, value]) => `${key}=${literal(value)}`),
    ...Object.entries(templates).map(([key, value]) => `${key}=${value}`),
  ];
  const job = plan.replicas === undefined;
  return {
    Name: plan.name,
    Labels: plan.labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: plan.image,
        // As `docker run image sh -c …`: the image's ENTRYPOINT, if any, still applies.
        ...(plan.command !== undefined ? { Args: ['sh', '-c', plan.command] } : {}),
        Env: env,
        Labels: plan.labels,
        // A Procfile command runs under `sh -c`: an init forwards SIGTERM to it and reaps what it forks.
        Init: true,
        ...(plan.stopGraceMs !== undefined ? { StopGracePeriod: plan.stopGraceMs * NS_PER_MS } : {}),
      },
      ...(plan.memory !== undefined ? { Resources: { Limits: { MemoryBytes: plan.memory } } } : {}),
      RestartPolicy: job ? { Condition: 'none' } : { Condition: 'any' },
      Networks: [{ Target: 'host' }],
    },
    Mode: job
      ? { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } }
      : { Replicated: { Replicas: plan.replicas } },
  };
}
