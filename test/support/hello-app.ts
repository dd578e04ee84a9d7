// A copy of examples/hello to deploy in a test: its server, with the test's
// Procfile and config.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { freePort } from '../../lib/core/ports.js';
import { type E2E, root } from './e2e.js';
import { type LiveTimeline, timedRun } from './live-timeline.js';

/** examples/hello's Procfile with a postdeploy that fails for a revision ending in `-fail`: one app, both outcomes. */
export const ALTERNATING_PROCFILE =
  'web: node server.js\npostdeploy: case "$CONTAINER_VERSION" in *-fail) echo "postdeploy refuses $CONTAINER_VERSION"; exit 1;; esac\n';

/** examples/hello in a temporary directory (removed at cleanup), its config replaced by `config`. */
export async function helloApp(
  e2e: E2E,
  procfile: string,
  config: Record<string, unknown>,
): Promise<{ dir: string; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-hello-'));
  e2e.dirs.push(dir);
  cpSync(join(root, 'examples', 'hello'), dir, { recursive: true });
  rmSync(join(dir, '.slipwayrc.yaml'), { force: true });
  writeFileSync(join(dir, 'Procfile'), procfile);
  const port = (config.port as number | undefined) ?? (await freePort());
  writeFileSync(join(dir, '.slipwayrc.json'), JSON.stringify({ port, ...config }, null, 2));
  return { dir, port };
}

/** The version in examples/hello's answer: `hello from <app> <version> (<process>)`. */
export function helloVersion(body: string): string | undefined {
  return /^hello from \S+ (\S+) \(/.exec(body)?.[1];
}

/**
 * Deploys revisions r1…r<count>, the odd ones failing their postdeploy:
 * each ends as it should (hook-error without a switch, or success with
 * one), and each switch goes into `timeline`.
 */
export async function deployAlternating(e2e: E2E, dir: string, count: number, timeline: LiveTimeline): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const failing = i % 2 === 1;
    const version = failing ? `r${i}-fail` : `r${i}`;
    const r = await timedRun(e2e, ['deploy', dir, '--revision', version]);
    const record = r.events.find((e) => e.type === 'result')?.deployment;
    assert.is(record?.status, failing ? 'hook-error' : 'success', `${version}: ${record?.error?.message ?? r.stderr}`);
    assert.is(r.code, failing ? 1 : 0);
    if (failing) {
      assert.is(r.switchedAt, null, `${version} never switched`);
    } else {
      assert.ok(r.switchedAt !== null, `${version} reported its switch`);
      timeline.change(version, r.startedAt, r.switchedAt);
    }
  }
}
