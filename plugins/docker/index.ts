import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/core/context.js';
import { STAGE } from '../../lib/core/hooks.js';
import type { Plugin, PluginFactory, PluginHost } from '../../lib/core/plugins.js';
import { RELEASE_TIMEOUT_MS } from '../process/index.js';
import { appContainers, ofDeployment, removeContainers } from './app-containers.js';
import { buildArtifact } from './build-artifact.js';
import { engineClient, ensureEngine } from './engine.js';
import { engineStep } from './engine-failure.js';
import { FIRST_DEPLOY_TAP_TIMEOUT_MS, runFirstDeploy } from './first-deploy.js';
import { type DockerRuntimeOptions, optionsSchema } from './options.js';
import { recoverContainers } from './recover-containers.js';
import { retireRelease } from './retire-release.js';
import { createOneOff, type OneOffOptions, runInContainer, runOneOff } from './run-one-off.js';
import { startFormation } from './start-formation.js';

export const PLUGIN_NAME = 'docker';

function postdeployOptions(ctx: DeploymentContext): OneOffOptions {
  return {
    command: ctx.procfile.processes.postdeploy!,
    timeoutMs: ctx.config.postdeploy.timeout,
    memoryBytes: ctx.config.postdeploy.memory,
    container: 'postdeploy-1',
  };
}

interface DeploymentState {
  /** The postdeploy container, created while the formation starts. */
  hook?: Promise<Docker.Container>;
  /** Container removals still running; the deployment ends once they are done. */
  removals: Promise<unknown>[];
}

/** New containers of a failed deployment never served: a short stop is enough. */
const FAILED_STOP_MS = 5000;

/**
 * The Docker runtime: a release is an image (built from the app's
 * Dockerfile, or prebuilt), each formation process a container, the
 * postdeploy command an extra container of the same image. Same guarantees
 * and error codes as the process runtime.
 */
export class DockerRuntime implements Plugin {
  readonly name = PLUGIN_NAME;
  readonly #host: string | undefined;
  #docker: Docker | undefined;
  /** What each running deployment has on the Engine so far (one Deployer may share this plugin with others). */
  readonly #deployments = new Map<string, DeploymentState>();

  constructor(options: DockerRuntimeOptions = {}) {
    this.#host = options.host;
  }

  get #engine(): Docker {
    this.#docker ??= engineClient(this.#host);
    return this.#docker;
  }

  #state(ctx: DeploymentContext): DeploymentState {
    let state = this.#deployments.get(ctx.id);
    if (!state) {
      state = { removals: [] };
      this.#deployments.set(ctx.id, state);
    }
    return state;
  }

  apply(deployer: PluginHost): void {
    const tap = { name: PLUGIN_NAME, stage: STAGE.RUNTIME };
    const mine = (ctx: DeploymentContext) => ctx.config.runtime === PLUGIN_NAME;

    deployer.hooks.build.tapPromise(tap, async (ctx) => {
      if (!mine(ctx)) return undefined;
      await ensureEngine(this.#engine, this.#host);
      // From here on the Engine answered: cleanup after a failure can talk to it.
      this.#deployments.set(ctx.id, { removals: [] });
      return engineStep('BUILD_FAILED', 'building the image', async () => {
        await recoverContainers(ctx, this.#engine);
        const artifact = await buildArtifact(ctx, this.#engine);
        // Kept with the release: `slipway run` starts its one-offs the way the release's containers run.
        const network = ctx.config.docker.network;
        const oneOff = {
          env: { ...ctx.config.env },
          ...(network ? { network } : {}),
          ...(this.#host ? { engine: this.#host } : {}),
        };
        return { ...artifact, oneOff };
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
      await engineStep('HOOK_FAILED', 'running release', () => runOneOff(ctx, this.#engine, 'release', options));
    });

    deployer.hooks.startContainers.tapPromise(tap, async (ctx) => {
      if (!mine(ctx)) return undefined;
      // The hook's container is created while web starts: creating it costs nothing on the way to the switch.
      const state = this.#state(ctx);
      if (ctx.procfile.processes.postdeploy) {
        state.hook = createOneOff(ctx, this.#engine, postdeployOptions(ctx));
        state.hook.catch(() => undefined);
      }
      return engineStep('START_CRASHED', 'starting the containers', () => startFormation(ctx, this.#engine));
    });

    deployer.hooks.postdeploy.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !ctx.procfile.processes.postdeploy) return;
      const state = this.#state(ctx);
      const run = { created: state.hook, removals: state.removals };
      await engineStep('HOOK_FAILED', 'running postdeploy', () =>
        runOneOff(ctx, this.#engine, 'postdeploy', postdeployOptions(ctx), run),
      );
    });

    deployer.hooks.succeeded.tapPromise({ ...tap, timeout: FIRST_DEPLOY_TAP_TIMEOUT_MS }, async (ctx) => {
      if (!mine(ctx)) return;
      await runFirstDeploy(ctx, (options) => runInContainer(ctx, this.#engine, 'first-deploy', options), PLUGIN_NAME);
    });

    deployer.hooks.retire.tapPromise(tap, async (ctx) => {
      if (mine(ctx)) await retireRelease(ctx, this.#engine);
    });

    deployer.hooks.failed.tapPromise(tap, async (ctx) => {
      const state = this.#deployments.get(ctx.id);
      if (!mine(ctx) || !state) return;
      // A hook container still being created would escape the listing below.
      await state.hook?.catch(() => undefined);
      const created = ofDeployment(await appContainers(ctx, this.#engine), ctx.id);
      await removeContainers(this.#engine, created, FAILED_STOP_MS);
      if (created.length) ctx.log('system', `removed the deployment's ${created.length} new container(s)`, 'system');
    });

    // The hook container is removed while the deployment goes on; the deployment ends once it is gone.
    deployer.hooks.done.tapPromise(tap, async (ctx) => {
      const state = this.#deployments.get(ctx.id);
      this.#deployments.delete(ctx.id);
      if (state) await Promise.all(state.removals);
    });
  }
}

const dockerRuntime: PluginFactory<DockerRuntimeOptions> = Object.assign(
  (options: DockerRuntimeOptions) => new DockerRuntime(options),
  { optionsSchema },
);

export default dockerRuntime;
