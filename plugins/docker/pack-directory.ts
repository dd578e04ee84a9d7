import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export interface PackOptions {
  /** Leaves a path (relative, `/`-separated) out; for a directory, everything under it too. */
  exclude?: (path: string, isDirectory: boolean) => boolean;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0');
}

/** A POSIX pax record (`<len> key=value\n`), its length counting its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let total = bytes + String(bytes).length;
  // Adding the length's own digits may add a digit to it.
  if (String(total).length > String(bytes).length) total = bytes + String(total).length;
  return `${total}${body}`;
}

function header(name: string, type: string, size: number, mode: number, mtime: number, linkname = ''): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(mode & 0o7777, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(Math.floor(mtime / 1000), 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(type, 156, 'ascii');
  block.write(linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${octal(sum, 7)}\u0000 `, 148, 'ascii');
  return block;
}

/** Headers of one entry: a pax header first when the name or link target does not fit ustar's 100 bytes. */
function entryHeaders(name: string, type: string, size: number, mode: number, mtime: number, link = ''): Buffer[] {
  const long = Buffer.byteLength(name) > 100 || Buffer.byteLength(link) > 100;
  if (!long) return [header(name, type, size, mode, mtime, link)];
  const records = paxRecord('path', name) + (link ? paxRecord('linkpath', link) : '');
  const body = Buffer.from(records);
  return [
    header('././@PaxHeader', 'x', body.length, 0o644, mtime),
    body,
    padding(body.length),
    header(name.slice(0, 100), type, size, mode, mtime, link.slice(0, 100)),
  ];
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

async function* entries(root: string, dir: string, options: PackOptions): AsyncGenerator<Buffer> {
  const names = (await readdir(join(root, dir))).sort();
  for (const name of names) {
    const rel = dir ? `${dir}/${name}` : name;
    const abs = join(root, rel);
    const stat = await lstat(abs);
    if (options.exclude?.(rel, stat.isDirectory())) continue;
    if (stat.isDirectory()) {
      yield* entryHeaders(`${rel}/`, '5', 0, stat.mode, stat.mtimeMs);
      yield* entries(root, rel, options);
    } else if (stat.isSymbolicLink()) {
      yield* entryHeaders(rel, '2', 0, stat.mode, stat.mtimeMs, await readlink(abs));
    } else if (stat.isFile()) {
      yield* entryHeaders(rel, '0', stat.size, stat.mode, stat.mtimeMs);
      // Exactly `size` bytes: a file that grows while it is read must not shift the next header.
      let sent = 0;
      if (stat.size > 0) {
        for await (const chunk of createReadStream(abs, { end: stat.size - 1 })) {
          sent += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      }
      if (sent < stat.size) yield Buffer.alloc(stat.size - sent);
      yield padding(stat.size);
    }
  }
}

/**
 * A directory as an uncompressed tar stream (the Engine's build context),
 * read file by file so a large app never sits in memory.
 */
export function packDirectory(root: string, options: PackOptions = {}): Readable {
  return Readable.from(
    (async function* () {
      yield* entries(root, '', options);
      yield Buffer.alloc(BLOCK * 2);
    })(),
    { objectMode: false },
  );
}
