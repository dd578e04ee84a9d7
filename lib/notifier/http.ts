import { setTimeout as sleepFor } from 'node:timers/promises';
import { SlipwayError } from '../core/errors.js';
import { formatDuration } from '../core/units.js';
import { excerpt } from './excerpt.js';
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter } from './retry.js';

export interface NotifyResponse {
  status: number;
  statusText: string;
  headers: Headers;
  /** The raw body text. */
  text: string;
  /** The body parsed as JSON when it is JSON, else the text. */
  body: unknown;
}

/** What a vendor's answer means: done, worth another attempt, or a final no. */
export type Verdict = { ok: true } | { ok: false; retry: boolean; reason: string };

export interface NotifyRequest {
  method: 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, when the exact bytes matter (a signature covers them). */
  body?: string;
  /**
   * Vendor rules, asked before the generic ones (2xx done; 429 and 5xx
   * retried; anything else final). Return undefined to fall through.
   */
  judge?: (response: NotifyResponse) => Verdict | undefined;
}

export interface RetryInfo {
  /** The attempt that just failed, from 1. */
  attempt: number;
  attempts: number;
  delayMs: number;
  reason: string;
}

export interface FetchPolicy {
  /** Per-request limit in ms. */
  timeout: number;
  /** Attempts in all, the first included. */
  attempts: number;
  /** First backoff step in ms; doubled per attempt, capped. */
  retryDelay: number;
  /** Who is calling, for messages: the notifier's name. */
  label: string;
  signal?: AbortSignal;
  /** Applied to every message before it leaves this function. */
  mask?: (text: string) => string;
  onRetry?: (info: RetryInfo) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  random?: () => number;
}

export const DEFAULT_POLICY = Object.freeze({ timeout: 10_000, attempts: 5, retryDelay: 500 });

/** `HTTP 401 Unauthorized: <start of the body>` */
export function httpReason(response: NotifyResponse): string {
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return response.text ? `${status}: ${excerpt(response.text)}` : status;
}

function genericVerdict(response: NotifyResponse): Verdict {
  if (response.status >= 200 && response.status < 300) return { ok: true };
  const retry = response.status === 429 || response.status >= 500;
  const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
  const reason = httpReason(response) + (location ? ` (redirected to ${location}: check the base URL)` : '');
  return { ok: false, retry, reason };
}

function parseBody(text: string): unknown {
  if (!/^\s*[[{]/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function transportReason(error: unknown, timeout: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${formatDuration(timeout)}`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const detail = cause?.code ?? cause?.message;
  return detail ? `${message} (${detail})` : message;
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

async function attemptOnce(request: NotifyRequest, timeout: number, signal?: AbortSignal): Promise<NotifyResponse> {
  // Not AbortSignal.timeout(): its timer is unref'd, so a hung request would let the process exit mid-deployment.
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(new TimeoutError()), timeout);
  try {
    return await exchange(request, signal ? AbortSignal.any([limit.signal, signal]) : limit.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(request: NotifyRequest, signal: AbortSignal): Promise<NotifyResponse> {
  const headers: Record<string, string> = { 'user-agent': 'slipway', ...request.headers };
  let body = request.body;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(request.url, {
    method: request.method,
    headers,
    body,
    signal,
    // A followed redirect turns a POST into a GET; say where it points instead.
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, statusText: res.statusText, headers: res.headers, text, body: parseBody(text) };
}

/**
 * One notification request: a time limit per attempt, retries only where a
 * repeat cannot double what the vendor already accepted (network errors, 429,
 * 5xx, or a vendor rule), `Retry-After` honoured, and the vendor's answer in
 * the error. Vendor calls are not idempotent, so a 2xx is never repeated.
 */
export async function notifyFetch(request: NotifyRequest, policy: FetchPolicy): Promise<NotifyResponse> {
  const mask = policy.mask ?? ((text: string) => text);
  const sleep = policy.sleep ?? ((ms: number, signal?: AbortSignal) => sleepFor(ms, undefined, { signal }));
  const attempts = Math.max(1, policy.attempts);
  const fail = (reason: string, attempt: number) =>
    new SlipwayError(
      'NOTIFY_FAILED',
      mask(
        `${policy.label}: ${request.method} ${request.url} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${reason}`,
      ),
      { data: { plugin: policy.label } },
    );

  for (let attempt = 1; ; attempt++) {
    let verdict: Verdict;
    let retryAfter: number | undefined;
    try {
      const response = await attemptOnce(request, policy.timeout, policy.signal);
      verdict = request.judge?.(response) ?? genericVerdict(response);
      if (verdict.ok) return response;
      retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    } catch (error) {
      if (policy.signal?.aborted) throw fail('the deployment was cancelled', attempt);
      verdict = { ok: false, retry: true, reason: transportReason(error, policy.timeout) };
    }
    if (!verdict.retry || attempt >= attempts) throw fail(verdict.reason, attempt);
    if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) {
      throw fail(`${verdict.reason} (the vendor asked to wait ${formatDuration(retryAfter)} before retrying)`, attempt);
    }
    const delayMs = retryAfter ?? backoffDelay(attempt, policy.retryDelay, policy.random);
    policy.onRetry?.({ attempt, attempts, delayMs, reason: mask(verdict.reason) });
    try {
      await sleep(delayMs, policy.signal);
    } catch {
      throw fail('the deployment was cancelled', attempt);
    }
  }
}
