// `slipway --version` against a bare `node -e 0`: the CLI's start-up cost.
//
// Both run through the shell-less spawnSync, one after the other (interleaved,
// the order alternating each round), so page cache and CPU frequency affect
// both alike. The `node` of the baseline is the one on PATH, the same one the
// `#!/usr/bin/env node` line of bin/slipway picks.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const VERSION_TARGET_RATIO = 1.5;

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function timeOnce(file, args, env, expectOut) {
  const t0 = performance.now();
  const r = spawnSync(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  const ms = performance.now() - t0;
  if (r.error) throw new Error(`${file} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  if (expectOut && !expectOut.test(String(r.stdout))) {
    throw new Error(`${file} ${args.join(' ')} printed ${JSON.stringify(String(r.stdout))}`);
  }
  return ms;
}

/**
 * @param {{ root: string, env: NodeJS.ProcessEnv, n?: number, warmup?: number, log?: (line: string) => void }} options
 */
export async function versionBench({ root, env, n = 30, warmup = 3, log = console.log }) {
  const slipway = [join(root, 'bin/slipway'), ['--version'], /^\d+\.\d+\.\d+/];
  const node = ['node', ['-e', '0'], null];
  for (let i = 0; i < warmup; i++) {
    timeOnce(slipway[0], slipway[1], env, slipway[2]);
    timeOnce(node[0], node[1], env, node[2]);
  }
  const samples = { slipway: [], node: [] };
  for (let i = 0; i < n; i++) {
    const order = i % 2 === 0 ? ['slipway', 'node'] : ['node', 'slipway'];
    for (const which of order) {
      const [file, args, expectOut] = which === 'slipway' ? slipway : node;
      samples[which].push(timeOnce(file, args, env, expectOut));
    }
  }
  const slipwayMs = median(samples.slipway);
  const nodeMs = median(samples.node);
  const ratio = slipwayMs / nodeMs;
  log(
    `version: slipway --version median ${slipwayMs.toFixed(1)} ms, node -e 0 median ${nodeMs.toFixed(1)} ms, ratio ${ratio.toFixed(2)}x (target <= ${VERSION_TARGET_RATIO}x, N=${n})`,
  );
  return {
    n,
    slipwayMedianMs: slipwayMs,
    nodeMedianMs: nodeMs,
    ratio,
    target: { ratioMax: VERSION_TARGET_RATIO },
    pass: ratio <= VERSION_TARGET_RATIO,
    samples,
  };
}
