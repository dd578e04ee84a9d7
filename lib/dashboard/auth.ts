import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'slipway_dashboard';

/** 192 random bits, URL-safe: the only thing standing between a local browser tab and the apps. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type Access =
  /** The cookie holds the token. */
  | { ok: true }
  /** The query string holds the token: set the cookie and send the browser to the URL without it. */
  | { ok: 'exchange' }
  | { ok: false; status: 401 | 403; reason: string };

/**
 * Who may see the dashboard: a request naming this very host (so a page of
 * another site that resolves its name to 127.0.0.1 gets nothing) and carrying
 * the token, in the query string once, in the cookie afterwards.
 */
export function checkAccess(req: IncomingMessage, url: URL, token: string, hosts: string[]): Access {
  if (!hosts.includes(req.headers.host ?? '')) return { ok: false, status: 403, reason: 'unexpected Host header' };
  const given = url.searchParams.get('token');
  if (given !== null) {
    return same(given, token) ? { ok: 'exchange' } : { ok: false, status: 403, reason: 'wrong token' };
  }
  const kept = cookie(req, COOKIE);
  if (kept === undefined) return { ok: false, status: 401, reason: 'no token' };
  return same(kept, token) ? { ok: true } : { ok: false, status: 403, reason: 'wrong token' };
}

/** Actions (POST) also come from the dashboard's own pages only: same origin, JSON body. */
export function checkAction(req: IncomingMessage, origins: string[]): string | null {
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.includes(origin)) return 'cross-origin request';
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return 'expected a JSON body';
  return null;
}

export function tokenCookie(token: string): string {
  return `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
