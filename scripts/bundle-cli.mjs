#!/usr/bin/env node
// Bundles the CLI into dist/cli/: a tiny entry (main.cjs) and one
// self-contained file per command and per part loaded on demand (the config
// schema, each runtime, the notifiers, chalk...). A deployment then reads two
// files, main.cjs and the deploy command's. CommonJS, because Node's ES
// module loader costs a CLI ~15 ms at start-up here before it loads anything
// (bin/slipway is CommonJS too, see bin/package.json). The agent stays in
// dist/lib (tsc, ES modules).
//
// Every `import()` of a bundled file becomes a `require()` of that file's own
// bundle, found here as the build goes. Parts that run in one process can so
// hold their own copy of a shared module: the classes whose identity crosses
// those lines (SlipwayError, ConfigSyntaxError, AgentClient) answer
// `instanceof` by a brand, not by their prototype (lib/brand.ts). Code that
// must stay a real `import()` (plugins, config modules of the app, which may
// be ES modules) goes through lib/import-module.ts.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
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
// cosmiconfig (CommonJS) too: it loads the app's config modules with its own import().
const EXTERNAL = ['better-sqlite3', 'dockerode', 'typescript', 'cpu-features', 'ssh2', 'cosmiconfig'];

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
      return { path: `./${name}.cjs`, external: true };
    });
  },
};

const options = {
  outdir: 'dist/cli',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import() of a bundled part becomes require(): no ES module loader at all.
  supported: { 'dynamic-import': false },
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: 'linked',
  metafile: true,
  define: {
    __SLIPWAY_BUILD__: JSON.stringify(digest(['lib', 'cli', 'plugins', 'compat', 'package.json', 'package-lock.json'])),
    'import.meta.url': '__slipwayModuleUrl',
  },
  banner: { js: "var __slipwayModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
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
  result = await build({ ...options, entryPoints: { main: 'cli/main.ts', ...Object.fromEntries(onDemand) } });
}

const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.cjs'));
for (const file of files) {
  // A real import() left in a bundle would bring the ES module loader back.
  const code = readFileSync(file, 'utf8');
  if (/[^\w.$]import\(/.test(code.replaceAll('"return import(specifier)"', '""'))) {
    throw new Error(
      `${file} still holds an import(): route it through lib/import-module.ts or mark the package external`,
    );
  }
}
console.log(`dist/cli: ${files.length} bundles (main + ${files.length - 1} loaded on demand)`);

// The agent runs tsc's ES modules from dist/lib, except its request schemas:
// zod's package as published costs a process ~11 MiB once imported whole,
// the few parts those schemas use, bundled in, ~1 MiB. The agent's idle
// memory is a figure we keep (bench/agent-rss.mjs).
await build({
  entryPoints: ['lib/agent/control-schemas.ts'],
  outfile: 'dist/lib/agent/control-schemas.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  sourcemap: 'linked',
  allowOverwrite: true,
  logLevel: 'warning',
});
console.log('dist/lib/agent/control-schemas.js: bundled with the parts of zod it uses');
