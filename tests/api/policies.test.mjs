// policies.test.mjs -- GET /api/v1/policies[/{product_type}] (staff), PUT
// /api/v1/policies/{product_type} (admin: a new version each time, the old
// ones stay readable, quotes follow the newest), and GET/PUT
// /api/v1/holidays. Every policy written here is for a product type of this
// run (t_<random>) and every calendar for a far year of this run, so the
// demo data and the other tests are untouched and the file passes when run
// twice against the same database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { api, assertProblem, token, uid, sleep, THREADS, DAY, nowS, iso, psql } from './lib.mjs';

const RUN = uid();
const TYPE = `t_${RUN}`;
const ADMIN_A = `admin-a-${RUN}`, ADMIN_B = `admin-b-${RUN}`;
const ADMIN = token(ADMIN_A, 'admin');
const SUPPORT = token(`agent-${RUN}`, 'support');
const SYSTEM = token(`billing-${RUN}`, 'system');
const DEMO_TYPES = ['api_credits', 'cloud_server', 'cloud_server_payg', 'traffic_package', 'saas_app',
  'marketplace_service', 'image_subscription', 'image_payg', 'api_product', 'tool_download'];

const floorDiv = (a, b) => Number(BigInt(a) / BigInt(b));

function policyBody(overrides = {}) {
  const body = {
    refundable: true, window_rule: 'full', window_days: 7, window_requires_unused: false,
    after_window: 'none', handling_fee_bps: 0, deduct_third_party: false, promo_refundable: true,
    monthly_limit: 0, payout_methods: ['original_route'], payout_default: 'original_route',
    payout_methods_after_window: ['original_route', 'balance'], payout_default_after_window: 'balance',
    review_sla_days: 3, auto_approve_max: 0, second_approval_over: 300000, note: `test ${RUN}`,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete body[k]; else body[k] = v;
  }
  return body;
}

const putPolicy = (type, body, tok = ADMIN) => api('PUT', `/api/v1/policies/${type}`, { tok, body });
const getPolicy = (type, query = '', tok = SUPPORT) => api('GET', `/api/v1/policies/${type}${query}`, { tok });

async function versionsOf(type) {
  const r = await getPolicy(type);
  if (r.status === 404) return [];
  assert.equal(r.status, 200, r.text);
  return r.json.versions;
}

// The run's product type gets its first version on first use (refusal
// tests do not need it: they compare the versions before and after, which
// may be none).
let typeReady = null;
function ensureType() {
  typeReady ??= (async () => {
    if ((await versionsOf(TYPE)).length === 0) {
      const r = await putPolicy(TYPE, policyBody());
      assert.equal(r.status, 201, r.text);
    }
  })();
  return typeReady;
}

function orderBody(overrides = {}) {
  const t = nowS();
  return {
    account: `pol-${RUN}`, provider: 'aliyun', product_type: TYPE, product_name: 'policy test',
    billing_mode: 'subscription', status: 'paid', amount_paid: 99999, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(t - DAY), ...overrides,
  };
}

async function quote(id) {
  const r = await api('GET', `/api/v1/orders/${id}/quote`, { tok: SUPPORT });
  assert.equal(r.status, 200, r.text);
  const q = r.json;
  assert.equal(typeof q.policy_version, 'number');
  assert.equal(q.breakdown.reduce((s, l) => s + l.amount, 0), q.amount, JSON.stringify(q.breakdown));
  return q;
}

// ---------------------------------------------------------------- reading

test('policies list: every demo product type once, at its newest version, for all staff', async () => {
  for (const role of ['support', 'supervisor', 'finance', 'admin']) {
    const r = await api('GET', '/api/v1/policies', { tok: token(`staff-${RUN}`, role) });
    assert.equal(r.status, 200, `${role}: ${r.text}`);
    assert.equal(r.json.next_cursor, null);
    const types = r.json.items.map((p) => p.product_type);
    assert.equal(new Set(types).size, types.length, 'each product type once');
    for (const t of DEMO_TYPES) assert.ok(types.includes(t), t);
    for (const p of r.json.items) {
      assert.ok(Number.isInteger(p.version) && p.version >= 1);
      assert.ok(Array.isArray(p.payout_methods) && p.payout_methods.includes(p.payout_default));
      assert.ok(p.payout_methods_after_window.includes(p.payout_default_after_window));
      assert.equal(typeof p.created_by, 'string');
    }
    const credits = r.json.items.find((p) => p.product_type === 'api_credits');
    const newest = await getPolicy('api_credits');
    assert.equal(credits.version, newest.json.version);
  }
});

test('policies: customer and system roles are 403, no token 401', async () => {
  for (const role of ['customer', 'system']) {
    const tok = token(`x-${RUN}`, role);
    assertProblem(assert, await api('GET', '/api/v1/policies', { tok }), 403, 'forbidden');
    assertProblem(assert, await getPolicy('api_credits', '', tok), 403, 'forbidden');
  }
  assertProblem(assert, await api('GET', '/api/v1/policies'), 401, 'invalid_token');
});

test('policy get: the seed 000 policy with its versions; ?version=1', async () => {
  const r = await getPolicy('api_credits');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.product_type, 'api_credits');
  assert.ok(Array.isArray(r.json.versions) && r.json.versions.length >= 1);
  assert.equal(r.json.versions[0].version, r.json.version, 'newest first');
  const nums = r.json.versions.map((v) => v.version);
  assert.deepEqual(nums, [...nums].sort((a, b) => b - a));
  for (const v of r.json.versions) {
    assert.ok('created_by' in v && 'created_at' in v && 'note' in v, JSON.stringify(v));
  }

  const v1 = await getPolicy('api_credits', '?version=1');
  assert.equal(v1.status, 200, v1.text);
  assert.equal(v1.json.version, 1);
  assert.equal(v1.json.created_by, 'demo-seed');
  assert.equal(v1.json.window_days, 30);
  assert.equal(v1.json.window_rule, 'full');
  assert.equal(v1.json.after_window, 'prorata_usage');
  assert.deepEqual(v1.json.payout_methods, ['original_route']);
  assert.equal(v1.json.payout_default, 'original_route');
  assert.deepEqual(v1.json.payout_methods_after_window, ['balance']);
  assert.equal(v1.json.payout_default_after_window, 'balance');
  assert.equal(v1.json.review_sla_days, 3);
  assert.deepEqual(v1.json.versions, r.json.versions);

  const img = await getPolicy('image_subscription', '?version=1');
  assert.equal(img.json.window_requires_unused, true);
  assert.equal(img.json.window_days, 5);
  const ecs = await getPolicy('cloud_server', '?version=1');
  assert.equal(ecs.json.after_window, 'negotiate');
  assert.equal(ecs.json.monthly_limit, 1);
  assert.equal(ecs.json.deduct_third_party, true);
  assert.equal(ecs.json.promo_refundable, false);
});

test('policy get: bad ?version is 400, unknown type or version 404', async () => {
  for (const v of ['0', '-1', 'abc', '1.0', '', '1000001']) {
    assertProblem(assert, await getPolicy('api_credits', `?version=${v}`), 400, 'invalid_version');
  }
  assertProblem(assert, await getPolicy('api_credits', '?version=999999'), 404, 'policy_not_found');
  assertProblem(assert, await getPolicy(`nope_${RUN}`), 404, 'policy_not_found');
});

// ---------------------------------------------------------------- writing versions

test('policy put: a new type, then a new version naming its admin; quotes follow the newest', async () => {
  // no policy yet: nothing to read, and billing cannot sync an order of the type
  assertProblem(assert, await getPolicy(TYPE), 404, 'policy_not_found');
  const early = await api('PUT', `/api/v1/orders/T-POL-${RUN}-0`, { tok: SYSTEM, body: orderBody() });
  assertProblem(assert, early, 422, 'unknown_product_type');

  const b1 = policyBody();
  const r1 = await putPolicy(TYPE, b1);
  assert.equal(r1.status, 201, r1.text);
  typeReady = Promise.resolve();
  assert.equal(r1.json.product_type, TYPE);
  assert.equal(r1.json.version, 1);
  assert.equal(r1.json.created_by, ADMIN_A);
  assert.ok(r1.json.created_at);
  for (const [k, v] of Object.entries(b1)) assert.deepEqual(r1.json[k], v, k);

  // an order of the new type is accepted now, and quoted by version 1
  const id = `T-POL-${RUN}-1`;
  const o = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body: orderBody() });
  assert.equal(o.status, 201, o.text);
  let q = await quote(id);
  assert.equal(q.policy_version, 1);
  assert.equal(q.decision, 'full');
  assert.equal(q.amount, 99999);
  assert.equal(q.rule, 'window_full');
  assert.deepEqual(q.payout_methods, ['original_route']);

  // version 2, by another admin: the window shrinks to nothing
  const b2 = policyBody({ window_days: 0, note: 'no window' });
  const r2 = await putPolicy(TYPE, b2, token(ADMIN_B, 'admin'));
  assert.equal(r2.status, 201, r2.text);
  assert.equal(r2.json.version, 2);
  assert.equal(r2.json.created_by, ADMIN_B);
  assert.equal(r2.json.window_days, 0);

  const now2 = await getPolicy(TYPE);
  assert.equal(now2.status, 200);
  assert.equal(now2.json.version, 2);
  assert.equal(now2.json.window_days, 0);
  assert.deepEqual(now2.json.versions.map((v) => [v.version, v.created_by, v.note]),
    [[2, ADMIN_B, 'no window'], [1, ADMIN_A, `test ${RUN}`]]);
  const old = await getPolicy(TYPE, '?version=1');
  assert.equal(old.status, 200);
  assert.equal(old.json.version, 1);
  assert.equal(old.json.window_days, 7);
  assert.equal(old.json.created_by, ADMIN_A);
  const list = await api('GET', '/api/v1/policies', { tok: SUPPORT });
  assert.equal(list.json.items.find((p) => p.product_type === TYPE).version, 2);

  q = await quote(id);
  assert.equal(q.policy_version, 2);
  assert.equal(q.eligible, false);
  assert.equal(q.rule, 'none');
  assert.deepEqual(q.reasons, ['window_closed']);
  assert.equal(q.window_ends_at, null);
  assert.deepEqual(q.payout_methods, ['original_route', 'balance'], 'the after-window set');
  assert.equal(q.payout_default, 'balance');
});

// A PUT is idempotent: sent again (a client's retry after a timeout, or
// nginx resending it to the other instance), it adds no second version
// (regression: every PUT added one).
test('policy put: the same body again is 200 with the latest version, nothing added; any change is a new one', async () => {
  const type = `ti_${RUN}`.slice(0, 31);
  const body = policyBody({ note: 'idempotent' });
  const first = await putPolicy(type, body);
  assert.equal(first.status, 201, first.text);
  const events = () => psql(`SELECT count(*) FROM audit_events WHERE action = 'policy.version' AND entity_id = '${type}'`);
  const before = events();
  const [a, b] = await Promise.all([putPolicy(type, body), putPolicy(type, body)]);
  for (const r of [a, b]) {
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, first.json);
  }
  assert.equal(events(), before, 'no event: nothing changed');
  assert.equal((await versionsOf(type)).length, 1);
  // another note, or another rule, is a new version; then the first body again is one too
  assert.equal((await putPolicy(type, { ...body, note: 'reworded' })).status, 201);
  assert.equal((await putPolicy(type, { ...body, note: 'reworded', window_days: 3 })).status, 201);
  const back = await putPolicy(type, body);
  assert.equal(back.status, 201, 'only the latest version is compared');
  assert.equal(back.json.version, 4);
});

test('policy put: version 3 pro-rates time with a handling fee; the quote follows the formula', async () => {
  await ensureType();
  const r = await putPolicy(TYPE, policyBody({
    window_days: 0, after_window: 'prorata_time', handling_fee_bps: 250, deduct_third_party: true,
  }));
  assert.equal(r.status, 201, r.text);
  const version = r.json.version;
  assert.ok(version >= 2);

  // An hour into the period's 10th day: the days begun are 10 however long
  // the test takes (at exactly 10 days, a second later began the 11th).
  const t = nowS();
  const start = t - 10 * DAY + 3600, end = start + 30 * DAY, paid = 99999, third = 1234;
  const id = `T-POL-${RUN}-fee`;
  const o = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body: orderBody({
    amount_paid: paid, third_party_cost: third, paid_at: iso(start),
    period_start: iso(start), period_end: iso(end),
  }) });
  assert.equal(o.status, 201, o.text);

  const before = nowS();
  const q = await quote(id);
  const afterQ = nowS();
  assert.equal(q.policy_version, version);
  assert.equal(q.eligible, true);
  assert.equal(q.decision, 'partial');
  assert.equal(q.rule, 'prorata_time');
  assert.deepEqual(q.reasons, ['window_closed', 'already_used', 'third_party_cost', 'handling_fee']);
  assert.equal(q.remedy, null);
  assert.equal(q.window_ends_at, null);

  // policy.h: base = (paid - the third-party cost) × unused / period (down),
  // then a fee of 2.5 % of what is left (down), the rest rounded down
  // consumed: the days begun since the period's start, in seconds
  const consumed = q.breakdown.find((l) => l.label === 'consumed_time')?.units;
  assert.ok(Number.isInteger(consumed), JSON.stringify(q.breakdown));
  const daysBegun = (t) => Math.ceil((t - start) / DAY) * DAY;
  assert.ok(consumed >= daysBegun(before - 2) && consumed <= daysBegun(afterQ + 2),
    `consumed ${consumed}`);
  assert.equal(consumed % DAY, 0);
  const period = end - start;
  const left = floorDiv((paid - third) * (period - consumed), period);
  const consumedValue = floorDiv((paid - third) * consumed, period);
  const fee = floorDiv(left * 250, 10000);
  const kept = floorDiv(left * 9750, 10000);
  const expected = [
    { label: 'paid', amount: paid, units: 0 },
    { label: 'third_party_cost', amount: -third, units: 0 },
    { label: 'consumed_time', amount: -consumedValue, units: consumed },
    { label: 'handling_fee', amount: -fee, units: 0 },
  ];
  const rounding = kept - (paid - consumedValue - third - fee);
  assert.ok(rounding <= 0 && rounding >= -2, `rounding ${rounding}`);
  if (rounding !== 0) expected.push({ label: 'rounding', amount: rounding, units: 0 });
  assert.deepEqual(q.breakdown, expected);
  assert.equal(q.amount, kept);
  // 2/3 of (999.99 less 12.34), less 2.5 %
  assert.ok(q.amount > 63000 && q.amount < 65000, `amount ${q.amount}`);
});

test('policy put: each staff role but admin, the customer and system are 403; nothing is added', async () => {
  const before = await versionsOf(TYPE);
  for (const role of ['customer', 'support', 'supervisor', 'finance', 'system']) {
    const r = await putPolicy(TYPE, policyBody(), token(`x-${RUN}`, role));
    assertProblem(assert, r, 403, 'forbidden');
  }
  assert.deepEqual(await versionsOf(TYPE), before);
  assertProblem(assert, await putPolicy(`t2_${RUN}`, policyBody(), token(`x-${RUN}`, 'support')), 403, 'forbidden');
  assertProblem(assert, await getPolicy(`t2_${RUN}`), 404, 'policy_not_found');
});

const POLICY_REFUSALS = [
  ['a default outside its methods', 'invalid_policy',
    policyBody({ payout_methods: ['balance'], payout_default: 'original_route' })],
  ['an after-window default outside its methods', 'invalid_policy',
    policyBody({ payout_methods_after_window: ['original_route'], payout_default_after_window: 'balance' })],
  ['a service window with days', 'invalid_policy',
    policyBody({ window_rule: 'service_in_progress', window_days: 5 })],
  ['empty payout methods', 'invalid_payout_methods', policyBody({ payout_methods: [] })],
  ['empty after-window payout methods', 'invalid_payout_methods', policyBody({ payout_methods_after_window: [] })],
  ['an unknown payout method', 'invalid_payout_methods', policyBody({ payout_methods: ['original_route', 'cash'] })],
  ['a repeated payout method', 'invalid_payout_methods',
    policyBody({ payout_methods: ['original_route', 'original_route'] })],
  ['a payout method that is not a string', 'invalid_payout_methods', policyBody({ payout_methods: [1] })],
  ['payout methods not a list', 'wrong_type', policyBody({ payout_methods: 'original_route' })],
  ['an unknown field', 'unknown_field', policyBody({ window_hours: 3 })],
  ['a missing field', 'missing_field', policyBody({ refundable: undefined })],
  ['window_days 4000', 'out_of_range', policyBody({ window_days: 4000 })],
  ['negative window_days', 'out_of_range', policyBody({ window_days: -1 })],
  ['handling_fee_bps over 10000', 'out_of_range', policyBody({ handling_fee_bps: 10001 })],
  ['review_sla_days over 60', 'out_of_range', policyBody({ review_sla_days: 61 })],
  ['negative auto_approve_max', 'out_of_range', policyBody({ auto_approve_max: -1 })],
  ['window_days as a string', 'wrong_type', policyBody({ window_days: '7' })],
  ['window_days as a fraction', 'wrong_type', policyBody({ window_days: 7.5 })],
  ['refundable as a number', 'wrong_type', policyBody({ refundable: 1 })],
  ['an unknown window rule', 'invalid_value', policyBody({ window_rule: 'half' })],
  ['an unknown after-window rule', 'invalid_value', policyBody({ after_window: 'forever' })],
  ['an unknown payout default', 'invalid_value', policyBody({ payout_default: 'cash' })],
  ['a note over 500 bytes', 'too_long', policyBody({ note: 'n'.repeat(501) })],
];

for (const [name, code, body] of POLICY_REFUSALS) {
  test(`policy put refuses ${name}: 422 ${code}; no version added`, async () => {
    const before = await versionsOf(TYPE);
    assertProblem(assert, await putPolicy(TYPE, body), 422, code);
    assert.deepEqual(await versionsOf(TYPE), before);
  });
}

test('policy put: bodies that are not JSON objects, and bad product types in the path', async () => {
  const before = await versionsOf(TYPE);
  const raw = (data, ct = 'application/json') =>
    api('PUT', `/api/v1/policies/${TYPE}`, { tok: ADMIN, raw: data, headers: { 'Content-Type': ct } });
  assertProblem(assert, await raw(JSON.stringify(policyBody()), 'text/plain'), 415, 'unsupported_media_type');
  assertProblem(assert, await raw('not json'), 400, 'invalid_json');
  assertProblem(assert, await raw('[1]'), 400, 'invalid_json');
  assertProblem(assert, await raw(JSON.stringify(policyBody()).replace('{', '{"window_days":1,')), 400, 'invalid_json');
  assertProblem(assert, await raw(Buffer.concat([Buffer.from('{"note":"'), Buffer.from([0xff]), Buffer.from('"}')])),
    400, 'invalid_utf8');
  assert.deepEqual(await versionsOf(TYPE), before);

  for (const bad of ['T_Upper', 'has-dash', `t_${'x'.repeat(30)}`, 'sp%20ace']) {
    const r = await putPolicy(bad, policyBody());
    assertProblem(assert, r, 422, 'invalid_product_type');
  }
});

// ---------------------------------------------------------------- holidays

// A far year of this run's own (2100-2899), cleared again at the end.
const YEAR = 2100 + randomInt(800);
const putHolidays = (body, tok = ADMIN) => api('PUT', '/api/v1/holidays', { tok, body });
const getHolidays = (query = `?year=${YEAR}`, tok = SUPPORT) => api('GET', `/api/v1/holidays${query}`, { tok });

after(async () => { await putHolidays({ year: YEAR, days: [] }); });

test('holidays: admin replaces a year; staff read it; the demo year is untouched', async () => {
  const demoBefore = (await getHolidays('?year=2026')).json;
  const days = [
    { day: `${YEAR}-10-02`, kind: 'holiday', name: '国庆节' },
    { day: `${YEAR}-10-01`, kind: 'holiday', name: '国庆节' },
    { day: `${YEAR}-09-28`, kind: 'workday', name: '国庆节调休上班' },
  ];
  const r = await putHolidays({ year: YEAR, days });
  assert.equal(r.status, 200, r.text);
  const sorted = [...days].sort((a, b) => a.day.localeCompare(b.day));
  assert.deepEqual(r.json, { items: sorted });
  for (const role of ['support', 'supervisor', 'finance', 'admin']) {
    const g = await getHolidays(`?year=${YEAR}`, token(`staff-${RUN}`, role));
    assert.equal(g.status, 200, `${role}: ${g.text}`);
    assert.deepEqual(g.json, { items: sorted });
  }

  // replacing: the days of the first PUT are gone
  const second = [{ day: `${YEAR}-01-01`, kind: 'holiday', name: 'New Year' }];
  const r2 = await putHolidays({ year: YEAR, days: second });
  assert.equal(r2.status, 200, r2.text);
  assert.deepEqual((await getHolidays()).json, { items: second });
  // The audit trail keeps both calendars, as objects the schema knows
  // (regression: after was the bare array and before was null).
  const trail = await api('GET', `/api/v1/audit?entity=holidays&id=${YEAR}&limit=100`, { tok: ADMIN });
  assert.equal(trail.status, 200, trail.text);
  const replaced = trail.json.items.filter((e) => e.action === 'holidays.replace')
    .sort((a, b) => b.id - a.id)[0];
  assert.deepEqual(replaced.before, { year: YEAR, days: sorted });
  assert.deepEqual(replaced.after, { year: YEAR, days: second });

  // other years are not touched by a replace
  assert.deepEqual((await getHolidays('?year=2026')).json, demoBefore);
  const all = await getHolidays('');
  assert.equal(all.status, 200);
  const allDays = all.json.items.map((d) => d.day);
  assert.ok(allDays.includes(`${YEAR}-01-01`));
  for (const d of demoBefore.items) assert.ok(allDays.includes(d.day), d.day);

  // an empty list clears the year
  const r3 = await putHolidays({ year: YEAR, days: [] });
  assert.equal(r3.status, 200);
  assert.deepEqual(r3.json, { items: [] });
  assert.deepEqual((await getHolidays()).json, { items: [] });
});

test('a deadlock PostgreSQL rolled back is 503 db_busy (try again), not 409 or 422; the same request then succeeds', async () => {
  // A trigger of this test's own plays the deadlock's victim for this run's
  // year only: 40P01 is what PostgreSQL raises in the transaction it ends.
  const fn = `t_deadlock_${RUN.replace(/[^a-z0-9]/gi, '')}`;
  psql(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF extract(year FROM NEW.day) = ${YEAR} THEN
      RAISE EXCEPTION 'deadlock detected (test)' USING ERRCODE = '40P01'; END IF; RETURN NEW; END $$;
    CREATE TRIGGER ${fn} BEFORE INSERT ON holidays FOR EACH ROW EXECUTE FUNCTION ${fn}();`);
  const days = [{ day: `${YEAR}-06-01`, kind: 'holiday', name: '儿童节' }];
  let r;
  try {
    r = await putHolidays({ year: YEAR, days });
  } finally {
    psql(`DROP TRIGGER ${fn} ON holidays; DROP FUNCTION ${fn}();`);
  }
  assertProblem(assert, r, 503, 'db_busy');
  assert.notDeepEqual((await getHolidays()).json, { items: days }, 'nothing was stored');
  r = await putHolidays({ year: YEAR, days });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((await getHolidays()).json, { items: days });
});

test('holidays: customer and system cannot read; only admin writes', async () => {
  for (const role of ['customer', 'system']) {
    assertProblem(assert, await getHolidays(`?year=${YEAR}`, token(`x-${RUN}`, role)), 403, 'forbidden');
  }
  for (const role of ['customer', 'support', 'supervisor', 'finance', 'system']) {
    const r = await putHolidays({ year: YEAR, days: [{ day: `${YEAR}-05-01`, kind: 'holiday', name: 'x' }] },
      token(`x-${RUN}`, role));
    assertProblem(assert, r, 403, 'forbidden');
  }
  assert.ok(!(await getHolidays()).json.items.some((d) => d.day === `${YEAR}-05-01`));
});

test('holidays: a bad ?year is 400 invalid_year', async () => {
  for (const y of ['abc', '1969', '10000', '20.5', '']) {
    assertProblem(assert, await getHolidays(`?year=${y}`), 400, 'invalid_year');
  }
});

const ok = (day, kind = 'holiday', name = 'x') => ({ day, kind, name });
const HOLIDAY_REFUSALS = () => [
  ['a day outside the year', 'invalid_day', { year: YEAR, days: [ok(`${YEAR}-06-01`), ok(`${YEAR + 1}-01-01`)] }],
  ['a day that does not exist', 'invalid_day', { year: YEAR, days: [ok(`${YEAR}-02-30`)] }],
  ['month 13', 'invalid_day', { year: YEAR, days: [ok(`${YEAR}-13-01`)] }],
  ['a day that is not a date', 'invalid_day', { year: YEAR, days: [ok('abcdefghij')] }],
  ['a short date', 'invalid_value', { year: YEAR, days: [ok(`${YEAR}-6-1`)] }],
  ['a duplicate day', 'duplicate_day', { year: YEAR, days: [ok(`${YEAR}-06-01`), ok(`${YEAR}-06-01`, 'workday', 'y')] }],
  ['a bad kind', 'invalid_value', { year: YEAR, days: [ok(`${YEAR}-06-01`, 'vacation')] }],
  ['a missing name', 'missing_field', { year: YEAR, days: [{ day: `${YEAR}-06-01`, kind: 'holiday' }] }],
  ['an empty name', 'invalid_value', { year: YEAR, days: [ok(`${YEAR}-06-01`, 'holiday', '')] }],
  ['a name over 100 bytes', 'too_long', { year: YEAR, days: [ok(`${YEAR}-06-01`, 'holiday', 'n'.repeat(101))] }],
  ['an unknown field in a day', 'unknown_field', { year: YEAR, days: [{ ...ok(`${YEAR}-06-01`), paid: true }] }],
  ['an unknown top-level field', 'unknown_field', { year: YEAR, days: [], region: 'cn' }],
  ['a day that is not an object', 'wrong_type', { year: YEAR, days: [`${YEAR}-06-01`] }],
  ['days not a list', 'wrong_type', { year: YEAR, days: {} }],
  ['a year as a string', 'wrong_type', { year: String(YEAR), days: [] }],
  ['a year out of range', 'out_of_range', { year: 1969, days: [] }],
  ['no year', 'missing_field', { days: [] }],
];

for (const [name, code, body] of HOLIDAY_REFUSALS()) {
  test(`holidays put refuses ${name}: 422 ${code}; the year is unchanged`, async () => {
    const keep = [ok(`${YEAR}-12-25`, 'holiday', 'keep')];
    assert.equal((await putHolidays({ year: YEAR, days: keep })).status, 200);
    assertProblem(assert, await putHolidays(body), 422, code);
    assert.deepEqual((await getHolidays()).json, { items: keep });
  });
}

test('holidays put: non-JSON, duplicate keys and a wrong Content-Type change nothing', async () => {
  const keep = [ok(`${YEAR}-12-26`, 'workday', 'keep')];
  assert.equal((await putHolidays({ year: YEAR, days: keep })).status, 200);
  const raw = (data, ct = 'application/json') =>
    api('PUT', '/api/v1/holidays', { tok: ADMIN, raw: data, headers: { 'Content-Type': ct } });
  const empty = JSON.stringify({ year: YEAR, days: [] });
  assertProblem(assert, await raw(empty, 'text/plain'), 415, 'unsupported_media_type');
  assertProblem(assert, await raw('year=2091'), 400, 'invalid_json');
  assertProblem(assert, await raw(`{"year":${YEAR},"days":[],"days":[]}`), 400, 'invalid_json');
  assert.deepEqual((await getHolidays()).json, { items: keep });
});
