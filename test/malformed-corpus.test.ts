// Bad input, from real life: test/fixtures/malformed/ holds Procfiles,
// .slipwayrc.yaml/json, app.json and heroku.yml files broken the way people
// break them (merge conflict markers, tabs, a UTF-16 Procfile from Notepad,
// JSON with comments or a trailing comma, a YAML alias bomb, …), and
// expected.json the code and file:line each one must be refused with (or
// `ok` for what slipway reads anyway, like a BOM with CRLF line ends).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlipwayError } from '../lib/core/errors.js';
import { LINE_BREAK } from './support/mutations.js';
import { MALFORMED, readMalformed } from './support/read-malformed.js';

const expected: Record<string, { ok?: true; code?: string; at?: string }> = JSON.parse(
  readFileSync(join(MALFORMED, 'expected.json'), 'utf8'),
);

test('every file of the corpus has its expectation, and the corpus covers every kind of file', () => {
  const files = readdirSync(MALFORMED).filter((n) => n !== 'expected.json');
  assert.equal(files.sort(), Object.keys(expected).sort());
  for (const kind of ['Procfile', 'slipwayrc.yaml', 'slipwayrc.json', 'app.json', 'heroku.yml']) {
    assert.ok(files.filter((f) => f.endsWith(kind)).length >= 3, `at least three ${kind} files`);
  }
});

for (const [name, want] of Object.entries(expected)) {
  test(`${name}: ${want.ok ? 'read' : `${want.code} at ${want.at}`}`, async () => {
    const error = await readMalformed(name).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (want.ok) {
      assert.is(error, undefined, String(error));
      return;
    }
    assert.instance(error, SlipwayError, `not a SlipwayError: ${String(error)}`);
    const e = error as SlipwayError;
    assert.is(e.code, want.code);
    assert.not.match(e.message, LINE_BREAK);
    assert.ok(e.message.includes(`${want.at}:`), `${e.message} does not start at ${want.at}`);
  });
}

test.run();
