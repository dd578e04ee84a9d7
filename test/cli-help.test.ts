// Per-command help: every option with its meaning, defaults and examples, from
// the command table; docs/cli.md shows the same text for every command; bare
// `slipway` is help, exit 0.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type CommandModule, commands } from '../cli/main.js';
import { E2E, root } from './support/e2e.js';

const cli = new E2E();
test.after(() => cli.cleanup());

/** The help blocks of docs/cli.md, by command. */
function docBlocks(): Map<string, string> {
  const doc = readFileSync(join(root, 'docs', 'cli.md'), 'utf8');
  const blocks = new Map<string, string>();
  for (const m of doc.matchAll(/<!-- slipway help (\S+) -->\n```text\n([\s\S]*?)\n```\n<!-- end help -->/g)) {
    blocks.set(m[1]!, m[2]!);
  }
  return blocks;
}

test('docs/cli.md shows exactly what `slipway <command> --help` prints, for every command', async () => {
  const blocks = docBlocks();
  for (const name of Object.keys(commands)) {
    const r = await cli.run([name, '--help']);
    assert.is(r.code, 0, name);
    assert.ok(blocks.has(name), `docs/cli.md has a help block for ${name}`);
    assert.fixture(blocks.get(name)!, r.stdout.trimEnd());
  }
  assert.equal([...blocks.keys()].sort(), Object.keys(commands).sort(), 'no block for a command that does not exist');
});

test('the doc generator finds docs/cli.md current', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'cli-reference.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

test('deploy --help explains every option with its default, and gives examples', async () => {
  const r = await cli.run(['deploy', '--help']);
  assert.match(r.stdout, /--revision REV +the version deployed.*\(default: the git HEAD commit/);
  assert.match(r.stdout, /--no-wait +fail with DEPLOY_LOCKED/);
  assert.match(r.stdout, /--json +one JSON event per line/);
  assert.match(r.stdout, /dir +the app directory.*\(default: \.\)/);
  assert.match(r.stdout, /Examples:\n {2}slipway deploy\n/);
  const h = await cli.run(['help', 'deploy']);
  assert.is(h.stdout, r.stdout, '`slipway help deploy` is the same text');
});

test('every command with options documents each one, and has an example', () => {
  for (const [name, entry] of Object.entries(commands)) {
    assert.ok(entry.examples?.length, `${name} has an example`);
    for (const flag of entry.usage.match(/--[a-z-]+/g) ?? []) {
      assert.ok(
        entry.options?.some((o) => o.name.split(/[ ,]+/).includes(flag)),
        `${name}: ${flag} from its usage line is explained`,
      );
    }
  }
  for (const name of ['rollback', 'run', 'logs', 'config:set']) {
    assert.ok(commands[name]!.options!.length > 0, `${name} lists its options`);
  }
});

test('every flag a command module parses is explained in the help of a command it runs', async () => {
  // Some modules run several commands (config, config:set, config:unset): a flag of one is in its help.
  const byModule = new Map<CommandModule, { names: string[]; documented: Set<string> }>();
  for (const [name, entry] of Object.entries(commands)) {
    const module = await entry.load();
    const seen = byModule.get(module) ?? { names: [], documented: new Set<string>() };
    seen.names.push(name);
    for (const o of entry.options ?? []) for (const word of o.name.split(/[ ,]+/)) seen.documented.add(word);
    byModule.set(module, seen);
  }
  for (const [module, { names, documented }] of byModule) {
    for (const [flag, spec] of Object.entries(module.options ?? {})) {
      assert.ok(documented.has(`--${flag}`), `${names.join('/')}: --${flag} is explained`);
      if (spec.short) assert.ok(documented.has(`-${spec.short}`), `${names.join('/')}: -${spec.short} is explained`);
    }
  }
});

test('bare `slipway` prints the list of commands and exits 0', async () => {
  const r = await cli.run([]);
  assert.is(r.code, 0);
  assert.match(r.stdout, /Commands:/);
  assert.match(r.stdout, /deploy/);
  assert.is(r.stderr, '');
});

test.run();
