import type { LogLine } from './context.js';

/**
 * Batches output lines on their way to the control plane so a chatty build
 * costs one request per interval, not one per line.
 */
export class LogBuffer {
  #lines: LogLine[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (lines: LogLine[]) => Promise<void>,
    private readonly intervalMs = 100,
    private readonly maxBatch = 500,
  ) {}

  push(line: LogLine): void {
    this.#lines.push(line);
    if (this.#lines.length >= this.maxBatch) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.#timer.unref?.();
    }
  }

  /**
   * Hands over what is buffered instead of sending it, once earlier batches
   * are sent: the caller delivers the lines with its own request, in order.
   */
  async take(): Promise<LogLine[]> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#flushing;
    return this.#lines.splice(0);
  }

  /** Sends what is buffered; resolves once everything pushed so far is sent. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#lines.splice(0);
    if (batch.length > 0) {
      // Keep order: each batch goes after the previous one, and a failed send
      // never blocks later ones (logs are best effort, deployments are not).
      this.#flushing = this.#flushing.then(() => this.send(batch)).catch(() => undefined);
    }
    return this.#flushing;
  }
}
