import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CLOSE,
  forwardRequestHead,
  forwardResponseHead,
  KEEP_OPEN,
  KEEP_OPEN_HTTP10,
  responseHeadUnchanged,
  UPGRADE_101,
} from '../lib/router/forward-heads.js';
import {
  CHUNKED_BODY,
  CLOSE_BODY,
  CONNECT,
  GET,
  HEAD,
  HEAD_TOO_LARGE,
  INCOMPLETE,
  LENGTH_BODY,
  NO_BODY,
  OTHER_METHOD,
  parseRequestHead,
  parseResponseHead,
  RequestHead,
  type ResponseHead,
} from '../lib/router/http-head.js';

const LIMIT = 64 * 1024;

function request(text: string): RequestHead {
  const head = parseRequestHead(Buffer.from(text, 'latin1'), LIMIT);
  if (head === INCOMPLETE || typeof head === 'string') throw new Error(`expected a head, got ${String(head)}`);
  return head;
}

function requestError(text: string): string | null {
  const head = parseRequestHead(Buffer.from(text, 'latin1'), LIMIT);
  return head instanceof RequestHead ? 'parsed' : head;
}

function response(text: string, headRequest = false): ResponseHead {
  const head = parseResponseHead(Buffer.from(text, 'latin1'), LIMIT, headRequest);
  if (head === INCOMPLETE || typeof head === 'string') throw new Error(`expected a head, got ${String(head)}`);
  return head;
}

test('parses the request line, fields in order and case, and where the head ends', () => {
  const text =
    'POST /a/b?c=d HTTP/1.1\r\nHost: example.test\r\nX-Mixed-Case:  padded value \t\r\nContent-Length: 3\r\n\r\nabc';
  const head = request(text);
  assert.is(head.method, 'POST');
  assert.is(head.target, '/a/b?c=d');
  assert.is(head.minor, 1);
  assert.is(head.host, 'example.test');
  assert.equal(head.fields(), [
    ['Host', 'example.test'],
    ['X-Mixed-Case', 'padded value'],
    ['Content-Length', '3'],
  ]);
  assert.is(head.end, text.length - 3);
  assert.is(head.framing, LENGTH_BODY);
  assert.is(head.length, 3);
  assert.ok(head.keepAlive);
});

test('method codes are exact and case-sensitive', () => {
  assert.is(request('GET / HTTP/1.1\r\nHost: h\r\n\r\n').methodCode, GET);
  assert.is(request('HEAD / HTTP/1.1\r\nHost: h\r\n\r\n').methodCode, HEAD);
  assert.is(request('CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n').methodCode, CONNECT);
  assert.is(requestError('get / HTTP/1.1\r\nHost: h\r\n\r\n'), 'unknown method');
  assert.is(request('PURGE / HTTP/1.1\r\nHost: h\r\n\r\n').methodCode, OTHER_METHOD);
});

test('methods and targets are refused where a strict parser refuses them', () => {
  for (const method of ['PROPFIND', 'M-SEARCH', 'QUERY', 'PATCH']) {
    assert.is(request(`${method} / HTTP/1.1\r\nHost: h\r\n\r\n`).method, method);
  }
  for (const target of ['/a?b=c', '*', 'http://h/x', 'HTTPS://h:8/y?z', '//h/x', "/@:!$&'()*+,;=~%zz"]) {
    assert.is(request(`OPTIONS ${target} HTTP/1.1\r\nHost: h\r\n\r\n`).target, target);
  }
  assert.is(request('CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n').target, 'h:443');
  const refused: Array<[string, string]> = [
    ['FOO / HTTP/1.1\r\nHost: h\r\n\r\n', 'unknown method'],
    ['G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 'malformed request line'],
    ['GET a HTTP/1.1\r\nHost: h\r\n\r\n', 'malformed request target'],
    ['GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n', 'malformed request target'],
    ['GET *x HTTP/1.1\r\nHost: h\r\n\r\n', 'malformed request target'],
    ['GET ht-tp://h/ HTTP/1.1\r\nHost: h\r\n\r\n', 'malformed request target'],
    ['GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n', 'malformed request line'],
    ['GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n', 'malformed request line'],
    ['GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n', 'invalid character in head'],
  ];
  for (const [text, error] of refused) assert.is(requestError(text), error, JSON.stringify(text));
});

test('Content-Length with optional whitespace is accepted and forwarded as `Content-Length: N`', () => {
  for (const field of ['Content-Length:\t42\t', 'Content-Length:42', 'Content-Length:  42 ']) {
    const head = request(`POST / HTTP/1.1\r\nHost: h\r\n${field}\r\nX-After: 1\r\n\r\n`);
    assert.is(head.length, 42, field);
    assert.is(
      forwardRequestHead(head, '127.0.0.1').toString('latin1'),
      'POST / HTTP/1.1\r\nHost: h\r\nX-After: 1\r\nContent-Length: 42\r\n' +
        'X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n\r\n',
      field,
    );
  }
  // The usual form is copied as it is.
  const plain = request('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n');
  assert.match(
    forwardRequestHead(plain, '1.1.1.1').toString('latin1'),
    /^POST \/ HTTP\/1\.1\r\nHost: h\r\nContent-Length: 42\r\n/,
  );
});

test('a request’s Transfer-Encoding is forwarded as one normalised line; a client X-Forwarded-Port is dropped', () => {
  const head = request(
    'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip ,\r\nX-Forwarded-Port: 443\r\nTransfer-Encoding:\tChunked\t\r\n\r\n',
  );
  assert.is(head.framing, CHUNKED_BODY);
  assert.is(
    forwardRequestHead(head, '127.0.0.1').toString('latin1'),
    'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n' +
      'X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n\r\n',
  );
  for (const te of ['xchunked', 'chunked, identity', '"chunked"', 'a b, chunked', ',', 'chunked;q=1']) {
    assert.is(
      requestError(`POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ${te}\r\n\r\n`),
      'unsupported transfer-encoding',
      te,
    );
  }
});

test('reports an incomplete head until the empty line arrives, and a too large one past the limit', () => {
  assert.is(parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n'), LIMIT), INCOMPLETE);
  assert.is(parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: h\r\n\r'), LIMIT), INCOMPLETE);
  assert.is(parseRequestHead(Buffer.from('GET / HTT'), LIMIT), INCOMPLETE);
  const big = Buffer.from(`GET / HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(200)}\r\n\r\n`);
  assert.is(parseRequestHead(big, 100), HEAD_TOO_LARGE);
  assert.instance(parseRequestHead(big, big.length), RequestHead);
});

test('framing and persistence of requests', () => {
  const chunked = request('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n');
  assert.is(chunked.framing, CHUNKED_BODY);
  assert.is(request('GET / HTTP/1.1\r\nHost: h\r\n\r\n').framing, NO_BODY);
  assert.is(request('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n').framing, NO_BODY);
  assert.not.ok(request('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n').keepAlive);
  assert.not.ok(request('GET / HTTP/1.0\r\n\r\n').keepAlive);
  assert.ok(request('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').keepAlive);
  assert.ok(request('GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n').upgrade);
  assert.not.ok(request('GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n').upgrade);
  const listed = request('GET / HTTP/1.1\r\nHost: h\r\nConnection: close, X-A ,x-b\r\n\r\n');
  assert.not.ok(listed.keepAlive);
  assert.equal(listed.connectionOptions, ['x-a', 'x-b']);
});

test('refuses heads that peers could frame differently', () => {
  const refused: Array<[string, string]> = [
    ['GET / HTTP/1.1\r\n\r\n', 'missing host'],
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'duplicate host'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n', 'duplicate content-length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n', 'invalid content-length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n', 'invalid content-length'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456\r\n\r\n', 'invalid content-length'],
    [
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
      'both transfer-encoding and content-length',
    ],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'unsupported transfer-encoding'],
    [
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
      'unsupported transfer-encoding',
    ],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 'transfer-encoding in an HTTP/1.0 request'],
    ['GET / HTTP/1.1\r\nHost : h\r\n\r\n', 'malformed header line'],
    ['GET / HTTP/1.1\r\nHost: h\r\n X: folded\r\n\r\n', 'malformed header line'],
    ['GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n', 'malformed header line'],
    ['GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n', 'invalid character in header value'],
    ['GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n', 'invalid line ending'],
    ['GET / HTTP/1.1\r\nHost: h\0\r\n\r\n', 'invalid character in header value'],
    ['GET  / HTTP/1.1\r\nHost: h\r\n\r\n', 'malformed request line'],
    ['GET / HTTP/1.2\r\nHost: h\r\n\r\n', 'malformed request line'],
    ['GET / HTTP/1.1 \r\nHost: h\r\n\r\n', 'malformed request line'],
    ['GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n', 'invalid character in head'],
  ];
  for (const [text, error] of refused) assert.is(requestError(text), error, JSON.stringify(text));
});

test('response framing follows RFC 9112 §6.3', () => {
  assert.is(response('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n').framing, LENGTH_BODY);
  assert.is(response('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', true).framing, NO_BODY);
  assert.is(response('HTTP/1.1 204 No Content\r\n\r\n').framing, NO_BODY);
  assert.is(response('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n').framing, NO_BODY);
  assert.is(response('HTTP/1.1 100 Continue\r\n\r\n').framing, NO_BODY);
  assert.is(
    response('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n').framing,
    CHUNKED_BODY,
  );
  assert.is(response('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n').framing, CLOSE_BODY);
  const close = response('HTTP/1.1 200 OK\r\n\r\n');
  assert.is(close.framing, CLOSE_BODY);
  assert.not.ok(close.keepAlive);
  assert.is(response('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n').status, 500);
  assert.not.ok(response('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n').keepAlive);
  assert.ok(response('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n').keepAlive);
  assert.not.ok(response('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n').keepAlive);
  assert.is(response('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n').status, 200);
  for (const bad of [
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 2000 OK\r\n\r\n',
    'HTTP/2 200 OK\r\n\r\n',
    'ICY 200 OK\r\n\r\n',
  ]) {
    assert.type(parseResponseHead(Buffer.from(bad), LIMIT, false), 'string', bad);
  }
});

test('the forwarded request head drops hop-by-hop fields and adds X-Forwarded-*', () => {
  const head = request(
    'GET /x HTTP/1.1\r\nHost: shop.test\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 5\r\n' +
      'Accept: */*\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\nTE: trailers\r\nX-Forwarded-For: 10.0.0.2\r\n' +
      'X-Forwarded-Host: evil\r\nUser-Agent: t\r\n\r\n',
  );
  assert.is(
    forwardRequestHead(head, '127.0.0.1').toString('latin1'),
    'GET /x HTTP/1.1\r\nHost: shop.test\r\nAccept: */*\r\nUser-Agent: t\r\n' +
      'X-Forwarded-For: 10.0.0.1, 10.0.0.2, 127.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: shop.test\r\n\r\n',
  );
});

test('the forwarded request head keeps Upgrade for upgrades and asks HTTP/1.0 upstreams for keep-alive', () => {
  const upgrade = request(
    'GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\n\r\n',
  );
  assert.is(
    forwardRequestHead(upgrade, '::1').toString('latin1'),
    'GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n' +
      'X-Forwarded-For: ::1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\nConnection: upgrade\r\n\r\n',
  );
  const old = request('GET / HTTP/1.0\r\n\r\n');
  assert.is(
    forwardRequestHead(old, '1.2.3.4').toString('latin1'),
    'GET / HTTP/1.0\r\nX-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Proto: http\r\nConnection: keep-alive\r\n\r\n',
  );
});

test('a head reused for the next request carries nothing over', () => {
  const into = new RequestHead();
  const first = parseRequestHead(
    Buffer.from(
      'POST /1 HTTP/1.1\r\nHost: a\r\nConnection: close, X-A\r\nContent-Length: 2\r\nX-A: 1\r\nUpgrade: x\r\n\r\n',
    ),
    LIMIT,
    into,
  );
  assert.is(first, into);
  const second = parseRequestHead(Buffer.from('GET /2 HTTP/1.1\r\nHost: b\r\n\r\n'), LIMIT, into) as RequestHead;
  assert.is(second, into);
  assert.is(second.target, '/2');
  assert.is(second.framing, NO_BODY);
  assert.ok(second.keepAlive);
  assert.is(second.connectionOptions, null);
  assert.not.ok(second.hasUpgrade);
  assert.equal(second.fields(), [['Host', 'b']]);
  assert.is(
    forwardRequestHead(second, '1.1.1.1').toString('latin1'),
    'GET /2 HTTP/1.1\r\nHost: b\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: b\r\n\r\n',
  );
});

test('the forwarded response head replaces hop-by-hop fields with this hop’s Connection', () => {
  const text =
    'HTTP/1.1 200 OK\r\nDate: d\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\n';
  const head = response(text);
  const body = Buffer.from('ok');
  assert.is(
    forwardResponseHead(head, KEEP_OPEN, body).toString('latin1'),
    'HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 2\r\n\r\nok',
  );
  assert.is(
    forwardResponseHead(head, CLOSE, null).toString('latin1'),
    'HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 2\r\nConnection: close\r\n\r\n',
  );
  assert.is(
    forwardResponseHead(head, KEEP_OPEN_HTTP10, null).toString('latin1'),
    'HTTP/1.1 200 OK\r\nDate: d\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n',
  );
  assert.not.ok(responseHeadUnchanged(head, KEEP_OPEN));
});

test('a response head with nothing to change is recognised, so it can be relayed as received', () => {
  const head = response('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n');
  assert.ok(responseHeadUnchanged(head, KEEP_OPEN));
  assert.not.ok(responseHeadUnchanged(head, CLOSE));
  assert.not.ok(responseHeadUnchanged(head, KEEP_OPEN_HTTP10));
});

test('chunked responses lose a conflicting Content-Length; 101 keeps Upgrade', () => {
  const chunked = response('HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.is(
    forwardResponseHead(chunked, KEEP_OPEN, null).toString('latin1'),
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
  const switching = response('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  assert.is(
    forwardResponseHead(switching, UPGRADE_101, null).toString('latin1'),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n',
  );
});

test.run();
