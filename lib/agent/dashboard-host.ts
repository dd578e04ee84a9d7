/**
 * `slipway dashboard`: the agent serves the dashboard (lib/dashboard) on
 * 127.0.0.1. Its code is loaded the first time it is asked for, so an agent
 * nobody opens a dashboard on carries none of it.
 */

import { SlipwayError } from '../core/errors.js';
import type { Dashboard } from '../dashboard/dashboard-server.js';
import type { AppSummary, DashboardSource } from '../dashboard/source.js';
import type { Agent } from './agent.js';

let current: Dashboard | undefined;
let queue: Promise<unknown> = Promise.resolve();

function source(agent: Agent): DashboardSource {
  const summary = (app: ReturnType<Agent['apps']>[number]): AppSummary => {
    const live = app.live ? agent.store.getLive(app.name) : undefined;
    const started = app.processes.map((p) => p.startedAt);
    return {
      name: app.name,
      port: app.port,
      host: app.host,
      live: app.live
        ? {
            ...app.live,
            since: started.length > 0 ? Math.min(...started) : Date.parse(live?.updatedAt ?? '') || Date.now(),
          }
        : null,
      upstreams: app.upstreams.map((u) => `${u.host}:${u.port}`),
      processes: app.processes,
    };
  };
  return {
    home: agent.paths.home,
    apps: () => agent.apps().map(summary),
    app: (name) => {
      const app = agent.apps().find((a) => a.name === name);
      return app && summary(app);
    },
    deployments: (app, limit) => agent.store.listDeployments({ app, limit }),
    deployment: (id) => agent.store.getDeployment(id),
    // As many as the store keeps: a page shows a deployment's whole output.
    logsAfter: (id, seq) => agent.logsAfter(id, seq, 10_000),
    phaseMarks: (id) => agent.store.phaseMarks(id),
    releases: (app) => agent.store.listReleases(app),
    traffic: (app) => agent.router.stats(app),
    restart: (app) => agent.restart(app),
    log: (message) => agent.log(message),
  };
}

/**
 * Starts the dashboard, or answers the running one's URL (the caller owns
 * the control socket: it may have the token). Another port moves it there,
 * with a new token, once the new one listens: a refused move leaves the
 * running one as it was. Calls are taken one at a time.
 */
export function openDashboard(agent: Agent, request: { port: number }): Promise<{ url: string; port: number }> {
  const next = queue.then(() => open(agent, request.port));
  queue = next.catch(() => undefined);
  return next;
}

async function open(agent: Agent, port: number): Promise<{ url: string; port: number }> {
  if (current && (port === 0 || port === current.port)) return { url: current.url, port: current.port };
  const { startDashboard } = await import('../dashboard/dashboard-server.js');
  let started: Dashboard;
  try {
    started = await startDashboard(source(agent), { port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new SlipwayError('PORT_IN_USE', `port ${port} on 127.0.0.1 is already in use; pick another with --port`);
    }
    throw error;
  }
  const previous = current;
  current = started;
  await previous?.close();
  agent.log(`dashboard listening on 127.0.0.1:${started.port}`);
  return { url: started.url, port: started.port };
}
