import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { containerEnv } from '../../lib/core/container-env.js';
import type { DeploymentContext, ProcessInstance, StartedFormation } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { formationPlan } from '../../lib/core/formation-plan.js';
import { RingBuffer } from '../../lib/core/line-splitter.js';
import { freePort } from '../../lib/core/ports.js';
import { type ReadyResult, waitUntilReady } from '../../lib/core/readiness.js';
import { followOutput } from '../docker/container-output.js';
import { deploymentLabels } from '../docker/labels.js';
import { imageHasCommand } from '../docker/start-formation.js';
import { PROCESS_MEMORY } from '../process/formation.js';
import { serviceName } from './service-name.js';
import { perTaskEnv, serviceSpec } from './service-spec.js';
import { endedHow, hasEnded, isRunning, nodeAddresses, serviceTasks, type TaskInfo } from './service-tasks.js';

/** One process type of the formation: one service with `replicas` tasks. */
interface ProcessType {
  type: string;
  web: boolean;
  command?: string;
  replicas: number;
}

interface Started extends ProcessType {
  service: Docker.Service;
  /** Web: the port of each task, by slot (1 first). */
  ports: number[];
  /** The service's last output lines, for "exited before it was ready". */
  last: RingBuffer;
}

/** A running task, where the router reaches it. */
interface ReadyTask {
  task: TaskInfo;
  host: string;
  port?: number;
}

type Outcome =
  | { state: 'ready'; tasks: ReadyTask[] }
  | { state: 'ended'; task: TaskInfo }
  | { state: 'pending'; tasks: TaskInfo[] }
  | { state: Exclude<ReadyResult, 'ready' | 'exited'>; task: ReadyTask };

/** How often the task list is read while a service starts. */
const POLL_MS = 200;

function image(ctx: DeploymentContext): string {
  const tag = ctx.artifact?.image;
  if (!tag) throw new SlipwayError('NO_RUNTIME', 'no image to start services from');
  return tag;
}

/** The formation by process type, in the formation's order. */
function processTypes(ctx: DeploymentContext, hasCommand: boolean): ProcessType[] {
  const types = new Map<string, ProcessType>();
  for (const p of formationPlan(ctx.procfile, ctx.config.formation, hasCommand)) {
    const known = types.get(p.type);
    if (known) known.replicas++;
    else types.set(p.type, { type: p.type, web: p.web, replicas: 1, ...(p.command ? { command: p.command } : {}) });
  }
  return [...types.values()];
}

/** Distinct free ports, one per web task: with host networking every task of a node binds its own. */
async function ports(count: number): Promise<number[]> {
  const found = new Set<number>();
  while (found.size < count) found.add(await freePort());
  return [...found];
}

async function startOne(
  ctx: DeploymentContext,
  docker: Docker,
  p: ProcessType,
  tag: string,
  stop: AbortSignal,
): Promise<Started> {
  const taskPorts = p.web ? await ports(p.replicas) : [];
  // Each task's env as a container of the Docker runtime would have it; what differs by task becomes a template.
  const envs = Array.from({ length: p.replicas }, (_, i) => ({
    ...ctx.env,
    ...containerEnv(ctx, `${p.type}-${i + 1}`, PROCESS_MEMORY),
    ...(p.web ? { PORT: String(taskPorts[i]) } : {}),
  }));
  const service = await docker.createService(
    serviceSpec({
      name: serviceName(ctx, p.type),
      image: tag,
      ...(p.command !== undefined ? { command: p.command } : {}),
      ...perTaskEnv(envs),
      labels: deploymentLabels(ctx, p.type),
      replicas: p.replicas,
      stopGraceMs: ctx.config.stop.grace,
    }),
  );
  const last = new RingBuffer(10);
  void followOutput(
    service,
    (stream, line) => {
      last.push(line);
      ctx.log('start', `${p.type}: ${line}`, stream);
    },
    stop,
  ).catch(() => undefined);
  return { ...p, service, ports: taskPorts, last };
}

/** Resolves with the first task of the service that ended, polling until `stop` aborts (then never). */
function firstEnded(docker: Docker, serviceId: string, stop: AbortSignal): Promise<TaskInfo> {
  return new Promise((resolve) => {
    const poll = async () => {
      while (!stop.aborted) {
        const ended = (await serviceTasks(docker, serviceId).catch(() => [])).find(hasEnded);
        if (ended) return resolve(ended);
        await sleep(POLL_MS);
      }
    };
    void poll();
  });
}

/**
 * Waits until every task of the service runs (the Engine may first pull
 * the image on its node), then until each web task accepts connections on
 * its port at its node's address (and answers the health check).
 */
async function untilReady(
  ctx: DeploymentContext,
  docker: Docker,
  s: Started,
  deadline: number,
  stop: AbortSignal,
  addressOf: (nodeId: string) => Promise<string>,
): Promise<Outcome> {
  let running: TaskInfo[] = [];
  for (;;) {
    const tasks = await serviceTasks(docker, s.service.id);
    const ended = tasks.find(hasEnded);
    if (ended) return { state: 'ended', task: ended };
    running = tasks.filter(isRunning);
    if (running.length >= s.replicas) break;
    if (Date.now() >= deadline) return { state: 'pending', tasks };
    await sleep(POLL_MS);
  }
  const ready: ReadyTask[] = await Promise.all(
    running.map(async (task) => ({
      task,
      host: await addressOf(task.NodeID ?? ''),
      ...(s.web ? { port: s.ports[(task.Slot ?? 1) - 1] } : {}),
    })),
  );
  if (!s.web) return { state: 'ready', tasks: ready };
  const exited = firstEnded(docker, s.service.id, stop);
  const healthcheck = ctx.config.healthcheck
    ? { path: ctx.config.healthcheck.path, timeoutMs: ctx.config.healthcheck.timeout }
    : undefined;
  const states = await Promise.all(
    ready.map((r) => waitUntilReady({ port: r.port!, host: r.host, deadline, exited, healthcheck })),
  );
  const failed = states.findIndex((state) => state !== 'ready');
  if (failed === -1) return { state: 'ready', tasks: ready };
  const state = states[failed]!;
  if (state === 'exited') return { state: 'ended', task: await exited };
  return { state: state === 'unhealthy' ? 'unhealthy' : 'timeout', task: ready[failed]! };
}

function taskName(s: ProcessType, task: TaskInfo): string {
  return `${s.type}-${task.Slot ?? 1}`;
}

function failure(ctx: DeploymentContext, s: Started, outcome: Exclude<Outcome, { state: 'ready' }>): SlipwayError {
  const lines = s.last.lines();
  const tail = lines.length ? ` — last output: ${lines.join(' ⏎ ')}` : '';
  const within = `within ${Math.round(ctx.config.start.timeout / 1000)}s`;
  if (outcome.state === 'ended') {
    const name = taskName(s, outcome.task);
    return new SlipwayError('START_CRASHED', `${name} ${endedHow(outcome.task)} before it was ready${tail}`, {
      data: { process: name, lastLines: lines },
    });
  }
  if (outcome.state === 'pending') {
    const states = outcome.tasks.map(
      (t) => `${taskName(s, t)} ${t.Status.State}${t.Status.Err ? ` (${t.Status.Err})` : ''}`,
    );
    return new SlipwayError(
      'START_TIMEOUT',
      `${s.type}: not every task of ${s.replicas} was running ${within}${states.length ? `: ${states.join(', ')}` : ''}`,
      { data: { process: s.type, lastLines: lines } },
    );
  }
  const name = taskName(s, outcome.task.task);
  const what =
    outcome.state === 'unhealthy'
      ? `did not answer 2xx/3xx on ${ctx.config.healthcheck?.path}`
      : `did not accept connections on $PORT (${outcome.task.host}:${outcome.task.port})`;
  return new SlipwayError('START_TIMEOUT', `${name} ${what} ${within}${tail}`, {
    data: { process: name, lastLines: lines },
  });
}

/**
 * Creates one service per formation process type from the release image,
 * with the formation's replicas, not routed yet, and waits until all their
 * tasks run and every web task accepts connections on its $PORT (and
 * answers the health check). A task that ends first is START_CRASHED, a
 * service not ready in `start.timeout` START_TIMEOUT; the `failed` hook
 * then removes the services.
 */
export async function startServices(ctx: DeploymentContext, docker: Docker): Promise<StartedFormation> {
  const tag = image(ctx);
  const types = processTypes(ctx, await imageHasCommand(ctx, docker, tag));
  const stop = new AbortController();
  try {
    // All at once: a formation of several services starts in the time of one.
    const attempts = await Promise.allSettled(types.map((p) => startOne(ctx, docker, p, tag, stop.signal)));
    const refused = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (refused) throw refused.reason;
    const started = attempts.map((a) => (a as PromiseFulfilledResult<Started>).value);
    const deadline = Date.now() + ctx.config.start.timeout;
    const addressOf = nodeAddresses(docker);
    const outcomes = await Promise.all(
      started.map((s) => untilReady(ctx, docker, s, deadline, stop.signal, addressOf)),
    );
    const ready: { s: Started; r: ReadyTask }[] = [];
    for (const [i, s] of started.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.state !== 'ready') throw failure(ctx, s, outcome);
      for (const r of outcome.tasks) ready.push({ s, r });
    }
    // Non-web tasks only need to still be running once web is ready.
    for (const s of started.filter((x) => !x.web)) {
      const ended = (await serviceTasks(docker, s.service.id)).find(hasEnded);
      if (ended) throw failure(ctx, s, { state: 'ended', task: ended });
    }
    const processes: ProcessInstance[] = ready.map(({ s, r }) => ({
      type: s.type,
      index: r.task.Slot ?? 1,
      name: taskName(s, r.task),
      id: r.task.ID,
      ...(r.port !== undefined ? { port: r.port } : {}),
    }));
    for (const { s, r } of ready) {
      const where = r.port !== undefined ? ` on ${r.host}:${r.port}` : '';
      ctx.log(
        'start',
        `${taskName(s, r.task)} ready${where} (service ${serviceName(ctx, s.type)}, task ${r.task.ID.slice(0, 12)})`,
        'system',
      );
    }
    return {
      processes,
      upstreams: ready.filter(({ r }) => r.port !== undefined).map(({ r }) => ({ host: r.host, port: r.port! })),
    };
  } finally {
    stop.abort();
  }
}
