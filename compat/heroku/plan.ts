import type { Mode } from '../../lib/core/types.js';
import type { NotCarried } from './problems.js';
import type { ReleaseStep } from './release-command.js';

/** One behaviour of the app that is different on slipway, or a thing to know before the first deployment. */
export interface Change {
  /** Stable, for scripts and docs: `release-order`, `env-secret`. */
  id: string;
  /** Where it comes from: `Procfile:3`, `app.json:12:5`. */
  source?: string;
  title: string;
  detail: string;
}

export interface PlannedFile {
  /** Relative to the app directory. */
  path: string;
  /** `overwrite`: the file exists and gets this content instead. */
  action: 'create' | 'overwrite' | 'unchanged';
  /** One line saying what is in it or what changed. */
  summary: string;
  content: string;
}

/** Everything `slipway migrate heroku` prints (and, with --write, writes). */
export interface MigrationPlan {
  app: string;
  /** The files read, relative to the app directory. */
  sources: string[];
  mode: Mode;
  /** What slipway would choose by itself, and why; `mode` differs when --mode overrode it. */
  suggestedMode: Mode;
  modeReason: string;
  release: { command: string; source: string; steps: ReleaseStep[] } | null;
  files: PlannedFile[];
  changes: Change[];
  notCarried: NotCarried[];
  nextSteps: string[];
}
