// openapi.test.mjs -- docs/openapi.yaml against the code: it is a valid
// OpenAPI 3.1 document, it names exactly the routes of fcgi/routes.c and
// exactly the problem codes of fcgi/*.c, and its response validation (used
// by lib.mjs's api() on every answer of every API test) really refuses an
// answer that breaks the spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { spec, checkAnswer, findOperation, codeStatus, METHODS } from './openapi.mjs';
import { routesFromC, problemCodesFromC, problemCodeStatusesFromC } from './sources.mjs';
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

test('the spec lists every problem code of fcgi/*.c, and no other', () => {
  const fromC = problemCodesFromC();
  assert.ok(fromC.length >= 60, `only ${fromC.length} codes read from fcgi/*.c`);
  for (const c of ['invalid_token', 'quote_changed', 'unknown_field', 'invalid_transition',
    'used_exceeds_quantity', 'payout_exists'])
    assert.ok(fromC.includes(c), `the extractor missed ${c}`);
  for (const notACode of ['ok', 'orders_used', 'payouts_one_live', 'payouts_order_cap'])
    assert.ok(!fromC.includes(notACode), `the extractor took ${notACode} for a code`);
  const listed = spec.components.schemas.ProblemCode.enum;
  assert.equal(new Set(listed).size, listed.length, 'a code is listed twice');
  const missing = fromC.filter((c) => !listed.includes(c));
  const extra = listed.filter((c) => !fromC.includes(c));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  // The description table has a row for each code.
  const table = spec.components.schemas.ProblemCode.description;
  const rows = [...table.matchAll(/^\| ([a-z0-9_]+) \| (\d{3}) \|/gm)].map((m) => m[1]);
  assert.deepEqual(sorted(rows), sorted(listed));
  // Where the C sources fix a code's status (an ERR_ kind or a table
  // entry), the table says the same.
  const wrong = [];
  for (const [c, statuses] of problemCodeStatusesFromC())
    if (statuses.size && !statuses.has(codeStatus[c]))
      wrong.push(`${c}: spec ${codeStatus[c]}, C ${[...statuses]}`);
  assert.deepEqual(wrong, []);
});

test('every operation documents its answers and roles; bodies refuse unknown members', () => {
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const where = `${m.toUpperCase()} ${path}`;
      assert.ok(op.operationId && op.summary, `${where}: operationId and summary`);
      assert.ok(Array.isArray(op['x-roles']) && op['x-roles'].length, `${where}: x-roles`);
      assert.ok(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${where}: a 2xx answer`);
      assert.ok(op.responses.default, `${where}: a default (problem) answer`);
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) {
        const schema = body.$ref ? spec.components.schemas[body.$ref.split('/').pop()] : body;
        assert.ok(schema.additionalProperties === false || schema.unevaluatedProperties === false,
          `${where}: the request body must refuse unknown members, as refundd does`);
      }
      for (const p of path.match(/\{[^}]+\}/g) || []) {
        const params = [...(item.parameters || []), ...(op.parameters || [])]
          .map((x) => (x.$ref ? spec.components.parameters[x.$ref.split('/').pop()] : x));
        assert.ok(params.some((x) => x.in === 'path' && `{${x.name}}` === p), `${where}: ${p} declared`);
      }
    }
  }
  // The roles of each route match routes.c's (the macros spelled out).
  const roleOf = { ANY: ['customer', 'support', 'supervisor', 'finance', 'admin', 'system'],
    STAFF: ['support', 'supervisor', 'finance', 'admin'], CUSTOMER: ['customer'],
    SYSTEM: ['system'], ADMIN: ['admin'], REVIEWERS: ['support', 'supervisor'],
    AUDITORS: ['admin', 'supervisor'], AUTH_ROLE_FINANCE: ['finance'] };
  for (const r of routesFromC()) {
    const op = spec.paths[r.path][r.method.toLowerCase()];
    if (r.public) continue;
    const want = new Set(r.roles.flatMap((x) => roleOf[x] || assert.fail(`role macro ${x}`)));
    assert.deepEqual(sorted(op['x-roles']), sorted(want), `${r.method} ${r.path}: x-roles`);
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
  assert.throws(() => checkAnswer('GET', '/api/v1/orders/x', 409, 'application/problem+json',
    { ...problem, status: 409 }), /order_not_found is documented with status 404/);
  assert.throws(() => checkAnswer('GET', '/api/v1/orders/x', 404, 'application/problem+json',
    { ...problem, status: 400 }), /status 400 is not the answer's/);
  checkAnswer('GET', '/api/v1/orders/x', 503, 'application/problem+json',
    { ...problem, status: 503 });
  checkAnswer('GET', '/api/v1/me', 200, 'application/json',
    { sub: 'a', role: 'customer', exp: 2, iat: 1 });
  assert.throws(() => checkAnswer('GET', '/api/v1/me', 200, 'application/json; charset=utf-8',
    { sub: 'a', role: 'emperor', exp: 2, iat: 1 }), /role/);
  assert.throws(() => checkAnswer('GET', '/api/v1/me', 299, 'application/json', {}),
    /not documented for status 299/);
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
