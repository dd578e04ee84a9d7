#!/usr/bin/env node
// A redeploy of a prebuilt image with the Docker runtime, against the same
// Docker steps done by hand (bench/docker-redeploy.sh), side by side in one run.
//
// slipway: `slipway deploy <dir> --revision sN --json` with `runtime: docker`
// and `docker.image` (tag the image as the release, start the new web
// container, wait for its port, run `postdeploy: true` in an extra container,
// switch the route, drain, stop and remove the old container), then a GET
// through the router must answer with sN.
// script: `bench/docker-redeploy.sh` (run the new container, poll its port,
// run the hook container, stop and remove the old one), then a GET on the new
// container's port must answer with the version.
//
// Both are warmed up, then run N times each, interleaved (the order alternates
// each round); medians and their ratio. Target: slipway ≤ 1.15× the script.
//
//   npm run build && node bench/docker-redeploy.mjs [--runs N] [--warmup N] [--timeout S]
//
// Everything listens on 127.0.0.1. Cleanup removes only what this run made:
// its agent (by pid), the containers labelled with its app or its script
// label, its images, its temporary directory.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { deploySegments, describeFailure, freePort, median, runCommand, waitForVersion } from './support.mjs';

const TARGET_RATIO = 1.15;
const root = fileURLToPath(new URL('..', import.meta.url));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const runs = option('runs', 10);
const warmup = option('warmup', 1);
const timeoutS = option('timeout', 900);

// ── helpers ────────────────────────────────────────────────────────────────

function sh(file, args, options = {}) {
  const r = spawnSync(file, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** A command run to completion, timed; `ms` is its wall time. */
async function run(file, args, { env, timeoutMs = 120_000 } = {}) {
  const r = await runCommand(file, args, { env, timeoutMs });
  return { ...r, ms: r.exitMs };
}

// ── set-up ─────────────────────────────────────────────────────────────────

const id = randomBytes(3).toString('hex');
const app = `bench-docker-${id}`;
const image = `slipway-bench/hello-${id}:1`;
const tmp = mkdtempSync(join(tmpdir(), 'slipway-bench-docker-'));
const home = join(tmp, 'home');
const appDir = join(tmp, 'app');
const stateFile = join(tmp, 'script-state');
const env = { ...process.env, SLIPWAY_HOME: home, NO_COLOR: '1' };
const bin = join(root, 'bin', 'slipway');

function prepare(routerPort) {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('no Docker Engine answers (`docker info`); start dockerd first (see .ci/services.sh)');
  }
  if (spawnSync('docker', ['image', 'inspect', 'local/node'], { stdio: 'ignore' }).status !== 0) {
    // The local base image of examples/hello/Dockerfile, made as the tests make it.
    sh(
      process.execPath,
      ['--import', 'tsx', '-e', "import('./test/support/docker.ts').then((m) => m.ensureBaseImages())"],
      { cwd: root },
    );
  }
  mkdirSync(home);
  cpSync(join(root, 'examples', 'hello'), appDir, { recursive: true });
  // Loopback only on the host network: the example listens on every interface; same code otherwise.
  const serverFile = join(appDir, 'server.js');
  const source = readFileSync(serverFile, 'utf8');
  const patched = source.replace('server.listen(port, () =>', "server.listen(port, '127.0.0.1', () =>");
  if (patched === source) throw new Error('examples/hello/server.js changed: cannot bind it to 127.0.0.1');
  writeFileSync(serverFile, patched);
  writeFileSync(join(appDir, 'Procfile'), 'web: node server.js\npostdeploy: true\n');
  sh('docker', ['build', '--network', 'host', '-q', '-t', image, appDir]);
  writeFileSync(
    join(appDir, '.slipwayrc.yaml'),
    `app: ${app}\nport: ${routerPort}\nhost: 127.0.0.1\nruntime: docker\ndocker:\n  image: ${image}\n  keepImages: 3\n`,
  );
  writeFileSync(stateFile, '');
}

// ── the two sides ──────────────────────────────────────────────────────────

/**
 * Contiguous segments of one deploy command, from the arrival time of its
 * --json events: they add up to the command's wall time.
 */
function phasesOf(lines, exitMs) {
  const events = lines.filter((l) => l.line.trim()).map((l) => ({ t: l.t, event: JSON.parse(l.line) }));
  return deploySegments(events, exitMs, [
    'cli start → opened',
    'build (tag the image)',
    'start web-1',
    'postdeploy container',
    'switch',
    'retire (drain, stop, remove)',
    'cli exit',
  ]);
}

async function slipwayRedeploy(version, routerPort) {
  const t0 = performance.now();
  const r = await run(process.execPath, [bin, 'deploy', appDir, '--revision', version, '--json'], { env });
  if (r.code !== 0) throw describeFailure('slipway deploy', r);
  await waitForVersion(routerPort, version);
  const ms = performance.now() - t0;
  return { ms, cliMs: r.ms, steps: phasesOf(r.lines, r.ms) };
}

async function scriptRedeploy(version) {
  const port = await freePort();
  const t0 = performance.now();
  const r = await run('bash', [join(root, 'bench', 'docker-redeploy.sh'), image, version, String(port), stateFile]);
  if (r.code !== 0) throw describeFailure('bench/docker-redeploy.sh', r);
  await waitForVersion(port, version);
  return { ms: performance.now() - t0, cliMs: r.ms };
}

// ── cleanup: only what this run made ───────────────────────────────────────

function cleanup() {
  spawnSync(process.execPath, [bin, 'agent', 'stop'], { env, stdio: 'ignore', timeout: 15_000 });
  try {
    const pid = Number(readFileSync(join(home, 'run', 'agent.pid'), 'utf8'));
    if (pid) process.kill(pid, 'SIGKILL');
  } catch {
    // stopped, or never started
  }
  for (const filter of [`label=slipway.app=${app}`, `label=slipway-bench=sh`, `name=slipway-bench-sh-`]) {
    const ids = spawnSync('docker', ['ps', '-aq', '--filter', filter], { encoding: 'utf8' }).stdout.split('\n');
    const mine = ids.filter(Boolean);
    if (mine.length) spawnSync('docker', ['rm', '-f', ...mine], { stdio: 'ignore' });
  }
  const tags = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', `slipway/${app}`], {
    encoding: 'utf8',
  }).stdout.split('\n');
  const images = [...tags.filter(Boolean), image];
  spawnSync('docker', ['rmi', '-f', ...images], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
}

// ── main ───────────────────────────────────────────────────────────────────

let cleaned = false;
const once = () => {
  if (!cleaned) cleanup();
  cleaned = true;
};
process.on('SIGINT', () => {
  once();
  process.exit(130);
});
const overall = setTimeout(() => {
  console.error(`bench/docker-redeploy.mjs ran past ${timeoutS} s; stopping`);
  once();
  process.exit(1);
}, timeoutS * 1000);
overall.unref();

const loadStart = loadavg()[0];
const samples = { slipway: [], script: [] };
let exitCode = 0;
try {
  const routerPort = await freePort();
  prepare(routerPort);
  let n = 0;
  const sides = {
    slipway: () => slipwayRedeploy(`s${++n}`, routerPort),
    script: () => scriptRedeploy(`h${++n}`),
  };
  // The first deployment of each side is not a redeploy: do it, then the warm-ups.
  for (let i = 0; i < 1 + warmup; i++) {
    await sides.slipway();
    await sides.script();
  }
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? ['script', 'slipway'] : ['slipway', 'script'];
    for (const side of order) {
      const r = await sides[side]();
      samples[side].push(r);
      process.stderr.write(`  ${side.padEnd(7)} run ${i + 1}/${runs}: ${Math.round(r.ms)} ms\n`);
    }
  }
  const med = (side, key = 'ms') => median(samples[side].map((s) => s[key]));
  const ratio = med('slipway') / med('script');
  const stepMedians = {};
  for (const step of Object.keys(samples.slipway[0]?.steps ?? {})) {
    const values = samples.slipway.map((s) => s.steps[step]).filter((v) => v !== undefined);
    if (values.length) stepMedians[step] = Math.round(median(values));
  }
  const pass = ratio <= TARGET_RATIO;
  console.log('\nDocker redeploy of a prebuilt image (until the new version answers)');
  console.log(
    `  runs: ${runs} each, interleaved; ${cpus().length} cores; load ${loadStart.toFixed(2)} → ${loadavg()[0].toFixed(2)}`,
  );
  console.log(`  slipway  median ${Math.round(med('slipway'))} ms (CLI ${Math.round(med('slipway', 'cliMs'))} ms)`);
  console.log(`  script   median ${Math.round(med('script'))} ms`);
  console.log('  slipway phases (median ms):');
  for (const [step, ms] of Object.entries(stepMedians)) console.log(`    ${step.padEnd(30)} ${String(ms).padStart(6)}`);
  console.log(`  ratio ${ratio.toFixed(3)}× (target ≤ ${TARGET_RATIO}×) ${pass ? 'PASS' : 'MISSED'}`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'results', 'docker-redeploy.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        runs,
        warmup,
        cores: cpus().length,
        load: { start: loadStart, end: loadavg()[0] },
        medians: { slipway: med('slipway'), script: med('script'), slipwayCli: med('slipway', 'cliMs') },
        steps: stepMedians,
        ratio,
        target: TARGET_RATIO,
        pass,
        samples,
      },
      null,
      2,
    )}\n`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  once();
}
process.exit(exitCode);
