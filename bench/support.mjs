// Helpers shared by the benchmarks: statistics, ports, timed child processes, HTTP polling.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values, p) {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.max(0, Math.ceil((p / 100) * v.length) - 1)];
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command to completion. `exitMs` is when the process exited; every
 * stdout line carries the time it arrived. Killed (SIGKILL) past its timeout.
 * `children` (a Set) holds the child while it runs, for the caller's cleanup.
 */
export function runCommand(file, args, { env, cwd, timeoutMs = 60_000, children } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    children?.add(child);
    const lines = [];
    let stdout = '';
    let stderr = '';
    let partial = '';
    let exitMs = null;
    let timedOut = false;
    child.stdout.on('data', (chunk) => {
      const t = performance.now() - t0;
      stdout += chunk;
      partial += chunk;
      for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
        lines.push({ t, line: partial.slice(0, i) });
        partial = partial.slice(i + 1);
      }
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', () => {
      exitMs = performance.now() - t0;
    });
    const done = (code, signal, error) => {
      clearTimeout(timer);
      children?.delete(child);
      if (partial) lines.push({ t: performance.now() - t0, line: partial });
      resolve({
        code,
        signal,
        error,
        timedOut,
        stdout,
        stderr,
        lines,
        exitMs: exitMs ?? performance.now() - t0,
        pid: child.pid,
      });
    };
    child.on('error', (error) => done(null, null, error));
    child.on('close', (code, signal) => done(code, signal, undefined));
  });
}

export function describeFailure(what, r) {
  const how = r.error ? r.error.message : r.timedOut ? 'timed out' : `exited with ${r.code ?? r.signal}`;
  return new Error(
    `${what} ${how}\n--- stdout ---\n${r.stdout.slice(-2000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`,
  );
}

/** One GET on a fresh connection (no keep-alive: nothing here may hold a release's process open). */
export function httpGet(port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/**
 * Polls until a GET answers 200 with `version` in the body; throws past the deadline.
 * Returns the ms waited, and how many GETs meanwhile got no answer (`failed`) or
 * an answer from another version (`stale`).
 */
export async function waitForVersion(port, version, timeoutMs = 10_000) {
  const t0 = performance.now();
  const wanted = new RegExp(`\\s${version}\\s`);
  let last = null;
  let failed = 0;
  let stale = 0;
  while (performance.now() - t0 < timeoutMs) {
    last = await httpGet(port);
    if (last?.status === 200 && wanted.test(last.body)) return { ms: performance.now() - t0, failed, stale };
    if (last === null || last.status >= 500) failed++;
    else stale++;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(
    `127.0.0.1:${port} did not answer with ${version} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`,
  );
}

/** A pid file's pid, or null when the file is missing or holds no pid. */
export function readPid(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Contiguous segments of one `deploy --json` run, from the arrival times of
 * its events (`[{ t, event }]`): they add up to the command's wall time.
 * `labels` names the 7 segments ending at: opened, build, start, postdeploy,
 * switch, result, process exit.
 */
export function deploySegments(events, exitMs, labels) {
  const at = (pred) => events.find(({ event }) => pred(event))?.t;
  const done = (name) => at((e) => e.type === 'step' && e.step === name && e.state === 'done');
  const ends = [
    at((e) => e.type === 'opened'),
    done('build'),
    done('start'),
    done('postdeploy'),
    done('switch'),
    at((e) => e.type === 'result'),
    exitMs,
  ];
  const phases = {};
  let previous = 0;
  ends.forEach((t, i) => {
    if (t === undefined) return;
    phases[labels[i]] = t - previous;
    previous = t;
  });
  return phases;
}
