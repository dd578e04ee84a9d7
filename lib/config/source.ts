/**
 * Reading YAML and JSON config files with the `yaml` package, which also
 * tells where each key sits so that schema errors can name a line.
 */
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { settingsPath } from './defaults.js';
import { ConfigSyntaxError } from './syntax-error.js';

/**
 * A cosmiconfig loader for YAML and JSON (JSON is read as YAML 1.2, which it
 * is a subset of). Unquoted numbers and booleans under `env` keep their text,
 * so `VERSION: 1.10` stays "1.10" rather than becoming "1.1".
 */
export function loadYamlOrJson(filepath: string, content: string): unknown {
  const lineCounter = new LineCounter();
  // `<<: *defaults` merge keys are YAML 1.1, but people write them (Rails habit).
  // logLevel 'error': a key that is a list or map is reported as an unknown key, not as a Node warning on stderr.
  const doc = parseDocument(content, { lineCounter, prettyErrors: false, merge: true, logLevel: 'error' });
  const error = doc.errors[0];
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const message =
      error.code === 'MULTIPLE_DOCS' ? 'a config file holds a single YAML document' : error.message.split('\n')[0];
    throw new ConfigSyntaxError(message, line, col);
  }
  const envNode = doc.getIn([...settingsPath(filepath), 'env'], true);
  if (isMap(envNode)) {
    for (const pair of envNode.items) {
      const value = pair.value;
      if (isScalar(value) && (typeof value.value === 'number' || typeof value.value === 'boolean') && value.source) {
        value.value = value.source;
      }
    }
  }
  try {
    return doc.toJS();
  } catch (error) {
    // An alias whose anchor is missing, or too many aliases (a "billion laughs" file), shows only now.
    const { line, col } = lineCounter.linePos(firstBadAlias(doc) ?? 0);
    throw new ConfigSyntaxError((error as Error).message.split('\n')[0]!, line, col);
  }
}

function firstBadAlias(doc: Document): number | undefined {
  let offset: number | undefined;
  let first: number | undefined;
  visit(doc, {
    Alias(_, node) {
      first ??= node.range?.[0];
      if (node.resolve(doc) === undefined) {
        offset = node.range?.[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset ?? first;
}

/**
 * The 1-based line of the deepest part of `path` found in a YAML or JSON
 * text: the key's own line when the whole path exists. Best effort.
 */
export function findLine(content: string, path: ReadonlyArray<PropertyKey>): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) return undefined;
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}
