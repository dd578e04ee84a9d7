// The memory limit on a process tree: a cgroup where the machine allows it,
// else the RSS watcher. Both must stop a tree that goes over.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemoryLimit, groupRss } from '../lib/agent/memory-limit.js';
import { ManagedProcess } from '../lib/core/managed-process.js';
import { until } from './support/e2e.js';

const HOG = `node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"`;

async function runUnder(kind?: 'rss-watch') {
  const limit = createMemoryLimit(`test-${process.pid}-${kind ?? 'auto'}`, 64 * 1024 * 1024, kind);
  const proc = new ManagedProcess({
    argv: limit.argv(`sh -c '${HOG}'`),
    cwd: process.cwd(),
    env: { PATH: process.env.PATH! },
  });
  limit.watch(proc.pid, () => proc.signalGroup('SIGKILL'));
  const timer = setTimeout(() => proc.signalGroup('SIGKILL'), 30_000);
  const exit = await proc.exited;
  clearTimeout(timer);
  proc.signalGroup('SIGKILL');
  const exceeded = limit.exceeded();
  await limit.dispose();
  return { exit, exceeded, kind: limit.kind };
}

test('the RSS watcher kills a process group that goes over its limit', async () => {
  const r = await runUnder('rss-watch');
  assert.is(r.kind, 'rss-watch');
  assert.ok(r.exceeded);
  assert.ok(r.exit.signal === 'SIGKILL' || r.exit.code === 137);
});

test('the default limit (cgroup when available) stops the tree and reports it', async () => {
  const r = await runUnder();
  assert.ok(r.exceeded, `limit kind ${r.kind} did not report the overrun`);
  assert.ok(r.exit.signal === 'SIGKILL' || r.exit.code === 137, JSON.stringify(r.exit));
});

test('a small process stays under the limit', async () => {
  const limit = createMemoryLimit(`test-small-${process.pid}`, 256 * 1024 * 1024);
  const proc = new ManagedProcess({
    argv: limit.argv('echo fine'),
    cwd: process.cwd(),
    env: { PATH: process.env.PATH! },
  });
  limit.watch(proc.pid, () => proc.signalGroup('SIGKILL'));
  const exit = await proc.exited;
  assert.is(exit.code, 0);
  assert.not.ok(limit.exceeded());
  await limit.dispose();
  assert.is(groupRss(proc.pid), 0);
  if (limit.path) assert.not.ok(existsSync(limit.path), 'the cgroup is removed');
});

test('removing a cgroup that still holds a process waits for it without blocking, then removes it', async () => {
  const limit = createMemoryLimit(`test-busy-${process.pid}`, 64 * 1024 * 1024);
  if (!limit.path) {
    // The RSS watcher has nothing to remove.
    await limit.dispose();
    return;
  }
  const proc = new ManagedProcess({
    argv: limit.argv('exec sleep 30'),
    cwd: process.cwd(),
    env: { PATH: process.env.PATH! },
  });
  const procs = join(limit.path, 'cgroup.procs');
  await until(() => readFileSync(procs, 'utf8').trim() !== '', 5000, 'the process to join the cgroup');
  let removed = false;
  const disposed = limit.dispose().then(() => {
    removed = true;
  });
  // Timers keep running while it waits: the event loop is not held.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.not.ok(removed, 'a cgroup with a live process cannot be gone yet');
  assert.ok(existsSync(limit.path));
  proc.signalGroup('SIGKILL');
  await proc.exited;
  await disposed;
  assert.not.ok(existsSync(limit.path), 'the cgroup is removed once its last process is gone');
  assert.is(limit.dispose(), limit.dispose(), 'one removal, however often it is asked for');
});

test.run();
