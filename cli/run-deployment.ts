import type { DeploymentKind, DeploymentRecord } from '../lib/core/context.js';
import { Deployer } from '../lib/core/deployer.js';
import type { Plugin } from '../lib/core/plugins.js';
import { loadPlugin, loadPlugins } from '../lib/core/plugins.js';
import type { Procfile, ResolvedConfig } from '../lib/core/types.js';
import processRuntime from '../plugins/process/index.js';
import { agent } from './app.js';
import { deployReporter, printResult } from './deploy-reporter.js';
import type { Io } from './io.js';

/** The runtime named in config: the embedded process runtime, or a plugin by name. */
async function runtimePlugin(config: ResolvedConfig): Promise<Plugin> {
  // The default runtime is part of the command's own code: most deployments use it.
  if (config.runtime === 'process') return processRuntime();
  return loadPlugin(config.runtime, -1, config.dir);
}

export interface RunDeploymentOptions {
  config: ResolvedConfig;
  procfile: Procfile;
  version: string;
  kind: DeploymentKind;
  sourceRelease?: number;
  wait: boolean;
  io: Io;
}

/** Runs one deployment with the agent as control plane; Ctrl-C aborts it cleanly. */
export async function runDeployment(options: RunDeploymentOptions): Promise<DeploymentRecord> {
  const { config, io } = options;
  // Plugins and their options are checked before anything starts.
  const plugins = [await runtimePlugin(config), ...(await loadPlugins(config.plugins, config.dir))];
  const control = await agent();
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => abort.abort(`received ${signal}`);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const report = deployReporter(io);
  let port: number | undefined;
  const deployer = new Deployer({
    config,
    procfile: options.procfile,
    control,
    plugins,
    version: options.version,
    kind: options.kind,
    sourceRelease: options.sourceRelease,
    wait: options.wait,
    signal: abort.signal,
    onEvent: (event) => {
      if (event.type === 'opened') port = event.port;
      report(event);
    },
  });
  const record = await deployer.deploy().finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  printResult(io, record, port ? `http://${host}:${port}/` : undefined);
  return record;
}
