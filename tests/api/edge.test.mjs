// edge.test.mjs -- the answers nginx makes itself on /api/ (a request it
// cannot parse, a body over its limit, the rate limit, refundd down or
// silent) are problem+json with a stable code and the request id, like
// refundd's own. 502 and 504 come from a second nginx rendered from the
// same conf/nginx.conf (scripts/lib.sh nginx_start) whose refundd socket is
// missing or never answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, chmodSync, rmSync, readFileSync } from 'node:fs';
import { api, assertServerProblem, BASE, RUNDIR, token, uid, sleep } from './lib.mjs';

const LIB = new URL('../../scripts/lib.sh', import.meta.url).pathname;

// The problem nginx wrote, from a fetch answer or a raw one.
async function assertNginxProblem(res, status, code) {
  const text = typeof res.text === 'function' ? await res.text() : res.text;
  const contentType = res.headers.get ? res.headers.get('content-type') : res.headers['content-type'];
  return assertServerProblem(assert, { status: res.status, contentType, text }, status, code);
}

// A raw request, for what fetch will not send (a %00 in the path).
function rawRequest(port, text) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(text));
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('end', () => {
      const [head, ...body] = data.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
      }));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: body.join('\r\n\r\n') });
    });
    s.on('error', reject);
  });
}

const PORT = Number(new URL(BASE).port);

test('400 bad_request for a request nginx cannot parse, with the given or its own request id', async () => {
  // A path with %00 fails on the request line, before any header is read:
  // the id is nginx's own.
  const r = await rawRequest(PORT, 'GET /api/v1/me%00 HTTP/1.1\r\nHost: x\r\nX-Request-Id: edge-400-a\r\nConnection: close\r\n\r\n');
  const p = await assertNginxProblem(r, 400, 'bad_request');
  assert.match(p.request_id, /^[0-9a-f]{32}$/);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', 'security headers kept');
  // A second Host header fails after the headers before it were read: a
  // sane X-Request-Id is echoed, one that would leave the JSON string is not.
  const dup = (id) => rawRequest(PORT, `GET /api/v1/me HTTP/1.1\r\nX-Request-Id: ${id}\r\nHost: x\r\nHost: y\r\nConnection: close\r\n\r\n`);
  const given = await assertNginxProblem(await dup('edge-400-b'), 400, 'bad_request');
  assert.equal(given.request_id, 'edge-400-b');
  const hostile = await assertNginxProblem(await dup('a","code":"x'), 400, 'bad_request');
  assert.match(hostile.request_id, /^[0-9a-f]{32}$/);
  // A header line beyond nginx's buffers (a pasted 9 KB token): 494 inside
  // nginx, sent as 400, shaped like the rest.
  const huge = await rawRequest(PORT, `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(9000)}\r\nConnection: close\r\n\r\n`);
  await assertNginxProblem(huge, 400, 'bad_request');
});

// What nginx refuses after it chose a location, and what it refuses for
// any location, is problem+json too (regression: a location's own
// error_page lines dropped the server's 400, and 405, 414, 501 and 505 had
// none: nginx's HTML page under /api/).
test('nginx\'s other refusals on /api/ are problem+json: a broken chunked body, 405, 414, 501, 505', async () => {
  const tok = token(`edge-${uid()}`, 'customer');
  const chunked = (path) => rawRequest(PORT, `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tok}\r\n`
    + 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n');
  // /api/ and each of its nested locations (their own error_page lines).
  for (const path of ['/api/v1/refunds', '/api/v1/refunds/1/attachments?name=a.png',
    '/api/v1/provider-claims/statements?provider=aliyun', '/api/v1/payouts']) {
    await assertNginxProblem(await chunked(path), 400, 'bad_request');
  }
  const long = await rawRequest(PORT, `GET /api/v1/orders?x=${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  await assertNginxProblem(long, 414, 'uri_too_long');
  const gzip = await rawRequest(PORT, 'POST /api/v1/refunds HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n');
  await assertNginxProblem(gzip, 501, 'not_implemented');
  const version = await rawRequest(PORT, 'GET /api/v1/me HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n');
  await assertNginxProblem(version, 505, 'http_version_not_supported');
  const trace = await rawRequest(PORT, 'TRACE /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await assertNginxProblem(trace, 405, 'method_not_allowed');
  assert.equal(trace.headers['x-content-type-options'], 'nosniff', 'security headers kept');
  // refundd's own 405 still passes untouched.
  const own = await api('DELETE', '/api/v1/me', { tok });
  assert.equal(own.status, 405);
  assert.equal(own.json.code, 'method_not_allowed');
});

test('413 body_too_large from nginx; refundd\'s own answers pass untouched', async () => {
  const r = await fetch(BASE + '/api/v1/me', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: 'x'.repeat(70 * 1024) });
  await assertNginxProblem(r, 413, 'body_too_large');
  const own = await api('GET', '/api/v1/no-such-route');
  assert.equal(own.status, 404);
  assert.equal(own.json.code, 'not_found', 'refundd\'s problem, not replaced by nginx');
});

test('429 rate_limited from nginx past the limit', async () => {
  const results = await Promise.all(Array.from({ length: 900 }, () =>
    fetch(BASE + '/api/v1/no-such-route').then(async (r) => ({ r, text: await r.text() }))));
  const limited = results.filter(({ r }) => r.status === 429);
  assert.ok(limited.length > 0, 'some requests were limited');
  for (const { r, text } of limited.slice(0, 20))
    await assertNginxProblem({ status: r.status, headers: r.headers, text }, 429, 'rate_limited');
  await sleep(2500);
  assert.equal((await api('GET', '/api/v1/health')).status, 200);
});

// A second nginx in a folder of its own, rendered by nginx_start; its
// refundd socket is whatever the test puts at run/refundd.sock.
function startSecondNginx(timeout, upstream) {
  const rd = mkdtempSync('/tmp/refundd-edge-');
  chmodSync(rd, 0o755);
  mkdirSync(`${rd}/run`, { mode: 0o755 });
  chmodSync(`${rd}/run`, 0o755);
  const port = Number(execFileSync('bash', [LIB, 'free_port']).toString().trim());
  execFileSync('bash', [LIB, 'nginx_start', rd, String(port)],
    { env: { ...process.env, REFUNDD_API_TIMEOUT: timeout, ...(upstream ? { REFUNDD_UPSTREAM: upstream(rd) } : {}) },
      stdio: 'inherit' });
  return { rd, url: `http://127.0.0.1:${port}`,
    stop: () => { execFileSync('bash', [LIB, 'nginx_stop', rd]); rmSync(rd, { recursive: true, force: true }); } };
}

test('502 upstream_unavailable while refundd is not there; 504 upstream_timeout when it never answers', async () => {
  const edge = startSecondNginx('1s');
  let silent;
  try {
    const down = await fetch(`${edge.url}/api/v1/health`, { headers: { 'X-Request-Id': 'edge-502' } });
    const p = await assertNginxProblem(down, 502, 'upstream_unavailable');
    assert.equal(p.request_id, 'edge-502');
    assert.equal(down.headers.get('x-content-type-options'), 'nosniff');

    // Something that accepts the FastCGI connection and never answers.
    const held = [];
    silent = net.createServer((c) => held.push(c));
    await new Promise((r) => silent.listen(`${edge.rd}/run/refundd.sock`, r));
    chmodSync(`${edge.rd}/run/refundd.sock`, 0o777);
    const started = Date.now();
    const slow = await fetch(`${edge.url}/api/v1/refunds`, { method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'edge-504' }, body: '{}' });
    await assertNginxProblem(slow, 504, 'upstream_timeout');
    assert.ok(Date.now() - started >= 900, 'nginx waited for its read timeout');
    held.forEach((c) => c.destroy());
    // Static pages are not problem-shaped: only /api/ is.
    const page = await fetch(`${edge.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
  } finally {
    if (silent) silent.close();
    edge.stop();
  }
});

/* Two instances behind one nginx, the first of which accepts the FastCGI
 * connection and never answers. A read that timed out there is sent again
 * to refundd (fastcgi_next_upstream); GET /api/v1/payouts, whose CSV export
 * marks what it exports as sent, never is: it answers 504 and refundd never
 * sees it. Which instance a request meets is nginx's round robin: a fresh
 * nginx sends each worker's first request to the first server listed, the
 * silent one (each kind gets a fresh nginx, and a few tries in case).
 * A request is told apart in both places by its X-Request-Id. */
test('a read that timed out is retried on the other instance; the payout export never is', async () => {
  const refunddSaw = (rid) => readFileSync(`${RUNDIR}/refundd.log`, 'utf8').includes(`"${rid}"`);
  const finance = token(`edge-fin-${uid()}`, 'finance');
  const kinds = {
    read: { path: '/api/v1/health', headers: {} },
    export: { path: '/api/v1/payouts?status=sent', headers: { Authorization: `Bearer ${finance}`, Accept: 'text/csv' } },
  };
  for (const [kind, { path, headers }] of Object.entries(kinds)) {
    const held = [];
    let seen = '';
    const silent = net.createServer((c) => { held.push(c); c.on('data', (d) => { seen += d.toString('latin1'); }); });
    const edge = startSecondNginx('1s', (rd) => `unix:${rd}/run/silent.sock,unix:${RUNDIR}/run/refundd.sock`);
    try {
      await new Promise((r) => silent.listen(`${edge.rd}/run/silent.sock`, r));
      chmodSync(`${edge.rd}/run/silent.sock`, 0o777);
      let metSilent = false;
      for (let i = 0; i < 6 && !metSilent; i++) {
        const rid = `edge-${kind}-${uid()}-${i}`;
        const res = await fetch(edge.url + path, { headers: { ...headers, 'X-Request-Id': rid } });
        const body = await res.text();
        metSilent = seen.includes(rid);
        if (metSilent && kind === 'export') {
          await assertNginxProblem({ status: res.status, headers: res.headers, text: body }, 504, 'upstream_timeout');
          assert.ok(!refunddSaw(rid), 'the export was not sent on to refundd');
        } else {
          assert.equal(res.status, 200, `${kind} ${rid}: ${body.slice(0, 200)}`);
          for (let w = 0; w < 40 && !refunddSaw(rid); w++) await sleep(50);
          assert.ok(refunddSaw(rid), `${kind} ${rid} reached refundd`);
        }
      }
      assert.ok(metSilent, `no ${kind} request met the silent instance in 6 tries`);
    } finally {
      held.forEach((c) => c.destroy());
      silent.close();
      edge.stop();
    }
  }
});
