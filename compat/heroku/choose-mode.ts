import type { Mode } from '../../lib/core/types.js';
import type { ReleaseStep } from './release-command.js';

export interface ModeChoice {
  mode: Mode;
  reason: string;
}

const list = (steps: ReleaseStep[]) => steps.map((s) => `\`${s.command}\``).join(', ');

/**
 * The mode that keeps this app working, and why. Postdeploy (the default)
 * when the release command is only migrations and deploy notifications:
 * those need to run once per deployment before traffic, which postdeploy
 * does. Anything else may rely on what only the release phase gives —
 * running before the new processes boot, and again on every config change
 * and rollback — so heroku mode keeps it.
 */
export function chooseMode(release: { command: string; steps: ReleaseStep[] } | null): ModeChoice {
  if (!release) {
    return {
      mode: 'postdeploy',
      reason: 'there is no release command, so nothing depended on the release phase; the default mode changes nothing',
    };
  }
  const other = release.steps.filter((s) => s.kind === 'other');
  if (release.steps.length === 0) {
    return {
      mode: 'postdeploy',
      reason: `the release command \`${release.command}\` does nothing that outlives it (only shell settings and echo)`,
    };
  }
  if (other.length === 0) {
    const migrations = release.steps.filter((s) => s.kind === 'migration');
    const notifications = release.steps.filter((s) => s.kind === 'notification');
    const what = [
      migrations.length ? `database migrations (${list(migrations)})` : '',
      notifications.length ? `deploy notifications (${list(notifications)})` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return {
      mode: 'postdeploy',
      reason: `the release command only runs ${what}: postdeploy runs it once per deployment, before traffic switches, and a config var change never needed it`,
    };
  }
  const first = other[0]!;
  const where =
    first.source.startsWith('Procfile') || first.source.startsWith('heroku.yml') ? '' : ` (${first.source})`;
  return {
    mode: 'heroku',
    reason: `\`${first.command}\`${where} is neither a database migration nor a deploy notification: it may need to run before the new processes boot, or again when config vars change or on rollback, and only heroku mode does both`,
  };
}
