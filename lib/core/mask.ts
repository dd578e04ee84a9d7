export const MASK = '••••';

/** Env values shorter than this are too common ("1", "true") to mask usefully. */
const MIN_ENV_SECRET = 5;
/** Tokens registered explicitly are masked from this length on. */
const MIN_SECRET = 3;

/**
 * Replaces every known secret in text. Secrets are matched longest first so a
 * value that contains another is masked whole.
 */
export class Masker {
  #secrets = new Set<string>();
  #pattern: RegExp | null = null;

  add(value: string | undefined, minLength = MIN_SECRET): void {
    if (!value || value.length < minLength || this.#secrets.has(value)) return;
    this.#secrets.add(value);
    this.#pattern = null;
  }

  /** Masks the values of an env map (never the keys). */
  addEnv(env: Readonly<Record<string, string>>): void {
    for (const value of Object.values(env)) this.add(value, MIN_ENV_SECRET);
  }

  mask(text: string): string {
    if (this.#secrets.size === 0) return text;
    if (!this.#pattern) {
      const sorted = [...this.#secrets].sort((a, b) => b.length - a.length);
      this.#pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
    }
    return text.replace(this.#pattern, MASK);
  }
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
