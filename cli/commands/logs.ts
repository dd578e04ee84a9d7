import type { DeploymentRecord, LogLine } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { agent, resolveApp } from '../app.js';
import { appOption } from '../args.js';
import { defineCommand } from '../command.js';

export const { run } = defineCommand({ ...appOption }, async ({ values, positionals }, io) => {
  const client = await agent();
  let id = positionals[0];
  if (id && id.length < 36) {
    // A short id, as `slipway deployments` prints it.
    const all = await client.call<DeploymentRecord[]>('GET', '/deployments?limit=1000');
    id = all.find((d) => d.id.startsWith(id!))?.id ?? id;
  }
  if (!id) {
    const app = await resolveApp(values.app);
    const [latest] = await client.call<DeploymentRecord[]>('GET', `/deployments?app=${app}&limit=1`);
    if (!latest) throw new SlipwayError('DEPLOY_NOT_FOUND', `${app} has no deployments yet`);
    id = latest.id;
  }
  // Lines come from the agent (process output) and the CLI (build, steps): order by time.
  const lines = (await client.call<LogLine[]>('GET', `/deployments/${id}/logs`)).sort((a, b) => a.ts - b.ts);
  if (io.json) {
    io.data(lines);
    return 0;
  }
  let phase = '';
  for (const l of lines) {
    if (l.phase !== phase) {
      phase = l.phase;
      io.out(io.color.bold(`-----> ${phase}`));
    }
    io.out(`       ${l.stream === 'system' ? io.color.dim(l.line) : l.line}`);
  }
  return 0;
});
