/**
 * Joins a vendor base and an API path. The base is usually an origin; a path
 * prefix is kept, for self-hosted installs served under one.
 */
export function vendorUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/**
 * Replaces scheme, host and port of a URL that users give whole (Slack
 * webhooks, Sentry deploy hooks, webhooks) with `baseUrl`, keeping path and query.
 */
export function rebase(url: string, baseUrl: string | undefined): string {
  if (!baseUrl) return url;
  const parsed = new URL(url);
  return vendorUrl(baseUrl, parsed.pathname + parsed.search);
}
