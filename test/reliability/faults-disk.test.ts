// Fault matrix, the disk filling up while a release is written: the apps'
// directory of SLIPWAY_HOME is a 2 MB tmpfs; a tree bigger than what is left
// fails the deployment with DISK_FULL, the live release keeps serving, the
// half-written release directory is removed, and the next deployment that
// fits goes through. Needs root (mount); skipped with a message otherwise,
// outside CI.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2E, get } from '../support/e2e.js';
import { mountsUnder, nothingLeftBehind } from '../support/leftovers.js';

const root = process.getuid?.() === 0;
if (!root && process.env.CI !== 'true') {
  console.log('skipped: the disk-full scenario mounts a tmpfs and needs root');
  test.skip('the disk filling up while a release is written', () => {});
  test.run();
} else {
  const e2e = new E2E();
  const apps = join(e2e.home, 'apps');

  test.before(() => {
    mkdirSync(apps, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', apps]);
  });

  test.after(async () => {
    // The app processes run from the tmpfs: stopped before it can be unmounted.
    await e2e.run(['agent', 'stop']);
    for (let i = 0; i < 50 && mountsUnder(e2e.home).length > 0; i++) {
      try {
        execFileSync('umount', [apps], { stdio: 'ignore' });
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (mountsUnder(e2e.home).length > 0) execFileSync('umount', ['-l', apps]);
    await e2e.cleanup();
  });

  const freeBytes = () => {
    const s = statfsSync(apps);
    return s.bavail * s.bsize;
  };

  test('the disk filling up while a release is written: DISK_FULL, the live release serving, nothing half-written', async () => {
    const { dir, port } = await e2e.app('web: node server.js\npostdeploy: true\n', { app: 'full' });
    const first = await e2e.deploy(dir, ['--revision', 'v1']);
    assert.is(first.code, 0, first.stderr);
    const free = freeBytes();
    // Bigger than what is left: the copy fails part way.
    writeFileSync(join(dir, 'assets.bin'), Buffer.alloc(free + 512 * 1024, 7));

    const r = await e2e.run(['deploy', dir, '--revision', 'v2']);
    assert.is(r.code, 1, r.stderr);
    const said = r.stdout + r.stderr;
    assert.match(said, /DISK_FULL: no space left on device while writing release 2 of full/);
    assert.not.match(said, /\n\s+at /, 'no stack trace');
    const [latest] = await e2e.json<any[]>(['deployments', '--app', 'full']);
    assert.is(latest.version, 'v2');
    assert.is(latest.status, 'build-error');
    assert.is(latest.error.code, 'DISK_FULL');

    const served = await get(port);
    assert.is(served.status, 200);
    assert.is(served.body, 'v1');
    const releases = join(apps, 'full', 'releases');
    assert.equal(readdirSync(releases), ['1'], 'the half-written release directory is gone');
    assert.ok(freeBytes() >= free - 64 * 1024, `the space is given back (${freeBytes()} of ${free} bytes free)`);
    await nothingLeftBehind(e2e, 'nothing of the failed deployment to be left', [apps]);

    // Once the tree fits again, the next deployment goes through.
    rmSync(join(dir, 'assets.bin'));
    const next = await e2e.deploy(dir, ['--revision', 'v3']);
    assert.is(next.code, 0, next.stderr);
    assert.is((await get(port)).body, 'v3');
    assert.ok(existsSync(join(releases, String(next.record.release))));
    console.log(
      `figures: disk full while writing a release (${(free / 1024).toFixed(0)} KiB free on a 2 MiB tmpfs) -> ${latest.status} (${latest.error.code}); v1 kept serving; next deployment ${next.record.status}`,
    );
  });

  test.run();
}
