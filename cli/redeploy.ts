import type { ReleaseSource } from '../compat/heroku/release-source.js';
import { loadConfig } from '../lib/config/load-config.js';
import type { AgentClient } from '../lib/control/client.js';
import type { DeploymentKind, DeploymentRecord } from '../lib/core/context.js';
import { SlipwayError } from '../lib/core/errors.js';
import type { ResolvedConfig } from '../lib/core/types.js';
import { readProcfile } from '../lib/procfile/procfile.js';
import type { Io } from './io.js';
import { runDeployment } from './run-deployment.js';

/**
 * The config a release was deployed with: the copy inside its build (what
 * actually ran), else the current directory's when it configures this app.
 */
async function configOf(app: string, source: ReleaseSource): Promise<ResolvedConfig> {
  const fromBuild = source.dir ? await loadConfig(source.dir).catch(() => undefined) : undefined;
  if (fromBuild?.file) return fromBuild;
  const here = await loadConfig(process.cwd()).catch(() => undefined);
  if (here && here.app === app) return here;
  if (fromBuild) return fromBuild;
  throw new SlipwayError(
    'USAGE',
    `cannot find the config of ${app} release ${source.release}; run this in the app's directory`,
  );
}

/**
 * A new release made from an existing one without a new build — a config
 * change or a retry: same build, same revision, same mode, so in heroku
 * mode its release command runs again, with the app's current config vars.
 */
export async function redeploy(options: {
  client: AgentClient;
  app: string;
  source: ReleaseSource;
  kind: Extract<DeploymentKind, 'config' | 'retry'>;
  io: Io;
  /** Restart only: no postdeploy or release command (a config change in the default mode). */
  withoutHooks?: boolean;
}): Promise<DeploymentRecord> {
  const { app, source } = options;
  const config = await configOf(app, source);
  config.app = app;
  config.mode = source.mode;
  const procfile = await readProcfile(source.dir ?? config.dir);
  if (options.withoutHooks) {
    const { postdeploy: _postdeploy, release: _release, ...processes } = procfile.processes;
    procfile.processes = processes;
  }
  return runDeployment({
    config,
    procfile,
    version: source.version,
    kind: options.kind,
    // The process runtime finds a build only under the release that built it (a reuse
    // makes no directory of its own); other runtimes (docker) tag every release's image,
    // and the newest tag is the one image pruning keeps longest.
    sourceRelease: config.runtime === 'process' ? source.build : source.release,
    wait: true,
    io: options.io,
  });
}
