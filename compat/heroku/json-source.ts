/**
 * A strict JSON reader (RFC 8259) that knows where every key and value
 * sits. JSON.parse neither reports positions reliably (its messages differ
 * between Node versions and often lack one) nor keeps them for values, and
 * the migration report names `app.json:line:column` for both.
 */

export interface Position {
  line: number;
  column: number;
}

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly position: Position,
  ) {
    super(message);
  }
}

export type JsonPath = ReadonlyArray<string | number>;

export interface JsonSource {
  value: unknown;
  /** Where the value at a path starts; for an object member, where its key starts. */
  at(path: JsonPath): Position;
}

const key = (path: JsonPath) => JSON.stringify(path);

export function parseJson(text: string): JsonSource {
  const positions = new Map<string, Position>();
  let i = text.startsWith('\uFEFF') ? 1 : 0;
  let line = 1;
  // A byte order mark is no column: editors do not show it.
  let lineStart = i;

  const here = (): Position => ({ line, column: i - lineStart + 1 });
  const fail = (message: string, at: Position = here()): never => {
    throw new JsonSyntaxError(message, at);
  };
  const describe = () => (i >= text.length ? 'the end of the file' : JSON.stringify(text[i]));

  const skip = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === '\n') {
        line++;
        lineStart = i + 1;
      } else if (c !== ' ' && c !== '\t' && c !== '\r') return;
      i++;
    }
  };

  const string = (): string => {
    const start = here();
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\n' || c < ' ') fail('a string cannot hold a line break or control character');
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail('invalid escape in string');
        }
      } else {
        out += c;
        i++;
      }
    }
  };

  const number = (): number => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail(`unexpected ${describe()}`);
    i += match![0].length;
    return Number(match![0]);
  };

  const value = (path: JsonPath): unknown => {
    skip();
    positions.set(key(path), positions.get(key(path)) ?? here());
    const c = text[i];
    if (c === '{') return object(path);
    if (c === '[') return array(path);
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return fail(`expected a value, found ${describe()}`);
  };

  const object = (path: JsonPath): Record<string, unknown> => {
    i++;
    const out: Record<string, unknown> = {};
    skip();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skip();
      if (text[i] !== '"') fail(`expected a "quoted" key, found ${describe()}`);
      const at = here();
      const name = string();
      if (Object.hasOwn(out, name)) fail(`duplicate key ${JSON.stringify(name)}`, at);
      const child = [...path, name];
      positions.set(key(child), at);
      skip();
      if (text[i] !== ':') fail(`expected ":" after the key, found ${describe()}`);
      i++;
      out[name] = value(child);
      skip();
      if (text[i] === ',') {
        const comma = here();
        i++;
        skip();
        if (text[i] === '}') fail('trailing comma before "}"', comma);
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      fail(`expected "," or "}", found ${describe()}`);
    }
  };

  const array = (path: JsonPath): unknown[] => {
    i++;
    const out: unknown[] = [];
    skip();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value([...path, out.length]));
      skip();
      if (text[i] === ',') {
        const comma = here();
        i++;
        skip();
        if (text[i] === ']') fail('trailing comma before "]"', comma);
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      fail(`expected "," or "]", found ${describe()}`);
    }
  };

  const result = value([]);
  skip();
  if (i < text.length) fail(`unexpected ${describe()} after the end of the JSON value`);
  return {
    value: result,
    at(path) {
      // The deepest known ancestor: a missing key is reported where its parent is.
      for (let n = path.length; n >= 0; n--) {
        const p = positions.get(key(path.slice(0, n)));
        if (p) return p;
      }
      return { line: 1, column: 1 };
    },
  };
}
