// Process output reaches a deployment's stored log in batches: in order, at
// once when asked (before anything else is appended), and on its own soon after.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutputBatch } from '../lib/agent/output-batch.js';
import type { LogLine } from '../lib/core/context.js';
import { until } from './support/e2e.js';

const line = (text: string): LogLine => ({ phase: 'postdeploy', stream: 'stdout', line: text, ts: 0 });

function recorder() {
  const stored: { id: string; lines: string[] }[] = [];
  const logs: string[] = [];
  const batch = new OutputBatch(
    (id, lines) => {
      if (id === 'gone') throw new Error('no deployment gone');
      stored.push({ id, lines: lines.map((l) => l.line) });
    },
    (m) => logs.push(m),
  );
  return { stored, logs, batch };
}

test('lines wait for one store call per deployment; flush(id) stores only that deployment, in order', () => {
  const { stored, batch } = recorder();
  batch.push('a', line('a1'));
  batch.push('b', line('b1'));
  batch.push('a', line('a2'));
  assert.equal(stored, [], 'nothing stored line by line');
  batch.flush('a');
  assert.equal(stored, [{ id: 'a', lines: ['a1', 'a2'] }]);
  batch.flush();
  assert.equal(stored, [
    { id: 'a', lines: ['a1', 'a2'] },
    { id: 'b', lines: ['b1'] },
  ]);
});

test('a full batch is stored at once, and what is left soon after on its own', async () => {
  const { stored, batch } = recorder();
  for (let i = 0; i < 2001; i++) batch.push('a', line(String(i)));
  assert.is(stored.length, 1);
  assert.is(stored[0]!.lines.length, 2000);
  await until(() => stored.length === 2, 1000, 'the rest to be stored');
  assert.equal(stored[1]!.lines, ['2000']);
});

test('a deployment that cannot take its lines is logged, and the others are still stored', () => {
  const { stored, logs, batch } = recorder();
  batch.push('gone', line('x'));
  batch.push('a', line('a1'));
  batch.flush();
  assert.equal(stored, [{ id: 'a', lines: ['a1'] }]);
  assert.match(logs.join('\n'), /deployment gone: 1 output lines not stored: no deployment gone/);
});

test.run();
