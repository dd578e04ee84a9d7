import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

// node:child_process and node:crypto load only when used: with --revision a
// deploy needs neither, and node:crypto alone costs a CLI start ~10 ms.

/** Directories whose content is fingerprinted by size and mtime only: large and derived. */
const SHALLOW = new Set(['node_modules', 'vendor', '.venv']);

/**
 * CONTAINER_VERSION: the given revision, else the git HEAD SHA when the app
 * directory is a repository, else a hash of the tree's content.
 */
export async function detectRevision(dir: string, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  try {
    const { execFile } = await import('node:child_process');
    const { stdout } = await promisify(execFile)('git', ['-C', dir, 'rev-parse', 'HEAD'], { timeout: 5000 });
    const sha = stdout.trim();
    if (/^[0-9a-f]{40,64}$/.test(sha)) return sha;
  } catch {
    // not a repository, or git missing
  }
  return contentHash(dir);
}

export async function contentHash(dir: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256');
  const walk = async (current: string, shallow: boolean): Promise<void> => {
    const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const path = join(current, entry.name);
      const rel = relative(dir, path);
      if (entry.isDirectory()) await walk(path, shallow || SHALLOW.has(entry.name));
      else if (entry.isFile()) {
        if (shallow) {
          const s = await stat(path);
          hash.update(`${rel}\0${s.size}\0${s.mtimeMs}\n`);
        } else {
          hash.update(`${rel}\0`);
          hash.update(await readFile(path));
          hash.update('\n');
        }
      } else if (entry.isSymbolicLink()) hash.update(`${rel}\0symlink\n`);
    }
  };
  await walk(dir, false);
  return hash.digest('hex').slice(0, 40);
}
