// A managed process's output can be paused: the child then waits on its own
// writes, its exit waits for the output still in the pipes, and nothing is lost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManagedProcess } from '../lib/core/managed-process.js';
import { sleep } from './support/e2e.js';

test('paused output holds the child and its exit; resumed, every line arrives', async () => {
  let lines = 0;
  let last = '';
  const proc = new ManagedProcess({
    argv: ['/bin/sh', '-c', 'yes | head -c 2000000; echo end'],
    cwd: process.cwd(),
    env: { PATH: process.env.PATH! },
    onLine: (_stream, line) => {
      lines++;
      last = line;
    },
  });
  assert.ok(proc.pause());
  assert.not.ok(proc.pause(), 'paused once');
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  await sleep(500);
  // At most what the pipe holds (64 KiB: 32,768 two-byte lines) and what was read before the pause.
  assert.ok(lines < 100_000, `${lines} lines read while paused`);
  assert.not.ok(exited, 'the child waits on its writes');
  proc.resume();
  const exit = await proc.exited;
  assert.is(exit.code, 0);
  assert.is(lines, 1_000_001);
  assert.is(last, 'end');
});

test('a child that exits while its output is paused loses none of it', async () => {
  const lines: string[] = [];
  const proc = new ManagedProcess({
    argv: ['/bin/sh', '-c', 'echo one; echo two; echo three'],
    cwd: process.cwd(),
    env: { PATH: process.env.PATH! },
    onLine: (_stream, line) => lines.push(line),
  });
  proc.pause();
  // Long past the 200 ms an exited child's output is otherwise given.
  await sleep(600);
  proc.resume();
  const exit = await proc.exited;
  assert.is(exit.code, 0);
  assert.equal(lines, ['one', 'two', 'three']);
});

test.run();
