import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/context.js';
import { STAGE } from '../../lib/hooks.js';
import type { Plugin, PluginFactory, PluginHost } from '../../lib/plugins.js';
import { RELEASE_TIMEOUT_MS } from '../process/index.js';
import { appContainers, ofDeployment, removeContainers } from './app-containers.js';
import { buildArtifact } from './build-image.js';
import { engineClient, ensureEngine } from './engine.js';
import { engineStep } from './engine-failure.js';
import { FIRST_DEPLOY_TAP_TIMEOUT_MS, runFirstDeploy } from './first-deploy.js';
import { type DockerRuntimeOptions, optionsSchema } from './options.js';
import { recoverContainers } from './recover-containers.js';
import { retireRelease } from './retire-release.js';
import { createOneOff, type OneOffOptions, runOneOff } from './run-one-off.js';
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
  /** The Engine answered this deployment's ping: cleanup on failure can talk to it. */
  #reachable = false;
  /** The postdeploy container, created while the formation starts. */
  #hook: Promise<Docker.Container> | undefined;
  /** Container removals still running. */
  readonly #removals: Promise<unknown>[] = [];

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
      this.#reachable = true;
      return engineStep('BUILD_FAILED', 'building the image', async () => {
        await recoverContainers(ctx, this.#engine);
        return buildArtifact(ctx, this.#engine);
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
      if (ctx.procfile.processes.postdeploy) {
        this.#hook = createOneOff(ctx, this.#engine, postdeployOptions(ctx));
        this.#hook.catch(() => undefined);
      }
      return engineStep('START_CRASHED', 'starting the containers', () => startFormation(ctx, this.#engine));
    });

    deployer.hooks.postdeploy.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !ctx.procfile.processes.postdeploy) return;
      const run = { created: this.#hook, removals: this.#removals };
      await engineStep('HOOK_FAILED', 'running postdeploy', () =>
        runOneOff(ctx, this.#engine, 'postdeploy', postdeployOptions(ctx), run),
      );
    });

    deployer.hooks.succeeded.tapPromise({ ...tap, timeout: FIRST_DEPLOY_TAP_TIMEOUT_MS }, async (ctx) => {
      if (mine(ctx)) await runFirstDeploy(ctx, this.#engine, PLUGIN_NAME);
    });

    deployer.hooks.retire.tapPromise(tap, async (ctx) => {
      if (mine(ctx)) await retireRelease(ctx, this.#engine);
    });

    deployer.hooks.failed.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !this.#reachable) return;
      // A hook container still being created would escape the listing below.
      await this.#hook?.catch(() => undefined);
      const created = ofDeployment(await appContainers(ctx, this.#engine), ctx.id);
      await removeContainers(this.#engine, created, FAILED_STOP_MS);
      if (created.length) ctx.log('system', `removed the deployment's ${created.length} new container(s)`, 'system');
    });

    // The hook container is removed while the deployment goes on; the deployment ends once it is gone.
    deployer.hooks.done.tapPromise(tap, async (ctx) => {
      if (mine(ctx)) await Promise.all(this.#removals);
    });
  }
}

const dockerRuntime: PluginFactory<DockerRuntimeOptions> = Object.assign(
  (options: DockerRuntimeOptions) => new DockerRuntime(options),
  { optionsSchema },
);

export default dockerRuntime;
