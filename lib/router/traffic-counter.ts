/** Requests an app's listener answered since it was first routed: what a dashboard samples. */
export interface TrafficStats {
  /** Responses sent, the router's own (404, 502…) included. */
  requests: number;
  /** Response count by status code (`"200"`, `"502"`). */
  byStatus: Record<string, number>;
  /** Response count by the upstream (`host:port`) that answered; `router` for the router's own answers. */
  byUpstream: Record<string, number>;
  /** When counting started (epoch ms). */
  since: number;
}

/** One per app; a few integer increments per response, nothing else. */
export class TrafficCounter {
  requests = 0;
  readonly byStatus = new Map<number, number>();
  readonly byUpstream = new Map<string, number>();
  readonly since = Date.now();

  count(status: number, upstream: string): void {
    this.requests++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    this.byUpstream.set(upstream, (this.byUpstream.get(upstream) ?? 0) + 1);
  }

  snapshot(): TrafficStats {
    return {
      requests: this.requests,
      byStatus: Object.fromEntries([...this.byStatus].map(([k, v]) => [String(k), v])),
      byUpstream: Object.fromEntries(this.byUpstream),
      since: this.since,
    };
  }
}
