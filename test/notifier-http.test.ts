import { delay, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SlipwayError } from '../lib/core/errors.js';
import { type FetchPolicy, notifyFetch } from '../lib/notifier/http.js';
import { backoffDelay, MAX_BACKOFF_MS, parseRetryAfter } from '../lib/notifier/retry.js';

const URL = 'https://vendor.test/api/marker';
const server = setupServer();
server.listen({ onUnhandledRequest: 'error' });
test.after.each(() => server.resetHandlers());
test.after(() => server.close());

/** Answers in order; the last answer repeats. Counts the calls. */
function answers(...responses: Array<() => Response | Promise<Response>>) {
  const calls: Request[] = [];
  server.use(
    http.post(URL, ({ request }) => {
      calls.push(request);
      return responses[Math.min(calls.length, responses.length) - 1]();
    }),
  );
  return calls;
}

function policy(extra: Partial<FetchPolicy> = {}): FetchPolicy & { slept: number[] } {
  const slept: number[] = [];
  return {
    timeout: 2000,
    attempts: 5,
    retryDelay: 1,
    label: 'vendor',
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    ...extra,
    slept,
  };
}

async function failure(promise: Promise<unknown>): Promise<SlipwayError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a failure');
}

test('a 5xx is retried and the 200 after it ends the call', async () => {
  const calls = answers(
    () => new HttpResponse('upstream down', { status: 503 }),
    () => HttpResponse.json({ id: 7 }),
  );
  const res = await notifyFetch({ method: 'POST', url: URL, json: { a: 1 } }, policy());
  assert.is(calls.length, 2);
  assert.equal(res.body, { id: 7 });
});

test('a 400 is final: one call, and the vendor body is in the message', async () => {
  const calls = answers(() => HttpResponse.json({ message: 'revision is required' }, { status: 400 }));
  const error = await failure(notifyFetch({ method: 'POST', url: URL, json: {} }, policy()));
  assert.is(calls.length, 1);
  assert.is(error.code, 'NOTIFY_FAILED');
  assert.match(error.message, `vendor: POST ${URL} failed: HTTP 400`);
  assert.match(error.message, '{"message":"revision is required"}');
});

test('a 2xx is never repeated, even one a vendor rule rejects', async () => {
  const calls = answers(() => HttpResponse.json({ accepted: false }, { status: 202 }));
  const error = await failure(
    notifyFetch(
      {
        method: 'POST',
        url: URL,
        judge: (r) => (r.status === 200 ? undefined : { ok: false, retry: false, reason: `answered ${r.status}` }),
      },
      policy(),
    ),
  );
  assert.is(calls.length, 1);
  assert.match(error.message, 'answered 202');
});

test('429 waits the Retry-After seconds, not the backoff', async () => {
  const calls = answers(
    () => new HttpResponse('slow down', { status: 429, headers: { 'Retry-After': '2' } }),
    () => HttpResponse.json({ ok: true }),
  );
  const p = policy({ retryDelay: 1 });
  await notifyFetch({ method: 'POST', url: URL }, p);
  assert.is(calls.length, 2);
  assert.equal(p.slept, [2000]);
});

test('Retry-After as an HTTP date is honoured', async () => {
  const when = new Date(Date.now() + 20_000).toUTCString();
  const calls = answers(
    () => new HttpResponse(null, { status: 503, headers: { 'Retry-After': when } }),
    () => HttpResponse.json({}),
  );
  const p = policy();
  await notifyFetch({ method: 'POST', url: URL }, p);
  assert.is(calls.length, 2);
  assert.ok(p.slept[0] > 10_000 && p.slept[0] <= 20_000, `slept ${p.slept[0]}`);
});

test('a Retry-After longer than slipway waits fails at once with the reason', async () => {
  const calls = answers(() => new HttpResponse('quota', { status: 429, headers: { 'Retry-After': '3600' } }));
  const p = policy();
  const error = await failure(notifyFetch({ method: 'POST', url: URL }, p));
  assert.is(calls.length, 1);
  assert.equal(p.slept, []);
  assert.match(error.message, 'HTTP 429');
  assert.match(error.message, 'asked to wait 1h');
});

test('attempts are capped: 5 by default, then the last answer is reported', async () => {
  const calls = answers(() => new HttpResponse('still down', { status: 500 }));
  const p = policy();
  const error = await failure(notifyFetch({ method: 'POST', url: URL }, p));
  assert.is(calls.length, 5);
  assert.is(p.slept.length, 4);
  assert.match(error.message, 'after 5 attempts');
  assert.match(error.message, 'still down');
});

test('network errors are retried', async () => {
  const calls = answers(
    () => HttpResponse.error(),
    () => HttpResponse.json({ ok: 1 }),
  );
  await notifyFetch({ method: 'POST', url: URL }, policy());
  assert.is(calls.length, 2);
});

test('a request that does not answer in time is cut off and reported', async () => {
  const calls = answers(async () => {
    await delay('infinite');
    return HttpResponse.json({});
  });
  const error = await failure(notifyFetch({ method: 'POST', url: URL }, policy({ timeout: 50, attempts: 2 })));
  assert.is(calls.length, 2);
  assert.match(error.message, 'no answer within 50ms');
});

test('long error bodies are cut, saying how much is left out', async () => {
  answers(() => new HttpResponse(`<html>${'x'.repeat(5000)}</html>`, { status: 403 }));
  const error = await failure(notifyFetch({ method: 'POST', url: URL }, policy()));
  assert.ok(error.message.length < 600, `message is ${error.message.length} characters`);
  assert.match(error.message, /more characters\)$/);
});

test('messages go through the mask', async () => {
  answers(() => HttpResponse.json({ error: 'bad key tok-123456' }, { status: 401 }));
  const error = await failure(
    notifyFetch({ method: 'POST', url: URL }, policy({ mask: (t) => t.replaceAll('tok-123456', '••••') })),
  );
  assert.not.match(error.message, 'tok-123456');
  assert.match(error.message, 'bad key ••••');
});

test('JSON bodies are sent with their content type; raw bodies byte for byte', async () => {
  const seen: Array<{ type: string | null; body: string }> = [];
  server.use(
    http.post(URL, async ({ request }) => {
      seen.push({ type: request.headers.get('content-type'), body: await request.text() });
      return HttpResponse.json({});
    }),
  );
  await notifyFetch({ method: 'POST', url: URL, json: { b: 'é' } }, policy());
  await notifyFetch(
    { method: 'POST', url: URL, body: '{ "raw":1 }', headers: { 'content-type': 'application/json' } },
    policy(),
  );
  assert.equal(seen, [
    { type: 'application/json', body: '{"b":"é"}' },
    { type: 'application/json', body: '{ "raw":1 }' },
  ]);
});

test('a redirect is not followed: the target is named', async () => {
  const calls = answers(() => new HttpResponse(null, { status: 301, headers: { Location: 'https://other.test/' } }));
  const error = await failure(notifyFetch({ method: 'POST', url: URL }, policy()));
  assert.is(calls.length, 1);
  assert.match(error.message, 'redirected to https://other.test/');
});

test('backoff doubles per attempt, is capped, and jitters within the upper half', () => {
  assert.is(
    backoffDelay(1, 100, () => 0),
    50,
  );
  assert.is(
    backoffDelay(1, 100, () => 1),
    100,
  );
  assert.is(
    backoffDelay(3, 100, () => 1),
    400,
  );
  assert.is(
    backoffDelay(30, 100, () => 1),
    MAX_BACKOFF_MS,
  );
  assert.is(
    backoffDelay(30, 100, () => 0),
    MAX_BACKOFF_MS / 2,
  );
});

test('Retry-After parses seconds and dates, ignores junk', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.is(parseRetryAfter('3', now), 3000);
  assert.is(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now), 10_000);
  assert.is(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
  assert.is(parseRetryAfter('soon', now), undefined);
  assert.is(parseRetryAfter(null, now), undefined);
});

test.run();
