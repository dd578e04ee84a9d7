// Steady load against a router port with autocannon, bounded in time, on
// 127.0.0.1 only; the figures a reliability test asserts on and reports.
import autocannon from 'autocannon';

export interface LoadFigures {
  requests: number;
  /** Responses other than 2xx. */
  non2xx: number;
  /** Connection errors and timeouts: requests that got no response at all. */
  errors: number;
  /** 2xx responses whose body did not match `expectBody`. */
  mismatches: number;
  p99Ms: number;
  statusCodes: Record<string, number>;
}

export interface Load {
  /** Stops the load (at the latest at its duration) and resolves with the figures. */
  stop(): Promise<LoadFigures>;
}

/** Starts `rate` requests per second over `connections` keep-alive connections; stops after `maxSeconds` at the latest. */
export function startLoad(options: {
  port: number;
  rate?: number;
  connections?: number;
  maxSeconds?: number;
  expectBody?: string;
  path?: string;
}): Load {
  let instance!: autocannon.Instance;
  const done = new Promise<LoadFigures>((resolve, reject) => {
    instance = autocannon(
      {
        url: `http://127.0.0.1:${options.port}${options.path ?? '/'}`,
        connections: options.connections ?? 8,
        overallRate: options.rate ?? 400,
        duration: options.maxSeconds ?? 120,
        timeout: 10,
        expectBody: options.expectBody,
      },
      (error, result) => {
        if (error) return reject(error);
        const statusCodes: Record<string, number> = {};
        for (const [code, n] of Object.entries(result.statusCodeStats ?? {})) {
          statusCodes[code] = (n as { count: number }).count;
        }
        resolve({
          requests: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          mismatches: (result as { mismatches?: number }).mismatches ?? 0,
          p99Ms: result.latency.p99,
          statusCodes,
        });
      },
    );
  });
  return {
    stop() {
      instance.stop();
      return done;
    },
  };
}
