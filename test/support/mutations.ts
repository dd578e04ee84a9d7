/**
 * fast-check arbitraries that break valid files the way files get broken in
 * practice: cut short, a byte flipped, NUL bytes, a BOM, CRLF or bare CR line
 * ends, a line duplicated (duplicate keys), a value replaced by one of
 * another type, a huge value. Inputs stay bounded (about 200 KB at most) so
 * a parser can never be made to look slow by its input alone.
 */
import fc from 'fast-check';

const HUGE = 'x'.repeat(100_000);

type Mutation = (text: string, at: number, extra: string) => string;

const pos = (text: string, at: number) => (text.length === 0 ? 0 : at % (text.length + 1));
const lines = (text: string) => text.split('\n');

const mutations: Record<string, Mutation> = {
  truncate: (t, at) => t.slice(0, pos(t, at)),
  flipByte: (t, at, extra) => {
    const i = pos(t, at);
    return (
      t.slice(0, i) + String.fromCharCode((t.charCodeAt(i) || 0) ^ (1 + (extra.charCodeAt(0) & 0x7f))) + t.slice(i + 1)
    );
  },
  insert: (t, at, extra) => t.slice(0, pos(t, at)) + extra + t.slice(pos(t, at)),
  nul: (t, at) => `${t.slice(0, pos(t, at))}\0${t.slice(pos(t, at))}`,
  bom: (t) => `\uFEFF${t}`,
  crlf: (t) => t.replace(/\n/g, '\r\n'),
  bareCr: (t) => t.replace(/\n/g, '\r'),
  duplicateLine: (t, at) => {
    const ls = lines(t);
    const i = at % ls.length;
    return [...ls.slice(0, i + 1), ls[i], ...ls.slice(i + 1)].join('\n');
  },
  dropLine: (t, at) => {
    const ls = lines(t);
    ls.splice(at % ls.length, 1);
    return ls.join('\n');
  },
  wrongType: (t, at, extra) => {
    // The value after a `:` on some line becomes a list, a map, a number, null or a string.
    const ls = lines(t);
    const i = at % ls.length;
    const replacement = ['[]', '{}', '[1, 2]', '{"a": 1}', '12', 'null', 'true', '"x"', extra][at % 9];
    ls[i] = ls[i]!.replace(/:\s*.*$/, `: ${replacement}`);
    return ls.join('\n');
  },
  hugeValue: (t, at) => {
    const ls = lines(t);
    const i = at % ls.length;
    ls[i] = ls[i]!.replace(/:\s*(.*)$/, `: ${HUGE}`);
    return ls.join('\n');
  },
  indent: (t, at) => {
    const ls = lines(t);
    const i = at % ls.length;
    ls[i] = `${' '.repeat(1 + (at % 5))}${ls[i]}`;
    return ls.join('\n');
  },
  manyLines: (t) => `${t}\n`.repeat(50),
};

/** A valid file from `samples` broken by one to three mutations. */
export function mutated(samples: readonly string[]): fc.Arbitrary<string> {
  const one = fc.tuple(
    fc.constantFrom(...Object.keys(mutations)),
    fc.nat(10_000),
    fc.string({ maxLength: 8, unit: 'binary' }),
  );
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(one, { minLength: 1, maxLength: 3 }))
    .map(([sample, steps]) => steps.reduce((text, [name, at, extra]) => mutations[name]!(text, at, extra), sample))
    .map((text) => text.slice(0, 200_000));
}

/** Arbitrary text: printable, any code unit, or a mutation of one of `samples`. */
export function hostileText(samples: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ maxLength: 200, unit: 'binary' }),
    fc.string({ maxLength: 200, unit: 'grapheme' }),
    mutated(samples),
  );
}

/** No line break of any kind: a message fits on one terminal line. */
export const LINE_BREAK = /[\r\n\u2028\u2029\u0085]/;
