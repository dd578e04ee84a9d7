import { existsSync } from 'node:fs';
import type { AgentClient } from '../../lib/control/client.js';
import { releaseDir } from '../../lib/control/paths.js';
import type { ReleaseRow } from '../../lib/control/protocol.js';
import type { DeploymentRecord } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import type { DeploymentStatus } from '../../lib/core/status.js';
import type { Mode } from '../../lib/core/types.js';

/** What a new release made from an existing one (config change, retry) starts from. */
export interface ReleaseSource {
  /** The release it copies. */
  release: number;
  /**
   * The release whose build it reuses: config changes, rollbacks and retries
   * reuse a build, so this follows them back to the deployment that built it.
   */
  build: number;
  version: string;
  mode: Mode;
  /** The build's directory (process runtime); absent when the build is an image. */
  dir?: string;
}

/** Statuses reached only after a successful build: the release has an artifact to copy. */
const BUILT: ReadonlySet<DeploymentStatus> = new Set(['success', 'hook-error', 'crashed-error', 'timeout-error']);

export interface AppHistory {
  deployments: DeploymentRecord[];
  releases: ReleaseRow[];
}

export async function appHistory(client: AgentClient, app: string): Promise<AppHistory> {
  const name = encodeURIComponent(app);
  const [deployments, releases] = await Promise.all([
    client.call<DeploymentRecord[]>('GET', `/deployments?app=${name}&limit=1000000`),
    client.call<ReleaseRow[]>('GET', `/apps/${name}/releases`),
  ]);
  return { deployments, releases };
}

/** The release number whose build `release` runs, following reuses back to a build. */
export function buildOf(history: AppHistory, release: number): number {
  const byRelease = new Map(history.deployments.map((d) => [d.release, d]));
  const seen = new Set<number>();
  let current = release;
  for (;;) {
    const d = byRelease.get(current);
    if (!d || d.sourceRelease === null || seen.has(current)) return current;
    seen.add(current);
    current = d.sourceRelease;
  }
}

function sourceOf(client: AgentClient, app: string, history: AppHistory, d: DeploymentRecord): ReleaseSource {
  const build = buildOf(history, d.release);
  const row = history.releases.find((r) => r.release === d.release);
  const candidate = row?.artifact.path ?? releaseDir(client.paths, app, build);
  const image = row?.artifact.image;
  return {
    release: d.release,
    build,
    version: d.version,
    mode: d.mode,
    ...(!image && existsSync(candidate) ? { dir: candidate } : {}),
  };
}

/** The release serving now, or null before the first successful deployment. */
export async function liveSource(
  client: AgentClient,
  app: string,
  history?: AppHistory,
): Promise<ReleaseSource | null> {
  const live = await client.call<{ deploymentId: string } | null>('GET', `/apps/${encodeURIComponent(app)}/live`);
  if (!live) return null;
  const h = history ?? (await appHistory(client, app));
  const d = h.deployments.find((x) => x.id === live.deploymentId);
  return d ? sourceOf(client, app, h, d) : null;
}

/**
 * Heroku's "latest release": the newest one that has a build, live or not —
 * a release whose release command failed is the one `releases:retry` is for.
 */
export async function latestSource(client: AgentClient, app: string, history?: AppHistory): Promise<ReleaseSource> {
  const h = history ?? (await appHistory(client, app));
  const d = h.deployments.find((x) => BUILT.has(x.status));
  if (!d) throw new SlipwayError('RELEASE_NOT_FOUND', `${app} has no release with a build yet; deploy it first`);
  return sourceOf(client, app, h, d);
}
