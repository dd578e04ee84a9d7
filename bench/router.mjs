#!/usr/bin/env node
// Router throughput and latency against nginx, same machine, same upstream.
//
//   node bench/router.mjs [--duration 5] [--connections 50] [--threads 2] [--rounds 1] [--nginx-workers auto]
//
// Starts a tiny node:http upstream (its own process), nginx as a keep-alive
// reverse proxy to it (own temporary prefix and config, `daemon off`), and the
// slipway router in this process; then runs wrk against the upstream directly,
// nginx and the router, one after the other, after a 1 s warm-up of each.
// Prints requests/s and p99 per run, then the router/nginx ratio paired per
// round (on a shared machine, use several rounds). Loopback only; every
// process it starts is stopped by pid, and the whole run is bounded in time.
// Uses dist/lib/router/router.js when it is newer than the sources (npm run
// build), else the TypeScript source through tsx.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, median } from './support.mjs';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    'nginx-workers': { type: 'string', default: 'auto' },
  },
});
const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const WRK = process.env.WRK_BIN ?? 'wrk';
const root = fileURLToPath(new URL('..', import.meta.url));
const started = new Set(); // child processes to stop on the way out

const ROUTER_FILES = [
  'router',
  'proxy-connection',
  'http-head',
  'forward-heads',
  'chunked-scanner',
  'upstream-pool',
  'local-response',
];

/** The compiled router when dist/ is up to date with lib/, else the TypeScript source through tsx. */
async function loadRouter() {
  const fresh = ROUTER_FILES.every((name) => {
    const built = join(root, `dist/lib/router/${name}.js`);
    return existsSync(built) && statSync(built).mtimeMs >= statSync(join(root, `lib/router/${name}.ts`)).mtimeMs;
  });
  if (fresh) return { source: 'dist', ...(await import(pathToFileURL(join(root, 'dist/lib/router/router.js')).href)) };
  const { register } = await import('tsx/esm/api');
  register();
  return { source: 'tsx', ...(await import(pathToFileURL(join(root, 'lib/router/router.ts')).href)) };
}

function startChild(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  started.add(child);
  child.on('exit', () => started.delete(child));
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  child.output = () => output;
  return child;
}

function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

async function waitForPort(port, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const UPSTREAM_SOURCE = `
const http = require('node:http');
const body = Buffer.from('hello from upstream\\n');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.argv[1]), '127.0.0.1', () => console.log('ready'));
`;

function nginxConfig(prefix, listenPort, upstreamPort, workers) {
  return `
daemon off;
master_process on;
worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  keepalive_requests 1000000;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto http;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
}

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

async function runWrk(label, port, seconds = opts.duration, quiet = false) {
  const args = ['-t', opts.threads, '-c', opts.connections, '-d', `${seconds}s`, '--latency'];
  const child = startChild(WRK, [...args, `http://127.0.0.1:${port}/`]);
  const timer = setTimeout(() => child.kill('SIGKILL'), (Number(seconds) + 15) * 1000);
  await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const out = child.output();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1] ?? 'none';
  if (!Number.isFinite(rps)) throw new Error(`wrk output for ${label} not understood:\n${out}`);
  if (quiet) return { rps, p99, p50 };
  console.log(
    `${label.padEnd(8)} ${rps.toFixed(0).padStart(8)} req/s   p50 ${p50.toFixed(2)} ms   p99 ${p99.toFixed(2)} ms   non-2xx ${errors}   socket errors ${socketErrors}`,
  );
  return { rps, p99, p50 };
}

async function main() {
  const { Router, source } = await loadRouter();
  const prefix = mkdtempSync(join(tmpdir(), 'slipway-bench-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  let router;
  try {
    const [upstreamPort, nginxPort] = [await freePort(), await freePort()];
    const upstream = startChild(process.execPath, ['-e', UPSTREAM_SOURCE, String(upstreamPort)]);
    await waitForPort(upstreamPort);

    writeFileSync(join(prefix, 'nginx.conf'), nginxConfig(prefix, nginxPort, upstreamPort, opts['nginx-workers']));
    const nginx = startChild(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')]);
    await waitForPort(nginxPort).catch((error) => {
      throw new Error(`${error.message}\nnginx: ${nginx.output()}`);
    });

    router = new Router();
    const routerPort = await router.listen('bench', 0);
    router.setRoute('bench', [{ host: '127.0.0.1', port: upstreamPort }]);

    console.log(
      `wrk -t${opts.threads} -c${opts.connections} -d${opts.duration}s, upstream: node:http (1 process), nginx workers: ${opts['nginx-workers']}, router from ${source}`,
    );
    const targets = { direct: upstreamPort, nginx: nginxPort, router: routerPort };
    // Warm-up: fills keep-alive pools and lets V8 optimise the router's hot paths before anything is measured.
    for (const [label, port] of Object.entries(targets)) await runWrk(label, port, 1, true);
    const results = { direct: [], nginx: [], router: [] };
    for (let round = 0; round < Number(opts.rounds); round++) {
      // Alternate which proxy goes first, so drift in background load does not favour one of them.
      const order = round % 2 === 0 ? ['direct', 'nginx', 'router'] : ['direct', 'router', 'nginx'];
      for (const label of order) results[label].push(await runWrk(label, targets[label]));
    }
    const column = (label, key) => results[label].map((r) => r[key]);
    // Ratios are paired per round (same background load), then summarised.
    const ratios = results.router.map((r, i) => r.rps / results.nginx[i].rps);
    const fmt = (v) => v.toFixed(2);
    console.log(
      `router/nginx requests/s: median ${fmt(median(ratios))} over ${ratios.length} rounds (min ${fmt(Math.min(...ratios))}, max ${fmt(Math.max(...ratios))})`,
    );
    const p99 = (label) => median(column(label, 'p99'));
    const addedP99 = results.router.map((r, i) => r.p99 - results.nginx[i].p99);
    console.log(
      `p99 median: direct ${fmt(p99('direct'))} ms, nginx ${fmt(p99('nginx'))} ms, router ${fmt(p99('router'))} ms; router minus nginx per round: median ${fmt(median(addedP99))} ms`,
    );
    await stopChild(nginx, 'SIGQUIT');
    await stopChild(upstream);
  } finally {
    await router?.close();
    await Promise.all([...started].map((child) => stopChild(child)));
    rmSync(prefix, { recursive: true, force: true });
  }
}

const overall = setTimeout(
  () => {
    console.error('benchmark ran out of time');
    for (const child of started) child.kill('SIGKILL');
    process.exit(1);
  },
  (Number(opts.duration) * 3 * Number(opts.rounds) + 60) * 1000,
);
overall.unref();
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
