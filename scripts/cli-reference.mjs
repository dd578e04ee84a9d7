#!/usr/bin/env node
// Writes each command's help, as `slipway <command> --help` prints it, into
// docs/cli.md between its markers:
//
//   <!-- slipway help deploy -->
//   ```text
//   …
//   ```
//   <!-- end help -->
//
// The help comes from the command table in cli/main.ts, built into
// dist/cli/main.cjs (run `npm run build` first). `--check` changes nothing
// and exits 1 when the doc is not current. test/cli-help.test.ts fails when
// the doc and the help differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const doc = `${root}docs/cli.md`;
const { commands, commandHelp } = createRequire(import.meta.url)(`${root}dist/cli/main.cjs`);

const BLOCK = /<!-- slipway help (\S+) -->\n[\s\S]*?<!-- end help -->/g;
const before = readFileSync(doc, 'utf8');
const seen = new Set();
const after = before.replace(BLOCK, (_, name) => {
  const entry = commands[name];
  if (!entry) throw new Error(`docs/cli.md has help for "${name}", which is not a command`);
  seen.add(name);
  return `<!-- slipway help ${name} -->\n\`\`\`text\n${commandHelp(entry)}\n\`\`\`\n<!-- end help -->`;
});
const missing = Object.keys(commands).filter((name) => !seen.has(name));
if (missing.length > 0) {
  process.stderr.write(`docs/cli.md: no <!-- slipway help NAME --> block for ${missing.join(', ')}\n`);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  if (after !== before) {
    process.stderr.write('docs/cli.md is not current: run `npm run build && node scripts/cli-reference.mjs`\n');
    process.exit(1);
  }
} else if (after !== before) {
  writeFileSync(doc, after);
  process.stdout.write('docs/cli.md updated\n');
}
