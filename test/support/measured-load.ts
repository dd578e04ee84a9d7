// Autocannon's steady load plus a recording probe around a piece of work
// (deployments, a rollback, a crash): the figures a load scenario reports,
// with the answers that did not come from the release live at that moment.

import * as assert from 'uvu/assert';
import type { LiveTimeline } from './live-timeline.js';
import { startLoad } from './load.js';
import { type Sample, startProbe } from './version-probe.js';

export interface MeasuredFigures {
  /** Autocannon's requests, non-2xx answers, requests without an answer, and p99 latency. */
  requests: number;
  non2xx: number;
  errors: number;
  p99Ms: number;
  statusCodes: Record<string, number>;
  /** The probe's requests, those that got no 2xx answer, and answers from a release not live at that moment. */
  probed: number;
  probeFailed: number;
  mismatches: number;
}

export async function measure(
  options: {
    port: number;
    timeline: LiveTimeline;
    versionOf: (body: string) => string | undefined;
    rate?: number;
    connections?: number;
  },
  work: () => Promise<void>,
): Promise<{ figures: MeasuredFigures; samples: Sample[]; wrong: Sample[] }> {
  const load = startLoad({
    port: options.port,
    rate: options.rate ?? 200,
    connections: options.connections ?? 8,
    maxSeconds: 180,
  });
  const probe = startProbe({ port: options.port, connections: 4, intervalMs: 20 });
  let failure: unknown;
  try {
    await new Promise((r) => setTimeout(r, 300));
    await work();
    await new Promise((r) => setTimeout(r, 300));
  } catch (error) {
    failure = error;
  }
  const [load_, samples] = await Promise.all([load.stop(), probe.stop()]);
  if (failure !== undefined) throw failure;
  const wrong = options.timeline.mismatches(samples, options.versionOf);
  return {
    figures: {
      requests: load_.requests,
      non2xx: load_.non2xx,
      errors: load_.errors,
      p99Ms: load_.p99Ms,
      statusCodes: load_.statusCodes,
      probed: samples.length,
      probeFailed: samples.filter((s) => s.status < 200 || s.status > 299).length,
      mismatches: wrong.length,
    },
    samples,
    wrong,
  };
}

/** Prints a scenario's figures on one `figures:` line (collected for docs/reliability.md). */
export function reportFigures(scenario: string, runtime: string, figures: MeasuredFigures): void {
  console.log(`figures: ${JSON.stringify({ scenario, runtime, ...figures })}`);
}

/** The load ran; no request failed or got a status other than 2xx; every answer came from the live release. */
export function assertNoFailures(figures: MeasuredFigures, wrong: readonly Sample[]): void {
  assert.ok(figures.requests > 200, `the load ran (${figures.requests} requests)`);
  assert.is(figures.errors, 0, 'no request without an answer');
  assert.is(figures.non2xx, 0, `no status other than 2xx: ${JSON.stringify(figures.statusCodes)}`);
  assert.is(figures.probeFailed, 0, 'every probed request answered 2xx');
  assert.is(figures.mismatches, 0, `every answer from the live release: ${JSON.stringify(wrong.slice(0, 5))}`);
}
