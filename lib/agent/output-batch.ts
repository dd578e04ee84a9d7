import type { LogLine } from '../core/context.js';

/** How long a line of process output may wait before it is stored. */
const FLUSH_MS = 25;
/** A batch this large is stored at once. */
const MAX_BATCH = 2000;

/**
 * Process output on its way to a deployment's stored log, stored in batches:
 * one transaction per batch rather than per line. A hook that prints
 * hundreds of megabytes would otherwise spend the agent's time in commits
 * (about 150 µs each), holding heartbeats and requests behind its output.
 * Whoever reads or appends to a deployment's log flushes it first, so the
 * order of its lines never changes.
 */
export class OutputBatch {
  #pending = new Map<string, LogLine[]>();
  #size = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: (deploymentId: string, lines: LogLine[]) => void,
    private readonly log: (message: string) => void,
  ) {}

  push(deploymentId: string, line: LogLine): void {
    let lines = this.#pending.get(deploymentId);
    if (!lines) {
      lines = [];
      this.#pending.set(deploymentId, lines);
    }
    lines.push(line);
    if (++this.#size >= MAX_BATCH) this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.#timer.unref();
    }
  }

  /** Stores what waits: one deployment's lines, or everyone's. */
  flush(deploymentId?: string): void {
    const ids = deploymentId === undefined ? [...this.#pending.keys()] : [deploymentId];
    for (const id of ids) {
      const lines = this.#pending.get(id);
      if (!lines) continue;
      this.#pending.delete(id);
      this.#size -= lines.length;
      try {
        this.store(id, lines);
      } catch (error) {
        this.log(`deployment ${id}: ${lines.length} output lines not stored: ${(error as Error).message}`);
      }
    }
    if (this.#pending.size === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
