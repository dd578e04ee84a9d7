import { type AppHistory, appHistory, latestSource } from '../../compat/heroku/release-source.js';
import type { AgentClient } from '../../lib/control/client.js';
import type { DeploymentRecord, LogLine } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { agent, resolveApp } from '../app.js';
import { appOption, releaseArg } from '../args.js';
import { defineCommand } from '../command.js';
import type { Io } from '../io.js';
import { redeploy } from '../redeploy.js';
import { table } from '../table.js';

export interface ReleaseEntry {
  /** `v7` */
  version: string;
  release: number;
  /** The revision deployed (CONTAINER_VERSION, HEROKU_SLUG_COMMIT). */
  revision: string;
  kind: DeploymentRecord['kind'];
  description: string;
  mode: DeploymentRecord['mode'];
  status: DeploymentRecord['status'];
  live: boolean;
  createdAt: string;
  deploymentId: string;
  sourceRelease: number | null;
}

/** What made a release, in Heroku's words where it has some. */
function describe(d: DeploymentRecord): string {
  switch (d.kind) {
    case 'deploy':
      return `Deploy ${d.version.slice(0, 7)}`;
    case 'config':
      return 'Config vars changed';
    case 'rollback':
      return `Rollback to v${d.sourceRelease}`;
    case 'retry':
      return `Retry of the release command (build from v${d.sourceRelease})`;
  }
}

/**
 * Every deployment made (or tried to make) a release, so releases are read
 * from deployments: a release whose release command failed is listed with
 * its status, as Heroku lists it, though it never served.
 */
export function releaseEntries(history: AppHistory, liveRelease: number | null): ReleaseEntry[] {
  return history.deployments.map((d) => ({
    version: `v${d.release}`,
    release: d.release,
    revision: d.version,
    kind: d.kind,
    description: describe(d),
    mode: d.mode,
    status: d.status,
    live: d.release === liveRelease,
    createdAt: d.startedAt,
    deploymentId: d.id,
    sourceRelease: d.sourceRelease,
  }));
}

async function liveRelease(client: AgentClient, app: string, history: AppHistory): Promise<number | null> {
  const live = await client.call<{ deploymentId: string } | null>('GET', `/apps/${encodeURIComponent(app)}/live`);
  return history.deployments.find((d) => d.id === live?.deploymentId)?.release ?? null;
}

async function list(client: AgentClient, app: string, io: Io): Promise<number> {
  const history = await appHistory(client, app);
  const entries = releaseEntries(history, await liveRelease(client, app, history));
  if (io.json) {
    io.data(entries);
    return 0;
  }
  if (entries.length === 0) {
    io.out(`${app} has no releases yet`);
    return 0;
  }
  io.out(
    table(
      ['RELEASE', 'REVISION', 'MADE BY', 'STATUS', 'CREATED'],
      entries.map((e) => [
        `${e.version}${e.live ? ' *' : ''}`,
        e.revision.slice(0, 12),
        e.description,
        e.status,
        e.createdAt,
      ]),
    ),
  );
  if (entries.some((e) => e.live)) io.out(io.color.dim('* serving now'));
  return 0;
}

/** The release command's output: the `release` phase of the deployment that made the release. */
async function output(client: AgentClient, app: string, wanted: string | undefined, io: Io): Promise<number> {
  const history = await appHistory(client, app);
  let d: DeploymentRecord | undefined;
  if (wanted) {
    const n = Number(wanted.replace(/^v/, ''));
    d = history.deployments.find((x) => x.release === n);
    if (!d) throw new SlipwayError('RELEASE_NOT_FOUND', `${app} has no release ${wanted}`);
  } else {
    d = history.deployments[0];
    if (!d) throw new SlipwayError('RELEASE_NOT_FOUND', `${app} has no releases yet`);
  }
  const lines = (await client.call<LogLine[]>('GET', `/deployments/${d.id}/logs`))
    .filter((l) => l.phase === 'release')
    // Lines come from the agent (the command's output) and the CLI (command line, exit): order by time.
    .sort((a, b) => a.ts - b.ts);
  if (io.json) {
    io.data({ app, release: d.release, version: `v${d.release}`, status: d.status, deploymentId: d.id, lines });
    return 0;
  }
  if (lines.length === 0) {
    const why =
      d.mode === 'heroku'
        ? 'no release command ran (none in the Procfile, or the deployment ended before it)'
        : 'it was deployed in postdeploy mode; its hook output is in `slipway logs`';
    io.out(`v${d.release} of ${app}: ${why}`);
    return 0;
  }
  // One stream, in the order the lines were written: two would interleave differently when piped.
  for (const l of lines) io.out(l.stream === 'system' ? io.color.dim(l.line) : l.line);
  return 0;
}

/** Heroku's releases:retry: a new release, a copy of the latest one, so its release command runs again. */
async function retry(client: AgentClient, app: string, io: Io): Promise<number> {
  const source = await latestSource(client, app);
  if (source.mode !== 'heroku') {
    throw new SlipwayError(
      'USAGE',
      `releases:retry reruns the release command of heroku mode, and v${source.release} of ${app} was deployed in postdeploy mode; deploy again to rerun postdeploy`,
    );
  }
  if (!io.json) io.out(`Retrying the release command of v${source.release} of ${app} on a copy of it`);
  const record = await redeploy({ client, app, source, kind: 'retry', io });
  return record.status === 'success' ? 0 : 1;
}

export const { run, options } = defineCommand({ ...appOption }, async ({ values, positionals, command }, io) => {
  const app = await resolveApp(values.app);
  if (command === 'releases:output' && positionals[0] !== undefined) releaseArg(positionals[0], command);
  const client = await agent();
  if (command === 'releases:output') return output(client, app, positionals[0], io);
  if (positionals.length > 0) throw new SlipwayError('USAGE', `${command}: unexpected argument "${positionals[0]}"`);
  if (command === 'releases:retry') return retry(client, app, io);
  return list(client, app, io);
});
