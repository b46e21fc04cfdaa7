// openapi.test.mjs -- docs/openapi.yaml against the code: it is a valid
// OpenAPI 3.1 document, it names exactly the routes of fcgi/routes.c and
// exactly the problem codes of fcgi/*.c and of nginx's own answers
// (conf/nginx.conf), and its response validation (used by lib.mjs's api()
// on every answer of every API test) really refuses an answer that breaks
// the spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { spec, checkAnswer, findOperation, codeStatus, METHODS } from './openapi.mjs';
import { routesFromC, problemCodesFromC, problemCodeStatusesFromC, nginxProblems,
  nginxApiStatuses } from './sources.mjs';
import { api, token } from './lib.mjs';

const sorted = (xs) => [...xs].sort();

test('docs/openapi.yaml is a valid OpenAPI 3.1 document', async () => {
  assert.match(spec.openapi, /^3\.1\.\d+$/);
  const v = new Validator();
  const res = await v.validate(structuredClone(spec));
  assert.equal(v.version, '3.1');
  assert.ok(res.valid, `not valid OpenAPI 3.1:\n${JSON.stringify(res.errors, null, 1)}`);
});

test('the spec names exactly the routes of fcgi/routes.c', () => {
  const fromC = routesFromC().map((r) => `${r.method} ${r.path}`);
  assert.ok(fromC.length >= 30, `only ${fromC.length} routes read from routes.c`);
  assert.equal(new Set(fromC).size, fromC.length, 'a route is listed twice in routes.c');
  const fromSpec = [];
  for (const [path, item] of Object.entries(spec.paths))
    for (const m of METHODS) if (item[m]) fromSpec.push(`${m.toUpperCase()} ${path}`);
  const missing = fromC.filter((r) => !fromSpec.includes(r));
  const extra = fromSpec.filter((r) => !fromC.includes(r));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] },
    'routes.c and docs/openapi.yaml differ (missing: in routes.c only; extra: in the spec only)');
});

test("the spec's query parameters of every route are the names routes.c lets through", () => {
  const resolve = (p) => (p.$ref ? p.$ref.split('/').slice(1).reduce((o, k) => o[k], spec) : p);
  const differ = [];
  let withQuery = 0;
  for (const r of routesFromC()) {
    const item = spec.paths[r.path];
    const op = item?.[r.method.toLowerCase()];
    if (!op) continue;   // the routes test above names it
    const names = [...(item.parameters || []), ...(op.parameters || [])].map(resolve)
      .filter((p) => p.in === 'query').map((p) => p.name);
    if (names.length) withQuery++;
    if (JSON.stringify(sorted(names)) !== JSON.stringify(sorted(r.query)))
      differ.push(`${r.method} ${r.path}: spec [${names}], routes.c [${r.query}]`);
  }
  assert.ok(withQuery >= 15, `only ${withQuery} routes with query parameters read`);
  assert.deepEqual(differ, []);
});

// The rows of ProblemCode's table: code, status and who sends it.
const tableRows = () => [...spec.components.schemas.ProblemCode.description
  .matchAll(/^\| ([a-z0-9_]+) \| (\d{3}) \| ([^|]*?) \|/gm)]
  .map((m) => ({ code: m[1], status: Number(m[2]), by: m[3].split(/,\s*/) }));

test('the spec lists every problem code of fcgi/*.c and of nginx.conf, and no other', () => {
  const fromC = problemCodesFromC();
  const nginx = nginxProblems();
  const fromNginx = [...new Set(nginx.map((p) => p.code))].sort();
  for (const c of ['bad_request', 'body_too_large', 'rate_limited', 'upstream_unavailable',
    'upstream_timeout'])
    assert.ok(fromNginx.includes(c), `the nginx.conf extractor missed ${c}`);
  assert.ok(fromC.length >= 60, `only ${fromC.length} codes read from fcgi/*.c`);
  for (const c of ['invalid_token', 'quote_changed', 'unknown_field', 'invalid_transition',
    'used_exceeds_quantity', 'payout_exists'])
    assert.ok(fromC.includes(c), `the extractor missed ${c}`);
  for (const notACode of ['ok', 'orders_used', 'payouts_one_live', 'payouts_order_cap'])
    assert.ok(!fromC.includes(notACode), `the extractor took ${notACode} for a code`);
  const listed = spec.components.schemas.ProblemCode.enum;
  assert.equal(new Set(listed).size, listed.length, 'a code is listed twice');
  const all = [...new Set([...fromC, ...fromNginx])];
  const missing = all.filter((c) => !listed.includes(c));
  const extra = listed.filter((c) => !all.includes(c));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  // The description table has a row for each code, and its "sent by"
  // column names exactly the codes of each sender.
  const rows = tableRows();
  assert.deepEqual(sorted(rows.map((r) => r.code)), sorted(listed));
  for (const r of rows)
    assert.ok(r.by.length && r.by.every((b) => b === 'refundd' || b === 'nginx'),
      `${r.code}: "sent by" is refundd, nginx or both, not ${r.by}`);
  const by = (who) => sorted(rows.filter((r) => r.by.includes(who)).map((r) => r.code));
  assert.deepEqual(by('refundd'), sorted(fromC), 'rows sent by refundd vs. fcgi/*.c');
  assert.deepEqual(by('nginx'), fromNginx, 'rows sent by nginx vs. conf/nginx.conf');
  // nginx's statuses are fixed in its configuration.
  const nginxWrong = nginx.filter((p) => codeStatus[p.code] !== p.status)
    .map((p) => `${p.code}: spec ${codeStatus[p.code]}, nginx.conf ${p.location} ${p.status}`);
  assert.deepEqual(nginxWrong, []);
  // Where the C sources fix a code's status (an ERR_ kind or a table
  // entry), the table says the same.
  const wrong = [];
  for (const [c, statuses] of problemCodeStatusesFromC())
    if (statuses.size && !statuses.has(codeStatus[c]))
      wrong.push(`${c}: spec ${codeStatus[c]}, C ${[...statuses]}`);
  assert.deepEqual(wrong, []);
});

// The problem answers every operation must name, from what server.c does
// before the handler runs: 401/403 unless public, the body checks on a
// route that takes one (a raw file: its length, the handler's type check
// and ?name=), 404 on a path with an id (but PUT, which creates), 500/503
// everywhere; and on /api/ the answers nginx may give any request there
// (conf/nginx.conf: rate limit, refundd unreachable or silent). nginx's
// 413 needs a body, so it is only required where the route takes one.
// 413 is per route (only routes with a body); 405, 414, 501 and 505 nginx
// gives before it chooses any route, so the spec's introduction lists them
// once instead of every operation.
const BEFORE_ROUTING = [405, 414, 501, 505];
const NGINX_API = [...nginxApiStatuses()].filter((st) => st !== 413 && !BEFORE_ROUTING.includes(st))
  .map(String);
function requiredStatuses(route) {
  const st = ['500', '503'];
  if (!route.public) st.push('401');
  if (!route.public && !route.roles.includes('ANY')) st.push('403');
  if (route.body) st.push('400', '413', '415', '422');
  if (route.rawBody) st.push('400', '413', '415');
  // A route without a body refuses one: text 415, a member 422 (server.c refuse_body).
  if (!route.body && !route.rawBody && route.method !== 'GET') st.push('415', '422');
  if (route.path.includes('{') && route.method !== 'PUT') st.push('404'); // PUT creates
  if (route.path.startsWith('/api/')) st.push(...NGINX_API);
  return st;
}

test('every operation documents its answers, roles and body as routes.c has them', () => {
  // routes.c's macros (and auth.h's AUTH_ROLES_*), spelled out; any
  // AUTH_ROLE_<NAME> is the role <name>.
  const STAFF = ['support', 'supervisor', 'finance', 'admin'];
  const macros = { ANY: [...STAFF, 'customer', 'system'], AUTH_ROLES_ANY: [...STAFF, 'customer', 'system'],
    STAFF, AUTH_ROLES_STAFF: STAFF, CUSTOMER: ['customer'], SYSTEM: ['system'], ADMIN: ['admin'],
    REVIEWERS: ['support', 'supervisor'], AUDITORS: ['admin', 'supervisor'] };
  const roleOf = (m) => macros[m] ?? (/^AUTH_ROLE_[A-Z]+$/.test(m) ? [m.slice(10).toLowerCase()] : null);
  for (const r of routesFromC()) {
    const item = spec.paths[r.path];
    const op = item?.[r.method.toLowerCase()];
    const where = `${r.method} ${r.path}`;
    if (!op) continue; // a missing route is the previous test's failure
    assert.ok(op.operationId && op.summary, `${where}: operationId and summary`);
    assert.ok(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${where}: a 2xx answer`);
    assert.ok(!op.responses.default, `${where}: name each status instead of default`);
    for (const st of requiredStatuses(r))
      assert.ok(op.responses[st], `${where}: status ${st} must be documented`);
    // Security: none on public routes, the bearer token on the others.
    const security = op.security ?? spec.security;
    assert.deepEqual(security, r.public ? [] : [{ bearerAuth: [] }], `${where}: security`);
    // Roles: x-roles lists exactly who routes.c lets in.
    const want = r.public ? null
      : new Set(r.roles.flatMap((x) => roleOf(x) || assert.fail(`${where}: role macro ${x}`)));
    if (want) assert.deepEqual(sorted(op['x-roles']), sorted(want), `${where}: x-roles`);
    else assert.ok(op['x-roles']?.length, `${where}: x-roles`);
    // A body exactly where routes.c reads one, required unless optional,
    // and closed: refundd refuses unknown members. A raw body (a file) is
    // required, binary, and never JSON.
    const body = op.requestBody;
    assert.equal(Boolean(body), r.body || r.rawBody, `${where}: requestBody`);
    if (body && r.rawBody) {
      assert.equal(body.required, true, `${where}: requestBody.required`);
      const media = Object.entries(body.content);
      assert.ok(media.length && media.every(([t, m]) => !/json/.test(t) &&
        m.schema?.type === 'string' && m.schema?.format === 'binary'),
      `${where}: a raw body is binary content of non-JSON types`);
    } else if (body) {
      assert.equal(body.required, !r.bodyOptional, `${where}: requestBody.required`);
      const ref = body.content['application/json'].schema;
      const schema = ref.$ref ? spec.components.schemas[ref.$ref.split('/').pop()] : ref;
      assert.ok(schema.additionalProperties === false || schema.unevaluatedProperties === false,
        `${where}: the request body must refuse unknown members, as refundd does`);
    }
    // Each {param} of the path is declared.
    const params = [...(item.parameters || []), ...(op.parameters || [])]
      .map((x) => (x.$ref ? spec.components.parameters[x.$ref.split('/').pop()] : x));
    for (const p of r.path.match(/\{[^}]+\}/g) || [])
      assert.ok(params.some((x) => x.in === 'path' && `{${x.name}}` === p), `${where}: ${p} declared`);
  }
});

test('findOperation matches templates, literal segments first', () => {
  assert.equal(findOperation('GET', '/api/v1/audit/verify').op.operationId, 'verifyAudit');
  assert.equal(findOperation('GET', '/api/v1/orders/A-1.x:2?limit=3').template, '/api/v1/orders/{id}');
  assert.equal(findOperation('POST', '/api/v1/refunds/7/approve').op.operationId, 'approveRefund');
  assert.equal(findOperation('DELETE', '/api/v1/me'), null);
  assert.equal(findOperation('GET', '/api/v1/orders/1/2'), null);
});

test('the response check refuses answers that break the spec', () => {
  const problem = { type: 'about:blank', title: 'Not found', status: 404, code: 'order_not_found',
    detail: 'no order x', request_id: 'r1' };
  checkAnswer('GET', '/api/v1/orders/x', 404, 'application/problem+json', problem);
  assert.throws(() => checkAnswer('GET', '/api/v1/orders/x', 404, 'application/problem+json',
    { ...problem, code: 'no_such_code' }), /GET \/api\/v1\/orders\/x -> 404[\s\S]*enum/);
  assert.throws(() => checkAnswer('GET', '/api/v1/orders/x', 404, 'application/problem+json',
    { ...problem, surprise: 1 }), /additionalProperties/);
  // A problem's status is the answer's, and the one its code's row names.
  assert.throws(() => checkAnswer('POST', '/api/v1/orders/x/cancel', 409,
    'application/problem+json', { ...problem, status: 409 }),
  /order_not_found is documented with status 404/);
  assert.throws(() => checkAnswer('GET', '/api/v1/orders/x', 409, 'application/problem+json',
    { ...problem, status: 409, code: 'conflict' }), /status 409 is not documented/);
  assert.throws(() => checkAnswer('GET', '/api/v1/orders/x', 404, 'application/problem+json',
    { ...problem, status: 400 }), /status 400 is not the answer's/);
  checkAnswer('GET', '/api/v1/orders/x', 503, 'application/problem+json',
    { ...problem, status: 503 });
  // nginx's own answers are problems of the spec too, on every /api/ route.
  const limited = { type: 'about:blank', title: 'Too Many Requests', status: 429,
    code: 'rate_limited', detail: 'too many requests', request_id: 'r2' };
  checkAnswer('GET', '/api/v1/me', 429, 'application/problem+json', limited);
  assert.throws(() => checkAnswer('GET', '/api/v1/me', 409, 'application/problem+json',
    { ...limited, status: 409, code: 'conflict' }), /status 409 is not documented/);
  checkAnswer('GET', '/api/v1/refunds/7/attachments/8', 504, 'application/problem+json',
    { ...limited, status: 504, code: 'upstream_timeout' });
  checkAnswer('GET', '/api/v1/me', 200, 'application/json',
    { sub: 'a', role: 'customer', exp: 2, iat: 1 });
  assert.throws(() => checkAnswer('GET', '/api/v1/me', 200, 'application/json; charset=utf-8',
    { sub: 'a', role: 'emperor', exp: 2, iat: 1 }), /role/);
  assert.throws(() => checkAnswer('GET', '/api/v1/me', 299, 'application/json', {}),
    /status 299 is not documented/);
  assert.throws(() => checkAnswer('GET', '/api/v1/me', 200, 'application/problem+json', problem),
    /not documented for status 200/);
  assert.throws(() => checkAnswer('GET', '/api/v1/health', 200, 'application/json',
    { status: 'ok', db: 'ok', version: '1', at: 'now' }), /additionalProperties/);
  // Timestamps are checked as RFC 3339.
  const verify = { ok: true, checked: 0, first_bad_position: null, first_bad_id: null,
    unsealed: 0, first_unsealed_id: null, failures: [],
    checkpoints: { checked: 0, last_position: null, not_in_chain_id: null, bad_signature_id: null } };
  checkAnswer('GET', '/api/v1/audit/verify', 200, 'application/json', verify);
  assert.throws(() => checkAnswer('GET', '/api/v1/audit/verify', 200, 'application/json',
    { ...verify, checked: '0' }), /must be integer/);
  // Not JSON: nothing to check.
  checkAnswer('GET', '/metrics', 200, 'text/plain; version=0.0.4', null);
});

test('api() validates what refundd answers, and an unknown route answers a Problem', async () => {
  const me = await api('GET', '/api/v1/me', { tok: token('oa-1', 'support') });
  assert.equal(me.status, 200);
  const nope = await api('GET', '/api/v1/no-such-route');
  assert.equal(nope.status, 404);
  assert.equal(nope.json.code, 'not_found');
});
