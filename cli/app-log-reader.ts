import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppLogEntry } from '../lib/control/protocol.js';

/** How often a followed log is looked at for new lines. */
const POLL_MS = 200;

function parse(text: string): AppLogEntry[] {
  const out: AppLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as AppLogEntry);
    } catch {
      // a line cut by a crash of the agent mid-write: skipped
    }
  }
  return out;
}

function readQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The last `count` entries of an app log and its rotated predecessor (`<file>.1`). */
export function tailAppLog(file: string, count: number): AppLogEntry[] {
  const entries = parse(readQuietly(`${file}.1`) + readQuietly(file));
  return count > 0 ? entries.slice(-count) : [];
}

/** Bytes of `file` from `from` to its end (empty when it is gone). */
function readFrom(file: string, from: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    let position = from;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
      position += n;
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `onEntry` for every entry appended to the app log from now on, across
 * rotations, until `signal` aborts.
 */
export async function followAppLog(
  file: string,
  onEntry: (entry: AppLogEntry) => void,
  signal: AbortSignal,
): Promise<void> {
  const stat = () => statSync(file, { throwIfNoEntry: false });
  let ino = stat()?.ino;
  let offset = stat()?.size ?? 0;
  let partial = '';
  const take = (bytes: Buffer) => {
    const text = partial + bytes.toString('utf8');
    const end = text.lastIndexOf('\n');
    partial = text.slice(end + 1);
    for (const entry of parse(text.slice(0, end + 1))) onEntry(entry);
  };
  while (!signal.aborted) {
    // Rejects when aborted: the loop then ends.
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
    const now = stat();
    if (now && ino !== undefined && now.ino !== ino) {
      // Rotated: the rest of the file we were reading is now `<file>.1`.
      if (statSync(`${file}.1`, { throwIfNoEntry: false })?.ino === ino) take(readFrom(`${file}.1`, offset));
      offset = 0;
      partial = '';
    }
    ino = now?.ino;
    if (now && now.size > offset) {
      const bytes = readFrom(file, offset);
      offset += bytes.length;
      take(bytes);
    }
  }
}
