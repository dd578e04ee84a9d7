#!/usr/bin/env node
// Runs every test file in its own Node process (uvu through tsx), so a file's
// processes, servers and timers can never leak into another file, and prints
// one closing line: `N passed, N failed, N skipped`.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
// test/reliability/ is its own suite (npm run test:reliability): load and fault scenarios, run one file at a time.
const reliability = args.includes('--reliability');
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 10 * 60_000);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    if (!reliability && dir === join(root, 'test') && name === 'reliability') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (/\.test\.ts$/.test(name)) out.push(path);
  }
  return out;
}

const files = (reliability ? [join(root, 'test', 'reliability')] : [join(root, 'test'), join(root, 'examples')])
  .flatMap((d) => findTests(d))
  .filter((f) => filters.length === 0 || filters.some((p) => relative(root, f).includes(p)))
  .sort();

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[runner] ${relative(root, file)} ran past ${fileTimeoutMs} ms and was killed\n`;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const num = (label) => Number(output.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0);
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped');
      let failed = Math.max(0, total - passed - skipped);
      if ((code !== 0 || signal) && failed === 0) failed = 1; // crashed outside a test
      // A file that ran no test is a failure, unless it skipped them all (Docker tests without an Engine, outside CI).
      if (total === 0 && skipped === 0 && failed === 0) failed = 1;
      resolve({ file, passed, failed, skipped, output, ms: Date.now() - started });
    });
  });
}

const queue = [...files];
async function worker() {
  while (queue.length > 0) {
    const file = queue.shift();
    const r = await runFile(file);
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.skipped += r.skipped;
    const mark = r.failed > 0 ? 'FAIL' : 'ok  ';
    process.stdout.write(
      `${mark} ${relative(root, file)}  (${r.passed} passed${r.skipped ? `, ${r.skipped} skipped` : ''}${r.failed ? `, ${r.failed} failed` : ''}, ${r.ms} ms)\n`,
    );
    if (r.failed > 0) {
      failures.push(r);
      process.stdout.write(`${r.output.replace(/^/gm, '    ')}\n`);
    }
  }
}

await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
if (files.length === 0) totals.failed += 1;
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
