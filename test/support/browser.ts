/**
 * A real browser for tests: Debian's chromium driven by playwright-core,
 * headless, with a fresh profile. Without chromium the browser tests are
 * skipped, except in CI, where they must run (.ci/run installs it).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { test } from 'uvu';

/** Debian's chromium; another path with SLIPWAY_TEST_CHROMIUM. */
export const CHROMIUM = process.env.SLIPWAY_TEST_CHROMIUM || '/usr/bin/chromium';
export const runBrowserTests = existsSync(CHROMIUM) || process.env.CI === 'true';
export const browserTest: typeof test = runBrowserTests ? test : (test.skip as unknown as typeof test);

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** pids of the processes whose command line names `needle` (the browser and its helpers name their profile). */
function pidsNaming(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with its own profile directory; close() also kills, by pid, any of its processes left behind. */
export async function openBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      for (const pid of pidsNaming(profile)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
