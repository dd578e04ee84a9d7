// Which release was live when: the moments a switch may have happened, as
// seen by the test, and the check that each recorded answer came from a
// release live at that moment.
import { performance } from 'node:perf_hooks';
import type { E2E } from './e2e.js';
import type { Sample } from './version-probe.js';

interface Change {
  version: string;
  /** The switch happened after `from` and before `to` (performance.now()). */
  from: number;
  to: number;
}

export class LiveTimeline {
  private readonly changes: Change[] = [];

  constructor(private readonly initial: string) {}

  /** `version` went live at some moment between `from` and `to`. */
  change(version: string, from: number, to: number): void {
    this.changes.push({ version, from, to });
  }

  /**
   * The versions an answer may carry: the one live when its request was sent
   * (its switch had returned by then), and any whose switch window overlaps
   * the request (a request in flight at a switch may get either side).
   */
  allowed(sample: Sample): Set<string> {
    let live = this.initial;
    const allowed = new Set<string>();
    for (const c of this.changes) {
      if (c.to <= sample.sentAt) live = c.version;
      else if (c.from < sample.receivedAt) allowed.add(c.version);
    }
    allowed.add(live);
    return allowed;
  }

  /** 2xx answers whose version (read by `versionOf` from the body) was not live at that moment. */
  mismatches(samples: readonly Sample[], versionOf: (body: string) => string | undefined): Sample[] {
    return samples.filter((s) => {
      if (s.status < 200 || s.status > 299) return false;
      const version = versionOf(s.body);
      return version === undefined || !this.allowed(s).has(version);
    });
  }
}

export interface TimedRun {
  code: number;
  events: any[];
  stderr: string;
  /** performance.now() before the CLI started, when it reported the switch done (null: no switch), and at its exit. */
  startedAt: number;
  switchedAt: number | null;
  endedAt: number;
}

/**
 * Runs a CLI command with `--json`, noting when its `switch` step is
 * reported done: the route was set before the agent answered the CLI, so the
 * switch happened between `startedAt` and `switchedAt`.
 */
export function timedRun(e2e: E2E, args: string[], options: { cwd?: string } = {}): Promise<TimedRun> {
  const startedAt = performance.now();
  const child = e2e.spawn([...args, '--json'], options);
  let switchedAt: number | null = null;
  let pending = '';
  let stderr = '';
  const events: any[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line);
      events.push(event);
      if (event.type === 'step' && event.step === 'switch' && event.state === 'done') switchedAt ??= performance.now();
    }
  });
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      if (pending.trim()) events.push(JSON.parse(pending));
      resolve({ code: code ?? -1, events, stderr, startedAt, switchedAt, endedAt: performance.now() });
    });
  });
}
