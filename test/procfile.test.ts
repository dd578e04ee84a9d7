import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlipwayError } from '../lib/core/errors.js';
import {
  canonicalProcessType,
  formatProcfile,
  isReservedType,
  parseProcfile,
  RESERVED_TYPES,
  readProcfile,
} from '../lib/procfile/procfile.js';

function parseError(text: string, file?: string): SlipwayError {
  try {
    parseProcfile(text, file ? { file } : {});
  } catch (error) {
    assert.instance(error, SlipwayError);
    return error as SlipwayError;
  }
  assert.unreachable(`expected ${JSON.stringify(text)} to be rejected`);
  throw new Error('unreachable');
}

test('reads type: command lines in file order', () => {
  const p = parseProcfile('web: node server.js\nworker: node worker.js\n');
  assert.equal(p.processes, { web: 'node server.js', worker: 'node worker.js' });
  assert.equal(Object.keys(p.processes), ['web', 'worker']);
  assert.equal(p.lines, { web: 1, worker: 2 });
  assert.equal(p.warnings, []);
});

test('ignores blank lines and comment lines, counting them for line numbers', () => {
  const p = parseProcfile('# processes\n\n   \n  # indented comment\nweb: a\n\nworker: b\n');
  assert.equal(p.processes, { web: 'a', worker: 'b' });
  assert.equal(p.lines, { web: 5, worker: 7 });
});

test('accepts CRLF line endings and a UTF-8 BOM', () => {
  const p = parseProcfile('\uFEFFweb: node server.js\r\nworker: run\r\n');
  assert.equal(p.processes, { web: 'node server.js', worker: 'run' });
  assert.equal(p.lines, { web: 1, worker: 2 });
  // The BOM is not a column: editors do not show it.
  const e = parseError('\uFEFFwe.b: run');
  assert.equal(e.location, { file: 'Procfile', line: 1, column: 3, source: 'we.b: run' });
});

test('the command is everything after the first colon, trimmed', () => {
  const p = parseProcfile('web:    echo a: b   \nclock:bin/clock --at 10:00');
  assert.equal(p.processes, { web: 'echo a: b', clock: 'bin/clock --at 10:00' });
});

test('tolerates indentation and spaces before the colon', () => {
  assert.equal(parseProcfile('  web : run').processes, { web: 'run' });
});

test('a hash after the type is part of the command, not a comment', () => {
  assert.equal(parseProcfile('web: echo # not a comment').processes, { web: 'echo # not a comment' });
});

test('accepts letters, digits, "_" and "-", keyed by the canonical name with a warning', () => {
  const p = parseProcfile('Web_Worker: a\nclock-2: b\n');
  assert.equal(p.processes, { 'web-worker': 'a', 'clock-2': 'b' });
  assert.equal(p.lines, { 'web-worker': 1, 'clock-2': 2 });
  assert.is(p.warnings.length, 1);
  assert.match(p.warnings[0], /^Procfile:1: process type "Web_Worker" will be named "web-worker"/);
});

test('canonicalProcessType gives a lowercase DNS label', () => {
  assert.is(canonicalProcessType('Web_Worker'), 'web-worker');
  assert.is(canonicalProcessType('web'), 'web');
  assert.is(canonicalProcessType('_worker_'), 'worker');
  assert.is(canonicalProcessType('--'), '');
  const long = canonicalProcessType(`a${'-'.repeat(62)}bcd`);
  assert.is(long, 'a');
  assert.is(canonicalProcessType('x'.repeat(70)), 'x'.repeat(63));
});

test('a type longer than 63 characters is accepted under its shortened name', () => {
  const p = parseProcfile(`${'a'.repeat(70)}: run`);
  assert.equal(p.processes, { ['a'.repeat(63)]: 'run' });
  assert.match(p.warnings[0], /will be named "a{63}"/);
});

test('an empty file, or one with only comments, warns that no processes are defined', () => {
  for (const text of ['', '\n\n', '# nothing yet\n', '\uFEFF']) {
    const p = parseProcfile(text);
    assert.equal(p.processes, {});
    assert.equal(p.warnings, ['Procfile: no processes defined']);
  }
});

test('an invalid character is reported with line, column and source', () => {
  const e = parseError('web: a\n\nwe.b: run\n');
  assert.is(e.code, 'PROCFILE_INVALID');
  assert.is(e.message, 'Procfile:3:3: invalid character "." in process type "we.b"');
  assert.equal(e.location, { file: 'Procfile', line: 3, column: 3, source: 'we.b: run' });
});

test('columns count indentation; the message names the file given', () => {
  const e = parseError('  my web: run', 'app/Procfile');
  assert.is(e.message, 'app/Procfile:1:5: invalid character " " in process type "my web"');
  assert.is(e.location?.column, 5);
  assert.is(e.location?.file, 'app/Procfile');
});

test('control characters are escaped so the message stays on one line', () => {
  const e = parseError('w\u0007b: run');
  assert.is(e.message, 'Procfile:1:2: invalid character "\\u0007" in process type "w\\u0007b"');
});

test('an empty type points at the colon', () => {
  const e = parseError('web: a\n  : run');
  assert.is(e.message, 'Procfile:2:3: empty process type before ":"');
  assert.equal(e.location, { file: 'Procfile', line: 2, column: 3, source: '  : run' });
});

test('an empty command points just after the colon', () => {
  const e = parseError('web:   \r\n');
  assert.is(e.message, 'Procfile:1:5: empty command for process type "web"');
  assert.is(e.location?.source, 'web:   ');
});

test('a line without a colon points where the colon should be', () => {
  const e = parseError('# comment\nweb npm start');
  assert.is(e.message, 'Procfile:2:4: missing ":" after the process type (expected "<type>: <command>")');
  assert.equal(e.location, { file: 'Procfile', line: 2, column: 4, source: 'web npm start' });
});

test('a type with no letter or digit is rejected', () => {
  const e = parseError('--: run');
  assert.is(e.message, 'Procfile:1:1: process type "--" needs at least one letter or digit');
});

test('a duplicate type names both lines', () => {
  const e = parseError('web: a\nworker: b\nweb: c\n');
  assert.is(e.message, 'Procfile:3:1: duplicate process type "web" (lines 1 and 3)');
  assert.equal(e.location, { file: 'Procfile', line: 3, column: 1, source: 'web: c' });
});

test('two spellings of one canonical name are duplicates, naming both lines', () => {
  const e = parseError('web_worker: a\n\nWeb-Worker: b');
  assert.is(
    e.message,
    'Procfile:3:1: process type "Web-Worker" on line 3 and "web_worker" on line 1 are both named "web-worker"',
  );
});

test('errors are single-line SlipwayErrors with the catalogue details', () => {
  const e = parseError('bad line');
  assert.not.match(e.message, /\n/);
  assert.match(e.details, /<type>: <command>/);
  assert.is(e.where, 'Procfile:1:4');
});

test('reserved types are web, postdeploy and release', () => {
  assert.equal(Object.keys(RESERVED_TYPES).sort(), ['postdeploy', 'release', 'web']);
  assert.ok(isReservedType('web'));
  assert.ok(isReservedType('postdeploy'));
  assert.ok(isReservedType('release'));
  assert.not.ok(isReservedType('worker'));
  assert.not.ok(isReservedType('toString'));
  assert.ok(Object.isFrozen(RESERVED_TYPES));
});

test('formatProcfile writes one line per process', () => {
  assert.is(formatProcfile({ web: 'node server.js', worker: '  run  ' }), 'web: node server.js\nworker: run\n');
  assert.is(formatProcfile({}), '');
});

test('formatProcfile refuses what a Procfile cannot hold', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ 'we.b': 'x' }, /"we\.b".*letters, digits/],
    [{ web: '' }, /"web": empty command/],
    [{ web: 'a\nb' }, /one line/],
    [{ '--': 'x' }, /at least one letter or digit/],
    [{ web_a: 'x', 'Web-A': 'y' }, /both named "web-a"/],
  ];
  for (const [processes, pattern] of cases) {
    assert.throws(
      () => formatProcfile(processes),
      (e: unknown) => e instanceof SlipwayError && e.code === 'PROCFILE_INVALID' && pattern.test(e.message),
    );
  }
});

test('readProcfile reads <dir>/Procfile and records the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-procfile-'));
  try {
    await writeFile(join(dir, 'Procfile'), 'web: node server.js\npostdeploy: npm run migrate\n');
    const p = await readProcfile(dir);
    assert.equal(p.processes, { web: 'node server.js', postdeploy: 'npm run migrate' });
    assert.is(p.file, join(dir, 'Procfile'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readProcfile errors carry the file path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-procfile-'));
  try {
    await writeFile(join(dir, 'Procfile'), 'web: ok\nworker\n');
    const e = await readProcfile(dir).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.instance(e, SlipwayError);
    assert.is(
      (e as SlipwayError).message,
      `${join(dir, 'Procfile')}:2:7: missing ":" after the process type (expected "<type>: <command>")`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readProcfile throws PROCFILE_NOT_FOUND when there is no Procfile', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-procfile-'));
  try {
    const missing = await readProcfile(dir).catch((e: unknown) => e);
    assert.instance(missing, SlipwayError);
    assert.is((missing as SlipwayError).code, 'PROCFILE_NOT_FOUND');
    assert.is((missing as SlipwayError).message, `no Procfile in ${dir}`);

    await writeFile(join(dir, 'procfile'), 'web: x\n');
    const misnamed = await readProcfile(dir).catch((e: unknown) => e);
    assert.is((misnamed as SlipwayError).code, 'PROCFILE_NOT_FOUND');
    assert.match((misnamed as SlipwayError).message, /found "procfile": the name must be exactly "Procfile"/);

    const gone = await readProcfile(join(dir, 'nope')).catch((e: unknown) => e);
    assert.is((gone as SlipwayError).code, 'PROCFILE_NOT_FOUND');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readProcfile reports a Procfile that is a directory as unreadable', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-procfile-'));
  try {
    await mkdir(join(dir, 'Procfile'));
    const e = await readProcfile(dir).catch((err: unknown) => err);
    assert.is((e as SlipwayError).code, 'PROCFILE_INVALID');
    assert.match((e as SlipwayError).message, /Procfile: cannot be read \(EISDIR\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
