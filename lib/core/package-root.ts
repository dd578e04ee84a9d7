import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed slipway package's root and version, found from any file inside it (source, dist or bundle). */
export function packageInfo(from: string = import.meta.url): { root: string; version: string } {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'slipway') return { root: dir, version: pkg.version ?? '0.0.0' };
    } catch {
      // keep looking upward
    }
    dir = dirname(dir);
  }
  return { root: dir, version: '0.0.0' };
}
