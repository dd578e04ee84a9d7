import type Docker from 'dockerode';
import { containerEnv } from '../../lib/core/container-env.js';
import type { DeploymentContext, ProcessInstance, StartedFormation } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { formationPlan, type PlannedProcess } from '../../lib/core/formation-plan.js';
import { freePort } from '../../lib/core/ports.js';
import { waitUntilReady } from '../../lib/core/readiness.js';
import { PROCESS_MEMORY } from '../process/formation.js';
import { followOutput, lastLines } from './container-output.js';
import { containerSpec } from './container-spec.js';
import { containerName, deploymentLabels } from './labels.js';
import { waitUntilPublishedReady } from './published-readiness.js';

interface Started {
  plan: PlannedProcess;
  container: Docker.Container;
  port?: number;
  /** Resolves with the exit status when the container exits. */
  exited: Promise<number>;
  /** `start.timeout` counts from the container's start, not from the image pull or create. */
  deadline: number;
  /** Stops waiting for the exit and following the output once the container is ready. */
  release: AbortController;
}

function image(ctx: DeploymentContext): string {
  const tag = ctx.artifact?.image;
  if (!tag) throw new SlipwayError('NO_RUNTIME', 'no image to start containers from');
  return tag;
}

/** Whether the image can serve on its own (CMD or ENTRYPOINT); only asked when the Procfile has no web. */
export async function imageHasCommand(ctx: DeploymentContext, docker: Docker, tag: string): Promise<boolean> {
  if (ctx.procfile.processes.web) return true;
  const config = (await docker.getImage(tag).inspect()).Config;
  return Boolean(config?.Cmd?.length || config?.Entrypoint?.length);
}

async function startOne(ctx: DeploymentContext, docker: Docker, plan: PlannedProcess, tag: string): Promise<Started> {
  const port = plan.web ? await freePort() : undefined;
  const env: Record<string, string> = { ...ctx.env, ...containerEnv(ctx, plan.name, PROCESS_MEMORY) };
  if (port !== undefined) env.PORT = String(port);
  const container = await docker.createContainer(
    containerSpec({
      name: containerName(ctx, plan.name),
      image: tag,
      command: plan.command,
      env,
      labels: deploymentLabels(ctx, plan.name),
      network: ctx.config.docker.network,
      port,
    }),
  );
  const release = new AbortController();
  // Waiting for the next exit is set up before the start, so an instant crash is never missed.
  // Once the wait is released (ready) or fails, `exited` never settles: readiness must not see an exit.
  const exited = container.wait({ condition: 'next-exit', abortSignal: release.signal }).then(
    (r: { StatusCode?: number }) => r.StatusCode ?? -1,
    () => new Promise<number>(() => {}),
  );
  await container.start();
  const deadline = Date.now() + ctx.config.start.timeout;
  void followOutput(
    container,
    (stream, line) => ctx.log('start', `${plan.name}: ${line}`, stream),
    release.signal,
  ).catch(() => undefined);
  return { plan, container, port, exited, release, deadline };
}

async function failure(ctx: DeploymentContext, s: Started, state: string, exitCode?: number): Promise<SlipwayError> {
  const last = (await lastLines(s.container)).slice(-10);
  const tail = last.length ? ` — last output: ${last.join(' ⏎ ')}` : '';
  const data = { process: s.plan.name, lastLines: last };
  if (state === 'exited') {
    const message = `${s.plan.name} exited with status ${exitCode ?? '?'} before it was ready${tail}`;
    return new SlipwayError('START_CRASHED', message, { data });
  }
  const what =
    state === 'unhealthy'
      ? `did not answer 2xx/3xx on ${ctx.config.healthcheck?.path}`
      : `did not accept connections on $PORT (${s.port})`;
  return new SlipwayError(
    'START_TIMEOUT',
    `${s.plan.name} ${what} within ${Math.round(ctx.config.start.timeout / 1000)}s${tail}`,
    { data },
  );
}

/**
 * Starts one container per formation process from the release image, not
 * routed yet, and waits until every web container accepts connections on
 * its $PORT (and answers the health check). A container that exits first is
 * START_CRASHED, one that is not ready in `start.timeout` START_TIMEOUT; the
 * `failed` hook then removes what was started.
 */
export async function startFormation(ctx: DeploymentContext, docker: Docker): Promise<StartedFormation> {
  const tag = image(ctx);
  const plan = formationPlan(ctx.procfile, ctx.config.formation, await imageHasCommand(ctx, docker, tag));
  // All at once: a formation of several containers starts in the time of one.
  const attempts = await Promise.allSettled(plan.map((p) => startOne(ctx, docker, p, tag)));
  const started = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  try {
    const refused = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (refused) throw refused.reason;
    const healthcheck = ctx.config.healthcheck
      ? { path: ctx.config.healthcheck.path, timeoutMs: ctx.config.healthcheck.timeout }
      : undefined;
    const published = Boolean(ctx.config.docker.network && ctx.config.docker.network !== 'host');
    const states = await Promise.all(
      started.map(async (s) => {
        if (s.port === undefined) return 'ready';
        const options = { port: s.port, host: '127.0.0.1', deadline: s.deadline, exited: s.exited, healthcheck };
        return published ? waitUntilPublishedReady(options) : waitUntilReady(options);
      }),
    );
    for (const [i, s] of started.entries()) {
      let state: string = states[i]!;
      // Non-web containers only need to still be running once web is ready.
      if (s.port === undefined) {
        const info = await s.container.inspect();
        if (!info.State.Running) state = 'exited';
      }
      if (state !== 'ready') {
        const code = state === 'exited' ? (await s.container.inspect()).State.ExitCode : undefined;
        throw await failure(ctx, s, state, code);
      }
    }
  } finally {
    for (const s of started) s.release.abort();
  }
  const processes: ProcessInstance[] = started.map((s) => ({
    type: s.plan.type,
    index: s.plan.index,
    name: s.plan.name,
    id: s.container.id,
    ...(s.port !== undefined ? { port: s.port } : {}),
  }));
  for (const p of processes) {
    ctx.log('start', `${p.name} ready${p.port ? ` on port ${p.port}` : ''} (container ${p.id.slice(0, 12)})`, 'system');
  }
  return {
    processes,
    upstreams: started.filter((s) => s.port !== undefined).map((s) => ({ host: '127.0.0.1', port: s.port! })),
  };
}
