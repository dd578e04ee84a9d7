// A build whose cached parent layer another app's image removal deleted
// mid-build fails to commit ("failed to set parent ... unknown parent image
// ID"); the Docker runtime builds once more. The Engine is real: a proxy in
// front of its socket answers the first /build with that error, as the
// Engine does, and passes everything else through.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeploymentContext } from '../lib/core/context.js';
import { buildArtifact } from '../plugins/docker/build-artifact.js';
import { BUSYBOX_IMAGE, docker, ensureBaseImages, runEngineTests } from './support/docker.js';

const engineTest = runEngineTests ? test : (test.skip as unknown as typeof test);
const dir = mkdtempSync(join(tmpdir(), 'slipway-build-retry-'));
const socket = join(dir, 'engine.sock');
const app = `retry-${process.pid}`;
let proxy: Server;
let failuresLeft = 0;
let builds = 0;

const PARENT_GONE = 'failed to export image: failed to set parent sha256:b4d35f: unknown parent image ID sha256:b4d35f';

test.before(async () => {
  if (runEngineTests) ensureBaseImages();
  proxy = createServer((req, res) => {
    if (req.method === 'POST' && /\/build(\?|$)/.test(req.url ?? '')) {
      builds++;
      if (failuresLeft > 0) {
        failuresLeft--;
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          `${JSON.stringify({ stream: 'Step 1/3 : FROM local/busybox\n' })}\n${JSON.stringify({ error: PARENT_GONE, errorDetail: { message: PARENT_GONE } })}\n`,
        );
        return;
      }
    }
    const upstream = request(
      { socketPath: '/var/run/docker.sock', method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(socket, resolve));
});

test.after(async () => {
  proxy?.close();
  await docker
    .getImage(`slipway/${app}:1`)
    .remove({ force: true })
    .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function context(logs: string[]): DeploymentContext {
  const appDir = mkdtempSync(join(dir, 'app-'));
  writeFileSync(join(appDir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCOPY hello.txt /hello.txt\n`);
  writeFileSync(join(appDir, 'hello.txt'), 'hello\n');
  return {
    id: 'retry-deployment',
    app,
    release: 1,
    version: 'v1',
    sourceRelease: null,
    config: { dir: appDir, docker: {} },
    control: {},
    signal: new AbortController().signal,
    log: (_phase: string, line: string) => logs.push(line),
    warn: () => undefined,
  } as unknown as DeploymentContext;
}

engineTest('a build that lost its cached parent layer is built once more, and succeeds', async () => {
  failuresLeft = 1;
  builds = 0;
  const logs: string[] = [];
  const artifact = await buildArtifact(context(logs), new Docker({ socketPath: socket }));
  assert.is(builds, 2);
  assert.is(artifact.image, `slipway/${app}:1`);
  assert.ok((await docker.getImage(`slipway/${app}:1`).inspect()).Id);
  assert.ok(logs.some((l) => /cached layer was removed during the build .*building again/.test(l)));
});

engineTest('it is built once more only once: a second such failure is a build-error', async () => {
  failuresLeft = 2;
  builds = 0;
  const error = await buildArtifact(context([]), new Docker({ socketPath: socket })).catch((e: unknown) => e);
  assert.is(builds, 2);
  assert.is((error as { code?: string }).code, 'BUILD_FAILED');
  assert.match((error as Error).message, /unknown parent image ID/);
});

engineTest('other build failures are not retried', async () => {
  failuresLeft = 0;
  builds = 0;
  const ctx = context([]);
  writeFileSync(join((ctx.config as { dir: string }).dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN exit 3\n`);
  const error = await buildArtifact(ctx, new Docker({ socketPath: socket })).catch((e: unknown) => e);
  assert.is(builds, 1);
  assert.is((error as { code?: string }).code, 'BUILD_FAILED');
});

test.run();
