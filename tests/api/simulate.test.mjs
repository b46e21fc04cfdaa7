// simulate.test.mjs -- frozen quote inputs and POST
// /api/v1/policies/{product_type}/simulate: each request stores what its
// quote was computed from; the migration rebuilds them for older requests;
// a draft run over a product type's requests flips exactly the ones it
// should, pages the changes by id, writes nothing; the draft is refused
// exactly as PUT refuses it; roles and ranges. Every order and policy here
// is of this run's own product type (s_<random>), so the file passes when
// run twice against the same database.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { api, assertProblem, token, uid, DAY, nowS, iso, psql } from './lib.mjs';

const RUN = uid();
const TYPE = `s_${RUN}`;
const ADMIN = token(`sim-admin-${RUN}`, 'admin');
const SUPERVISOR = token(`sim-lead-${RUN}`, 'supervisor');
const SYSTEM = token(`sim-billing-${RUN}`, 'system');

// Like seed 000: 30 days full to the original route, then unused units.
function policyBody(overrides = {}) {
  const body = {
    refundable: true, window_rule: 'full', window_days: 30, window_requires_unused: false,
    after_window: 'prorata_usage', handling_fee_bps: 0, deduct_third_party: false,
    promo_refundable: true, monthly_limit: 0, payout_methods: ['original_route'],
    payout_default: 'original_route', payout_methods_after_window: ['balance'],
    payout_default_after_window: 'balance', review_sla_days: 3, auto_approve_max: 0,
    second_approval_over: 10000000,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete body[k]; else body[k] = v;
  }
  return body;
}

const simulate = (body, { tok = ADMIN, type = TYPE, query = '' } = {}) =>
  api('POST', `/api/v1/policies/${type}/simulate${query}`, { tok, body });

// Requests of this run: days since payment and units used (of 100 000).
const SAMPLE = [
  { days: 3, used: 0 }, { days: 12, used: 4000 }, { days: 19, used: 0 }, { days: 22, used: 10000 },
  { days: 26, used: 0 }, { days: 28, used: 50000 }, { days: 35, used: 20000 }, { days: 50, used: 60000 },
];
const reqs = [];   // { id, orderId, days, used, amount, customer }
let seq = 0;

async function request({ days, used, type = TYPE, currency = 'CNY' }) {
  const sub = `sim-c-${RUN}-${++seq}`;
  const tok = token(sub, 'customer');
  const orderId = `SIM-${RUN}-${seq}`;
  const o = await api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: {
    account: sub, provider: 'aliyun', product_type: type, product_name: 'API 调用资源包',
    billing_mode: 'one_time', status: 'paid', amount_paid: 100000, currency,
    payment_method: 'alipay', paid_at: iso(nowS() - days * DAY - 3600), quantity: 100000,
    bonus_quantity: 0, used_quantity: used,
    items: [{ item_no: 1, name: 'credits', status: 'paid', amount: 100000 }],
  } });
  assert.equal(o.status, 201, o.text);
  const q = await api('GET', `/api/v1/orders/${orderId}/quote`, { tok });
  assert.equal(q.status, 200, q.text);
  const method = q.json.payout_default;
  const r = await api('POST', '/api/v1/refunds', { tok, headers: { 'Idempotency-Key': randomUUID() },
    body: { order_id: orderId, reason_code: 'changed_mind', payout_method: method,
      expected_amount: q.json.amount } });
  assert.equal(r.status, 201, r.text);
  return { id: r.json.id, orderId, days, used, amount: q.json.amount, tok, detail: r.json };
}

before(async () => {
  const p = await api('PUT', `/api/v1/policies/${TYPE}`, { tok: ADMIN, body: policyBody() });
  assert.equal(p.status, 201, p.text);
  for (const s of SAMPLE) reqs.push(await request(s));
});

test('submission freezes the quote inputs beside the quote, items included', async () => {
  const r = reqs[3];
  const inputs = r.detail.quote_inputs;
  assert.equal(inputs.reconstructed, false);
  assert.equal(inputs.already_refunded, 0);
  assert.equal(inputs.requests_this_month, 0);
  assert.ok(Math.abs(Date.parse(inputs.quoted_at) / 1000 - nowS()) < 120, inputs.quoted_at);
  assert.equal(inputs.order.product_type, TYPE);
  assert.equal(inputs.order.status, 'paid');
  assert.equal(inputs.order.amount_paid, 100000);
  assert.equal(inputs.order.used_quantity, 10000);
  assert.equal(inputs.order.period_start, null);
  assert.equal(inputs.order.service_status, 'none');
  assert.deepEqual(inputs.order.items, [{ item_no: 1, name: 'credits', status: 'paid', amount: 100000 }]);
  // Later usage does not move what was frozen.
  const u = await api('POST', `/api/v1/orders/${r.orderId}/usage`, { tok: SYSTEM, body: { used_quantity: 90000 } });
  assert.equal(u.status, 200, u.text);
  const again = await api('GET', `/api/v1/refunds/${r.id}`, { tok: r.tok });
  assert.equal(again.json.quote_inputs.order.used_quantity, 10000);
  // Lists leave the inputs out, as they leave out the quote.
  const list = await api('GET', '/api/v1/refunds', { tok: r.tok });
  assert.equal(list.status, 200, list.text);
  assert.equal('quote_inputs' in list.json.items[0], false);
});

test('the migration rebuilds the inputs of an older request, marked reconstructed', () => {
  const src = readFileSync(new URL('../../sql/012_frozen_inputs.sql', import.meta.url), 'utf8');
  const update = /^UPDATE refund_requests r SET quote_inputs[\s\S]*?;$/m.exec(src)[0];
  const r = reqs[1];
  const out = psql(null, { input: `BEGIN;
UPDATE refund_requests SET quote_inputs = NULL WHERE id = ${r.id};
${update}
SELECT quote_inputs FROM refund_requests WHERE id = ${r.id};
ROLLBACK;` }).split('\n').filter((l) => l.startsWith('{'));
  const rebuilt = JSON.parse(out[0]);
  const frozen = r.detail.quote_inputs;
  assert.equal(rebuilt.reconstructed, true);
  // What the database still knows is what was frozen (nothing changed since).
  assert.deepEqual(rebuilt.order, frozen.order);
  assert.equal(rebuilt.already_refunded, frozen.already_refunded);
  assert.equal(rebuilt.requests_this_month, frozen.requests_this_month);
  assert.ok(Math.abs(Date.parse(rebuilt.quoted_at) - Date.parse(frozen.quoted_at)) <= 2000);
  assert.equal(psql(`SELECT (quote_inputs->>'reconstructed') FROM refund_requests WHERE id = ${r.id}`), 'false');
});

test('simulate: the published policy itself recomputes every stored quote exactly', async () => {
  const r = await simulate({ policy: policyBody() });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.summary.requests, SAMPLE.length);
  assert.equal(r.json.summary.changed, 0);
  assert.deepEqual(r.json.by_currency, [{ currency: 'CNY', requests: SAMPLE.length,
    amount_before: reqs.reduce((a, x) => a + x.amount, 0), amount_after: reqs.reduce((a, x) => a + x.amount, 0),
    delta: 0 }]);
  assert.deepEqual(r.json.items, []);
  assert.equal(r.json.next_cursor, null);
  assert.equal(r.json.draft_version, 2);
});

test('simulate: 30 -> 20 days flips exactly the requests paid 20 to 30 days before', async () => {
  const r = await simulate({ policy: policyBody({ window_days: 20 }) }, { tok: SUPERVISOR });
  assert.equal(r.status, 200, r.text);
  // 22 and 28 days with credits used: the unused part instead of all;
  // 26 days with nothing used: the same 1000.00 by usage (not a change).
  const expected = reqs.filter((x) => x.days > 20 && x.days < 30 && x.used > 0);
  assert.deepEqual(r.json.items.map((x) => x.refund_id), expected.map((x) => x.id));
  for (const [i, it] of r.json.items.entries()) {
    assert.equal(it.order_id, expected[i].orderId);
    assert.equal(it.currency, 'CNY');
    assert.deepEqual(it.before, { eligible: true, decision: 'full', amount: 100000, policy_version: 1 });
    assert.equal(it.after.decision, 'partial');
    assert.equal(it.after.amount, 100000 - expected[i].used);
    assert.ok(it.after.reasons.includes('window_closed'));
  }
  const s = r.json.summary;
  assert.equal(s.changed, expected.length);
  assert.equal(s.newly_refused, 0);
  const [cny] = r.json.by_currency;
  assert.equal(cny.currency, 'CNY');
  assert.equal(cny.delta, -expected.reduce((a, x) => a + x.used, 0));
  assert.equal(cny.amount_after - cny.amount_before, cny.delta);
  const full = r.json.by_decision.find((d) => d.decision === 'full' && d.currency === 'CNY');
  assert.equal(full.before - full.after, expected.length);
});

test('simulate: a 5 % fee moves the requests after the window by their fee', async () => {
  const r = await simulate({ policy: policyBody({ handling_fee_bps: 500 }) });
  assert.equal(r.status, 200, r.text);
  const after = reqs.filter((x) => x.days > 30);
  assert.deepEqual(r.json.items.map((x) => x.refund_id), after.map((x) => x.id));
  for (const [i, it] of r.json.items.entries()) {
    const before = after[i].amount;
    assert.equal(it.before.amount, before);
    assert.equal(it.after.amount, before - Math.floor(before * 500 / 10000));
    assert.ok(it.after.reasons.includes('handling_fee'));
  }
});

test('simulate: refusing everything; keyset pages walk the changes by id', async () => {
  const draft = policyBody({ window_days: 0, after_window: 'none' });
  const all = await simulate({ policy: draft });
  assert.equal(all.status, 200, all.text);
  assert.equal(all.json.summary.newly_refused, SAMPLE.length);
  assert.equal(all.json.by_currency[0].amount_after, 0);
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 20; i++) {
    const q = `?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await simulate({ policy: draft }, { query: q });
    assert.equal(page.status, 200, page.text);
    assert.ok(page.json.items.length <= 3);
    seen.push(...page.json.items.map((x) => x.refund_id));
    assert.equal(page.json.summary.changed, SAMPLE.length);
    cursor = page.json.next_cursor;
    if (cursor === null) break;
  }
  assert.deepEqual(seen, reqs.map((x) => x.id));
});

test('simulate: only requests submitted in [from, to) count; a request without inputs is skipped', async () => {
  const none = await simulate({ policy: policyBody(), from: iso(nowS() - 20 * DAY), to: iso(nowS() - 10 * DAY) });
  assert.equal(none.status, 200, none.text);
  assert.equal(none.json.summary.requests, 0);
  const extra = await request({ days: 40, used: 0 });
  psql(`UPDATE refund_requests SET quote_inputs = NULL WHERE id = ${extra.id}`);
  try {
    const r = await simulate({ policy: policyBody({ handling_fee_bps: 100 }), from: iso(nowS() - DAY) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.summary.requests, SAMPLE.length + 1);
    assert.equal(r.json.summary.skipped, 1);
    assert.ok(!r.json.items.some((x) => x.refund_id === extra.id));
  } finally {
    psql(`UPDATE refund_requests SET status = 'withdrawn' WHERE id = ${extra.id}`);
  }
});

test('simulate writes nothing: no version, no audit event, a read-only transaction', async () => {
  const count = () => psql(`SELECT (SELECT count(*) FROM refund_policies WHERE product_type = '${TYPE}') || '/' ||
    (SELECT count(*) FROM audit_events)`);
  const before = count();
  const r = await simulate({ policy: policyBody({ window_days: 1 }) });
  assert.equal(r.status, 200, r.text);
  assert.equal(count(), before);
  const src = readFileSync(new URL('../../fcgi/simulations.c', import.meta.url), 'utf8');
  assert.match(src, /SET TRANSACTION READ ONLY/);
});

test('simulate: roles — admin and supervisor only', async () => {
  for (const role of ['customer', 'support', 'finance', 'system']) {
    assertProblem(assert, await simulate({ policy: policyBody() }, { tok: token(`x-${RUN}`, role) }), 403, 'forbidden');
  }
  const none = await api('POST', `/api/v1/policies/${TYPE}/simulate`, { body: { policy: policyBody() } });
  assert.equal(none.status, 401);
});

test('simulate: bad ranges, cursors and product types', async () => {
  const p = policyBody();
  const t = nowS();
  let r = await simulate({ policy: p, from: iso(t), to: iso(t) });
  assertProblem(assert, r, 422, 'invalid_range');
  assert.equal(r.json.field, 'from');
  r = await simulate({ policy: p, from: iso(t - 400 * DAY), to: iso(t) });
  assertProblem(assert, r, 422, 'invalid_range');
  assert.equal(r.json.field, 'to');
  assertProblem(assert, await simulate({ policy: p, from: iso(t + DAY) }), 422, 'invalid_range');
  assertProblem(assert, await simulate({ policy: p, from: 'yesterday' }), 422, 'invalid_value');
  assertProblem(assert, await simulate({ policy: p, to: 5 }), 422, 'wrong_type');
  assertProblem(assert, await simulate({ policy: p }, { query: '?cursor=abc' }), 400, 'invalid_cursor');
  assertProblem(assert, await simulate({ policy: p }, { query: '?limit=0' }), 400, 'invalid_limit');
  assertProblem(assert, await simulate({ policy: p }, { type: `none_${RUN}` }), 404, 'policy_not_found');
  assertProblem(assert, await simulate({ policy: p }, { type: 'Bad-Type' }), 422, 'invalid_product_type');
  assertProblem(assert, await simulate({}), 422, 'missing_field');
  assertProblem(assert, await simulate({ policy: [] }), 422, 'wrong_type');
  assertProblem(assert, await simulate({ policy: p, extra: 1 }), 422, 'unknown_field');
});

// The draft is checked by the same code as PUT: the same problem, field
// included, for each invalid draft (and PUT is asked too, side by side).
const DRAFT_REFUSALS = [
  ['invalid_policy', policyBody({ payout_methods: ['balance'], payout_default: 'original_route' })],
  ['invalid_policy', policyBody({ window_rule: 'service_in_progress', window_days: 5 })],
  ['invalid_payout_methods', policyBody({ payout_methods: [] })],
  ['invalid_payout_methods', policyBody({ payout_methods: ['original_route', 'cash'] })],
  ['unknown_field', policyBody({ window_hours: 3 })],
  ['missing_field', policyBody({ refundable: undefined })],
  ['out_of_range', policyBody({ window_days: 4000 })],
  ['out_of_range', policyBody({ handling_fee_bps: 10001 })],
  ['wrong_type', policyBody({ window_days: '7' })],
  ['invalid_value', policyBody({ after_window: 'forever' })],
  ['too_long', policyBody({ note: 'n'.repeat(501) })],
];

test('simulate refuses an invalid draft exactly as PUT does; nothing is added', async () => {
  const versions = psql(`SELECT count(*) FROM refund_policies WHERE product_type = '${TYPE}'`);
  for (const [code, body] of DRAFT_REFUSALS) {
    const sim = await simulate({ policy: body });
    const put = await api('PUT', `/api/v1/policies/${TYPE}`, { tok: ADMIN, body });
    assertProblem(assert, sim, 422, code);
    assertProblem(assert, put, 422, code);
    assert.equal(sim.json.field, put.json.field, code);
    assert.equal(sim.json.detail, put.json.detail, code);
  }
  assert.equal(psql(`SELECT count(*) FROM refund_policies WHERE product_type = '${TYPE}'`), versions);
});

// D3: requests in CNY and JPY of one product type. Each currency keeps its
// own amounts (summary, by decision, items); nothing adds minor units of
// one to the other (the explorer saw 120000 CNY + 12000 JPY as 132000).
test('simulate: amounts are per currency, never a sum of CNY and JPY minor units', async () => {
  const type = `sm_${RUN}`;
  const p = await api('PUT', `/api/v1/policies/${type}`, { tok: ADMIN, body: policyBody() });
  assert.equal(p.status, 201, p.text);
  const cny = await request({ days: 3, used: 0, type });
  const jpy = await request({ days: 40, used: 20000, type, currency: 'JPY' });
  const r = await simulate({ policy: policyBody({ handling_fee_bps: 500 }) }, { type });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.summary.requests, 2);
  const fee = Math.floor(jpy.amount * 500 / 10000);
  assert.deepEqual(r.json.by_currency, [
    { currency: 'CNY', requests: 1, amount_before: cny.amount, amount_after: cny.amount, delta: 0 },
    { currency: 'JPY', requests: 1, amount_before: jpy.amount, amount_after: jpy.amount - fee, delta: -fee },
  ]);
  assert.equal(r.json.by_decision.length, 8);   // every decision of each currency
  const row = (d, c) => r.json.by_decision.find((x) => x.decision === d && x.currency === c);
  assert.deepEqual(row('full', 'CNY'), { decision: 'full', currency: 'CNY', before: 1, after: 1,
    amount_before: cny.amount, amount_after: cny.amount });
  assert.equal(row('partial', 'JPY').amount_before, jpy.amount);
  assert.equal(row('full', 'JPY').before, 0);
  assert.deepEqual(r.json.items.map((x) => [x.refund_id, x.currency]), [[jpy.id, 'JPY']]);
});
