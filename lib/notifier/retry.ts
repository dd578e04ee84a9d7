/** Backoff never waits longer than this between two attempts. */
export const MAX_BACKOFF_MS = 10_000;

/**
 * A vendor asking for a longer pause than this is not waited for: the
 * notification fails with the vendor's answer instead of holding the
 * deployment for minutes.
 */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Capped exponential backoff with "equal jitter": half the step is fixed so
 * retries never bunch up at zero, half is random so parallel deployers spread.
 */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Reads `Retry-After` as delta-seconds or an HTTP date. Returns the wait in
 * ms (0 for a date already past), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
