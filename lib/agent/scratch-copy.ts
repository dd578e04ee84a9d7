import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ScratchCopy {
  path: string;
  kind: 'overlay' | 'copy';
  dispose(): Promise<void>;
}

let overlayWorks: boolean | undefined;

/** Whether makeScratchCopy may make an overlay mount here (as far as is known yet). */
export function overlayPossible(): boolean {
  return overlayWorks !== false && process.getuid?.() === 0;
}

/**
 * A private, writable copy of a release for a one-off: what it writes never
 * reaches the release the web processes run from. An overlay mount when the
 * machine allows it (instant, copy-on-write), a copy otherwise. With
 * `overlayOnly`, resolves with null instead of making a full copy.
 */
export async function makeScratchCopy(from: string, dir: string): Promise<ScratchCopy>;
export async function makeScratchCopy(
  from: string,
  dir: string,
  options: { overlayOnly: true },
): Promise<ScratchCopy | null>;
export async function makeScratchCopy(
  from: string,
  dir: string,
  options?: { overlayOnly: true },
): Promise<ScratchCopy | null> {
  if (options?.overlayOnly && !overlayPossible()) return null;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (overlayPossible()) {
    const upper = join(dir, 'upper');
    const work = join(dir, 'work');
    const merged = join(dir, 'app');
    await Promise.all([mkdir(upper), mkdir(work), mkdir(merged)]);
    try {
      await run('mount', [
        '-t',
        'overlay',
        'overlay',
        '-o',
        `lowerdir=${from},upperdir=${upper},workdir=${work}`,
        merged,
      ]);
      overlayWorks = true;
      return {
        path: merged,
        kind: 'overlay',
        async dispose() {
          await run('umount', ['-l', merged]).catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch {
      overlayWorks = false;
    }
  }
  if (options?.overlayOnly) {
    await rm(dir, { recursive: true, force: true });
    return null;
  }
  const target = join(dir, 'app');
  await rm(target, { recursive: true, force: true });
  await run('cp', ['-a', '--reflink=auto', `${from}/.`, target]).catch(async () => {
    await mkdir(target, { recursive: true });
    await run('cp', ['-a', `${from}/.`, target]);
  });
  return {
    path: target,
    kind: 'copy',
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Removes the scratch copies an earlier agent left under `roots` (the apps'
 * `scratch` directories) when it was killed: overlays still mounted are
 * unmounted first. Run when the agent starts, before any one-off.
 */
export async function removeLeftoverScratch(roots: string[], log: (line: string) => void): Promise<void> {
  let mounts: string[] = [];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      // The kernel writes a space in a path as \040.
      .map((point) =>
        point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
      )
      .filter((point) => roots.some((root) => point.startsWith(`${root}/`)));
  } catch {
    // no /proc: nothing can be mounted through it either
  }
  for (const point of mounts) {
    await run('umount', ['-l', point]).catch((error: Error) => log(`unmounting ${point}: ${error.message}`));
  }
  await Promise.all(
    roots.map((root) =>
      rm(root, { recursive: true, force: true }).catch((error: Error) => log(`removing ${root}: ${error.message}`)),
    ),
  );
}
