import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { STAGE } from '../../lib/core/hooks.js';
import type { Plugin, PluginFactory, PluginHost } from '../../lib/core/plugins.js';
import { buildArtifact } from '../docker/build-artifact.js';
import { engineClient, ensureEngine } from '../docker/engine.js';
import { engineStep } from '../docker/engine-failure.js';
import { FIRST_DEPLOY_TAP_TIMEOUT_MS, runFirstDeploy } from '../docker/first-deploy.js';
import { type DockerRuntimeOptions, optionsSchema } from '../docker/options.js';
import { gateOneOff, type OneOffOptions } from '../docker/run-one-off.js';
import { RELEASE_TIMEOUT_MS } from '../process/index.js';
import { appServices, ofDeployment, removeServices } from './app-services.js';
import { ensureSwarm } from './ensure-swarm.js';
import { recoverServices } from './recover-services.js';
import { retireServices } from './retire-services.js';
import { runJob } from './run-job.js';
import { serviceImage } from './service-image.js';
import { startServices } from './start-services.js';

export const PLUGIN_NAME = 'swarm';

function postdeployOptions(ctx: DeploymentContext): OneOffOptions {
  return {
    command: ctx.procfile.processes.postdeploy!,
    timeoutMs: ctx.config.postdeploy.timeout,
    memoryBytes: ctx.config.postdeploy.memory,
    container: 'postdeploy-1',
  };
}

/**
 * The Docker Swarm runtime: a release is an image built on the manager (as
 * the Docker runtime builds it), each formation process type a service with
 * the formation's replicas, the postdeploy command a one-task
 * `replicated-job` service of the same image. Same guarantees and error
 * codes as the process and Docker runtimes.
 */
export class SwarmRuntime implements Plugin {
  readonly name = PLUGIN_NAME;
  readonly #host: string | undefined;
  #docker: Docker | undefined;
  /** Job removals still running, per deployment; the deployment ends once they are done. */
  readonly #removals = new Map<string, Promise<unknown>[]>();

  constructor(options: DockerRuntimeOptions = {}) {
    this.#host = options.host;
  }

  get #engine(): Docker {
    this.#docker ??= engineClient(this.#host);
    return this.#docker;
  }

  apply(deployer: PluginHost): void {
    const tap = { name: PLUGIN_NAME, stage: STAGE.RUNTIME };
    const mine = (ctx: DeploymentContext) => ctx.config.runtime === PLUGIN_NAME;

    deployer.hooks.build.tapPromise(tap, async (ctx) => {
      if (!mine(ctx)) return undefined;
      await ensureEngine(this.#engine, this.#host);
      const network = ctx.config.docker.network;
      if (network && network !== 'host') {
        ctx.warn({
          plugin: PLUGIN_NAME,
          message: `docker.network (${network}) is not used with runtime: swarm: every task runs on its node's host network`,
        });
      }
      await engineStep('SWARM_UNAVAILABLE', 'reading the swarm state', () => ensureSwarm(this.#engine, this.#host));
      // From here on the manager answered: cleanup after a failure can talk to it.
      this.#removals.set(ctx.id, []);
      return engineStep('BUILD_FAILED', 'building the image', async () => {
        await recoverServices(ctx, this.#engine);
        const artifact = await buildArtifact(ctx, this.#engine);
        const image = await serviceImage(ctx, this.#engine, artifact.image!);
        // `slipway run` starts its one-offs as containers of this image on the manager's Engine.
        const oneOff = { env: { ...ctx.config.env }, ...(this.#host ? { engine: this.#host } : {}) };
        return { ...artifact, runtime: PLUGIN_NAME, image, oneOff };
      });
    });

    // Heroku mode: the release command runs after the build, before anything starts (1 h limit).
    deployer.hooks.release.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !ctx.procfile.processes.release) return;
      const options = {
        command: ctx.procfile.processes.release,
        timeoutMs: RELEASE_TIMEOUT_MS,
        memoryBytes: ctx.config.postdeploy.memory,
        container: `release-${ctx.release}`,
      };
      await engineStep('HOOK_FAILED', 'running release', () =>
        gateOneOff(ctx, 'release', options, () => runJob(ctx, this.#engine, 'release', options)),
      );
    });

    deployer.hooks.startContainers.tapPromise(tap, async (ctx) => {
      if (!mine(ctx)) return undefined;
      return engineStep('START_CRASHED', 'starting the services', () => startServices(ctx, this.#engine));
    });

    deployer.hooks.postdeploy.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !ctx.procfile.processes.postdeploy) return;
      const options = postdeployOptions(ctx);
      const run = { removals: this.#removals.get(ctx.id) ?? [] };
      await engineStep('HOOK_FAILED', 'running postdeploy', () =>
        gateOneOff(ctx, 'postdeploy', options, () => runJob(ctx, this.#engine, 'postdeploy', options, run)),
      );
    });

    deployer.hooks.succeeded.tapPromise({ ...tap, timeout: FIRST_DEPLOY_TAP_TIMEOUT_MS }, async (ctx) => {
      if (!mine(ctx)) return;
      await runFirstDeploy(ctx, (options) => runJob(ctx, this.#engine, 'first-deploy', options), PLUGIN_NAME);
    });

    deployer.hooks.retire.tapPromise(tap, async (ctx) => {
      if (mine(ctx)) await retireServices(ctx, this.#engine);
    });

    deployer.hooks.failed.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !this.#removals.has(ctx.id)) return;
      const created = ofDeployment(await appServices(ctx, this.#engine), ctx.id);
      await removeServices(this.#engine, created);
      if (created.length) ctx.log('system', `removed the deployment's ${created.length} new service(s)`, 'system');
    });

    // A job is removed while the deployment goes on; the deployment ends once it is gone.
    deployer.hooks.done.tapPromise(tap, async (ctx) => {
      const removals = this.#removals.get(ctx.id);
      this.#removals.delete(ctx.id);
      if (removals) await Promise.all(removals);
    });
  }
}

const swarmRuntime: PluginFactory<DockerRuntimeOptions> = Object.assign(
  (options: DockerRuntimeOptions) => new SwarmRuntime(options),
  { optionsSchema },
);

export default swarmRuntime;
