/**
 * What an app's processes write once their deployment has ended, one file per
 * app under SLIPWAY_HOME (appLogFile), so a live release that logs every
 * request never pushes a deployment's own lines out of its log. Bounded: when
 * the file reaches `maxBytes` it becomes `<file>.1` (replacing the older one)
 * and a new file starts, so an app keeps at most about twice `maxBytes`.
 * Lines are stored as plain text: terminal control sequences (colours) are
 * removed, as in deployment logs.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { type AgentPaths, appLogFile } from '../control/paths.js';
import type { AppLogEntry } from '../control/protocol.js';

/** 5 MiB per file, two files per app. */
export const APP_LOG_MAX_BYTES = 5 * 1024 * 1024;

interface Open {
  fd: number;
  size: number;
}

export class AppLog {
  readonly #files = new Map<string, Open>();

  constructor(
    readonly paths: AgentPaths,
    readonly maxBytes = APP_LOG_MAX_BYTES,
    readonly log: (message: string) => void = () => {},
  ) {}

  /** Appends one line; a failure to write is logged by the agent, never thrown at the process's output. */
  append(app: string, entry: AppLogEntry): void {
    const text = `${JSON.stringify({ ...entry, line: stripVTControlCharacters(entry.line) })}\n`;
    try {
      let file = this.#open(app);
      if (file.size > 0 && file.size + Buffer.byteLength(text) > this.maxBytes) file = this.#rotate(app, file);
      file.size += writeSync(file.fd, text);
    } catch (error) {
      this.log(`app log of ${app}: ${(error as Error).message}`);
    }
  }

  close(): void {
    for (const { fd } of this.#files.values()) closeSync(fd);
    this.#files.clear();
  }

  #open(app: string): Open {
    let file = this.#files.get(app);
    if (!file) {
      const path = appLogFile(this.paths, app);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Owner-only: masking hides config var values, yet the output is the app's own business.
      const fd = openSync(path, 'a', 0o600);
      file = { fd, size: fstatSync(fd).size };
      this.#files.set(app, file);
    }
    return file;
  }

  #rotate(app: string, file: Open): Open {
    const path = appLogFile(this.paths, app);
    closeSync(file.fd);
    this.#files.delete(app);
    renameSync(path, `${path}.1`);
    return this.#open(app);
  }
}
