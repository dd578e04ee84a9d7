/**
 * The router counts responses by upstream; people think in releases. Each
 * sample first notes which release the live upstreams belong to (a release's
 * upstreams are fresh ports, so an upstream stays the release it was live
 * for), then folds the router's counters into counts by release.
 */
import type { DashboardSource } from './source.js';

export interface AppTraffic {
  /** Totals since `since` (epoch ms). */
  requests: number;
  byStatus: Record<string, number>;
  /** `v3`, `router` (the router's own answers: no live release, bad gateway…), or `host:port` when unknown. */
  byRelease: Record<string, number>;
  since: number;
  live: number | null;
}

export interface TrafficSample {
  at: number;
  apps: Record<string, AppTraffic>;
}

export class TrafficSampler {
  readonly #releaseOf = new Map<string, string>();

  constructor(private readonly source: DashboardSource) {}

  sample(): TrafficSample {
    const apps: Record<string, AppTraffic> = {};
    for (const app of this.source.apps()) {
      if (app.live) for (const u of app.upstreams) this.#releaseOf.set(`${app.name} ${u}`, `v${app.live.release}`);
      const stats = this.source.traffic(app.name);
      const byRelease: Record<string, number> = {};
      for (const [upstream, n] of Object.entries(stats?.byUpstream ?? {})) {
        const release = upstream === 'router' ? 'router' : (this.#releaseOf.get(`${app.name} ${upstream}`) ?? upstream);
        byRelease[release] = (byRelease[release] ?? 0) + n;
      }
      apps[app.name] = {
        requests: stats?.requests ?? 0,
        byStatus: stats?.byStatus ?? {},
        byRelease,
        since: stats?.since ?? Date.now(),
        live: app.live?.release ?? null,
      };
    }
    return { at: Date.now(), apps };
  }
}
