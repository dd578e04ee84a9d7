import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatBytes, formatDuration, MAX_DURATION_MS, parseDuration, parseSize } from '../lib/core/units.js';

test('parseDuration reads each unit', () => {
  assert.is(parseDuration('500ms'), 500);
  assert.is(parseDuration('90s'), 90_000);
  assert.is(parseDuration('20m'), 1_200_000);
  assert.is(parseDuration('1h'), 3_600_000);
  assert.is(parseDuration('2d'), 172_800_000);
});

test('parseDuration reads compounds, decimals, spaces and upper case', () => {
  assert.is(parseDuration('1h30m'), 5_400_000);
  assert.is(parseDuration('1m30s'), 90_000);
  assert.is(parseDuration('1.5s'), 1500);
  assert.is(parseDuration(' 90S '), 90_000);
});

test('parseDuration takes a bare number, or numeric string, as seconds', () => {
  assert.is(parseDuration(90), 90_000);
  assert.is(parseDuration(0.25), 250);
  assert.is(parseDuration('30'), 30_000);
  assert.is(parseDuration(0), 0);
});

test('parseDuration rejects garbage with a message naming the value and the key', () => {
  for (const bad of ['', 'abc', '10 minutes', '-5s', '5x', 's', '1h30', '1.s']) {
    assert.throws(
      () => parseDuration(bad, 'start.timeout'),
      (e: Error) => {
        return (
          !(e as { code?: unknown }).code &&
          e.message.startsWith('start.timeout: invalid duration') &&
          e.message.includes(JSON.stringify(bad))
        );
      },
    );
  }
  assert.throws(() => parseDuration(-1), /non-negative/);
  assert.throws(() => parseDuration(Number.NaN), /invalid duration/);
  assert.throws(() => parseDuration(null as unknown as string), /invalid duration/);
});

test('parseDuration refuses what a Node timer cannot hold', () => {
  assert.is(parseDuration(`${MAX_DURATION_MS}ms`), MAX_DURATION_MS);
  assert.throws(() => parseDuration('30d', 'postdeploy.timeout'), /postdeploy\.timeout: duration "30d" is too long/);
});

test('parseSize reads binary units in every spelling', () => {
  const mb = 1024 * 1024;
  assert.is(parseSize('512MB'), 512 * mb);
  assert.is(parseSize('512M'), 512 * mb);
  assert.is(parseSize('512m'), 512 * mb);
  assert.is(parseSize('512MiB'), 512 * mb);
  assert.is(parseSize('1GB'), 1024 * mb);
  assert.is(parseSize('1.5G'), 1536 * mb);
  assert.is(parseSize('256KiB'), 256 * 1024);
  assert.is(parseSize('2k'), 2048);
  assert.is(parseSize('1TB'), 1024 ** 4);
  assert.is(parseSize('100B'), 100);
  assert.is(parseSize('512 MB'), 512 * mb);
});

test('parseSize takes a bare number, or numeric string, as bytes', () => {
  assert.is(parseSize(1024), 1024);
  assert.is(parseSize('1024'), 1024);
});

test('parseSize rejects garbage with a plain Error naming the value', () => {
  for (const bad of ['', 'lots', '5XB', '-1MB', 'MB', '1,5GB']) {
    assert.throws(
      () => parseSize(bad),
      (e: Error) => e.message.startsWith('invalid size') && e.message.includes(JSON.stringify(bad)),
    );
  }
  assert.throws(() => parseSize(-1), /non-negative/);
  assert.throws(() => parseSize(Number.POSITIVE_INFINITY), /invalid size/);
  assert.throws(() => parseSize('99999999999TB'), /too large/);
});

test('formatDuration writes the largest units first', () => {
  assert.is(formatDuration(0), '0s');
  assert.is(formatDuration(250), '250ms');
  assert.is(formatDuration(1500), '1.5s');
  assert.is(formatDuration(90_000), '1m30s');
  assert.is(formatDuration(1_200_000), '20m');
  assert.is(formatDuration(3_723_000), '1h2m3s');
});

test('formatBytes writes binary units with at most two decimals', () => {
  assert.is(formatBytes(100), '100B');
  assert.is(formatBytes(1536), '1.5KB');
  assert.is(formatBytes(512 * 1024 * 1024), '512MB');
  assert.is(formatBytes(1.5 * 1024 ** 3), '1.5GB');
  assert.is(formatBytes(1000), '1000B');
});

test('parseDuration reads back whatever formatDuration writes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => parseDuration(formatDuration(ms)) === ms),
  );
});

test('parseSize reads back formatBytes exactly for whole units', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 4 }), (n, power) => {
      const bytes = n * 1024 ** power;
      return parseSize(formatBytes(bytes)) === bytes;
    }),
  );
});

test.run();
