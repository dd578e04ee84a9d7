/**
 * Durations and sizes as people write them in config files. Durations come
 * back in milliseconds, sizes in bytes. Bad input throws a plain Error whose
 * message says what is accepted; config.ts adds the file and key path.
 */

const MS_PER_UNIT: Readonly<Record<string, number>> = Object.freeze({
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
});

/**
 * Node's timers hold a signed 32-bit millisecond count; a longer timeout fires
 * after 1 ms instead, so a "30d" hook limit would kill the hook at once.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const DURATION_HINT = 'use e.g. "90s", "20m", "1h30m", "500ms", or a number of seconds';

// A whole string of `<number><unit>` parts, e.g. "1h30m"; checked before splitting.
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const PLAIN_NUMBER_RE = /^\d+(?:\.\d+)?$/;

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function prefix(key: string | undefined): string {
  return key ? `${key}: ` : '';
}

/**
 * Parses `90s`, `20m`, `1h`, `500ms`, `2d`, compounds like `1h30m`, or a
 * number (or numeric string) of seconds. Returns whole milliseconds.
 */
export function parseDuration(v: string | number, key?: string): number {
  let ms: number;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) {
      throw new Error(`${prefix(key)}invalid duration ${describe(v)}: must be a non-negative number of seconds`);
    }
    ms = v * 1000;
  } else if (typeof v === 'string') {
    const text = v.trim().toLowerCase();
    if (PLAIN_NUMBER_RE.test(text)) {
      ms = Number(text) * 1000;
    } else if (DURATION_RE.test(text)) {
      ms = 0;
      for (const [, amount, unit] of text.matchAll(DURATION_PART_RE)) ms += Number(amount) * MS_PER_UNIT[unit];
    } else {
      throw new Error(`${prefix(key)}invalid duration ${describe(v)} (${DURATION_HINT})`);
    }
  } else {
    throw new Error(`${prefix(key)}invalid duration ${describe(v)} (${DURATION_HINT})`);
  }
  ms = Math.round(ms);
  if (ms > MAX_DURATION_MS) {
    throw new Error(`${prefix(key)}duration ${describe(v)} is too long (at most ${formatDuration(MAX_DURATION_MS)})`);
  }
  return ms;
}

/**
 * Every size unit is binary: `MB` and `M` both mean 1024 * 1024 bytes, as
 * Docker, Scalingo and the kernel's cgroup limits count memory. `KiB`/`MiB`/…
 * are accepted spellings of the same units.
 */
const BYTES_PER_UNIT: Readonly<Record<string, number>> = Object.freeze({
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
});

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/;
const SIZE_HINT = 'use e.g. "512MB", "1GB", "512M", "256KiB", or a number of bytes';

/** Parses `512MB`, `1GB`, `512M`, `256KiB`… or a number of bytes; returns whole bytes. */
export function parseSize(v: string | number): number {
  let bytes: number;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0)
      throw new Error(`invalid size ${describe(v)}: must be a non-negative number of bytes`);
    bytes = v;
  } else if (typeof v === 'string') {
    const match = SIZE_RE.exec(v.trim().toLowerCase());
    const unit = match ? BYTES_PER_UNIT[match[2] || 'b'] : undefined;
    if (!match || unit === undefined) throw new Error(`invalid size ${describe(v)} (${SIZE_HINT})`);
    bytes = Number(match[1]) * unit;
  } else {
    throw new Error(`invalid size ${describe(v)} (${SIZE_HINT})`);
  }
  bytes = Math.round(bytes);
  if (!Number.isSafeInteger(bytes)) throw new Error(`invalid size ${describe(v)}: too large`);
  return bytes;
}

/** `90000` → `1m30s`, `1500` → `1.5s`, `250` → `250ms`; parseDuration reads it back. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  if (rest < 1000) return `${sign}${rest}ms`;
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', MS_PER_UNIT.h],
    ['m', MS_PER_UNIT.m],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${trimZeros((rest / 1000).toFixed(3))}s`);
  return sign + parts.join('');
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** `536870912` → `512MB`, `1610612736` → `1.5GB` (binary units, two decimals at most). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let i = 0;
  while (value >= 1024 && i < BYTE_UNITS.length - 1) {
    value /= 1024;
    i++;
  }
  return `${sign}${trimZeros(value.toFixed(i === 0 ? 0 : 2))}${BYTE_UNITS[i]}`;
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}
