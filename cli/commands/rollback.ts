import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lib/config/load-config.js';
import type { DeploymentRecord } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { readProcfile } from '../../lib/procfile/procfile.js';
import { agent, resolveApp } from '../app.js';
import { appOption, releaseArg } from '../args.js';
import { defineCommand } from '../command.js';
import { configCache } from '../config-cache.js';
import { notATarget } from '../rollback-targets.js';
import { runDeployment } from '../run-deployment.js';

interface ReleaseRow {
  release: number;
  version: string;
  artifact: { path?: string; image?: string };
}

export const { run, options } = defineCommand({ ...appOption }, async ({ values, positionals }, io) => {
  const app = await resolveApp(values.app);
  const wanted = positionals[0] === undefined ? undefined : releaseArg(positionals[0], 'rollback');
  const client = await agent();
  const releases = await client.call<ReleaseRow[]>('GET', `/apps/${app}/releases`);
  const deployments = await client.call<DeploymentRecord[]>('GET', `/deployments?app=${app}&limit=1000`);
  const live = deployments.find((d) => d.status === 'success');
  let target: ReleaseRow | undefined;
  if (wanted !== undefined) {
    const n = wanted;
    target = releases.find((r) => r.release === n);
    if (!target) throw new SlipwayError('RELEASE_NOT_FOUND', notATarget(app, positionals[0], n, deployments));
  } else {
    // The release before the live one.
    target = releases.find((r) => live && r.release < live.release);
    if (!target) throw new SlipwayError('RELEASE_NOT_FOUND', `${app} has no earlier release to roll back to`);
  }
  const { path, image } = target.artifact;
  if (!path && !image) {
    throw new SlipwayError('RELEASE_NOT_FOUND', `release ${target.release} of ${app} has no build to reuse`);
  }
  if (path && !existsSync(path)) {
    throw new SlipwayError(
      'RELEASE_NOT_FOUND',
      `release ${target.release} of ${app} is no longer on disk (only the newest keepReleases releases are kept)`,
    );
  }
  // A directory release holds its own config and Procfile, as Heroku rolls back
  // to the old slug. An image release takes them from the app directory here.
  const dir = path ?? process.cwd();
  const config = await loadConfig(dir, { cache: configCache() });
  if (!path && config.app !== app && !values.app) {
    throw new SlipwayError(
      'USAGE',
      `run the rollback of ${app} from its app directory (found app "${config.app}" here)`,
    );
  }
  config.app = app;
  const procfile = await readProcfile(join(dir));
  const record = await runDeployment({
    config,
    procfile,
    version: target.version,
    kind: 'rollback',
    sourceRelease: target.release,
    wait: true,
    io,
  });
  return record.status === 'success' ? 0 : 1;
});
