// instanceof across copies of a module: the bundled CLI's parts and a plugin's
// own `slipway` each hold a copy of SlipwayError, ConfigSyntaxError and
// AgentClient. Here the copies are the sources (run through tsx) and the
// compiled dist/lib (built before the tests run): two module instances.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as compiledSyntax from '../dist/lib/config/syntax-error.js';
import * as compiledClient from '../dist/lib/control/client.js';
import * as compiledErrors from '../dist/lib/core/errors.js';
import { ConfigSyntaxError } from '../lib/config/syntax-error.js';
import { AgentClient } from '../lib/control/client.js';
import { SlipwayError, toSlipwayError } from '../lib/core/errors.js';

test('the copies are distinct classes', () => {
  assert.is.not(compiledErrors.SlipwayError as unknown, SlipwayError);
  assert.is.not(compiledClient.AgentClient as unknown, AgentClient);
});

test('a SlipwayError from another copy is a SlipwayError, and keeps its code through toSlipwayError', () => {
  const other = new compiledErrors.SlipwayError('PLUGIN_OPTIONS', 'greeting: required');
  assert.ok(other instanceof SlipwayError);
  const kept = toSlipwayError(other);
  assert.is(kept, other);
  assert.is(kept.code, 'PLUGIN_OPTIONS');
  // And the other way round.
  assert.ok(new SlipwayError('INTERNAL', 'x') instanceof compiledErrors.SlipwayError);
});

test('other errors are not SlipwayErrors, nor is a plain object', () => {
  assert.not.ok(new Error('x') instanceof SlipwayError);
  assert.not.ok(new ConfigSyntaxError('bad', 1, 2) instanceof SlipwayError);
  assert.not.ok({ code: 'INTERNAL', message: 'x' } instanceof SlipwayError);
  assert.not.ok((null as unknown as object) instanceof SlipwayError);
  assert.is(toSlipwayError(new Error('boom')).code, 'INTERNAL');
});

test('ConfigSyntaxError and AgentClient hold across copies too', () => {
  assert.ok(new compiledSyntax.ConfigSyntaxError('bad', 3, 1) instanceof ConfigSyntaxError);
  assert.not.ok(new SlipwayError('INTERNAL', 'x') instanceof ConfigSyntaxError);
  const client = new compiledClient.AgentClient();
  assert.ok(client instanceof AgentClient);
  assert.not.ok({ paths: {} } instanceof AgentClient);
});

test.run();
