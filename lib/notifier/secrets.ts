import { Masker } from '../core/mask.js';

/**
 * A secret as it may appear in output: raw, and encoded the ways a URL
 * carries it (AppSignal's key travels in the query string).
 */
export function secretVariants(secrets: ReadonlyArray<string | undefined>): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    out.add(secret);
    out.add(encodeURIComponent(secret));
    out.add(new URLSearchParams({ s: secret }).toString().slice(2));
  }
  return [...out];
}

/**
 * Masks the notifier's secrets and the app's env values in text bound for a
 * vendor or a log: an error message may quote a config var, and Slack is no
 * place for it.
 */
export function secretMasker(secrets: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const masker = new Masker();
  masker.addEnv(env);
  for (const secret of secrets) masker.add(secret);
  return (text: string) => masker.mask(text);
}

/**
 * A URL that is itself the credential (Slack webhooks, Sentry deploy hooks)
 * is masked by its path and query, so the host still shows where a call went
 * and the secret stays hidden when `baseUrl` moves it elsewhere.
 */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  const { pathname, search } = new URL(url);
  const secret = pathname + search;
  return [secret.length > 1 ? secret : url];
}
