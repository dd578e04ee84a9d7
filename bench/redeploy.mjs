// A no-build redeploy of examples/hello with slipway, against `pm2 reload` of
// the same app, side by side in one run.
//
// slipway: `slipway deploy <dir> --revision rN --json` (snapshot, start the new
// web process, `postdeploy: true`, switch the route, retire the old process),
// then a GET through the router must answer with rN.
// pm2: `pm2 reload bench-hello --update-env` with CONTAINER_VERSION=pN, then a
// GET on the app's port must answer with pN (so the time counts until the new
// process serves, not only until the CLI returns).
//
// Both are warmed up, then run N times each, interleaved (the order alternates
// each round). Every slipway run also yields a phase breakdown, taken from the
// arrival time of each --json event on the CLI's stdout.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  deploySegments,
  describeFailure,
  freePort,
  median,
  percentile,
  runCommand,
  waitForVersion,
} from './support.mjs';

export const REDEPLOY_TARGET_MS = 350;
export const PM2_REFERENCE_MS = 650;
export const APP_NAME = 'bench-hello';

// ── the app ────────────────────────────────────────────────────────────────

/** A copy of examples/hello set up for a no-build redeploy with `postdeploy: true`. */
export function prepareApp(root, dir, routerPort) {
  cpSync(join(root, 'examples/hello'), dir, { recursive: true });
  // Loopback only: the example listens on every interface; same code otherwise.
  const serverFile = join(dir, 'server.js');
  const source = readFileSync(serverFile, 'utf8');
  const patched = source.replace('server.listen(port, () =>', "server.listen(port, '127.0.0.1', () =>");
  if (patched === source) throw new Error('examples/hello/server.js changed: cannot bind it to 127.0.0.1');
  writeFileSync(serverFile, patched);
  writeFileSync(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: true\n');
  writeFileSync(join(dir, '.slipwayrc.yaml'), `app: ${APP_NAME}\nport: ${routerPort}\nhost: 127.0.0.1\n`);
}

// ── slipway ────────────────────────────────────────────────────────────────

function parseEvents(lines) {
  const events = [];
  for (const { t, line } of lines) {
    if (!line.trim()) continue;
    try {
      events.push({ t, event: JSON.parse(line) });
    } catch {
      throw new Error(`slipway deploy --json printed a line that is not JSON: ${line}`);
    }
  }
  return events;
}

/**
 * Contiguous segments of one deploy command, from the arrival of its events:
 * they add up to the command's wall time.
 */
function phasesOf(events, exitMs) {
  const phases = deploySegments(events, exitMs, [
    'cli start → opened',
    'opened → build done',
    'build done → start done',
    'start done → postdeploy done',
    'postdeploy done → switch done',
    'switch done → result (retire, finish)',
    'result → process exit',
  ]);
  const stepMs = {};
  for (const { event } of events) {
    if (event.type === 'step' && event.state === 'done' && typeof event.ms === 'number') stepMs[event.step] = event.ms;
    if (event.type === 'log' && event.phase === 'postdeploy') {
      const m = /exited with status \d+ \(\w+\) in (\d+) ms/.exec(event.line);
      if (m) stepMs['postdeploy (agent-side one-off)'] = Number(m[1]);
    }
  }
  return { phases, stepMs };
}

async function slipwayDeploy(ctx, revision) {
  const r = await runCommand(ctx.slipway, ['deploy', ctx.appDir, '--revision', revision, '--json'], {
    env: ctx.env,
    timeoutMs: 60_000,
    children: ctx.children,
  });
  if (r.code !== 0) throw describeFailure(`slipway deploy --revision ${revision}`, r);
  const events = parseEvents(r.lines);
  const last = events.at(-1)?.event;
  if (last?.type !== 'result' || last.deployment?.status !== 'success') {
    throw describeFailure(`slipway deploy --revision ${revision} did not end with a successful result:`, r);
  }
  const answer = await waitForVersion(ctx.routerPort, revision);
  const answerMs = answer.ms;
  return {
    revision,
    commandMs: r.exitMs,
    answerMs,
    failedGets: answer.failed,
    staleGets: answer.stale,
    totalMs: r.exitMs + answerMs,
    agentDurationMs: last.deployment.durationMs,
    ...phasesOf(events, r.exitMs),
  };
}

// ── pm2 ────────────────────────────────────────────────────────────────────

async function pm2Reload(ctx, revision) {
  const env = { ...ctx.pm2Env, CONTAINER_VERSION: revision };
  const r = await runCommand(ctx.pm2, ['reload', APP_NAME, '--update-env'], {
    env,
    cwd: ctx.appDir,
    timeoutMs: 60_000,
    children: ctx.children,
  });
  if (r.code !== 0) throw describeFailure(`pm2 reload ${APP_NAME}`, r);
  const answer = await waitForVersion(ctx.pm2Port, revision);
  return {
    revision,
    commandMs: r.exitMs,
    answerMs: answer.ms,
    failedGets: answer.failed,
    staleGets: answer.stale,
    totalMs: r.exitMs + answer.ms,
  };
}

// ── where the CLI's own time goes ──────────────────────────────────────────

/** The CLI bundle (dist/cli) of a file loaded on demand, named after it by scripts/bundle-cli.mjs. */
function bundleFor(root, source) {
  const file = join(root, 'dist', 'cli', `${source.replace(/\.ts$/, '').replaceAll('/', '.')}.cjs`);
  if (!existsSync(file)) throw new Error(`no bundle ${file}: run npm run build`);
  return file;
}

/**
 * What `slipway deploy` pays before it talks to the agent, split by spawning
 * node with nothing to do, node loading the CLI entry (dist/cli/main.cjs),
 * and node loading everything a deploy loads (the entry and the deploy
 * command's bundle, which holds the process runtime), with an unchanged
 * config (the cached resolved config) and with an edited one (+ the YAML
 * parser and the schema). Interleaved, medians.
 */
export function cliLoadBreakdown(root, env, n = 10) {
  const loads = (...files) => ['-e', files.map((f) => `require(${JSON.stringify(f)});`).join(' ')];
  const main = join(root, 'dist', 'cli', 'main.cjs');
  const deploy = [main, bundleFor(root, 'cli/commands/deploy.ts')];
  const variants = {
    'node -e 0': ['-e', '0'],
    'load the CLI entry': loads(main),
    'load what a deploy loads': loads(...deploy),
    '  the same, config file edited': loads(...deploy, bundleFor(root, 'lib/config/resolve.ts')),
  };
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < n + 1; i++) {
    for (const [name, args] of Object.entries(variants)) {
      const t0 = performance.now();
      const r = spawnSync('node', args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
      if (i > 0) samples[name].push(ms); // the first round warms the page cache
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

// ── the benchmark ──────────────────────────────────────────────────────────

function summarize(samples) {
  const total = samples.map((s) => s.totalMs);
  return {
    medianMs: median(total),
    p90Ms: percentile(total, 90),
    minMs: Math.min(...total),
    maxMs: Math.max(...total),
    commandMedianMs: median(samples.map((s) => s.commandMs)),
    answerMedianMs: median(samples.map((s) => s.answerMs)),
    /** GETs, after the command returned, that got no answer (refused, reset, 5xx): the app was unreachable. */
    failedGetsAfterReturn: samples.reduce((sum, s) => sum + s.failedGets, 0),
    staleGetsAfterReturn: samples.reduce((sum, s) => sum + s.staleGets, 0),
  };
}

function phaseMedians(samples, key) {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s[key])))];
  return Object.fromEntries(
    names.map((n) => [n, median(samples.map((s) => s[key][n]).filter((v) => v !== undefined))]),
  );
}

/**
 * @param {{
 *   root: string, appDir: string, env: NodeJS.ProcessEnv, children: Set<import('node:child_process').ChildProcess>,
 *   state: Record<string, unknown>, n?: number, warmup?: number, log?: (line: string) => void
 * }} options
 * `state` receives what the caller must clean up: the agent's and pm2's pids.
 */
export async function redeployBench({ root, appDir, env, children, state, n = 15, warmup = 2, log = console.log }) {
  const [routerPort, pm2Port] = [await freePort(), await freePort()];
  prepareApp(root, appDir, routerPort);
  const ctx = {
    slipway: join(root, 'bin/slipway'),
    pm2: join(root, 'node_modules/.bin/pm2'),
    appDir,
    env,
    pm2Env: { ...env, PORT: String(pm2Port), APP: APP_NAME },
    routerPort,
    pm2Port,
    children,
  };

  // First deployment (starts the agent) and first pm2 start (starts pm2's daemon): not measured.
  const first = await slipwayDeploy(ctx, 'r0');
  const status = await runCommand(ctx.slipway, ['agent', 'status', '--json'], { env, timeoutMs: 10_000, children });
  state.agentPid = JSON.parse(status.stdout.trim().split('\n').at(-1)).pid;
  log(
    `redeploy: first slipway deploy ${first.totalMs.toFixed(0)} ms (agent pid ${state.agentPid}, router :${routerPort})`,
  );
  state.pm2Started = true;
  const started = await runCommand(ctx.pm2, ['start', 'server.js', '--name', APP_NAME], {
    env: { ...ctx.pm2Env, CONTAINER_VERSION: 'p0' },
    cwd: appDir,
    timeoutMs: 60_000,
    children,
  });
  if (started.code !== 0) throw describeFailure('pm2 start', started);
  await waitForVersion(pm2Port, 'p0');
  log(`redeploy: pm2 started the app on :${pm2Port}`);

  let revision = 0;
  for (let i = 0; i < warmup; i++) {
    revision++;
    await slipwayDeploy(ctx, `r${revision}`);
    await pm2Reload(ctx, `p${revision}`);
  }
  const samples = { slipway: [], pm2: [] };
  for (let i = 0; i < n; i++) {
    revision++;
    const order = i % 2 === 0 ? ['slipway', 'pm2'] : ['pm2', 'slipway'];
    for (const which of order) {
      const s = which === 'slipway' ? await slipwayDeploy(ctx, `r${revision}`) : await pm2Reload(ctx, `p${revision}`);
      samples[which].push(s);
    }
    const [a, b] = [samples.slipway.at(-1), samples.pm2.at(-1)];
    log(`  round ${String(i + 1).padStart(2)}: slipway ${a.totalMs.toFixed(0)} ms, pm2 ${b.totalMs.toFixed(0)} ms`);
  }

  const slipway = {
    ...summarize(samples.slipway),
    agentDurationMedianMs: median(samples.slipway.map((s) => s.agentDurationMs)),
    phaseMediansMs: phaseMedians(samples.slipway, 'phases'),
    stepMediansMs: phaseMedians(samples.slipway, 'stepMs'),
  };
  const pm2 = summarize(samples.pm2);
  slipway.cliLoadMediansMs = cliLoadBreakdown(root, env);
  const ratio = slipway.medianMs / pm2.medianMs;
  log(
    `redeploy: slipway median ${slipway.medianMs.toFixed(0)} ms (p90 ${slipway.p90Ms.toFixed(0)}), pm2 reload median ${pm2.medianMs.toFixed(0)} ms (p90 ${pm2.p90Ms.toFixed(0)}), ratio slipway/pm2 ${ratio.toFixed(2)} (target: slipway median <= ${REDEPLOY_TARGET_MS} ms, N=${n})`,
  );
  for (const [name, s] of [
    ['slipway', slipway],
    ['pm2', pm2],
  ]) {
    log(
      `  ${name}: command returns after ${s.commandMedianMs.toFixed(0)} ms, the new version answers ${s.answerMedianMs.toFixed(0)} ms later (medians); GETs meanwhile: ${s.failedGetsAfterReturn} unanswered, ${s.staleGetsAfterReturn} from the old version`,
    );
  }
  log('redeploy: where a slipway redeploy spends its time (medians, ms):');
  for (const [name, ms] of Object.entries(slipway.phaseMediansMs)) log(`  ${name.padEnd(40)} ${ms.toFixed(1)}`);
  for (const [name, ms] of Object.entries(slipway.stepMediansMs))
    log(`  step ${name.padEnd(35)} ${ms.toFixed(1)} (reported)`);
  log('redeploy: the CLI before it reaches the agent (process wall time, medians, ms):');
  for (const [name, ms] of Object.entries(slipway.cliLoadMediansMs)) log(`  ${name.padEnd(40)} ${ms.toFixed(1)}`);
  return {
    n,
    warmup,
    slipway,
    pm2,
    ratio,
    target: { slipwayMedianMsMax: REDEPLOY_TARGET_MS, pm2ReferenceMs: PM2_REFERENCE_MS },
    pass: slipway.medianMs <= REDEPLOY_TARGET_MS,
    samples,
  };
}
