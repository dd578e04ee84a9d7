/**
 * Env values at rest: config vars and the env kept with each release are
 * stored sealed (AES-256-GCM) in state.db, with a key of their own in
 * `secret.key` beside it (0600, made on first use). A copy of the database —
 * a backup, a file attached to a bug report, `sqlite3 .dump` — holds no env
 * value; whoever can read the key as well can read them, as the agent must.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SlipwayError } from '../core/errors.js';

const PREFIX = 'sealed:v1:';

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class Sealer {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** The sealer of the database `file`: its key in `secret.key` next to it; `:memory:` gets a throwaway key. */
  static forDatabase(file: string): Sealer {
    if (file === ':memory:') return new Sealer(randomBytes(KEY_BYTES));
    return new Sealer(readOrCreateKey(join(dirname(file), 'secret.key')));
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** A sealed value's text; a value stored before values were sealed is returned as it is. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SlipwayError('INTERNAL', 'a stored env value cannot be opened: secret.key does not match state.db', {
        cause: error,
      });
    }
  }

  sealEnv(env: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, this.seal(v)]));
  }

  openEnv(env: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, this.open(v)]));
  }
}

function readOrCreateKey(file: string): Buffer {
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(KEY_BYTES));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) {
    throw new SlipwayError('INTERNAL', `${file} is not a slipway key (${key.length} bytes, expected ${KEY_BYTES})`);
  }
  return key;
}
