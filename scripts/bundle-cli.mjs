#!/usr/bin/env node
// Bundles the CLI into dist/cli/ (one file per command, loaded on demand):
// a deployment then reads a handful of files instead of ~260 modules, which
// is most of the CLI's start-up time. The agent stays in dist/lib (tsc).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: start clean so old chunks never pile up.
rmSync('dist/cli', { recursive: true, force: true });

await build({
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
  // Native or heavy modules stay in node_modules; typescript is only for slipway.config.ts.
  external: ['better-sqlite3', 'dockerode', 'typescript', 'cpu-features', 'ssh2'],
  // Bundled CommonJS dependencies call require(): give ESM chunks one.
  banner: {
    js: "import { createRequire as __slipwayRequire } from 'node:module'; const require = __slipwayRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
