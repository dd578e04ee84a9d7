#!/usr/bin/env node
// The benchmark entry (`npm run bench`): runs every benchmark in sequence in
// this one process run, prints a summary table with ratios and writes
// bench/results/latest.json.
//
//   npm run bench [-- --only version,redeploy,agent-rss,router]
//                 [--version-runs 30] [--redeploy-runs 15] [--warmup 2] [--timeout 600]
//
// Needs a build (`npm run build`): bin/slipway runs dist/. Loopback only.
// slipway runs with its own SLIPWAY_HOME and pm2 with its own PM2_HOME, both in
// a temporary directory; at the end `slipway agent stop` and `pm2 kill` run
// there, anything they leave behind is killed by pid (only pids this run
// started), and the directory is removed. bench/router.mjs, when present, runs
// last as a child process.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agentRssBench, RSS_TARGET_MIB } from './agent-rss.mjs';
import { REDEPLOY_TARGET_MS, redeployBench } from './redeploy.mjs';
import { readPid, runCommand } from './support.mjs';
import { VERSION_TARGET_RATIO, versionBench } from './version.mjs';

const ALL = ['version', 'redeploy', 'agent-rss', 'router'];
const { values: opts } = parseArgs({
  options: {
    only: { type: 'string', default: ALL.join(',') },
    'version-runs': { type: 'string', default: '30' },
    'redeploy-runs': { type: 'string', default: '15' },
    warmup: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '600' },
    'router-timeout': { type: 'string', default: '300' },
  },
});
const only = new Set(opts.only.split(',').map((s) => s.trim()));
for (const name of only) {
  if (!ALL.includes(name)) {
    console.error(`unknown benchmark "${name}" (one of ${ALL.join(', ')})`);
    process.exit(2);
  }
}
// The idle RSS is measured after the redeploys: it needs them.
if (only.has('agent-rss')) only.add('redeploy');

const root = fileURLToPath(new URL('..', import.meta.url));
const slipwayBin = join(root, 'bin/slipway');
const pm2Bin = join(root, 'node_modules/.bin/pm2');
const routerBench = join(root, 'bench/router.mjs');
if (!existsSync(join(root, 'dist/cli/main.cjs'))) {
  console.error('bin/slipway runs dist/: run `npm run build` first');
  process.exit(2);
}

const base = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
const slipwayHome = join(base, 'slipway-home');
const pm2Home = join(base, 'pm2-home');
const appDir = join(base, 'app');
mkdirSync(pm2Home);
const env = { ...process.env, SLIPWAY_HOME: slipwayHome, PM2_HOME: pm2Home, NO_COLOR: '1' };
delete env.FORCE_COLOR;

/** Children this run spawned and that are still running. */
const children = new Set();
/** What the benchmarks started and cleanup must stop (filled in as they go). */
const state = { agentPid: null, pm2Started: false };

// ── cleanup ────────────────────────────────────────────────────────────────

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pids, ms) {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Kills what is still alive of these pids (their process group first: app processes lead their own). */
function killLeftovers(pids, what) {
  for (const pid of pids) {
    if (!alive(pid)) continue;
    console.error(`cleanup: ${what} pid ${pid} still running; killing it`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

function lastJson(text) {
  try {
    return JSON.parse(text.trim().split('\n').at(-1));
  } catch {
    return null;
  }
}

async function stopSlipway() {
  if (!existsSync(join(slipwayHome, 'run'))) return;
  const agentPid = state.agentPid ?? readPid(join(slipwayHome, 'run/agent.pid'));
  const status = agentPid ? await runCommand(slipwayBin, ['status', '--json'], { env, timeoutMs: 10_000 }) : null;
  const appPids = (lastJson(status?.stdout ?? '') ?? []).flatMap((app) => app.processes?.map((p) => p.pid) ?? []);
  const stop = await runCommand(slipwayBin, ['agent', 'stop'], { env, timeoutMs: 70_000 });
  if (stop.code !== 0) console.error(`cleanup: slipway agent stop: ${stop.stderr || stop.stdout}`);
  const pids = [agentPid, ...appPids].filter(Boolean);
  await waitGone(pids, 5000);
  if (agentPid) killLeftovers([agentPid], 'slipway agent');
  killLeftovers(appPids, 'slipway app process');
}

async function stopPm2() {
  const godPid = readPid(join(pm2Home, 'pm2.pid'));
  if (!state.pm2Started && !godPid) return;
  const list = await runCommand(pm2Bin, ['jlist'], { env, timeoutMs: 30_000 });
  let appPids = [];
  try {
    appPids = JSON.parse(list.stdout)
      .map((p) => p.pid)
      .filter((pid) => pid > 0);
  } catch {
    // no list: nothing more to track
  }
  const kill = await runCommand(pm2Bin, ['kill'], { env, timeoutMs: 30_000 });
  if (kill.code !== 0) console.error(`cleanup: pm2 kill: ${kill.stderr || kill.stdout}`);
  const pids = [godPid ?? readPid(join(pm2Home, 'pm2.pid')), ...appPids].filter(Boolean);
  await waitGone(pids, 5000);
  killLeftovers(pids, 'pm2');
}

/** Kills the children still running; bench/router.mjs runs in its own process group, with its nginx and upstream. */
function killChildren() {
  for (const child of children) {
    try {
      if (child.ownGroup) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

let cleanedUp = null;
function cleanup() {
  cleanedUp ??= (async () => {
    killChildren();
    for (const [what, stop] of [
      ['slipway', stopSlipway],
      ['pm2', stopPm2],
    ]) {
      await stop().catch((error) => console.error(`cleanup (${what}): ${error.message}`));
    }
    rmSync(base, { recursive: true, force: true });
  })();
  return cleanedUp;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    killChildren();
    cleanup().finally(() => process.exit(130));
  });
}
const overall = setTimeout(() => {
  console.error(`benchmarks ran past ${opts.timeout} s: stopping`);
  killChildren();
  cleanup().finally(() => process.exit(1));
}, Number(opts.timeout) * 1000);

// ── bench/router.mjs (someone else's, optional) ────────────────────────────

function runRouterBench() {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [routerBench], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.ownGroup = true;
    children.add(child);
    let output = '';
    for (const [stream, sink] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      stream.on('data', (d) => {
        output += d;
        sink.write(d);
      });
    }
    // router.mjs stops its own children on its own deadline; this one is a last resort.
    const limit = Number(opts['router-timeout']) * 1000;
    const signalGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const term = setTimeout(() => signalGroup('SIGTERM'), limit);
    const kill = setTimeout(() => signalGroup('SIGKILL'), limit + 5000);
    child.on('close', (code, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      children.delete(child);
      // Whatever router.mjs left running in its group (nginx, its upstream) goes too.
      try {
        process.kill(-child.pid, 0);
        console.error('router: bench/router.mjs left processes running; killing its process group');
        signalGroup('SIGKILL');
      } catch {
        // nothing left
      }
      const rps = (label) => Number(new RegExp(`^${label}\\s+(\\d+) req/s`, 'm').exec(output)?.[1]);
      // Its own summary line when it prints one, else the two request rates.
      let ratio = Number(/router\/nginx\D*?([\d.]+)/.exec(output)?.[1]);
      if (!Number.isFinite(ratio)) ratio = rps('router') / rps('nginx');
      resolve({
        exitCode: code,
        signal,
        ms: Date.now() - started,
        routerRps: rps('router'),
        nginxRps: rps('nginx'),
        directRps: rps('direct'),
        ratio: Number.isFinite(ratio) ? ratio : null,
        outputTail: output.slice(-4000),
      });
    });
  });
}

// ── summary ────────────────────────────────────────────────────────────────

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

const verdict = (pass) => (pass ? 'met' : 'MISSED');
const ms = (v) => `${v.toFixed(0)} ms`;

function summaryRows(results) {
  const rows = [['benchmark', 'slipway', 'baseline', 'ratio', 'target', 'result']];
  const { version, redeploy, agentRss, router } = results;
  if (version) {
    rows.push([
      'startup: --version (median)',
      `${version.slipwayMedianMs.toFixed(1)} ms`,
      `node -e 0: ${version.nodeMedianMs.toFixed(1)} ms`,
      `${version.ratio.toFixed(2)}x`,
      `<= ${VERSION_TARGET_RATIO}x`,
      verdict(version.pass),
    ]);
  }
  if (redeploy) {
    const { slipway, pm2 } = redeploy;
    rows.push([
      'redeploy (median)',
      ms(slipway.medianMs),
      `pm2 reload: ${ms(pm2.medianMs)}`,
      `${redeploy.ratio.toFixed(2)}x`,
      `<= ${REDEPLOY_TARGET_MS} ms`,
      verdict(redeploy.pass),
    ]);
    rows.push([
      'redeploy (p90)',
      ms(slipway.p90Ms),
      `pm2 reload: ${ms(pm2.p90Ms)}`,
      `${(slipway.p90Ms / pm2.p90Ms).toFixed(2)}x`,
      '',
      '',
    ]);
  }
  if (agentRss) {
    rows.push([
      'agent idle RSS',
      `${agentRss.rssMiB.toFixed(1)} MiB`,
      agentRss.pm2DaemonRssMiB ? `pm2 daemon: ${agentRss.pm2DaemonRssMiB.toFixed(1)} MiB` : '',
      agentRss.ratio ? `${agentRss.ratio.toFixed(2)}x` : '',
      `<= ${RSS_TARGET_MIB} MiB`,
      verdict(agentRss.pass),
    ]);
  }
  if (router) {
    rows.push([
      'router throughput (req/s)',
      Number.isFinite(router.routerRps) ? String(router.routerRps) : '?',
      Number.isFinite(router.nginxRps) ? `nginx: ${router.nginxRps}` : '',
      router.ratio !== null ? `${router.ratio.toFixed(2)}x` : '',
      '(bench/router.mjs)',
      router.exitCode === 0 ? 'ran' : `failed (exit ${router.exitCode ?? router.signal})`,
    ]);
  }
  return rows;
}

function gitInfo() {
  const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--', 'lib', 'plugins') !== '' };
}

// ── main ───────────────────────────────────────────────────────────────────

async function main() {
  const startedAt = new Date().toISOString();
  const results = {};
  const errors = [];
  const attempt = async (name, work) => {
    try {
      return await work();
    } catch (error) {
      console.error(`${name} failed: ${error.stack ?? error.message}`);
      errors.push({ benchmark: name, message: error.message });
      return undefined;
    }
  };
  const loadAtStart = loadavg();
  console.log(
    `slipway benchmarks — ${cpus().length} cores, node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, temp ${base}`,
  );
  if (only.has('version')) {
    results.version = await attempt('version', () => versionBench({ root, env, n: Number(opts['version-runs']) }));
  }
  if (only.has('redeploy')) {
    results.redeploy = await attempt('redeploy', () =>
      redeployBench({
        root,
        appDir,
        env,
        children,
        state,
        n: Number(opts['redeploy-runs']),
        warmup: Number(opts.warmup),
      }),
    );
    if (results.redeploy && only.has('agent-rss')) {
      results.agentRss = await attempt('agent-rss', () => agentRssBench({ root, env, pm2Home, children }));
    }
  }
  await cleanup();
  if (only.has('router') && existsSync(routerBench)) {
    console.log('\nrouter: node bench/router.mjs');
    results.router = await runRouterBench();
    if (results.router.exitCode !== 0) {
      errors.push({ benchmark: 'router', message: `bench/router.mjs exited with ${results.router.exitCode}` });
    }
  }
  clearTimeout(overall);

  const rows = summaryRows(results);
  console.log(`\n${table(rows)}`);
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      memoryMiB: Math.round(totalmem() / 1048576),
      kernel: release(),
      node: process.version,
      // Other work on the machine inflates absolute times; the interleaved ratios hold better.
      loadAverage: { start: loadAtStart, end: loadavg() },
    },
    git: gitInfo(),
    results,
    errors,
  };
  const outDir = join(root, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log('\nwrote bench/results/latest.json');
  if (errors.length > 0) process.exitCode = 1;
}

main().catch(async (error) => {
  console.error(error);
  await cleanup();
  clearTimeout(overall);
  process.exitCode = 1;
});
