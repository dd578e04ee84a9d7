import type { DeploymentRecord } from '../../lib/core/context.js';
import { agent } from '../app.js';
import { appArg, appOption, countArg } from '../args.js';
import { defineCommand } from '../command.js';
import { isRollbackTarget } from '../rollback-targets.js';
import { table } from '../table.js';

export const { run, options } = defineCommand({ ...appOption, limit: { type: 'string' } }, async ({ values }, io) => {
  const app = appArg(values.app, 'deployments');
  const query = new URLSearchParams({ limit: String(countArg(values.limit, 'limit', 'deployments', 10_000) ?? 50) });
  if (app) query.set('app', app);
  const client = await agent();
  const list = await client.call<DeploymentRecord[]>('GET', `/deployments?${query}`);
  if (io.json) {
    // Only a successful deployment made a release that `slipway rollback` can deploy again.
    io.data(list.map((d) => ({ ...d, rollbackTarget: isRollbackTarget(d) })));
    return 0;
  }
  if (list.length === 0) {
    io.out('no deployments yet');
    return 0;
  }
  io.out(
    table(
      ['ID', 'APP', 'RELEASE', 'VERSION', 'KIND', 'STATUS', 'HOOK', 'STARTED', 'DURATION'],
      list.map((d) => [
        d.id.slice(0, 8),
        d.app,
        isRollbackTarget(d) || !d.finishedAt ? `v${d.release}` : `(v${d.release})`,
        d.version.slice(0, 12),
        d.kind,
        d.status,
        d.hookExitCode === null ? '' : String(d.hookExitCode),
        d.startedAt,
        d.durationMs === null ? '' : `${(d.durationMs / 1000).toFixed(1)}s`,
      ]),
    ),
  );
  if (list.some((d) => !isRollbackTarget(d) && d.finishedAt)) {
    io.out(io.color.dim('(vN): the deployment failed, so vN never served and is no rollback target'));
  }
  return 0;
});
