import type Docker from 'dockerode';
import { lineSplitter, RingBuffer } from '../../lib/core/line-splitter.js';

export type OutputStream = 'stdout' | 'stderr';

/**
 * Splits the Engine's multiplexed output (no TTY) into lines per stream.
 * Each frame is an 8-byte header (stream id, 3 zero bytes, big-endian
 * length) then the payload; frames may arrive split across chunks.
 */
export function outputDemuxer(onLine: (stream: OutputStream, line: string) => void) {
  const lines = {
    stdout: lineSplitter((line) => onLine('stdout', line)),
    stderr: lineSplitter((line) => onLine('stderr', line)),
  };
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk: Buffer): void {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const stream: OutputStream = pending[0] === 2 ? 'stderr' : 'stdout';
        lines[stream].push(pending.subarray(8, 8 + size));
        pending = pending.subarray(8 + size);
      }
    },
    end(): void {
      lines.stdout.end();
      lines.stderr.end();
    },
  };
}

/** What output can be followed from: a container, or a swarm service (its tasks' output). */
export interface OutputSource {
  logs(options: Docker.ContainerLogsOptions & { follow: true }): Promise<NodeJS.ReadableStream>;
}

/**
 * Follows a container's (or a service's) output from its start until it
 * exits (or `signal` stops following); resolves when the stream ends.
 */
export async function followOutput(
  container: OutputSource,
  onLine: (stream: OutputStream, line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const demux = outputDemuxer(onLine);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await container.logs({ follow: true, stdout: true, stderr: true, abortSignal: signal });
  } catch (error) {
    if (signal?.aborted) return;
    throw error;
  }
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.on('end', resolve);
    stream.on('close', resolve);
    // A follow stopped on purpose ends with an abort error: the lines read so far are all there is.
    stream.on('error', () => resolve());
  });
  demux.end();
}

/** The last lines a container wrote (both streams), for "exited before it was ready" errors. */
export async function lastLines(container: Docker.Container, count = 10): Promise<string[]> {
  const ring = new RingBuffer(count);
  try {
    const buffer = await container.logs({ follow: false, stdout: true, stderr: true, tail: count });
    const demux = outputDemuxer((_stream, line) => ring.push(line));
    demux.push(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer as unknown as string));
    demux.end();
  } catch {
    // a container removed meanwhile has no lines to show
  }
  return ring.lines();
}
