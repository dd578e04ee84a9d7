/** Splits a byte stream into lines, keeping a partial line until it completes. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split(/\r?\n/);
      rest = lines.pop() ?? '';
      // A line with no newline for 16 KiB is flushed as is, so memory stays bounded.
      if (rest.length > 16_384) {
        lines.push(rest);
        rest = '';
      }
      for (const line of lines) onLine(line);
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/** Keeps the last `size` lines, for "last output lines" in errors. */
export class RingBuffer {
  #lines: string[] = [];
  constructor(private readonly size = 20) {}
  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.size) this.#lines.shift();
  }
  lines(): string[] {
    return [...this.#lines];
  }
}
