import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChunkedScanner } from '../lib/router/chunked-scanner.js';

/** Feeds `pieces` one after the other; returns the absolute index where the body ended, -1 on error, or null. */
function feed(pieces: string[]): number | null {
  const scanner = new ChunkedScanner();
  let offset = 0;
  for (const piece of pieces) {
    const buf = Buffer.from(piece, 'latin1');
    const end = scanner.scan(buf, 0, buf.length);
    if (end < 0) return -1;
    if (scanner.done) return offset + end;
    assert.is(end, buf.length, 'an unfinished body consumes everything it is given');
    offset += buf.length;
  }
  return null;
}

const BODY = '5\r\nhello\r\n1A;ext="x y"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n';

test('finds the end of a chunked body, extensions and trailers included', () => {
  assert.is(feed([BODY]), BODY.length);
  assert.is(feed([`${BODY}GET / HTTP/1.1\r\n`]), BODY.length);
  assert.is(feed(['0\r\n\r\n']), 5);
});

test('the result does not depend on how the bytes are split', () => {
  for (let size = 1; size <= 7; size++) {
    const pieces: string[] = [];
    for (let i = 0; i < BODY.length; i += size) pieces.push(BODY.slice(i, i + size));
    assert.is(feed(pieces), BODY.length, `pieces of ${size}`);
  }
});

test('an unfinished body is not done', () => {
  assert.is(feed(['5\r\nhel']), null);
  assert.is(feed(['5\r\nhello\r\n0\r\n']), null);
  assert.is(feed(['5\r\nhello\r\n0\r\nX: y\r\n']), null);
});

test('a data byte that looks like the end is just data', () => {
  const body = '5\r\n0\r\n\r\n\r\n0\r\n\r\n';
  assert.is(feed([body]), body.length);
});

test('refuses framing that another parser could read differently', () => {
  for (const bad of [
    'x\r\n', // not hex
    '5\nhello\r\n0\r\n\r\n', // bare LF after the size
    '5\r\nhelloX\r\n', // data longer than announced
    '5\r\nhello\r\r\n',
    '\r\n', // empty size
    '-5\r\nhello\r\n',
    '10000000000000\r\n', // 14 hex digits
    '0\r\nX: y\nZ: w\r\n\r\n', // bare LF in the trailer section
    '0\r\n\n',
  ]) {
    assert.is(feed([bad]), -1, JSON.stringify(bad));
  }
});

test('the size line is hex digits and extensions without whitespace, as a strict parser reads it', () => {
  const body = (line: string) => `${line}\r\n0123456789\r\n0\r\n\r\n`;
  for (const good of ['a', 'A', '000000000000000a', 'a;x', 'a;x=', 'a;;x', 'a;=1', 'a;x=1;y="a\\"b"', 'a;x="\t\xff"']) {
    assert.is(feed([body(good)]), body(good).length, JSON.stringify(good));
  }
  for (const bad of [
    'a ', // whitespace after the size without an extension
    'a\t',
    'a ;x=1',
    'a; x=1',
    'a;',
    'a;x =1',
    'a;x=a b',
    'a;x="a"b',
    'a;x="\x01"',
    'a;x\x7f',
    '0x1',
    `a;x=${'v'.repeat(5000)}`, // longer than MAX_CHUNK_LINE_BYTES
  ]) {
    assert.is(feed([body(bad)]), -1, JSON.stringify(bad));
  }
});

test('trailer fields follow the field syntax; framing fields are refused there', () => {
  for (const good of ['Host: x\r\n', 'X:\r\n', 'X: \xff\tv\r\n', 'Content-Type: a\r\nX-Length: 1\r\n']) {
    assert.is(feed([`0\r\n${good}\r\n`]), `0\r\n${good}\r\n`.length, JSON.stringify(good));
  }
  for (const bad of [
    'X y\r\n', // no colon
    'X : y\r\n',
    ': y\r\n',
    'X: y\r\n folded\r\n',
    'Content-Length: 5\r\n',
    'transfer-encoding: chunked\r\n',
    'X: a\x00\r\n',
    `X: ${'v'.repeat(70 * 1024)}\r\n`,
  ]) {
    assert.is(feed([`0\r\n${bad}\r\n`]), -1, JSON.stringify(bad));
  }
});

test('reset makes a scanner reusable for the next message', () => {
  const scanner = new ChunkedScanner();
  const one = Buffer.from('3\r\nabc\r\n0\r\n\r\n');
  assert.is(scanner.scan(one, 0, one.length), one.length);
  assert.ok(scanner.done);
  assert.is(scanner.scan(one, 0, one.length), 0, 'a finished body takes no more bytes');
  scanner.reset();
  assert.not.ok(scanner.done);
  assert.is(scanner.scan(one, 0, one.length), one.length);
});

test.run();
