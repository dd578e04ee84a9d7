/**
 * Reads one file of test/fixtures/malformed/ the way slipway reads it: named
 * after its suffix (`x.Procfile` as Procfile, `x.slipwayrc.yaml` as
 * .slipwayrc.yaml, `x.app.json` as app.json next to a valid Procfile …) in a
 * fresh directory, through the reader slipway uses for it.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHerokuApp } from '../../compat/heroku/read-app.js';
import { loadConfig } from '../../lib/config/load-config.js';
import { readProcfile } from '../../lib/procfile/procfile.js';

export const MALFORMED = fileURLToPath(new URL('../fixtures/malformed/', import.meta.url));

/** The name a corpus file is read as. */
export function readAs(name: string): string {
  const as = ['Procfile', '.slipwayrc.yaml', '.slipwayrc.json', 'app.json', 'heroku.yml'].find((s) =>
    name.endsWith(`.${s.replace(/^\./, '')}`),
  );
  if (!as) throw new Error(`${name}: no known suffix`);
  return as;
}

/** A fresh app directory holding the corpus file under its real name (and a Procfile for the Heroku files). */
export function appDirWith(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-malformed-'));
  const as = readAs(name);
  copyFileSync(join(MALFORMED, name), join(dir, as));
  if (as !== 'Procfile') writeFileSync(join(dir, 'Procfile'), 'web: node server.js\n');
  return dir;
}

/** Reads it; resolves to what was read, or rejects with what the reader threw. */
export async function readMalformed(name: string): Promise<unknown> {
  const dir = appDirWith(name);
  try {
    const as = readAs(name);
    if (as === 'Procfile') return await readProcfile(dir);
    if (as.startsWith('.slipwayrc')) return await loadConfig(dir);
    return readHerokuApp(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
