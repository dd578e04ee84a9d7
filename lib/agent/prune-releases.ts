import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type AgentPaths, releaseDir } from '../control/paths.js';
import type { Store } from './store.js';

/** Where pruned release directories wait for their removal. */
function trashDir(paths: AgentPaths, app: string): string {
  return join(paths.apps, app, 'trash');
}

/**
 * Takes the release directories an app no longer needs out of the way: all
 * but those of its newest `keep` releases (a rollback reuses an older
 * directory, which then counts as kept), the live one, and those of
 * deployments still running (their own or, for a rollback, the one it
 * reuses). Failed deployments' directories go too. Each is renamed into the
 * app's trash at once, so nothing can start from it any more, and deleted
 * in the background. Returns the release numbers taken.
 */
export function pruneReleases(
  paths: AgentPaths,
  store: Store,
  app: string,
  keep: number,
  log: (line: string) => void,
): number[] {
  const dir = join(paths.apps, app, 'releases');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const releases = store.listReleases(app); // newest first
  const needed = new Set<string>();
  const need = (path: string | undefined) => path && needed.add(resolve(path));
  const pathOf = (release: number) =>
    releases.find((r) => r.release === release)?.artifact.path ?? releaseDir(paths, app, release);
  for (const r of releases.slice(0, keep)) need(r.artifact.path);
  const live = store.getLive(app);
  if (live) need(pathOf(live.release));
  for (const d of store.unfinishedDeployments(app)) {
    need(releaseDir(paths, app, d.release));
    if (d.sourceRelease !== null) need(pathOf(d.sourceRelease));
  }
  // A release still draining or stopping runs from its directory until its processes are gone.
  for (const p of store.listProcesses(app)) {
    const release = store.getDeployment(p.deploymentId)?.release;
    if (release !== undefined) need(pathOf(release));
  }
  const taken: number[] = [];
  const trash = trashDir(paths, app);
  for (const name of names) {
    if (!/^\d+$/.test(name) || needed.has(resolve(dir, name))) continue;
    try {
      mkdirSync(trash, { recursive: true, mode: 0o700 });
      renameSync(join(dir, name), join(trash, `${name}-${Date.now()}`));
      taken.push(Number(name));
    } catch (error) {
      log(`prune ${app} release ${name}: ${(error as Error).message}`);
    }
  }
  if (taken.length > 0) {
    log(`pruned ${app} releases ${taken.sort((a, b) => a - b).join(', ')} (keeping ${keep})`);
    emptyTrash(paths, app, log);
  }
  return taken;
}

/** Deletes what is in an app's trash; also run when the agent starts, for what an earlier run left. */
export function emptyTrash(paths: AgentPaths, app: string, log: (line: string) => void): Promise<void> {
  return rm(trashDir(paths, app), { recursive: true, force: true }).catch((error: Error) =>
    log(`emptying the trash of ${app}: ${error.message}`),
  );
}
