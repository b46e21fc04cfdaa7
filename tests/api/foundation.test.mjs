// foundation.test.mjs -- health, me, authentication refusals, routing,
// body limits, headers set by nginx, thread pinning and database outage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { api, assertProblem, token, signHS256, b64url, BASE, THREADS, RUNDIR, pgctl, sleep } from './lib.mjs';
import { routesFromC } from './sources.mjs';

test('health answers ok with the database up, without a token', async () => {
  const r = await api('GET', '/api/v1/health');
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ok');
  assert.equal(r.json.db, 'ok');
  assert.match(r.json.version, /^\d+\.\d+\.\d+$/);
});

/* The configuration file refundd was started with, read here without
 * refundd's code: its [provider.NAME] sections and its [app] keys. */
function confFile() {
  const text = readFileSync(process.env.REFUNDD_CONFIG || new URL('../../conf/refundd.conf', import.meta.url), 'utf8');
  const providers = [], app = {};
  let section = '';
  for (const line of text.split('\n')) {
    const head = line.match(/^\s*\[([^\]]+)\]/);
    if (head) { section = head[1].trim().toLowerCase(); const p = section.match(/^provider\.(.+)$/); if (p) providers.push(p[1]); continue; }
    const kv = line.match(/^\s*([a-z_]+)\s*=\s*(.*?)\s*$/);
    if (kv && section === 'app' && !/^\s*[;#]/.test(line)) app[kv[1]] = kv[2];
  }
  return { providers, app };
}

test('config (no token): the zone, portal, providers and currencies refundd runs with', async () => {
  const r = await api('GET', '/api/v1/config');
  assert.equal(r.status, 200, r.text);
  const conf = confFile();
  assert.equal(r.json.timezone, process.env.REFUNDD_APP_TIMEZONE || conf.app.timezone || 'Asia/Shanghai');
  assert.equal(r.json.portal_url, process.env.REFUNDD_APP_PORTAL_URL ?? conf.app.portal_url ?? '');
  assert.ok(conf.providers.length >= 2, 'the example configuration names providers');
  assert.deepEqual(r.json.providers, conf.providers, 'the [provider.NAME] sections, in file order');
  // ISO 4217 minor units of a few the desk must know, one of each size
  const exp = Object.fromEntries(r.json.currencies.map((c) => [c.code, c.exponent]));
  assert.equal(r.json.currencies.length, Object.keys(exp).length, 'no currency listed twice');
  for (const [code, e] of [['CNY', 2], ['USD', 2], ['JPY', 0], ['KRW', 0], ['KWD', 3], ['OMR', 3]])
    assert.equal(exp[code], e, code);
  assert.equal(r.headers.get('cache-control'), 'no-store');
});

/* A query parameter a route does not read is refused before its handler,
 * on every route (a misspelt filter must not widen a list, nor a misspelt
 * ?status=sent turn a payout export into a new one), and so is a
 * parameter given twice. The caller is one the route lets in. */
const ROLE_OF = { ANY: 'customer', STAFF: 'support', CUSTOMER: 'customer', SYSTEM: 'system',
  ADMIN: 'admin', REVIEWERS: 'support', AUDITORS: 'admin', AUTH_ROLE_FINANCE: 'finance',
  AUTH_ROLE_SUPERVISOR: 'supervisor', AUTH_ROLE_ADMIN: 'admin' };
test('every route refuses a query parameter it does not take (400 unknown_parameter) and one given twice', async () => {
  const routes = routesFromC();
  assert.ok(routes.length >= 40, `only ${routes.length} routes read`);
  for (const r of routes) {
    const role = r.public ? null : ROLE_OF[r.roles[0]];
    assert.ok(r.public || role, `${r.path}: no role for ${r.roles}`);
    const tok = role ? token(`qp-${role}`, role) : undefined;
    const path = r.path.replace(/\{[a-z_]+\}/g, '1');
    const opts = { tok, headers: { Accept: r.path === '/api/v1/payouts' ? 'text/csv' : 'application/json' },
      ...(r.body ? { body: {} } : {}) };
    const unknown = await api(r.method, `${path}?limit=5&stauts=sent`, opts);
    assertProblem(assert, unknown, 400, 'unknown_parameter');
    assert.equal(unknown.json.field, r.query.includes('limit') ? 'stauts' : 'limit', `${r.method} ${r.path}`);
    assert.ok(unknown.json.detail.includes(r.query.length ? r.query.join(' ') : 'takes none'), unknown.json.detail);
    if (r.query.length) {
      const name = r.query[0];
      const twice = await api(r.method, `${path}?${name}=1&${name}=2`, opts);
      assertProblem(assert, twice, 400, 'repeated_parameter');
      assert.equal(twice.json.field, name, `${r.method} ${r.path}`);
    }
  }
});

/* A route that takes no body refuses one instead of ignoring it (regression:
 * {"assignee": ...} sent to claim, or any text, answered 200 as if taken):
 * a member is 422 unknown_field, a body that is not JSON 415, before the
 * handler runs (the path's id does not exist: reaching it would be 404).
 * An empty object, or no body, reaches the handler. */
test('every route without a body refuses one: a member 422 unknown_field, text 415; {} passes', async () => {
  const routes = routesFromC().filter((r) => !r.body && !r.rawBody && r.method !== 'GET');
  assert.ok(routes.length >= 7, `only ${routes.length} routes without a body`);
  for (const r of routes) {
    const role = r.public ? null : ROLE_OF[r.roles[0]];
    const tok = role ? token(`nb-${role}`, role) : undefined;
    const path = r.path.replace(/\{[a-z_]+\}/g, '999999999');
    const member = await api(r.method, path, { tok, body: { assignee: 'someone-else' } });
    assertProblem(assert, member, 422, 'unknown_field');
    assert.equal(member.json.field, 'assignee', `${r.method} ${r.path}`);
    const text = await api(r.method, path, { tok, raw: 'garbage', headers: { 'Content-Type': 'text/plain' } });
    assertProblem(assert, text, 415, 'unsupported_media_type');
    for (const opts of [{ tok, body: {} }, { tok }]) {
      const passed = await api(r.method, path, opts);
      assert.ok(![415, 422].includes(passed.status), `${r.method} ${r.path}: ${passed.text}`);
    }
  }
});

test('me returns the caller as seen', async () => {
  const r = await api('GET', '/api/v1/me', { tok: token('acct-1', 'customer') });
  assert.equal(r.status, 200);
  assert.equal(r.json.sub, 'acct-1');
  assert.equal(r.json.role, 'customer');
});

const now = () => Math.floor(Date.now() / 1000);
const bad = {
  'no token': null,
  'expired': signHS256({ alg: 'HS256' }, { sub: 'a', role: 'customer', exp: now() - 120 }),
  'alg none': `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify({ sub: 'a', role: 'admin', exp: now() + 600 }))}.`,
  'lower-case alg': signHS256({ alg: 'hs256' }, { sub: 'a', role: 'customer', exp: now() + 600 }),
  'wrong secret': signHS256({ alg: 'HS256' }, { sub: 'a', role: 'customer', exp: now() + 600 }, 'x'.repeat(40)),
  'duplicate role': signHS256({ alg: 'HS256' }, '{"sub":"a","role":"customer","role":"admin","exp":' + (now() + 600) + '}'),
  'string exp': signHS256({ alg: 'HS256' }, { sub: 'a', role: 'customer', exp: String(now() + 600) }),
  'unknown role': signHS256({ alg: 'HS256' }, { sub: 'a', role: 'root', exp: now() + 600 }),
  'missing sub': signHS256({ alg: 'HS256' }, { role: 'customer', exp: now() + 600 }),
  'not yet valid': signHS256({ alg: 'HS256' }, { sub: 'a', role: 'customer', nbf: now() + 600, exp: now() + 900 }),
  'garbage': 'not.a.token',
  // RFC 7515 §4.1.11: a critical extension we do not implement (regression: accepted)
  'carrying crit': signHS256({ alg: 'HS256', crit: ['exp2'], exp2: 1 }, { sub: 'a', role: 'customer', exp: now() + 600 }),
};

for (const [name, tok] of Object.entries(bad)) {
  test(`401 for a token that is ${name}`, async () => {
    const r = await api('GET', '/api/v1/me', { tok: tok ?? undefined });
    assertProblem(assert, r, 401, 'invalid_token');
    assert.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });
}

test('401 for a flipped signature byte', async () => {
  const t = token('a', 'customer');
  const last = t.at(-2) === 'A' ? 'B' : 'A';
  const r = await api('GET', '/api/v1/me', { tok: t.slice(0, -2) + last + t.at(-1) });
  assertProblem(assert, r, 401, 'invalid_token');
});

test('the scheme is case-insensitive: "bearer" is Bearer (RFC 9110 §11.1)', async () => {
  const t = token('lower-case-scheme', 'customer');
  for (const scheme of ['bearer', 'BEARER']) {
    const r = await api('GET', '/api/v1/me', { headers: { Authorization: `${scheme} ${t}` } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.sub, 'lower-case-scheme');
  }
});

test('401 for two Authorization headers joined by nginx', async () => {
  const t = token('a', 'customer');
  const r = await api('GET', '/api/v1/me', { headers: { Authorization: `Bearer ${t}, Bearer ${t}` } });
  assertProblem(assert, r, 401, 'invalid_token');
});

test('401 for an oversized token, and the worker keeps serving', async () => {
  const r = await api('GET', '/api/v1/me', { tok: 'a'.repeat(9000) });
  assert.ok([401, 400, 431, 494].includes(r.status), `got ${r.status}`);
  const ok = await api('GET', '/api/v1/me', { tok: token('a', 'customer') });
  assert.equal(ok.status, 200);
});

test('404 problem for an unknown path, 405 with Allow for a wrong method', async () => {
  const t = token('a', 'customer');
  assertProblem(assert, await api('GET', '/api/v1/nothing-here', { tok: t }), 404, 'not_found');
  const r = await api('DELETE', '/api/v1/me', { tok: t });
  assertProblem(assert, r, 405, 'method_not_allowed');
  assert.equal(r.headers.get('allow'), 'GET');
});

test('request id: a given X-Request-Id is echoed, otherwise one is made', async () => {
  const r = await api('GET', '/api/v1/nothing', { headers: { 'X-Request-Id': 'trace-abc-123' } });
  assert.equal(r.headers.get('x-request-id'), 'trace-abc-123');
  assert.equal(r.json.request_id, 'trace-abc-123');
  const hostile = await api('GET', '/api/v1/nothing', { headers: { 'X-Request-Id': 'a"b<script>' } });
  assert.match(hostile.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
  const none = await api('GET', '/api/v1/health');
  assert.match(none.headers.get('x-request-id'), /^[0-9a-zA-Z._-]{16,}$/);
});

test('security headers on pages, API answers and errors', async () => {
  for (const path of ['/', '/api/v1/health', '/api/v1/me', '/missing.html']) {
    const r = await fetch(BASE + path);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.match(csp, /script-src 'self'/, path);
    assert.doesNotMatch(csp, /unsafe-inline/, path);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', path);
  }
});

// A kept FastCGI connection pins a worker thread (PITFALLS.md): with
// threads + 1 clients holding keep-alive connections to nginx and sending
// their requests slowly, every one of them must still be answered, twice.
test(`threads + 1 (${THREADS + 1}) slow keep-alive clients all get answers`, async () => {
  const url = new URL(BASE);
  const t = token('slow', 'customer');
  const request = `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t}\r\n\r\n`;
  const client = () => new Promise((resolve, reject) => {
    const sock = net.connect(Number(url.port), url.hostname);
    let data = '', secondSent = false;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`timeout, got: ${data.slice(0, 80)}`)); }, 15000);
    const sendSlowly = async () => {
      for (let i = 0; i < request.length; i += 40) { sock.write(request.slice(i, i + 40)); await sleep(30); }
    };
    sock.on('connect', sendSlowly);
    sock.on('data', (d) => {
      data += d;
      const answers = data.split('HTTP/1.1 200').length - 1;
      if (answers === 1 && !secondSent && data.endsWith('}')) { secondSent = true; sendSlowly(); }
      if (answers === 2 && data.endsWith('}')) { clearTimeout(timer); sock.end(); resolve(answers); }
    });
    sock.on('error', reject);
  });
  const results = await Promise.all(Array.from({ length: THREADS + 1 }, client));
  assert.deepEqual(results, Array(THREADS + 1).fill(2));
});

test('health turns 503 while PostgreSQL is down and 200 after it restarts', async () => {
  pgctl('pg_stop');
  try {
    const down = await api('GET', '/api/v1/health');
    assertProblem(assert, down, 503, 'db_unavailable');
    const me = await api('GET', '/api/v1/me', { tok: token('a', 'customer') });
    assert.equal(me.status, 200, 'me needs no database');
  } finally {
    pgctl('pg_start');
  }
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await api('GET', '/api/v1/health')).status;
    if (status !== 200) await sleep(200);
  }
  assert.equal(status, 200);
  // Every thread's old connection died with the server: each must reconnect
  // on first use instead of answering one spurious 503.
  const after = [];
  for (let i = 0; i < THREADS * 3; i++) after.push((await api('GET', '/api/v1/health')).status);
  assert.deepEqual(after, Array(THREADS * 3).fill(200));
});

test('/metrics (loopback) counts requests by route and status, with histograms and queue depth', async () => {
  await api('GET', '/api/v1/health');
  await api('GET', '/api/v1/no-such-thing');
  const r = await fetch(BASE + '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  const text = await r.text();
  const health = text.match(/^refundd_requests_total\{method="GET",route="\/api\/v1\/health",status="200"\} (\d+)$/m);
  assert.ok(health && Number(health[1]) >= 1, 'health counted');
  assert.match(text, /^refundd_requests_total\{method="any",route="unmatched",status="404"\} \d+$/m);
  assert.match(text, /^refundd_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/health",le="\+Inf"\} \d+$/m);
  assert.match(text, /^refundd_queue_depth \d+$/m);
  assert.match(text, /^refundd_db_errors_total \d+$/m);
  const again = await (await fetch(BASE + '/metrics')).text();
  const after = again.match(/route="\/api\/v1\/health",status="200"\} (\d+)$/m);
  assert.ok(Number(after[1]) >= Number(health[1]), 'counters never go down');
});

test('403 for a valid token whose role may not call the route', async () => {
  const r = await api('GET', '/api/v1/queue', { tok: token('acct-1', 'customer') });
  assertProblem(assert, r, 403, 'forbidden');
  const f = await api('PUT', '/api/v1/policies/x', { tok: token('s', 'support'), body: {} });
  assertProblem(assert, f, 403, 'forbidden');
});

test('415 for a body that is not application/json; 400 for broken JSON or UTF-8', async () => {
  const t = token('acct-1', 'customer');
  const r = await api('POST', '/api/v1/refunds', { tok: t, raw: 'order_id=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'k' } });
  assertProblem(assert, r, 415, 'unsupported_media_type');
  const j = await api('POST', '/api/v1/refunds', { tok: t, raw: '{"order_id":', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k' } });
  assertProblem(assert, j, 400, 'invalid_json');
  const u = await api('POST', '/api/v1/refunds', { tok: t, raw: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k' } });
  assertProblem(assert, u, 400, 'invalid_utf8');
});

// statement_timeout (5 s) turns a statement stuck behind a lock into 503
// db_timeout, well before nginx's fastcgi_read_timeout; the failed
// transaction is rolled back, so the same threads serve the next requests.
test('a statement stuck on a lock answers 503 db_timeout, and the connection is clean afterwards', async () => {
  const id = `T-LOCK-${Date.now()}`;
  const sys = token('billing', 'system');
  const put = await api('PUT', `/api/v1/orders/${id}`, { tok: sys, body: {
    account: 'lock-acct', provider: 'aliyun', product_type: 'saas_app', product_name: 'lock probe',
    billing_mode: 'one_time', status: 'unpaid', amount_paid: 0, currency: 'CNY', payment_method: 'alipay' } });
  assert.equal(put.status, 201, put.text);
  const { spawn } = await import('node:child_process');
  const holder = spawn('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname, 'psql_super', RUNDIR,
    '-d', 'refundd', '-c', `BEGIN; SELECT id FROM orders WHERE id = '${id}' FOR UPDATE; SELECT pg_sleep(8); COMMIT;`],
    { stdio: 'ignore' });
  try {
    // Wait until the holder has the row lock (it is asleep, lock held), not
    // a fixed second that a busy machine may not give it.
    const holding = () => execFileSync('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname,
      'psql_super', RUNDIR, '-d', 'refundd', '-Atc',
      "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE '%pg_sleep(8)%'"],
      { encoding: 'utf8' }).trim() === '1';
    for (let i = 0; i < 100 && !holding(); i++) await sleep(50);
    assert.ok(holding(), 'the lock holder is in place');
    const started = Date.now();
    const r = await api('POST', `/api/v1/orders/${id}/cancel`, { tok: token('lock-acct', 'customer') });
    assertProblem(assert, r, 503, 'db_timeout');
    assert.ok(Date.now() - started >= 4000, 'waited for statement_timeout');
  } finally {
    await new Promise((resolve) => holder.on('exit', resolve));
  }
  // Every thread must be usable again: no "current transaction is aborted".
  for (let i = 0; i < THREADS * 2; i++) {
    const ok = await api('GET', `/api/v1/orders/${id}`, { tok: token('lock-acct', 'customer') });
    assert.equal(ok.status, 200, ok.text);
  }
  const cancel = await api('POST', `/api/v1/orders/${id}/cancel`, { tok: token('lock-acct', 'customer') });
  assert.equal(cancel.status, 200, cancel.text);
  assert.equal(cancel.json.status, 'cancelled');
});

