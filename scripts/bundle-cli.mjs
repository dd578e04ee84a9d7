#!/usr/bin/env node
// Bundles the CLI into dist/cli/ (one file per command, loaded on demand):
// a deployment then reads a handful of files instead of ~260 modules, which
// is most of the CLI's start-up time. The agent stays in dist/lib (tsc).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

// Chunk names carry content hashes: start clean so old chunks never pile up.
rmSync('dist/cli', { recursive: true, force: true });

const result = await build({
  entryPoints: { main: 'lib/cli/main.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
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
  // Native or heavy modules stay in node_modules; typescript is only for slipway.config.ts.
  external: ['better-sqlite3', 'dockerode', 'typescript', 'cpu-features', 'ssh2'],
  logLevel: 'warning',
});

// Bundled CommonJS dependencies call require() through esbuild's `__require`
// helper, which lives in one shared chunk and looks for a `require` in its
// own scope: give that chunk (and only it) one. A banner on every chunk would
// make each of them pay for a createRequire at start-up.
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
if (patched !== 1) throw new Error(`expected esbuild's require helper in exactly one chunk, found ${patched}`);
