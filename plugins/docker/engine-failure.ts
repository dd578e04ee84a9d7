import { type ErrorCode, SlipwayError } from '../../lib/core/errors.js';

/** Socket errors that mean the Engine went away, not that it refused something. */
const GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH']);

interface EngineError {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
}

/**
 * Gives an error from the Engine API a catalogue code and a message that
 * says which step it broke, instead of an INTERNAL "bug in slipway": the
 * Engine refusing something (HTTP 4xx/5xx) ends the step with `code`, a lost
 * connection is DOCKER_UNAVAILABLE. slipway's own errors pass through.
 */
export function engineFailure(error: unknown, code: ErrorCode, what: string): SlipwayError {
  if (error instanceof SlipwayError) return error;
  const e = (error ?? {}) as EngineError;
  if (e.code && GONE.has(e.code)) {
    return new SlipwayError('DOCKER_UNAVAILABLE', `lost the Docker Engine while ${what} (${e.code})`, { cause: error });
  }
  const detail = e.json?.message ?? e.message ?? String(error);
  const status = e.statusCode ? ` (HTTP ${e.statusCode})` : '';
  return new SlipwayError(code, `the Docker Engine failed ${what}${status}: ${detail}`, { cause: error });
}

/** Runs a step, turning Engine errors into `code` (see engineFailure). */
export async function engineStep<T>(code: ErrorCode, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw engineFailure(error, code, what);
  }
}
