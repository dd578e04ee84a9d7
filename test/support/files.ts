// Every file under a directory, for tests that search all of SLIPWAY_HOME.
// The agent removes files as it goes (a retired process's output, a one-off's
// scratch copy): one may vanish between the listing and the reading.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    const s = statSync(path, { throwIfNoEntry: false });
    if (!s) return [];
    if (s.isDirectory()) return filesUnder(path);
    return s.isFile() ? [path] : [];
  });
}

/** A file's bytes; empty when it was removed since it was listed. */
export function readPresent(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
}
