import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlipwayError } from '../lib/core/errors.js';
import { canonicalProcessType, formatProcfile, PROCESS_TYPE_PATTERN, parseProcfile } from '../lib/procfile/procfile.js';
import { LINE_BREAK, mutated } from './support/mutations.js';

const canonicalType = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const acceptedType = fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/).filter((t) => canonicalProcessType(t) !== '');
// Commands are one line, trimmed, and may contain colons and hashes.
const command = fc
  .string({ minLength: 1, maxLength: 60 })
  .map((s) => s.replace(/[\r\n\u2028\u2029]/g, ' ').trim())
  .filter((s) => s.length > 0);

function uniqueByCanonical(entries: Array<[string, string]>): Array<[string, string]> {
  const seen = new Set<string>();
  return entries.filter(([type]) => {
    const name = canonicalProcessType(type);
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

test('format then parse gives back the same processes', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(canonicalType, command), { maxLength: 8 }), (entries) => {
      const processes = Object.fromEntries(uniqueByCanonical(entries));
      const parsed = parseProcfile(formatProcfile(processes));
      assert.equal(parsed.processes, processes);
      assert.equal(Object.keys(parsed.processes), Object.keys(processes));
    }),
  );
});

test('any accepted spelling parses to its canonical name and a warning when they differ', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(acceptedType, command), { minLength: 1, maxLength: 8 }), (entries) => {
      const unique = uniqueByCanonical(entries);
      const parsed = parseProcfile(formatProcfile(Object.fromEntries(unique)));
      const expected = Object.fromEntries(unique.map(([t, c]) => [canonicalProcessType(t), c]));
      assert.equal(parsed.processes, expected);
      const renamed = unique.filter(([t]) => canonicalProcessType(t) !== t).length;
      assert.is(parsed.warnings.length, renamed);
    }),
  );
});

test('canonical names are DNS labels and canonicalising is idempotent', () => {
  fc.assert(
    fc.property(acceptedType, (type) => {
      const name = canonicalProcessType(type);
      assert.match(name, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
      assert.is(canonicalProcessType(name), name);
      assert.ok(PROCESS_TYPE_PATTERN.test(name));
    }),
  );
});

const procfileish = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.constantFrom('web: run', '# c', '', ':', 'web:', ' : x', 'a.b: c', 'web: twice'),
      fc.tuple(acceptedType, fc.constantFrom(':', ': ', ' : ', ''), fc.string()).map((p) => p.join('')),
    ),
    { maxLength: 10 },
  )
  .chain((lines) => fc.constantFrom('\n', '\r\n', '\r').map((eol) => lines.join(eol)));

test('arbitrary text either parses or throws a one-line PROCFILE_INVALID with a location', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), procfileish), (text) => {
      try {
        const parsed = parseProcfile(text);
        for (const [name, cmd] of Object.entries(parsed.processes)) {
          assert.ok(PROCESS_TYPE_PATTERN.test(name));
          assert.is(canonicalProcessType(name), name);
          assert.ok(cmd.length > 0 && cmd === cmd.trim());
        }
      } catch (error) {
        if (!(error instanceof SlipwayError)) throw error;
        assert.is(error.code, 'PROCFILE_INVALID');
        assert.not.match(error.message, /[\r\n\u2028\u2029]/);
        assert.ok((error.location?.line ?? 0) >= 1);
        assert.ok((error.location?.column ?? 0) >= 1);
        assert.type(error.location?.source, 'string');
      }
    }),
    { numRuns: 2000 },
  );
});

const REAL_PROCFILES = [
  'web: bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -q default\nrelease: bin/rails db:migrate\n',
  '# Procfile\nweb: node server.js --port $PORT\npostdeploy: npm run migrate && curl -fsS "$HOOK_URL"\n\nclock: node clock.js\n',
  'web: gunicorn app:app --bind 0.0.0.0:$PORT\r\nworker: celery -A app worker\r\n',
];

test('real Procfiles broken (cut, flipped, NUL, BOM, CRLF, duplicated lines, huge): a value or a one-line PROCFILE_INVALID at file:line', () => {
  fc.assert(
    fc.property(mutated(REAL_PROCFILES), (text) => {
      try {
        parseProcfile(text);
      } catch (error) {
        if (!(error instanceof SlipwayError)) throw error;
        assert.is(error.code, 'PROCFILE_INVALID');
        assert.not.match(error.message, LINE_BREAK);
        assert.match(error.message, /^Procfile:\d+:\d+: /);
      }
    }),
    { numRuns: 1000 },
  );
});

test.run();
