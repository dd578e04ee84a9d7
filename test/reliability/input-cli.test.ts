// Bad input on the command line: every command with an unknown flag, every
// option that takes a value without one, and wrong values (an app name that
// is a path, a release number that is a path, a limit that is not a number, a
// port out of range, a deployment id that is a path). Each must exit 2 with
// one `error CODE: message` line (what to do indented under it), no stack
// trace, and start nothing: the fresh SLIPWAY_HOME never gets an agent.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commands } from '../../cli/main.js';
import { E2E, type Result } from '../support/e2e.js';
import { appDirWith, MALFORMED, readAs } from '../support/read-malformed.js';

const cli = new E2E();
test.after(() => cli.cleanup());

// An app directory with a valid Procfile and config: a bad flag must be refused before any of it is used.
const cwd = mkdtempSync(join(tmpdir(), 'slipway-badinput-'));
cli.dirs.push(cwd);
writeFileSync(join(cwd, 'Procfile'), 'web: node server.js\n');
writeFileSync(join(cwd, '.slipwayrc.yaml'), 'app: shop\n');

const APP_PATHS = ['../x', 'a/b', '.', '..', '../../etc/passwd', 'A B', ''];

interface Case {
  args: string[];
  code?: string;
  /** The message must say this. */
  says?: RegExp;
}

async function cases(): Promise<Case[]> {
  const out: Case[] = [];
  for (const [name, entry] of Object.entries(commands)) {
    const prefix = name === 'migrate' ? ['migrate', 'heroku'] : name === 'procfile' ? ['procfile', 'check'] : [name];
    out.push({ args: [...prefix, '--bogus-flag'], code: 'USAGE', says: /Unknown option '--bogus-flag'/ });
    const { options = {} } = await entry.load();
    for (const [flag, spec] of Object.entries(options)) {
      if (spec.type === 'string') out.push({ args: [...prefix, `--${flag}`], code: 'USAGE', says: /argument missing/ });
      if (flag === 'app' && name !== 'migrate' && name !== 'run') {
        for (const bad of APP_PATHS) {
          out.push({ args: [...prefix, '--app', bad], code: 'USAGE', says: /is not an app name/ });
        }
      }
    }
  }
  const release = /is not a release number/;
  out.push(
    { args: ['run', '--app', '../x', '--', 'true'], code: 'USAGE', says: /is not an app name/ },
    { args: ['migrate', 'heroku', cwd, '--app', '../x'], code: 'USAGE', says: /not an app name/ },
    { args: ['deployments', '--limit', 'abc'], code: 'USAGE', says: /--limit must be a whole number/ },
    { args: ['deployments', '--limit', '1.5'], code: 'USAGE', says: /--limit must be a whole number/ },
    { args: ['deployments', '--limit', '0'], code: 'USAGE', says: /--limit must be a whole number/ },
    { args: ['deployments', '--limit', '-5'], code: 'USAGE' },
    { args: ['dashboard', '--port', '70000'], code: 'USAGE', says: /--port must be a number from 1 to 65535/ },
    { args: ['dashboard', '--port', 'abc'], code: 'USAGE', says: /--port must be a number/ },
    { args: ['logs', '--tail', '--num', 'abc'], code: 'USAGE', says: /--num must be a whole number/ },
    { args: ['logs', '--num', '5'], code: 'USAGE', says: /--num goes with --tail/ },
    { args: ['logs', '../../etc'], code: 'USAGE', says: /is not a deployment id/ },
    { args: ['logs', 'a/b'], code: 'USAGE', says: /is not a deployment id/ },
    { args: ['rollback', '../../1'], code: 'USAGE', says: release },
    { args: ['rollback', '1/../2'], code: 'USAGE', says: release },
    { args: ['rollback', 'abc'], code: 'USAGE', says: release },
    { args: ['rollback', '0'], code: 'USAGE', says: release },
    { args: ['releases:output', '../../1'], code: 'USAGE', says: release },
    { args: ['releases:output', '1/../2'], code: 'USAGE', says: release },
    { args: ['migrate', 'heroku', '--mode', 'x'], code: 'USAGE', says: /--mode must be postdeploy or heroku/ },
    { args: ['migrate', 'nope'], code: 'USAGE' },
    { args: ['agent', 'bogus'], code: 'USAGE', says: /unknown action/ },
    { args: ['config:set', 'A B=1'], code: 'USAGE', says: /expected KEY=VALUE/ },
    { args: ['config:set', '=x'], code: 'USAGE', says: /expected KEY=VALUE/ },
    { args: ['config:set', 'NOVALUE'], code: 'USAGE', says: /expected KEY=VALUE/ },
    { args: ['config:unset', 'a/b'], code: 'USAGE', says: /not a valid key/ },
    { args: ['run'], code: 'USAGE', says: /give a command/ },
    { args: ['deplyo'], code: 'USAGE', says: /did you mean "deploy"/ },
  );
  return out;
}

function checkRefused(c: Case, r: Result): void {
  const what = `slipway ${c.args.map((a) => JSON.stringify(a)).join(' ')}\n${r.stderr}`;
  assert.is(r.code, 2, what);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^error [A-Z_]+: \S/, what);
  if (c.code) assert.ok(lines[0]!.startsWith(`error ${c.code}: `), what);
  if (c.says) assert.match(lines[0]!, c.says, what);
  // What to do, indented under it; never a stack trace.
  for (const line of lines.slice(1)) assert.match(line, /^ {2}\S/, what);
  assert.ok(lines.length <= 2, what);
  assert.not.match(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, what);
  assert.is(r.stdout, '', what);
}

test('every command refuses bad flags and values with one line and exit 2, starting no agent', async () => {
  const all = await cases();
  assert.ok(all.length > 100, `${all.length} cases`);
  // Four at a time: each is a short-lived CLI process.
  const queue = [...all];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        checkRefused(c, await cli.run(c.args, { cwd }));
        assert.not.ok(existsSync(join(cli.home, 'run', 'agent.pid')), `slipway ${c.args.join(' ')} started an agent`);
      }
    }),
  );
  // Only the config cache (reading the app's config is no side effect): no run dir, no state.db, no app.
  assert.equal(
    readdirSync(cli.home).filter((n) => n !== 'cache'),
    [],
    'nothing else written to SLIPWAY_HOME',
  );
  console.log(`figures: cli bad input: ${all.length} invocations refused with exit 2, one line, no agent started`);
});

test('with --json the refusal is one JSON error with its code; with --debug a stack follows', async () => {
  const r = await cli.run(['deployments', '--limit', 'abc', '--json'], { cwd });
  assert.is(r.code, 2);
  const error = JSON.parse(r.stdout).error;
  assert.is(error.code, 'USAGE');
  assert.match(error.message, /--limit must be a whole number/);
  const d = await cli.run(['rollback', '../../1', '--debug'], { cwd });
  assert.is(d.code, 2);
  assert.match(d.stderr, /^error USAGE: rollback: "\.\.\/\.\.\/1" is not a release number/);
  assert.match(d.stderr, /\n\s+at /);
  assert.not.ok(existsSync(join(cli.home, 'run', 'agent.pid')));
});

test('the malformed-file corpus through the CLI: check, procfile check, migrate heroku — one error line at file:line, exit 2', async () => {
  const expected: Record<string, { ok?: true; code?: string; at?: string }> = JSON.parse(
    readFileSync(join(MALFORMED, 'expected.json'), 'utf8'),
  );
  let refusedCount = 0;
  for (const [name, want] of Object.entries(expected)) {
    if (want.ok) continue;
    const dir = appDirWith(name);
    cli.dirs.push(dir);
    const as = readAs(name);
    const args =
      as === 'Procfile'
        ? ['procfile', 'check', join(dir, 'Procfile')]
        : as.startsWith('.slipwayrc')
          ? ['check', dir]
          : ['migrate', 'heroku', dir];
    const r = await cli.run(args, { cwd: dir });
    const what = `${name}: ${r.stderr}`;
    assert.is(r.code, 2, what);
    const first = r.stderr.split('\n')[0]!;
    assert.ok(first.startsWith(`error ${want.code}: `), what);
    // Several problems: a count on the first line, each problem with its place under it.
    assert.ok(r.stderr.includes(`${want.at}:`), what);
    assert.not.match(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, what);
    refusedCount++;
  }
  assert.not.ok(existsSync(join(cli.home, 'run', 'agent.pid')));
  console.log(
    `figures: malformed corpus through the CLI: ${refusedCount} files refused with exit 2 at their file:line`,
  );
});

test.run();
