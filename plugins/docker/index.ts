import type Docker from 'dockerode';
import type { DeploymentContext } from '../../lib/context.js';
import { STAGE } from '../../lib/hooks.js';
import type { Plugin, PluginFactory, PluginHost } from '../../lib/plugins.js';
import { RELEASE_TIMEOUT_MS } from '../process/index.js';
import { appContainers, ofDeployment, removeContainers } from './app-containers.js';
import { buildArtifact } from './build-image.js';
import { engineClient, ensureEngine } from './engine.js';
import { type DockerRuntimeOptions, optionsSchema } from './options.js';
import { recoverContainers } from './recover-containers.js';
import { retireRelease } from './retire-release.js';
import { runOneOff } from './run-one-off.js';
import { startFormation } from './start-formation.js';

export const PLUGIN_NAME = 'docker';

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
      await recoverContainers(ctx, this.#engine);
      return buildArtifact(ctx, this.#engine);
    });

    // Heroku mode: the release command runs after the build, before anything starts (1 h limit).
    deployer.hooks.release.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !ctx.procfile.processes.release) return;
      await runOneOff(ctx, this.#engine, 'release', {
        timeoutMs: RELEASE_TIMEOUT_MS,
        memoryBytes: ctx.config.postdeploy.memory,
        container: `release-${ctx.release}`,
      });
    });

    deployer.hooks.startContainers.tapPromise(tap, async (ctx) =>
      mine(ctx) ? startFormation(ctx, this.#engine) : undefined,
    );

    deployer.hooks.postdeploy.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !ctx.procfile.processes.postdeploy) return;
      await runOneOff(ctx, this.#engine, 'postdeploy', {
        timeoutMs: ctx.config.postdeploy.timeout,
        memoryBytes: ctx.config.postdeploy.memory,
        container: 'postdeploy-1',
      });
    });

    // Just before the switch the new containers become the app: from now on the Engine restarts them.
    deployer.hooks.routeSwitch.tapPromise({ name: PLUGIN_NAME, stage: STAGE.BEFORE_RUNTIME }, async (ctx) => {
      if (!mine(ctx)) return;
      await Promise.all(
        (ctx.formation?.processes ?? []).map((p) =>
          this.#engine.getContainer(p.id).update({ RestartPolicy: { Name: 'unless-stopped' } }),
        ),
      );
    });

    deployer.hooks.retire.tapPromise(tap, async (ctx) => {
      if (mine(ctx)) await retireRelease(ctx, this.#engine);
    });

    deployer.hooks.failed.tapPromise(tap, async (ctx) => {
      if (!mine(ctx) || !this.#reachable) return;
      const created = ofDeployment(await appContainers(ctx, this.#engine), ctx.id);
      await removeContainers(this.#engine, created, FAILED_STOP_MS);
      if (created.length) ctx.log('system', `removed the deployment's ${created.length} new container(s)`, 'system');
    });
  }
}

const dockerRuntime: PluginFactory<DockerRuntimeOptions> = Object.assign(
  (options: DockerRuntimeOptions) => new DockerRuntime(options),
  { optionsSchema },
);

export default dockerRuntime;
