// The core reaches slipway's own plugins and Heroku mode only through its
// registry: nothing by a built-in name loads until the composing program
// (the CLI, or a library user through the package's exports) registers them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerEnv } from '../lib/core/container-env.js';
import type { DeploymentContext } from '../lib/core/context.js';
import { isSlipwayError } from '../lib/core/errors.js';
import { loadPlugin } from '../lib/core/plugins.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-registry-'));
const ctx = { app: 'shop', appId: 'id1', release: 3, version: 'rev', mode: 'heroku', startedAt: new Date(0) };

test('before registration: a built-in name is not found, heroku mode adds no dyno metadata', async () => {
  const error = await loadPlugin(['slack', { webhookUrl: 'https://hooks.slack.com/services/T/B/x' }], 0, dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isSlipwayError(error));
  assert.is(error.code, 'PLUGIN_NOT_FOUND');
  assert.is(containerEnv(ctx as DeploymentContext, 'web-1', 1024).DYNO, undefined);
});

test("after registering through the package's exports: built-ins load by name, heroku mode sets DYNO", async () => {
  // The compiled package (dist/), as a library user imports it: its registry is the same one.
  const { registerBuiltinPlugins } = await import('slipway/plugins');
  const { registerHerokuMode } = await import('slipway/heroku');
  registerBuiltinPlugins();
  registerHerokuMode();
  const plugin = await loadPlugin(['slack', { webhookUrl: 'https://hooks.slack.com/services/T/B/x' }], 0, dir);
  assert.is(plugin.name, 'slack');
  assert.is(containerEnv(ctx as DeploymentContext, 'web-1', 1024).DYNO, 'web.1');
});

test.run();
