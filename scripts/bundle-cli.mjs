#!/usr/bin/env node
// Bundles the CLI into dist/cli/: a tiny entry (main.mjs) and one
// self-contained file per command and per part loaded on demand (the config
// schema, each plugin, chalk, cosmiconfig...). A deployment then reads two
// files, main.mjs and the deploy command's, instead of ~260 modules or a few
// dozen shared chunks: each ES module Node loads costs about a millisecond
// here, which is most of the CLI's start-up time. The agent stays in dist/lib (tsc).
//
// Every `import()` of a bundled file becomes an import of that file's own
// bundle, found here as the build goes. Parts that run in one process can so
// hold their own copy of a shared module: the classes whose identity crosses
// those lines (SlipwayError, ConfigSyntaxError, AgentClient) answer
// `instanceof` by a brand, not by their prototype (lib/brand.ts).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';

// The build's identity: a digest of every source and the locked dependencies.
// The CLI keys its cache of resolved configs with it (lib/cli/config-cache.ts).
function digest(paths) {
  const hash = createHash('sha256');
  const add = (path) => {
    const entries = readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) add(child);
      else if (entry.isFile()) hash.update(`${child}\0`).update(readFileSync(child)).update('\0');
    }
  };
  for (const path of paths) {
    if (path.endsWith('.json')) hash.update(`${path}\0`).update(readFileSync(path)).update('\0');
    else add(path);
  }
  return hash.digest('hex').slice(0, 16);
}

// Old files never pile up.
rmSync('dist/cli', { recursive: true, force: true });

const root = resolve('.');
// Native or heavy modules stay in node_modules; typescript is only for slipway.config.ts.
const EXTERNAL = ['better-sqlite3', 'dockerode', 'typescript', 'cpu-features', 'ssh2'];

/** The bundle name of a file loaded on demand: its path (lib/config-resolve.ts → lib.config-resolve), or its package. */
function bundleName(file) {
  const rel = relative(root, file).split(sep).join('/');
  const pkg = rel.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (pkg) return `pkg.${pkg[1].replace('/', '.')}`;
  return rel.replace(/\.[cm]?[jt]s$/, '').replaceAll('/', '.');
}

/** Files found behind an `import()`, by bundle name. */
const onDemand = new Map();
const splitAtDynamicImports = {
  name: 'split-at-dynamic-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.pluginData?.resolving) return undefined;
      if (args.path.startsWith('node:') || EXTERNAL.includes(args.path)) return undefined;
      const found = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { resolving: true },
      });
      if (found.errors.length > 0 || found.external || !found.path.startsWith(root)) return undefined;
      const name = bundleName(found.path);
      if (onDemand.has(name) && onDemand.get(name) !== found.path) {
        throw new Error(
          `two files loaded on demand would share the bundle name ${name}: ${onDemand.get(name)}, ${found.path}`,
        );
      }
      onDemand.set(name, found.path);
      return { path: `./${name}.mjs`, external: true };
    });
  },
};

const options = {
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: 'linked',
  metafile: true,
  define: {
    __SLIPWAY_BUILD__: JSON.stringify(digest(['lib', 'plugins', 'compat', 'package.json', 'package-lock.json'])),
  },
  external: EXTERNAL,
  plugins: [splitAtDynamicImports],
  logLevel: 'warning',
};

// Bundling a part can reveal further parts behind its own import()s: build
// until the set of entries stops growing (two or three rounds).
let result;
let entries = 0;
while (entries !== onDemand.size + 1) {
  entries = onDemand.size + 1;
  rmSync('dist/cli', { recursive: true, force: true });
  result = await build({ ...options, entryPoints: { main: 'lib/cli/main.ts', ...Object.fromEntries(onDemand) } });
}

// Bundled CommonJS dependencies call require() through esbuild's `__require`
// helper, which looks for a `require` in its own scope: give the bundles that
// have one (and only those) one. A banner on every bundle would make each of
// them pay for a createRequire at start-up.
const REQUIRE_LINE =
  "import { createRequire as __slipwayRequire } from 'node:module'; const require = __slipwayRequire(import.meta.url);\n";
let patched = 0;
for (const file of Object.keys(result.metafile.outputs)) {
  if (!file.endsWith('.mjs')) continue;
  const code = readFileSync(file, 'utf8');
  if (!code.includes('Dynamic require of')) continue;
  writeFileSync(file, REQUIRE_LINE + code);
  // The added line has no mappings: shift the rest down by one line.
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
  map.mappings = `;${map.mappings}`;
  writeFileSync(`${file}.map`, JSON.stringify(map));
  patched++;
}
if (patched === 0) throw new Error("expected esbuild's require helper in at least one bundle (tapable is CommonJS)");
const main = readFileSync('dist/cli/main.mjs', 'utf8');
if (main.includes('Dynamic require of')) throw new Error('main.mjs must stay free of CommonJS code');
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.mjs'));
console.log(`dist/cli: ${files.length} bundles (main + ${files.length - 1} loaded on demand)`);
