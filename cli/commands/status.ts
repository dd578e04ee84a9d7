import { formatDuration } from '../../lib/core/units.js';
import { agent } from '../app.js';
import { defineCommand } from '../command.js';
import { table } from '../table.js';

interface AppStatus {
  name: string;
  port: number | null;
  host: string;
  live: { release: number; version: string; runtime: string } | null;
  upstreams: { host: string; port: number }[];
  processes: { name: string; pid: number; port?: number; startedAt: number; running: boolean }[];
}

function uptime(since: number): string {
  return formatDuration(Math.round((Date.now() - since) / 1000) * 1000);
}

export const { run, options } = defineCommand({}, async (_args, io) => {
  const client = await agent();
  const apps = await client.call<AppStatus[]>('GET', '/apps');
  if (io.json) {
    io.data(apps);
    return 0;
  }
  if (apps.length === 0) {
    io.out('no apps yet: deploy one with `slipway deploy`');
    return 0;
  }
  for (const app of apps) {
    const url = app.port ? `http://${app.host === '0.0.0.0' ? '127.0.0.1' : app.host}:${app.port}/` : 'no port';
    const live = app.live
      ? `release v${app.live.release} (${app.live.version.slice(0, 12)}, ${app.live.runtime})`
      : 'no live release';
    io.out(`${io.color.bold(app.name)}  ${url}  ${live}`);
    if (app.processes.length > 0) {
      io.out(
        table(
          ['  PROCESS', 'PID', 'PORT', 'STATE', 'UPTIME'],
          app.processes.map((p) => [
            `  ${p.name}`,
            String(p.pid),
            p.port ? String(p.port) : '',
            p.running ? 'up' : 'restarting',
            uptime(p.startedAt),
          ]),
        ),
      );
    }
  }
  return 0;
});
