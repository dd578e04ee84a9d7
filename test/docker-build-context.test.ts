// The build context the Docker runtime sends: a tar of the app without .git, what
// .dockerignore lists, or the slipway home; read back with the system's tar.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildContext } from '../plugins/docker/build-context.js';
import { parseDockerignore } from '../plugins/docker/dockerignore.js';

const dirs: string[] = [];
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-context-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Lists and extracts the tar with the system's tar: what the Engine would see. */
async function unpack(stream: NodeJS.ReadableStream): Promise<{ names: string[]; dir: string }> {
  const tar = await buffer(stream);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-unpacked-'));
  dirs.push(dir);
  const x = spawnSync('tar', ['-x', '-C', dir], { input: tar });
  assert.is(x.status, 0, String(x.stderr));
  const t = spawnSync('tar', ['-t'], { input: tar, encoding: 'utf8' });
  assert.is(t.status, 0, t.stderr);
  return {
    dir,
    names: t.stdout
      .split('\n')
      .filter((n) => n && !n.endsWith('/'))
      .sort(),
  };
}

test('.dockerignore: comments, globs, ** and ! exceptions, directories exclude their content, last rule wins', () => {
  const rules = parseDockerignore('# comment\n\nnode_modules\n*.log\n!keep.log\n**/tmp\ndocs/*.md\n/build/\n');
  assert.ok(rules.excludes('node_modules'));
  assert.ok(rules.excludes('node_modules/a/b.js'));
  assert.ok(rules.excludes('error.log'));
  assert.not.ok(rules.excludes('keep.log'));
  assert.not.ok(rules.excludes('sub/error.log'), '* does not cross directories');
  assert.ok(rules.excludes('a/b/tmp/x'));
  assert.ok(rules.excludes('tmp'));
  assert.ok(rules.excludes('docs/readme.md'));
  assert.not.ok(rules.excludes('docs/api/readme.md'));
  assert.ok(rules.excludes('build/out.js'));
  assert.not.ok(rules.excludes('src/index.js'));
  assert.ok(rules.hasExceptions);
  assert.not.ok(parseDockerignore('a\n').hasExceptions);
});

test('the context has every file but .git, ignored paths and the slipway home; Dockerfile always', async () => {
  const dir = tree({
    Dockerfile: 'FROM scratch\n',
    '.dockerignore': 'Dockerfile\n*.log\nlogs\n!logs/keep.log\n',
    'server.js': 'console.log(1)\n',
    'src/a.js': 'a',
    '.git/HEAD': 'ref',
    'lib/.git/config': 'x',
    'error.log': 'x',
    'logs/old.log': 'x',
    'logs/keep.log': 'x',
    '.slipway/agent.db': 'x',
  });
  symlinkSync('server.js', join(dir, 'link.js'));
  const { names } = await unpack(buildContext(dir, { dockerfile: 'Dockerfile', exclude: [join(dir, '.slipway')] }));
  assert.equal(names, ['.dockerignore', 'Dockerfile', 'link.js', 'logs/keep.log', 'server.js', 'src/a.js']);
});

test('long paths, empty files, modes and symlinks survive the tar', async () => {
  const long = `${'deep/'.repeat(25)}${'n'.repeat(120)}.txt`;
  const dir = tree({ [long]: 'far away', 'empty.txt': '', 'big.bin': 'x'.repeat(70_000), 'run.sh': '#!/bin/sh\n' });
  spawnSync('chmod', ['755', join(dir, 'run.sh')]);
  symlinkSync(`${'t'.repeat(150)}`, join(dir, 'dangling'));
  const { names, dir: out } = await unpack(buildContext(dir, { dockerfile: 'Dockerfile' }));
  assert.equal(names, ['big.bin', 'dangling', long, 'empty.txt', 'run.sh'].sort());
  const read = (p: string) => spawnSync('cat', [join(out, p)], { encoding: 'utf8' }).stdout;
  assert.is(read(long), 'far away');
  assert.is(read('big.bin').length, 70_000);
  assert.is(read('empty.txt'), '');
  const mode = spawnSync('stat', ['-c', '%a', join(out, 'run.sh')], { encoding: 'utf8' }).stdout.trim();
  assert.is(mode, '755');
  const target = spawnSync('readlink', [join(out, 'dangling')], { encoding: 'utf8' }).stdout.trim();
  assert.is(target, 't'.repeat(150));
});

test.run();
