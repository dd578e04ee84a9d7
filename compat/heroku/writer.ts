import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILES } from '../../lib/config/load-config.js';
import { SlipwayError } from '../../lib/core/errors.js';
import type { MigrationPlan } from './plan.js';

export interface Written {
  path: string;
  action: 'created' | 'overwritten';
}

/** A config file other than the one the migration writes: slipway reads one config file, so it must go first. */
function otherConfigs(dir: string): string[] {
  return CONFIG_FILES.filter((name) => {
    if (name === '.slipwayrc.yaml') return false;
    const file = join(dir, name);
    if (!existsSync(file)) return false;
    if (name !== 'package.json') return true;
    try {
      return Object.hasOwn(JSON.parse(readFileSync(file, 'utf8')) ?? {}, 'slipway');
    } catch {
      return false;
    }
  }).map((n) => (n === 'package.json' ? 'package.json#slipway' : n));
}

/** Why `--write` would refuse, or null: checked in full before the first byte is written. */
export function refusal(dir: string, plan: MigrationPlan, force: boolean): SlipwayError | null {
  const others = otherConfigs(dir);
  if (others.length > 0) {
    return new SlipwayError(
      'USAGE',
      `${others.join(', ')} already configures slipway here, and slipway reads one config file; remove it (or move its settings into .slipwayrc.yaml by hand) and run again`,
    );
  }
  const config = plan.files.find((f) => f.path === '.slipwayrc.yaml');
  if (config?.action === 'overwrite' && !force) {
    return new SlipwayError(
      'USAGE',
      '.slipwayrc.yaml already exists; nothing was written. Use --force to overwrite it',
    );
  }
  return null;
}

/** Writes the plan's files (each aside, then renamed into place) and says what it did to each. */
export function writePlan(dir: string, plan: MigrationPlan, options: { force: boolean }): Written[] {
  const refused = refusal(dir, plan, options.force);
  if (refused) throw refused;
  const written: Written[] = [];
  for (const f of plan.files) {
    if (f.action === 'unchanged') continue;
    const file = join(dir, f.path);
    const existed = existsSync(file);
    writeFileSync(`${file}.slipway-tmp`, f.content);
    renameSync(`${file}.slipway-tmp`, file);
    written.push({ path: f.path, action: existed ? 'overwritten' : 'created' });
  }
  return written;
}
