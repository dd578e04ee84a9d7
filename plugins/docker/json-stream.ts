import { lineSplitter } from '../../lib/core/line-splitter.js';

/** One message of the Engine's progress streams (build, pull). */
export interface ProgressMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Reads a newline-delimited JSON progress stream until it ends. The Engine
 * reports a failed build inside the stream (HTTP 200, then an `error`
 * message), so the caller looks at every message, not at the status code.
 */
export function readProgress(
  stream: NodeJS.ReadableStream,
  onMessage: (message: ProgressMessage) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const split = lineSplitter((line) => {
      if (!line.trim()) return;
      try {
        onMessage(JSON.parse(line) as ProgressMessage);
      } catch {
        onMessage({ stream: `${line}\n` });
      }
    });
    const onAbort = () => {
      (stream as NodeJS.ReadableStream & { destroy?: (error?: Error) => void }).destroy?.();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => split.push(chunk));
    stream.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      split.end();
      resolve();
    });
    stream.on('error', (error: Error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}

/** Turns the Engine's `stream` texts (partial lines, several lines at once) into whole lines. */
export function textLines(onLine: (line: string) => void): { push(text: string): void; end(): void } {
  const split = lineSplitter((line) => {
    if (line.trim()) onLine(line.trimEnd());
  });
  return {
    push: (text) => split.push(Buffer.from(text)),
    end: () => split.end(),
  };
}
