import { closeSync, type FSWatcher, fstatSync, ftruncateSync, openSync, readSync, watch } from 'node:fs';
import { lineSplitter } from '../core/line-splitter.js';

/** An output file is cut back to empty once this much of it has been read. */
export const OUTPUT_FILE_LIMIT = 4 * 1024 * 1024;
const CHUNK = 64 * 1024;

/**
 * Follows a file an app process appends its output to (O_APPEND), line by
 * line. App processes write to files rather than to pipes held by the agent,
 * so they outlive an agent that crashes or is replaced, and the next agent
 * follows the same files. Once more than OUTPUT_FILE_LIMIT was read, the file
 * is truncated: the writer's next append lands at its new end (a line written
 * between the last read and the cut is lost; the disk use stays bounded).
 */
export class OutputTail {
  #fd: number;
  #offset: number;
  #watcher: FSWatcher | undefined;
  #split: ReturnType<typeof lineSplitter>;
  #buffer = Buffer.allocUnsafe(CHUNK);
  #closed = false;

  /**
   * Reads from `offset` (what came before was read already: by an earlier
   * agent, or before a restart of the process); by default from the end.
   */
  constructor(
    readonly file: string,
    onLine: (line: string) => void,
    options: { offset?: number } = {},
  ) {
    this.#fd = openSync(file, 'r+');
    this.#split = lineSplitter(onLine);
    this.#offset = options.offset ?? fstatSync(this.#fd).size;
    try {
      this.#watcher = watch(file, { persistent: false }, () => this.read());
      this.#watcher.on('error', () => undefined);
    } catch {
      // no inotify here: read() on exit and by the caller's own calls still works
    }
    this.read();
  }

  /** Reads what was appended since the last read. */
  read(): void {
    if (this.#closed) return;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.#fd, this.#buffer, 0, CHUNK, this.#offset);
      } catch {
        return;
      }
      if (n === 0) break;
      this.#offset += n;
      this.#split.push(this.#buffer.subarray(0, n));
    }
    if (this.#offset > OUTPUT_FILE_LIMIT) {
      try {
        ftruncateSync(this.#fd, 0);
        this.#offset = 0;
      } catch {
        // keep reading where we are
      }
    }
  }

  /** Reads what is left, flushes a last partial line, and stops following. */
  close(): void {
    if (this.#closed) return;
    this.read();
    this.#split.end();
    this.#closed = true;
    this.#watcher?.close();
    closeSync(this.#fd);
  }
}
