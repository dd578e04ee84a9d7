import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, readlink, stat, symlink, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface SnapshotStats {
  files: number;
  /** Unchanged since the previous release: hard-linked to it instead of copied. */
  linked: number;
  copied: number;
}

export interface SnapshotOptions {
  /** The previous release directory: unchanged files are hard-linked from it. */
  previous?: string;
  /** Paths never copied (the slipway home when it lives inside the app). */
  exclude?: string[];
}

const PARALLEL = 32;

/**
 * Copies an app directory (without .git) into a release directory. Files
 * that did not change since the previous release (same size and mtime) are
 * hard-linked from it, so a large node_modules costs links, not copies;
 * changed files are copied (copy-on-write where the filesystem can).
 */
export async function snapshot(src: string, dest: string, options: SnapshotOptions = {}): Promise<SnapshotStats> {
  const stats: SnapshotStats = { files: 0, linked: 0, copied: 0 };
  const exclude = new Set((options.exclude ?? []).map((p) => resolve(p)));
  exclude.add(resolve(dest));
  const queue: (() => Promise<void>)[] = [];

  const copyOne = async (from: string, to: string, prev: string | undefined) => {
    const s = await stat(from);
    if (prev) {
      try {
        const p = await stat(prev);
        // utimes goes through a float of seconds: allow for its rounding.
        if (p.size === s.size && Math.abs(p.mtimeMs - s.mtimeMs) < 2 && p.mode === s.mode) {
          await link(prev, to);
          stats.linked++;
          return;
        }
      } catch {
        // not in the previous release
      }
    }
    await copyFile(from, to, constants.COPYFILE_FICLONE);
    await utimes(to, s.atime, s.mtime);
    stats.copied++;
  };

  const walk = async (from: string, to: string, prev: string | undefined) => {
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const source = join(from, entry.name);
      if (exclude.has(resolve(source))) continue;
      const target = join(to, entry.name);
      const previous = prev ? join(prev, entry.name) : undefined;
      if (entry.isDirectory()) await walk(source, target, previous);
      else if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
      else if (entry.isFile()) {
        stats.files++;
        queue.push(() => copyOne(source, target, previous));
      }
    }
  };

  await walk(src, dest, options.previous);
  const workers = Array.from({ length: PARALLEL }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  });
  await Promise.all(workers);
  return stats;
}
