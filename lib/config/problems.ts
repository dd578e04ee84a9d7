/**
 * Turns schema issues into one-line problems that name the key path and
 * suggest the intended key for a misspelt one.
 */
import { distance } from 'fastest-levenshtein';
import type * as z from 'zod';
import { knownKeys } from './schema.js';

export interface ConfigProblem {
  /** Path from the settings root (inside "slipway" for package.json). */
  path: PropertyKey[];
  message: string;
  line?: number;
}

let keyIndex: Map<string, string[]> | undefined;
function keys(): Map<string, string[]> {
  keyIndex ??= knownKeys();
  return keyIndex;
}

/** `postdeploy.timeout`, `plugins[1]`; `prefix` is where the settings sit in the file. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix: readonly string[] = []): string {
  let out = '';
  for (const segment of [...prefix, ...path]) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

// Case, "-" and "_" are the usual slips: keepimages, first_deploy, post-deploy.
const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

function closest(word: string, candidates: readonly string[]): string | undefined {
  const exact = candidates.find((c) => normalise(c) === normalise(word));
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best) return best;
  // `gracePeriod`, `timeoutMs`, `health`: one spelling contains the other.
  const w = normalise(word);
  return candidates.find((c) => {
    const n = normalise(c);
    return Math.min(n.length, w.length) >= 4 && (w.startsWith(n) || n.startsWith(w));
  });
}

function orList(items: readonly string[]): string {
  const quoted = items.map((i) => `"${i}"`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/** Suggestions for an unknown key: a close sibling, or the same key where it belongs. */
export function suggestKeys(parent: ReadonlyArray<PropertyKey>, key: string): string[] {
  const parentPath = formatPath(parent);
  const siblings = keys().get(parentPath) ?? [];
  const near = closest(key, siblings);
  if (near) return [parentPath ? `${parentPath}.${near}` : near];
  const elsewhere: string[] = [];
  for (const [where, names] of keys()) {
    for (const name of names) {
      if (normalise(name) === normalise(key) && where !== parentPath) elsewhere.push(where ? `${where}.${name}` : name);
    }
  }
  return elsewhere;
}

function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = raw;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

/**
 * One problem per schema issue (one per key for unknown keys). `prefix` is
 * only used to spell suggested paths the way the file spells them.
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  prefix: readonly string[] = [],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const suggestions = suggestKeys(path, key).map((s) => formatPath([s], prefix));
        const hint = suggestions.length > 0 ? ` — did you mean ${orList(suggestions)}?` : '';
        problems.push({ path: [...path, key], message: `unknown key "${formatPath([...path, key], prefix)}"${hint}` });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) {
      message = `must be ${ARTICLE[issue.expected] ?? issue.expected}`;
    }
    // Never echo a value from env: it may be a secret.
    if (issue.code === 'invalid_value' && path[0] !== 'env') {
      const value = valueAt(raw, path);
      const options = issue.values.filter((v): v is string => typeof v === 'string');
      const near = typeof value === 'string' ? closest(value, options) : undefined;
      if (near) message += ` — did you mean "${near}"?`;
    }
    problems.push({
      path,
      message: path.length === 0 ? `the config ${message}` : `${formatPath(path, prefix)}: ${message}`,
    });
  }
  return problems;
}
