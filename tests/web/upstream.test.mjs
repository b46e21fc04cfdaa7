// upstream.test.mjs -- the errors the web server makes itself when refundd is
// not there (502/503 upstream_unavailable) or never answers (504
// upstream_timeout), for REFUNDD_WEB_SERVER (apache or lighttpd): a second
// server of that kind, started by scripts/lib.sh in a folder of its own whose
// refundd socket is missing, then held by something that accepts the
// FastCGI connection and stays silent. Also the 413 and 429 problems and a
// hostile request id through the server under test (REFUNDD_URL).
// tests/web/run.sh runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, chmodSync, rmSync } from 'node:fs';
import { assertServerProblem } from '../api/lib.mjs';

const BASE = process.env.REFUNDD_URL;
const RUNDIR = process.env.REFUNDD_RUNDIR;
const SERVER = process.env.REFUNDD_WEB_SERVER;
if (!BASE || !RUNDIR || !['apache', 'lighttpd'].includes(SERVER))
  throw new Error('run through tests/web/run.sh (REFUNDD_URL, REFUNDD_RUNDIR, REFUNDD_WEB_SERVER)');
const LIB = new URL('../../scripts/lib.sh', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A problem the web server wrote: shape, code, and a request id refundd
// would accept.
async function assertProblem(res, status, code) {
  const text = await res.text();
  const p = assertServerProblem(assert, { status: res.status, contentType: res.headers.get('content-type'), text },
    status, code);
  assert.equal(res.headers.get('x-request-id'), p.request_id, 'the header names the same id');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', 'security headers kept');
  return p;
}

test(`${SERVER}: 413 body_too_large with a checked request id; refundd's own problems pass untouched`, async () => {
  const r = await fetch(BASE + '/api/v1/me', { method: 'POST', body: 'x'.repeat(70 * 1024),
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'a"b<x' } });
  const p = await assertProblem(r, 413, 'body_too_large');
  assert.match(p.request_id, /^[0-9a-f]{32}$/, 'a hostile id is replaced');
  const own = await fetch(BASE + '/api/v1/no-such-route', { headers: { 'X-Request-Id': 'web-own-404' } });
  const q = await assertProblem(own, 404, 'not_found');
  assert.equal(q.detail, 'no such resource');
  assert.equal(q.request_id, 'web-own-404');
});

// A raw request, for what fetch will not send.
function rawRequest(text) {
  const url = new URL(BASE);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(url.port), url.hostname, () => s.end(text));
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => {
      const [head, ...body] = data.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = new Map(lines.map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
      }));
      const text = body.join('\r\n\r\n');
      resolve({ status: Number(statusLine.split(' ')[1]), headers: { get: (k) => headers.get(k) ?? null },
        text: async () => text });
    });
    s.on('error', reject);
  });
}

// The refusals the server makes before refundd sees the request, as nginx
// answers them (tests/api/edge.test.mjs): problem+json, never its HTML
// page. A request the server could not read has no id of ours in its
// headers, only in the body.
async function assertRawProblem(res, statuses, codes) {
  assert.ok(statuses.includes(res.status), `status ${res.status}`);
  const p = assertServerProblem(assert, { status: res.status, contentType: res.headers.get('content-type'),
    text: await res.text() }, res.status, codes[statuses.indexOf(res.status)]);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', 'security headers kept');
  return p;
}

test(`${SERVER}: a broken chunked body, a long request line, an unknown Transfer-Encoding, TRACE and HTTP/2.0 are problems`, async () => {
  const chunked = await rawRequest('POST /api/v1/refunds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
    + 'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n');
  const p = await assertRawProblem(chunked, [400], ['bad_request']);
  assert.equal(chunked.headers.get('x-request-id'), p.request_id, 'read, so the header names the same id');
  const long = await rawRequest(`GET /api/v1/orders?x=${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await assertRawProblem(long, [414, 400], ['uri_too_long', 'bad_request']);
  const gzip = await rawRequest('POST /api/v1/refunds HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
  await assertRawProblem(gzip, [501, 400], ['not_implemented', 'bad_request']);
  const trace = await rawRequest('TRACE /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await assertRawProblem(trace, [405], ['method_not_allowed']);
  // Apache speaks to an HTTP/2.0 request line as to 1.1; refundd then asks for a token.
  const v2 = await rawRequest('GET /api/v1/me HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n');
  await assertRawProblem(v2, [505, 401], ['http_version_not_supported', 'invalid_token']);
});

test(`${SERVER}: 429 rate_limited past the limit, as a whole problem`, async () => {
  const results = await Promise.all(Array.from({ length: 900 }, () =>
    fetch(BASE + '/api/v1/no-such-route').then(async (r) => ({ r, text: await r.text() }))));
  const limited = results.filter(({ r }) => r.status === 429);
  assert.ok(limited.length > 0, 'some requests were limited');
  for (const { r, text } of limited.slice(0, 20))
    await assertProblem({ status: r.status, headers: r.headers, text: async () => text }, 429, 'rate_limited');
  await sleep(2500);
  assert.equal((await fetch(BASE + '/api/v1/health')).status, 200);
});

test(`${SERVER}: upstream_unavailable while refundd is not there; upstream_timeout when it never answers`, async () => {
  const rd = mkdtempSync('/tmp/refundd-web-');
  chmodSync(rd, 0o755);
  mkdirSync(`${rd}/run`, { mode: 0o755 });
  chmodSync(`${rd}/run`, 0o755);
  const port = Number(execFileSync('bash', [LIB, 'free_port']).toString().trim());
  const url = `http://127.0.0.1:${port}`;
  execFileSync('bash', [LIB, `${SERVER}_start`, rd, String(port)],
    { env: { ...process.env, REFUNDD_API_TIMEOUT: '1s' }, stdio: 'inherit' });
  let silent;
  try {
    let down;
    for (let i = 0; i < 50; i++) {   // until the server listens
      down = await fetch(`${url}/api/v1/health`, { headers: { 'X-Request-Id': 'web-down' } }).catch(() => null);
      if (down) break;
      await sleep(100);
    }
    assert.ok(down, 'the second server answers');
    assert.ok([502, 503].includes(down.status), `got ${down.status}`);
    const p = await assertProblem(down, down.status, 'upstream_unavailable');
    assert.equal(p.request_id, 'web-down');

    const held = [];
    silent = net.createServer((c) => held.push(c));
    await new Promise((r) => silent.listen(`${rd}/run/refundd.sock`, r));
    chmodSync(`${rd}/run/refundd.sock`, 0o777);
    // lighttpd leaves a backend that refused a connection out for its
    // "disable-time" (1 s, checked once a second): until it tries again it
    // answers 503 at once. 10 s at most.
    let slow, started;
    for (const until = Date.now() + 10000; ;) {
      started = Date.now();
      slow = await fetch(`${url}/api/v1/refunds`, { method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'web-504' }, body: '{}' });
      if (slow.status !== 503 || Date.now() - started >= 900 || Date.now() > until) break;
      await slow.text();
      await sleep(300);
    }
    await assertProblem(slow, 504, 'upstream_timeout');
    assert.ok(Date.now() - started >= 900, 'the server waited for its read timeout');
    held.forEach((c) => c.destroy());
    // Pages are not problem-shaped: only /api/ is.
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
  } finally {
    if (silent) silent.close();
    execFileSync('bash', [LIB, `${SERVER}_stop`, rd]);
    rmSync(rd, { recursive: true, force: true });
  }
});
