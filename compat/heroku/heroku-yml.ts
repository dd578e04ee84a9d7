/**
 * Reads a heroku.yml (Heroku's manifest for apps built from a Dockerfile):
 * `build.docker`, `build.config` (build arguments), `release` (`command`,
 * `image`), `run`, and `setup.config`. Everything else is listed as not
 * carried over, with the key names of its value.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { formatSource, type InputProblem, keyNames, type NotCarried } from './problems.js';

export const HEROKU_YML = 'heroku.yml';

export interface YmlProcess {
  type: string;
  command?: string;
  /** The `build.docker` entry whose image it runs in, when not `web`'s. */
  image?: string;
  source: string;
}

export interface HerokuYml {
  /** Process type → Dockerfile path. */
  dockerfiles: { type: string; path: string; source: string }[];
  release?: { command: string; image?: string; source: string };
  run: YmlProcess[];
  /** `setup.config`: config vars set when the app was created. */
  setupConfig: { key: string; value: string; source: string }[];
  /** `build.config`: Docker build arguments, as `docker.buildArgs`. */
  buildArgs: { key: string; value: string; source: string }[];
  notCarried: NotCarried[];
}

/** Exec form (`["./tasks.sh", "--all"]`) as one shell command line. */
export function shellJoin(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

type Path = (string | number)[];

/** `web:` with nothing after it: reported where its key is, since there is no value to point at. */
class Empty {
  constructor(readonly key: Node) {}
}

export function parseHerokuYml(text: string, file = HEROKU_YML): { herokuYml?: HerokuYml; problems: InputProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors.map((e) => ({
    file,
    // A bad indent is reported where the indent starts; the caret is clearer on what is misplaced.
    ...pos(e.code === 'BAD_INDENT' ? e.pos[0] + (/^ */.exec(text.slice(e.pos[0]))?.[0].length ?? 0) : e.pos[0]),
    message: `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
  }));
  if (syntax.length > 0) return { problems: syntax };

  const problems: InputProblem[] = [];
  const out: HerokuYml = { dockerfiles: [], run: [], setupConfig: [], buildArgs: [], notCarried: [] };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { herokuYml: out, problems };
  if (!isMap(root)) {
    problems.push({
      file,
      ...at(root),
      message: 'heroku.yml must be a mapping of sections (build, release, run, setup)',
    });
    return { problems };
  }

  function pos(offset: number) {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  }
  function at(node: unknown): { line: number; column: number } {
    if (node instanceof Empty) return at(node.key);
    return pos((node as Node | null)?.range?.[0] ?? 0);
  }
  const src = (node: unknown) => formatSource({ file, ...at(node) });
  const name = (path: Path) => path.join('.');
  const problem = (node: unknown, message: string) => problems.push({ file, ...at(node), message });
  /** `value`, when given, is the node of what is not carried: its key names are listed with it. */
  const notCarried = (node: unknown, path: Path, detail: string, value?: unknown) => {
    const maps = isMap(value) ? [value] : isSeq(value) ? value.items.filter(isMap) : [];
    const keys = keyNames(maps.map((m) => m.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key))));
    out.notCarried.push({ source: src(node), key: name(path), detail, ...(keys ? { keys } : {}) });
  };
  /** `KEY: value` pairs of a mapping, numbers kept as written (`1.10` is a version, not 1.1). */
  const pairs = (node: unknown, path: Path) => {
    const found: { key: string; value: string; source: string }[] = [];
    for (const [key, keyN, value] of entries(node, path)) {
      const text =
        isScalar(value) && value.value !== null
          ? typeof value.value === 'string'
            ? value.value
            : (value.source ?? String(value.value))
          : undefined;
      if (text === undefined) problem(value, `${name([...path, key])} must be a value`);
      else found.push({ key, value: text, source: src(keyN) });
    }
    return found;
  };
  /** The pairs of a mapping node, each with the node of its key (for positions). */
  const entries = (node: unknown, path: Path): [string, Node, unknown][] => {
    if (!isMap(node)) {
      problem(node, `${name(path)} must be a mapping`);
      return [];
    }
    return node.items.map((p) => {
      const empty = p.value === null || (isScalar(p.value) && p.value.value === null);
      return [String(isScalar(p.key) ? p.key.value : p.key), p.key as Node, empty ? new Empty(p.key as Node) : p.value];
    });
  };
  const scalarText = (node: unknown, path: Path): string | undefined => {
    if (
      isScalar(node) &&
      (typeof node.value === 'string' || typeof node.value === 'number') &&
      String(node.value).trim()
    ) {
      return String(node.value);
    }
    problem(node ?? root, `${name(path)} must be a non-empty string`);
    return undefined;
  };
  /** `command: ./x.sh` or `command: [./x.sh, --all]`. */
  const commandOf = (node: unknown, path: Path): string | undefined => {
    if (isSeq(node)) {
      const argv = node.items.map((item, n) => scalarText(item, [...path, n]));
      if (argv.length === 0) problem(node, `${name(path)} must not be empty`);
      return argv.every((a) => a !== undefined) && argv.length > 0 ? shellJoin(argv as string[]) : undefined;
    }
    return scalarText(node, path);
  };

  for (const [section, keyNode, value] of entries(root, [])) {
    if (section === 'build') readBuild(value);
    else if (section === 'release') readRelease(value, keyNode);
    else if (section === 'run') readRun(value);
    else if (section === 'setup') readSetup(value);
    else notCarried(keyNode, [section], 'not a heroku.yml section (build, release, run, setup)', value);
  }
  return { herokuYml: out, problems };

  function readBuild(node: unknown) {
    for (const [k, kn, v] of entries(node, ['build'])) {
      if (k === 'docker') {
        for (const [type, tn, path] of entries(v, ['build', 'docker'])) {
          const p = scalarText(path, ['build', 'docker', type]);
          if (p) out.dockerfiles.push({ type, path: p, source: src(tn) });
        }
      } else if (k === 'config') {
        out.buildArgs.push(...pairs(v, ['build', 'config']));
      } else if (k === 'languages' || k === 'packages') {
        notCarried(kn, ['build', k], 'buildpack builds from heroku.yml are not supported; use a Dockerfile', v);
      } else notCarried(kn, ['build', k], 'not a heroku.yml build setting', v);
    }
  }

  function readRelease(node: unknown, keyNode: Node) {
    let command: string | undefined;
    let image: string | undefined;
    for (const [k, kn, v] of entries(node, ['release'])) {
      if (k === 'command') command = commandOf(v, ['release', 'command']);
      else if (k === 'image') image = scalarText(v, ['release', 'image']);
      else notCarried(kn, ['release', k], 'not a heroku.yml release setting (command, image)', v);
    }
    if (command) out.release = { command, ...(image ? { image } : {}), source: src(keyNode) };
    else if (isMap(node) && !node.items.some((p) => isScalar(p.key) && p.key.value === 'command')) {
      problem(node, 'release needs a command');
    }
  }

  function readRun(node: unknown) {
    for (const [type, tn, v] of entries(node, ['run'])) {
      if (isMap(v)) {
        let command: string | undefined;
        let image: string | undefined;
        for (const [k, kn, fv] of entries(v, ['run', type])) {
          if (k === 'command') command = commandOf(fv, ['run', type, 'command']);
          else if (k === 'image') image = scalarText(fv, ['run', type, 'image']);
          else notCarried(kn, ['run', type, k], 'not a heroku.yml process setting (command, image)', fv);
        }
        out.run.push({ type, ...(command ? { command } : {}), ...(image ? { image } : {}), source: src(tn) });
      } else {
        const command = commandOf(v, ['run', type]);
        if (command) out.run.push({ type, command, source: src(tn) });
      }
    }
  }

  function readSetup(node: unknown) {
    for (const [k, kn, v] of entries(node, ['setup'])) {
      if (k === 'config') {
        out.setupConfig.push(...pairs(v, ['setup', 'config']));
      } else if (k === 'addons') {
        notCarried(
          kn,
          ['setup', 'addons'],
          'slipway provisions no add-ons: create the service yourself and set its URL with `slipway config:set`',
          v,
        );
      } else notCarried(kn, ['setup', k], 'not a heroku.yml setup setting', v);
    }
  }
}
