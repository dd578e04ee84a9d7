import * as z from 'zod';
import { parseDuration } from '../core/units.js';

/**
 * Milliseconds as a number, or a duration string ("10s", "500ms"). Unlike
 * config durations a bare number means ms here: these are request-scale times.
 */
export const durationMs = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return Math.round(value);
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/** A token or key: whitespace around it (a pasted newline) is dropped. */
export const secretString = z.string().trim().min(1);

/** Options every notifier takes besides its vendor's own. */
export const notifierOptions = {
  /** Replaces scheme, host and port of the vendor's URLs (regions, self-hosted, tests). */
  baseUrl: httpUrl.optional(),
  /** Per-request time limit. */
  timeout: durationMs.optional(),
  /** Attempts in all, the first included (1 = never retry). */
  retries: z.int().min(1).max(10).optional(),
  /** First backoff step; doubled per attempt. */
  retryDelay: durationMs.optional(),
  /** Gate the route switch on this notification (postdeploy hook) instead of warning after it. */
  required: z.boolean().optional(),
};

export interface NotifierCommonOptions {
  baseUrl?: string;
  timeout?: number;
  retries?: number;
  retryDelay?: number;
  required?: boolean;
}

/** A notifier's strict options schema: the common options plus the vendor's. */
export function notifierSchema<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...notifierOptions, ...shape });
}
