// Release snapshots: .git left out, unchanged files hard-linked from the
// previous release (cheap for a big node_modules), changed files copied.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snapshot } from '../plugins/process/snapshot.js';

const root = mkdtempSync(join(tmpdir(), 'slipway-snapshot-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('a first snapshot copies everything except .git', async () => {
  const src = join(root, 'app');
  mkdirSync(join(src, '.git'), { recursive: true });
  mkdirSync(join(src, 'node_modules', 'lib'), { recursive: true });
  writeFileSync(join(src, '.git', 'HEAD'), 'ref');
  writeFileSync(join(src, 'server.js'), 'v1');
  for (let i = 0; i < 50; i++) writeFileSync(join(src, 'node_modules', 'lib', `f${i}.js`), `module ${i}`);
  const stats = await snapshot(src, join(root, 'r1'));
  assert.is(stats.files, 51);
  assert.is(stats.copied, 51);
  assert.is(stats.linked, 0);
  assert.is(readFileSync(join(root, 'r1', 'server.js'), 'utf8'), 'v1');
  assert.throws(() => statSync(join(root, 'r1', '.git')));
});

test('a redeploy links unchanged files to the previous release and copies changed ones', async () => {
  const src = join(root, 'app');
  writeFileSync(join(src, 'server.js'), 'v2 changed');
  const later = new Date(Date.now() + 5000);
  utimesSync(join(src, 'server.js'), later, later);
  const stats = await snapshot(src, join(root, 'r2'), { previous: join(root, 'r1') });
  assert.is(stats.linked, 50);
  assert.is(stats.copied, 1);
  const a = statSync(join(root, 'r1', 'node_modules', 'lib', 'f0.js'));
  const b = statSync(join(root, 'r2', 'node_modules', 'lib', 'f0.js'));
  assert.is(a.ino, b.ino);
  assert.is.not(statSync(join(root, 'r1', 'server.js')).ino, statSync(join(root, 'r2', 'server.js')).ino);
  assert.is(readFileSync(join(root, 'r1', 'server.js'), 'utf8'), 'v1');
  assert.is(readFileSync(join(root, 'r2', 'server.js'), 'utf8'), 'v2 changed');
  // The source itself is never linked into a release: editing it cannot change a release.
  assert.is.not(statSync(join(src, 'node_modules', 'lib', 'f0.js')).ino, b.ino);
});

test('a file that became a directory (and back), symlinks and a large tree', async () => {
  const src = join(root, 'shapes');
  mkdirSync(join(src, 'lib'), { recursive: true });
  writeFileSync(join(src, 'config'), 'a file first');
  writeFileSync(join(src, 'lib', 'x.js'), 'x');
  for (let i = 0; i < 3000; i++) writeFileSync(join(src, 'lib', `m${i}.js`), `m${i}`);
  symlinkSync('lib/x.js', join(src, 'entry.js'));
  const first = await snapshot(src, join(root, 's1'));
  assert.is(first.files, 3002);
  rmSync(join(src, 'config'));
  mkdirSync(join(src, 'config'));
  writeFileSync(join(src, 'config', 'app.json'), '{}');
  rmSync(join(src, 'lib'), { recursive: true });
  writeFileSync(join(src, 'lib'), 'a file now');
  const second = await snapshot(src, join(root, 's2'), { previous: join(root, 's1') });
  assert.equal(second, { files: 2, linked: 0, copied: 2 });
  assert.is(readFileSync(join(root, 's2', 'config', 'app.json'), 'utf8'), '{}');
  assert.is(readFileSync(join(root, 's2', 'lib'), 'utf8'), 'a file now');
  assert.is(readlinkSync(join(root, 's2', 'entry.js')), 'lib/x.js');
  // The earlier release is as it was.
  assert.is(readFileSync(join(root, 's1', 'config'), 'utf8'), 'a file first');
  assert.is(readFileSync(join(root, 's1', 'lib', 'm2999.js'), 'utf8'), 'm2999');
});

test.run();
