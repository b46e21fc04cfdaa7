// orders.test.mjs -- GET /api/v1/orders[/{id}], GET .../quote on every demo
// order of DESIGN.md §3's table, POST .../cancel, PUT /api/v1/orders/{id}
// (billing sync) with every refusal, and POST .../usage. Every order a test
// writes has its own random id and account, so the file passes when run
// twice against the same database; the demo orders are only read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, assertProblem, token, uid, sleep, THREADS, DAY, nowS, iso } from './lib.mjs';

const RUN = uid();
const SYSTEM = token(`billing-${RUN}`, 'system');
const SUPPORT = token(`agent-${RUN}`, 'support');
const ALICE = token('demo-alice', 'customer');
const BOB = token('demo-bob', 'customer');


// Unix seconds of a stored timestamp exactly as the quote's SQL reads it:
// extract(epoch ...)::bigint rounds the microseconds to the nearest second.
function epochOf(ts) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  assert.ok(m, `timestamp ${ts}`);
  const whole = Date.parse(m[1] + m[3]) / 1000;
  const frac = m[2] ? Number(`0.${m[2]}`) : 0;
  return whole + (frac >= 0.5 ? 1 : 0);
}

const sum = (lines) => lines.reduce((s, l) => s + l.amount, 0);
const floorDiv = (a, b) => Number(BigInt(a) / BigInt(b)); // operands >= 0

// What every quote must satisfy, whatever the order.
function assertQuoteShape(q, orderId) {
  assert.equal(q.order_id, orderId);
  assert.equal(typeof q.policy_version, 'number');
  assert.ok(Number.isInteger(q.policy_version) && q.policy_version >= 1);
  assert.equal(typeof q.amount, 'number');
  assert.ok(Number.isInteger(q.amount) && q.amount >= 0);
  assert.ok(Array.isArray(q.breakdown) && Array.isArray(q.reasons));
  assert.equal(sum(q.breakdown), q.amount,
    `breakdown ${JSON.stringify(q.breakdown)} must add up to ${q.amount}`);
  for (const l of q.breakdown) assert.ok(Number.isInteger(l.amount) && Number.isInteger(l.units));
  if (!q.eligible) {
    assert.equal(q.amount, 0);
    assert.equal(q.decision, 'none');
  }
  assert.ok(q.payout_methods.includes(q.payout_default));
  assert.equal(q.amount_text, (q.amount / 100).toFixed(2)); // every order here is CNY
}

// A valid order body for PUT; overrides replace or (undefined) remove fields.
function orderBody(overrides = {}) {
  const t = nowS();
  const body = {
    account: `acct-${RUN}`, provider: 'aliyun', product_type: 'traffic_package',
    product_name: '共享流量包 100GB', billing_mode: 'one_time', status: 'paid',
    amount_paid: 20000, currency: 'CNY', payment_method: 'card', payment_ref: `REF-${RUN}`,
    paid_at: iso(t - DAY), quantity: 100, bonus_quantity: 50, used_quantity: 0,
    in_use: false, promo: false, third_party_cost: 0,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete body[k]; else body[k] = v;
  }
  return body;
}

let seq = 0;
const newId = (tag = 'O') => `T-${tag}-${RUN}-${++seq}`;

async function putOrder(id, body, tok = SYSTEM) {
  return api('PUT', `/api/v1/orders/${encodeURIComponent(id)}`, { tok, body });
}
async function createOrder(overrides = {}, tag) {
  const id = newId(tag);
  const r = await putOrder(id, orderBody(overrides));
  assert.equal(r.status, 201, r.text);
  return { id, order: r.json };
}
async function getOrder(id, tok = SUPPORT) {
  return api('GET', `/api/v1/orders/${encodeURIComponent(id)}`, { tok });
}
async function quote(id, tok = SUPPORT) {
  const r = await api('GET', `/api/v1/orders/${encodeURIComponent(id)}/quote`, { tok });
  assert.equal(r.status, 200, r.text);
  assertQuoteShape(r.json, id);
  return r.json;
}

// 404 for a customer, whatever the reason: the problem must not tell an
// order of another account from one that does not exist.
function assertNotFound(r) {
  assert.equal(r.status, 404, r.text);
  assert.match(r.headers.get('content-type') || '', /^application\/problem\+json/);
  assert.ok(['not_found', 'order_not_found'].includes(r.json.code), r.text);
  assert.ok(!r.text.includes('demo-bob') && !r.text.includes('demo-alice'), r.text);
}

// ---------------------------------------------------------------- listing

async function walk(path, tok, limit) {
  const seen = [], pages = [];
  let cursor = null;
  for (let i = 0; i < 1000; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const q = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await api('GET', q, { tok });
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json.items));
    assert.ok(r.json.items.length <= limit);
    pages.push(r.json.items.length);
    seen.push(...r.json.items);
    if (r.json.next_cursor === null) return { seen, pages };
    assert.equal(typeof r.json.next_cursor, 'string');
    assert.equal(r.json.items.length, limit, 'a page before the last is full');
    cursor = r.json.next_cursor;
  }
  throw new Error('pagination never ended');
}

function assertNoRepeats(items) {
  const ids = items.map((o) => o.id);
  assert.equal(new Set(ids).size, ids.length, `repeated ids: ${ids}`);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `keyset order: ${ids[i - 1]} < ${ids[i]}`);
}

test('orders list: a customer sees only their own, pages walk without repeats', async () => {
  const acct = `list-${RUN}`, other = `list-other-${RUN}`;
  const mine = [];
  for (let i = 0; i < 5; i++) mine.push((await createOrder({ account: acct }, 'L')).id);
  const theirs = (await createOrder({ account: other }, 'L')).id;
  const tok = token(acct, 'customer');

  const { seen, pages } = await walk('/api/v1/orders', tok, 2);
  assert.deepEqual(pages, [2, 2, 1]);
  assertNoRepeats(seen);
  assert.deepEqual(seen.map((o) => o.id), [...mine].sort());
  for (const o of seen) assert.equal(o.account, acct);

  // ?account= does not widen a customer's view
  const widened = await api('GET', `/api/v1/orders?account=${other}&limit=100`, { tok });
  assert.equal(widened.status, 200);
  assert.deepEqual(widened.json.items.map((o) => o.id), [...mine].sort());
  assert.ok(!widened.json.items.some((o) => o.id === theirs));

  // exactly a page's worth left: no cursor to an empty page
  const exact = await walk('/api/v1/orders', tok, 5);
  assert.deepEqual(exact.pages, [5]);
});

test('orders list: demo-alice sees her demo orders and none of demo-bob\'s', async () => {
  const { seen } = await walk('/api/v1/orders', ALICE, 3);
  assertNoRepeats(seen);
  const ids = seen.map((o) => o.id);
  for (const id of ['DEMO-API-1', 'DEMO-API-2', 'DEMO-ECS-NEW', 'DEMO-TRAFFIC', 'DEMO-IMG-FREE'])
    assert.ok(ids.includes(id), id);
  for (const id of ['DEMO-ECS-OLD', 'DEMO-SAAS-OLD', 'DEMO-IMG-INUSE', 'DEMO-TOOL'])
    assert.ok(!ids.includes(id), id);
  for (const o of seen) assert.equal(o.account, 'demo-alice');
});

test('orders list: staff see every account and can filter with ?account=', async () => {
  const acct = `staff-${RUN}`;
  const mine = [];
  for (let i = 0; i < 3; i++) mine.push((await createOrder({ account: acct }, 'S')).id);

  const filtered = await walk(`/api/v1/orders?account=${acct}`, SUPPORT, 2);
  assert.deepEqual(filtered.pages, [2, 1]);
  assert.deepEqual(filtered.seen.map((o) => o.id), mine.sort());

  const all = await walk('/api/v1/orders', token(`fin-${RUN}`, 'finance'), 100);
  assertNoRepeats(all.seen);
  const accounts = new Set(all.seen.map((o) => o.account));
  for (const a of ['demo-alice', 'demo-bob', acct]) assert.ok(accounts.has(a), a);
  const ids = new Set(all.seen.map((o) => o.id));
  for (const id of ['DEMO-ECS-OLD', 'DEMO-API-1', ...mine]) assert.ok(ids.has(id), id);

  const none = await api('GET', `/api/v1/orders?account=nobody-${RUN}`, { tok: SUPPORT });
  assert.equal(none.status, 200);
  assert.deepEqual(none.json, { items: [], next_cursor: null });

  const dflt = await api('GET', '/api/v1/orders', { tok: SUPPORT });
  assert.equal(dflt.status, 200);
  assert.ok(dflt.json.items.length <= 20, 'default page size 20');
});

for (const bad of ['0', '101', 'abc', '-1', '1.5', '', '99999999999999999999']) {
  test(`orders list: limit=${bad} is 400 invalid_limit`, async () => {
    const r = await api('GET', `/api/v1/orders?limit=${bad}`, { tok: SUPPORT });
    assertProblem(assert, r, 400, 'invalid_limit');
  });
}

test('orders list: a malformed cursor is 400 invalid_cursor', async () => {
  for (const c of ['a%20b', 'x'.repeat(65), '%27%3B--']) {
    const r = await api('GET', `/api/v1/orders?cursor=${c}`, { tok: SUPPORT });
    assertProblem(assert, r, 400, 'invalid_cursor');
  }
});

test('orders list and get: the system role is 403', async () => {
  assertProblem(assert, await api('GET', '/api/v1/orders', { tok: SYSTEM }), 403, 'forbidden');
  assertProblem(assert, await getOrder('DEMO-API-1', SYSTEM), 403, 'forbidden');
  assertProblem(assert, await api('GET', '/api/v1/orders/DEMO-API-1/quote', { tok: SYSTEM }), 403, 'forbidden');
  assertProblem(assert, await api('GET', '/api/v1/orders'), 401, 'invalid_token');
});

// ---------------------------------------------------------------- one order

test('order get: own 200, another account\'s 404 like an unknown one, staff 200', async () => {
  const own = await getOrder('DEMO-API-1', ALICE);
  assert.equal(own.status, 200, own.text);
  assert.equal(own.json.id, 'DEMO-API-1');
  assert.equal(own.json.account, 'demo-alice');
  assert.equal(own.json.amount_paid, 1000000);
  assert.equal(own.json.currency, 'CNY');
  assert.equal(own.json.status, 'paid');
  assert.deepEqual(own.json.items, []);

  const other = await getOrder('DEMO-ECS-OLD', ALICE);
  const unknown = await getOrder(`NOPE-${RUN}`, ALICE);
  assertNotFound(other);
  assertNotFound(unknown);
  assert.equal(other.json.code, unknown.json.code);
  assert.equal(other.json.title, unknown.json.title);

  for (const role of ['support', 'supervisor', 'finance', 'admin']) {
    const r = await getOrder('DEMO-ECS-OLD', token(`staff-${RUN}`, role));
    assert.equal(r.status, 200, `${role}: ${r.text}`);
    assert.equal(r.json.account, 'demo-bob');
    assert.equal(r.json.third_party_cost, 5000);
  }
  assertNotFound(await getOrder(`NOPE-${RUN}`, SUPPORT));

  const unpaid = await getOrder('DEMO-ECS-UNPAID', SUPPORT);
  assert.equal(unpaid.status, 200);
  assert.deepEqual(unpaid.json.items.map((i) => i.item_no), [1, 2]);
  assert.ok(unpaid.json.items.every((i) => !('order_id' in i)));
});

// ---------------------------------------------------------------- quotes on the demo data

async function demoOrder(id) {
  const r = await getOrder(id);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// The current version of a product type's policy: every quote names it.
const versions = new Map();
async function currentVersion(type) {
  if (!versions.has(type)) {
    const r = await api('GET', `/api/v1/policies/${type}`, { tok: SUPPORT });
    assert.equal(r.status, 200, r.text);
    versions.set(type, r.json.version);
  }
  return versions.get(type);
}

function remedyCode(q) { return q.remedy === null ? null : q.remedy.code; }

// Expected quote per demo order, worked out by hand from sql/demo/010_demo.sql
// and the engine's rules (policy.h). windowDays: the policy's window (null: no
// window of days). Amounts that depend on now are checked in their own test.
const DEMO = {
  // seed 000 case 1: inside 30 days, unused: everything back by the original route
  'DEMO-API-1': { eligible: true, decision: 'full', amount: 1000000, rule: 'window_full',
    breakdown: [{ label: 'paid', amount: 1000000, units: 0 }], reasons: [], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: 30 },
  // seed 000 case 2: after 30 days, 37 500 of 100 000 credits used:
  // 50 000 × 62 500 / 100 000 = 31 250, to the balance
  'DEMO-API-2': { eligible: true, decision: 'partial', amount: 31250, rule: 'prorata_usage',
    breakdown: [{ label: 'paid', amount: 50000, units: 0 },
                { label: 'used_units', amount: -18750, units: 37500 }],
    reasons: ['window_closed', 'already_used'], remedy: null,
    payout: ['balance'], dflt: 'balance', windowDays: 30 },
  // 001: paid 2 days ago, inside 5 days: full
  'DEMO-ECS-NEW': { eligible: true, decision: 'full', amount: 120000, rule: 'window_full',
    breakdown: [{ label: 'paid', amount: 120000, units: 0 }], reasons: [], remedy: null,
    payout: ['original_route', 'balance'], dflt: 'original_route', windowDays: 5 },
  // 002: promotion purchases excluded (inside the window, still refused)
  'DEMO-ECS-PROMO': { eligible: false, decision: 'none', amount: 0, rule: 'window_full',
    breakdown: [], reasons: ['promo_purchase'], remedy: null,
    payout: ['original_route', 'balance'], dflt: 'original_route', windowDays: 5 },
  // 002: pay-as-you-go: nothing to refund, cancel unpaid orders instead
  'DEMO-ECS-PAYG': { eligible: false, decision: 'none', amount: 0, rule: 'not_refundable',
    breakdown: [], reasons: ['not_refundable_type'], remedy: 'payg_cancel_unpaid',
    payout: ['original_route'], dflt: 'original_route', windowDays: null },
  'DEMO-ECS-UNPAID': { eligible: false, decision: 'none', amount: 0, rule: 'not_refundable',
    breakdown: [], reasons: ['order_unpaid', 'not_refundable_type'], remedy: 'cancel_unpaid_order',
    payout: ['original_route'], dflt: 'original_route', windowDays: null },
  // 004: 100 GB paid + 50 gifted, 30 used (paid units first): 20 000 × 70/100 = 14 000;
  // the 50 unused gifted GB are forfeited (a 0 line with its units)
  'DEMO-TRAFFIC': { eligible: true, decision: 'partial', amount: 14000, rule: 'usage_window',
    breakdown: [{ label: 'paid', amount: 20000, units: 0 },
                { label: 'used_units', amount: -6000, units: 30 },
                { label: 'bonus_units', amount: 0, units: 50 }],
    reasons: ['already_used', 'bonus_not_refundable'], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: 7 },
  // 003: SaaS 5 days, none after
  'DEMO-SAAS-NEW': { eligible: true, decision: 'full', amount: 59900, rule: 'window_full',
    breakdown: [{ label: 'paid', amount: 59900, units: 0 }], reasons: [], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: 5 },
  'DEMO-SAAS-OLD': { eligible: false, decision: 'none', amount: 0, rule: 'none',
    breakdown: [], reasons: ['window_closed'], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: 5 },
  // 003: services: full while in progress, none once completed
  'DEMO-MKT-RUNNING': { eligible: true, decision: 'full', amount: 150000, rule: 'service_in_progress',
    breakdown: [{ label: 'paid', amount: 150000, units: 0 }], reasons: [], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: null },
  'DEMO-MKT-DONE': { eligible: false, decision: 'none', amount: 0, rule: 'none',
    breakdown: [], reasons: ['service_completed'], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: null },
  // 003: images: unused inside 5 days full; in use refused with the remedy
  'DEMO-IMG-FREE': { eligible: true, decision: 'full', amount: 3000, rule: 'window_full',
    breakdown: [{ label: 'paid', amount: 3000, units: 0 }], reasons: [], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: 5 },
  'DEMO-IMG-INUSE': { eligible: false, decision: 'none', amount: 0, rule: 'window_full',
    breakdown: [], reasons: ['image_in_use'], remedy: 'stop_instance_or_change_os',
    payout: ['original_route'], dflt: 'original_route', windowDays: 5 },
  // 003: never refundable (payg images also get the payg remedy)
  'DEMO-IMG-PAYG': { eligible: false, decision: 'none', amount: 0, rule: 'not_refundable',
    breakdown: [], reasons: ['not_refundable_type'], remedy: 'payg_cancel_unpaid',
    payout: ['original_route'], dflt: 'original_route', windowDays: null },
  'DEMO-API-PRODUCT': { eligible: false, decision: 'none', amount: 0, rule: 'not_refundable',
    breakdown: [], reasons: ['not_refundable_type'], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: null },
  'DEMO-TOOL': { eligible: false, decision: 'none', amount: 0, rule: 'not_refundable',
    breakdown: [], reasons: ['not_refundable_type'], remedy: null,
    payout: ['original_route'], dflt: 'original_route', windowDays: null },
};

for (const [id, want] of Object.entries(DEMO)) {
  test(`quote ${id}: ${want.decision} ${want.amount} by ${want.rule}${want.reasons.length ? ` (${want.reasons.join(', ')})` : ''}`, async () => {
    const order = await demoOrder(id);
    const q = await quote(id);
    assert.equal(q.eligible, want.eligible);
    assert.equal(q.decision, want.decision);
    assert.equal(q.amount, want.amount);
    assert.equal(q.currency, 'CNY');
    assert.equal(q.rule, want.rule);
    assert.deepEqual(q.breakdown, want.breakdown);
    assert.deepEqual(q.reasons, want.reasons);
    assert.equal(remedyCode(q), want.remedy);
    if (q.remedy) {
      assert.ok(q.remedy['zh-CN'].length > 0 && q.remedy.en.length > 0, 'remedy texts in both languages');
    }
    assert.deepEqual(q.payout_methods, want.payout);
    assert.equal(q.payout_default, want.dflt);
    assert.equal(q.policy_version, await currentVersion(order.product_type));
    if (want.windowDays === null) {
      assert.equal(q.window_ends_at, null);
    } else {
      assert.equal(q.window_ends_at, iso(epochOf(order.paid_at) + want.windowDays * DAY));
    }
  });
}

test('quote DEMO-ECS-OLD: manual review of the unused time, minus the third-party cost', async () => {
  const order = await demoOrder('DEMO-ECS-OLD');
  const before = nowS();
  const q = await quote('DEMO-ECS-OLD');
  const after = nowS();
  assert.equal(q.eligible, true);
  assert.equal(q.decision, 'manual_review');
  assert.equal(q.rule, 'prorata_time');
  assert.deepEqual(q.reasons, ['window_closed', 'already_used', 'third_party_cost']);
  assert.equal(remedyCode(q), 'contact_support_negotiate');
  assert.deepEqual(q.payout_methods, ['original_route', 'balance']);
  assert.equal(q.payout_default, 'original_route');
  assert.equal(q.window_ends_at, iso(epochOf(order.paid_at) + 5 * DAY));
  assert.equal(q.policy_version, await currentVersion('cloud_server'));

  // Consumed time is whole days from the period's start, the day begun
  // counting (policy.h): the days begun at the time of the request; the
  // amounts then follow from the formula exactly.
  const start = epochOf(order.period_start), end = epochOf(order.period_end);
  const period = end - start;
  assert.equal(period, 365 * DAY);
  const consumedLine = q.breakdown.find((l) => l.label === 'consumed_time');
  assert.ok(consumedLine, JSON.stringify(q.breakdown));
  const consumed = consumedLine.units;
  const daysBegun = (t) => Math.ceil((t - start) / DAY) * DAY;
  assert.ok(consumed >= daysBegun(before - 2) && consumed <= daysBegun(after + 2),
    `consumed ${consumed} vs ${before}..${after}`);
  assert.equal(consumed % DAY, 0);
  assert.ok(consumed >= 100 * DAY && consumed <= 101 * DAY);

  // Seed 001: "扣除相应费用后再行结算": the 50.00 comes off first, then the
  // unused share of the rest; not the unused share of 1 200.00 minus 50.00,
  // which would charge the consumed share of the 50.00 twice.
  const paid = 120000, third = 5000, base = paid - third;
  const amount = floorDiv(base * (period - consumed), period);    // unused time, rounded down
  const consumedValue = floorDiv(base * consumed, period);
  const expected = [
    { label: 'paid', amount: paid, units: 0 },
    { label: 'third_party_cost', amount: -third, units: 0 },
    { label: 'consumed_time', amount: -consumedValue, units: consumed },
  ];
  const rounding = amount - (base - consumedValue);
  if (rounding !== 0) expected.push({ label: 'rounding', amount: rounding, units: 0 });
  assert.ok(rounding === 0 || rounding === -1, `rounding ${rounding}`);
  assert.deepEqual(q.breakdown, expected);
  assert.equal(q.amount, amount);
  // about 265/365 of 1 150.00
  assert.ok(q.amount > 82500 && q.amount < 84500, `amount ${q.amount}`);
});

test('quote: customer own 200, another account\'s 404, unknown 404', async () => {
  const own = await quote('DEMO-API-1', ALICE);
  assert.equal(own.amount, 1000000);
  const bobs = await quote('DEMO-ECS-OLD', BOB);
  assert.equal(bobs.decision, 'manual_review');
  assertNotFound(await api('GET', '/api/v1/orders/DEMO-ECS-OLD/quote', { tok: ALICE }));
  assertNotFound(await api('GET', '/api/v1/orders/DEMO-API-1/quote', { tok: BOB }));
  assertNotFound(await api('GET', `/api/v1/orders/NOPE-${RUN}/quote`, { tok: SUPPORT }));
});

// ---------------------------------------------------------------- cancel

test('cancel: an unpaid order and its items, once; then 409', async () => {
  const acct = `cancel-${RUN}`;
  const items = [
    { item_no: 1, name: 'ECS 实例', status: 'unpaid', amount: 3000 },
    { item_no: 2, name: '云盘 40GB', status: 'unpaid', amount: 456 },
  ];
  const { id, order } = await createOrder({
    account: acct, product_type: 'cloud_server_payg', billing_mode: 'payg', status: 'unpaid',
    amount_paid: 0, paid_at: undefined, payment_ref: null, quantity: 0, bonus_quantity: 0, items,
  }, 'C');
  assert.equal(order.status, 'unpaid');
  assert.deepEqual(order.items.map((i) => i.status), ['unpaid', 'unpaid']);
  const q0 = await quote(id);
  assert.deepEqual(q0.reasons, ['order_unpaid', 'not_refundable_type']);
  assert.equal(remedyCode(q0), 'cancel_unpaid_order');

  const tok = token(acct, 'customer');
  const r = await api('POST', `/api/v1/orders/${id}/cancel`, { tok });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, id);
  assert.equal(r.json.status, 'cancelled');
  assert.deepEqual(r.json.items.map((i) => [i.item_no, i.status]), [[1, 'cancelled'], [2, 'cancelled']]);
  const back = await getOrder(id, tok);
  assert.equal(back.json.status, 'cancelled');
  assert.deepEqual(back.json.items.map((i) => i.status), ['cancelled', 'cancelled']);

  const again = await api('POST', `/api/v1/orders/${id}/cancel`, { tok });
  assertProblem(assert, again, 409, 'order_not_unpaid');
  assert.equal(again.json.status, 409);

  const q1 = await quote(id, tok);
  assert.equal(q1.eligible, false);
  assert.ok(q1.reasons.includes('order_cancelled'), q1.reasons);
});

test('cancel: a paid order is 409 and stays paid', async () => {
  const acct = `cancel-paid-${RUN}`;
  const { id } = await createOrder({ account: acct }, 'C');
  const tok = token(acct, 'customer');
  const before = (await getOrder(id)).json;
  assertProblem(assert, await api('POST', `/api/v1/orders/${id}/cancel`, { tok }), 409, 'order_not_unpaid');
  assert.deepEqual((await getOrder(id)).json, before);
  assertProblem(assert, await api('POST', '/api/v1/orders/DEMO-API-1/cancel', { tok: ALICE }), 409, 'order_not_unpaid');
  assert.equal((await getOrder('DEMO-API-1')).json.status, 'paid');
});

test('cancel: another account\'s order is 404, staff and system are 403; nothing changes', async () => {
  const acct = `cancel-own-${RUN}`;
  const { id } = await createOrder({
    account: acct, product_type: 'cloud_server_payg', billing_mode: 'payg', status: 'unpaid',
    amount_paid: 0, paid_at: undefined, items: [{ item_no: 1, name: 'x', status: 'unpaid', amount: 1 }],
  }, 'C');
  const before = (await getOrder(id)).json;
  const demoBefore = (await getOrder('DEMO-ECS-UNPAID')).json;
  assertNotFound(await api('POST', `/api/v1/orders/${id}/cancel`, { tok: token(`intruder-${RUN}`, 'customer') }));
  assertNotFound(await api('POST', '/api/v1/orders/DEMO-ECS-UNPAID/cancel', { tok: BOB }));
  assertNotFound(await api('POST', `/api/v1/orders/NOPE-${RUN}/cancel`, { tok: token(acct, 'customer') }));
  for (const role of ['support', 'supervisor', 'finance', 'admin', 'system']) {
    const r = await api('POST', `/api/v1/orders/${id}/cancel`, { tok: token(`x-${RUN}`, role) });
    assertProblem(assert, r, 403, 'forbidden');
  }
  assert.deepEqual((await getOrder(id)).json, before);
  assert.deepEqual((await getOrder('DEMO-ECS-UNPAID')).json, demoBefore);
});

// ---------------------------------------------------------------- PUT (billing sync)

test('put: creates (201) then updates (200); items replaced only when sent', async () => {
  const id = newId('P');
  const t = nowS();
  const body = orderBody({
    product_type: 'cloud_server', product_name: 'ECS 2核4G', billing_mode: 'subscription',
    amount_paid: 120000, payment_method: 'alipay', paid_at: iso(t - DAY),
    period_start: iso(t - DAY), period_end: iso(t - DAY + 365 * DAY), quantity: 0, bonus_quantity: 0,
    items: [{ item_no: 2, name: '云盘', status: 'paid', amount: 20000 },
            { item_no: 1, name: '实例', status: 'paid', amount: 100000 }],
  });
  const created = await putOrder(id, body);
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.id, id);
  for (const k of ['account', 'provider', 'product_type', 'product_name', 'billing_mode', 'status',
    'amount_paid', 'currency', 'payment_method', 'payment_ref', 'quantity', 'bonus_quantity',
    'used_quantity', 'in_use', 'promo', 'third_party_cost'])
    assert.deepEqual(created.json[k], body[k], k);
  assert.equal(epochOf(created.json.paid_at), t - DAY);
  assert.equal(epochOf(created.json.period_end), t - DAY + 365 * DAY);
  assert.equal(created.json.service_status, null);
  assert.deepEqual(created.json.items.map((i) => [i.item_no, i.name, i.amount]),
    [[1, '实例', 100000], [2, '云盘', 20000]]);
  assert.deepEqual((await getOrder(id)).json, created.json);
  const q = await quote(id);
  assert.equal(q.decision, 'full');
  assert.equal(q.amount, 120000);

  const updated = await putOrder(id, { ...body, amount_paid: 110000, third_party_cost: 700, items: undefined });
  assert.equal(updated.status, 200, updated.text);
  assert.equal(updated.json.amount_paid, 110000);
  assert.equal(updated.json.third_party_cost, 700);
  assert.equal(updated.json.items.length, 2, 'items not sent: kept');
  const u2 = await putOrder(id, { ...body, items: [{ item_no: 7, name: 'only', status: 'paid', amount: 1 }] });
  assert.equal(u2.status, 200);
  assert.deepEqual(u2.json.items.map((i) => i.item_no), [7]);
  const u3 = await putOrder(id, { ...body, items: [] });
  assert.equal(u3.status, 200);
  assert.deepEqual(u3.json.items, []);
  assert.deepEqual((await getOrder(id)).json, u3.json);
});

// A request, its payout and its claim are made out to the order's account
// in its currency (the payout reads the currency from the order): once a
// request exists, billing may not move the order (regression: it could,
// and the next payout went out in the new currency).
test('put: an order with a refund request keeps its account and currency (409 order_has_refunds)', async () => {
  const account = `acct-${RUN}-terms`;
  const { id, order } = await createOrder({ account });
  const body = orderBody({ account });
  const sub = await api('POST', '/api/v1/refunds', { tok: token(account, 'customer'),
    headers: { 'Idempotency-Key': `terms-${RUN}` },
    body: { order_id: id, reason_code: 'changed_mind', payout_method: (await quote(id)).payout_default } });
  assert.equal(sub.status, 201, sub.text);
  for (const change of [{ currency: 'USD' }, { account: `acct-${RUN}-other` }]) {
    const r = await putOrder(id, { ...body, ...change });
    assertProblem(assert, r, 409, 'order_has_refunds');
  }
  const now = (await getOrder(id)).json;
  assert.equal(now.currency, order.currency);
  assert.equal(now.account, account);
  assert.equal(now.updated_at, order.updated_at, 'a refused update changes nothing');
  // The same account and currency again, with other facts: an update as usual.
  const r = await putOrder(id, { ...body, used_quantity: 10 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.used_quantity, 10);
  // An order without requests may still be corrected.
  const free = await createOrder({ account });
  assert.equal((await putOrder(free.id, { ...orderBody({ account }), currency: 'USD' })).status, 200);
});

test('put: the customer and staff roles are 403 and nothing is stored', async () => {
  const id = newId('P');
  for (const role of ['customer', 'support', 'admin']) {
    const r = await putOrder(id, orderBody(), token(`acct-${RUN}`, role));
    assertProblem(assert, r, 403, 'forbidden');
  }
  assertNotFound(await getOrder(id));
});

// Each refusal: [name, status, code, body (object, or {raw, contentType})].
const t0 = nowS();
// A valid order body with raw bytes in the middle of product_name.
function withBytes(bytes) {
  const s = JSON.stringify(orderBody({ product_name: 'AAAA' }));
  const i = s.indexOf('AAAA');
  return Buffer.concat([Buffer.from(s.slice(0, i)), Buffer.from(bytes), Buffer.from(s.slice(i + 4))]);
}
const PUT_REFUSALS = [
  ['unknown field', 422, 'unknown_field', orderBody({ colour: 'red' })],
  ['amount_paid as a string', 422, 'wrong_type', orderBody({ amount_paid: '100' })],
  ['amount_paid as a fraction', 422, 'wrong_type', orderBody({ amount_paid: 1.5 })],
  ['in_use as a string', 422, 'wrong_type', orderBody({ in_use: 'true' })],
  ['paid_at as a number', 422, 'wrong_type', orderBody({ paid_at: t0 })],
  ['items not an array', 422, 'wrong_type', orderBody({ items: {} })],
  ['negative amount', 422, 'out_of_range', orderBody({ amount_paid: -1 })],
  ['huge amount', 422, 'out_of_range', orderBody({ amount_paid: 100000000000001 })],
  ['negative third_party_cost', 422, 'out_of_range', orderBody({ third_party_cost: -5 })],
  ['negative quantity', 422, 'out_of_range', orderBody({ quantity: -1 })],
  ['bad billing_mode', 422, 'invalid_value', orderBody({ billing_mode: 'weekly' })],
  ['bad status', 422, 'invalid_value', orderBody({ status: 'refunded' })],
  ['bad payment_method', 422, 'invalid_value', orderBody({ payment_method: 'cash' })],
  ['bad service_status', 422, 'invalid_value', orderBody({ service_status: 'paused' })],
  ['provider not a code', 422, 'invalid_value', orderBody({ provider: 'Ali Yun' })],
  ['empty account', 422, 'invalid_value', orderBody({ account: '' })],
  ['over-long product_name', 422, 'too_long', orderBody({ product_name: 'x'.repeat(201) })],
  ['paid_at not a time', 422, 'invalid_value', orderBody({ paid_at: 'yesterday' })],
  ['missing currency', 422, 'missing_field', orderBody({ currency: undefined })],
  ['unknown currency', 422, 'unknown_currency', orderBody({ currency: 'XYZ' })],
  ['lower-case currency', 422, 'unknown_currency', orderBody({ currency: 'cny' })],
  ['period_end before period_start', 422, 'invalid_order',
    orderBody({ period_start: iso(t0), period_end: iso(t0 - DAY) })],
  ['period_start without period_end', 422, 'invalid_period', orderBody({ period_start: iso(t0) })],
  ['used beyond quantity + bonus', 422, 'invalid_order',
    orderBody({ quantity: 100, bonus_quantity: 50, used_quantity: 151 })],
  ['paid without paid_at', 422, 'missing_paid_at', orderBody({ paid_at: undefined })],
  ['expired without paid_at', 422, 'missing_paid_at', orderBody({ status: 'expired', paid_at: null })],
  ['unknown product type', 422, 'unknown_product_type', orderBody({ product_type: `nope_${RUN}` })],
  ['an item with a bad status', 422, 'invalid_value',
    orderBody({ items: [{ item_no: 1, name: 'a', status: 'gone', amount: 1 }] })],
  ['an item with an unknown field', 422, 'unknown_field',
    orderBody({ items: [{ item_no: 1, name: 'a', status: 'paid', amount: 1, x: 1 }] })],
  ['two items with one item_no', 422, 'invalid_items',
    orderBody({ items: [{ item_no: 1, name: 'a', status: 'paid', amount: 1 },
                        { item_no: 1, name: 'b', status: 'paid', amount: 2 }] })],
  ['101 items', 422, 'too_many_items',
    orderBody({ items: Array.from({ length: 101 }, (_, i) => ({ item_no: i + 1, name: 'a', status: 'paid', amount: 1 })) })],
  ['invalid UTF-8', 400, 'invalid_utf8',
    { raw: Buffer.concat([Buffer.from('{"account":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) }],
  ['a broken UTF-8 sequence in a valid body', 400, 'invalid_utf8', { raw: withBytes([0xc3, 0x28]) }],
  ['a UTF-8 encoded surrogate', 400, 'invalid_utf8', { raw: withBytes([0xed, 0xa0, 0x80]) }],
  ['an overlong UTF-8 encoding', 400, 'invalid_utf8', { raw: withBytes([0xc0, 0xaf]) }],
  ['non-JSON', 400, 'invalid_json', { raw: 'amount_paid=100' }],
  ['truncated JSON', 400, 'invalid_json', { raw: '{"account": "a"' }],
  ['a JSON array', 400, 'invalid_json', { raw: '[]' }],
  ['an empty body', 400, 'invalid_json', { raw: '' }],
  ['duplicate keys', 400, 'invalid_json',
    { raw: JSON.stringify(orderBody()).replace('{', '{"amount_paid":1,') }],
  ['wrong Content-Type', 415, 'unsupported_media_type',
    { raw: JSON.stringify(orderBody({ amount_paid: 1 })), contentType: 'text/plain' }],
  ['form Content-Type', 415, 'unsupported_media_type',
    { raw: JSON.stringify(orderBody({ amount_paid: 1 })), contentType: 'application/x-www-form-urlencoded' }],
  ['no Content-Type', 415, 'unsupported_media_type',
    { raw: Buffer.from(JSON.stringify(orderBody({ amount_paid: 1 }))), contentType: null }],
  ['a JSON look-alike Content-Type', 415, 'unsupported_media_type',
    { raw: JSON.stringify(orderBody({ amount_paid: 1 })), contentType: 'application/jsonx' }],
];

async function sendRefusal(id, body) {
  if (body && body.raw !== undefined) {
    const headers = {};
    if (body.contentType !== null) headers['Content-Type'] = body.contentType ?? 'application/json';
    return api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, raw: body.raw, headers });
  }
  return putOrder(id, body);
}

// One order that every refusal below tries to overwrite (made on first use).
let refusalTarget = null;
async function refusalOrder() {
  if (!refusalTarget) {
    const { id } = await createOrder({
      account: `refuse-${RUN}`, items: [{ item_no: 1, name: 'keep', status: 'paid', amount: 5 }],
    }, 'R');
    refusalTarget = { id, before: (await getOrder(id)).json };
  }
  return refusalTarget;
}

for (const [name, status, code, body] of PUT_REFUSALS) {
  test(`put refuses ${name}: ${status} ${code}; nothing changes or is created`, async () => {
    const { id, before } = await refusalOrder();
    const r = await sendRefusal(id, body);
    assertProblem(assert, r, status, code);
    assert.deepEqual((await getOrder(id)).json, before, 'the existing order is unchanged');

    const fresh = newId('N');
    const r2 = await sendRefusal(fresh, body);
    assertProblem(assert, r2, status, code);
    assertNotFound(await getOrder(fresh));
  });
}

test('put: an id the table cannot hold is refused and nothing is stored', async () => {
  const long = `L${RUN}`.padEnd(65, 'x');
  const r = await putOrder(long, orderBody());
  assert.ok([400, 422].includes(r.status), r.text);
  assert.match(r.headers.get('content-type'), /^application\/problem\+json/);
  assertNotFound(await getOrder(long));
});

// ---------------------------------------------------------------- usage

async function usage(id, body, tok = SYSTEM) {
  return api('POST', `/api/v1/orders/${encodeURIComponent(id)}/usage`, { tok, body });
}

test('usage: used_quantity changes the quote; beyond quantity + bonus is 422', async () => {
  const { id } = await createOrder({ account: `use-${RUN}` }, 'U');
  let q = await quote(id);
  // nothing used: all the paid traffic back, the gift forfeited
  assert.equal(q.amount, 20000);
  assert.equal(q.rule, 'usage_window');
  assert.deepEqual(q.breakdown, [{ label: 'paid', amount: 20000, units: 0 },
                                 { label: 'bonus_units', amount: 0, units: 50 }]);
  assert.deepEqual(q.reasons, ['bonus_not_refundable']);

  let r = await usage(id, { used_quantity: 33 });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.used_quantity, 33);
  q = await quote(id);
  // 20 000 × 67 / 100 = 13 400
  assert.equal(q.decision, 'partial');
  assert.equal(q.amount, 13400);
  assert.deepEqual(q.breakdown, [{ label: 'paid', amount: 20000, units: 0 },
                                 { label: 'used_units', amount: -6600, units: 33 },
                                 { label: 'bonus_units', amount: 0, units: 50 }]);

  // all paid units and 20 gifted used: nothing left
  r = await usage(id, { used_quantity: 120 });
  assert.equal(r.status, 200, r.text);
  q = await quote(id);
  assert.equal(q.eligible, false);
  assert.equal(q.amount, 0);
  assert.deepEqual(q.breakdown, [{ label: 'paid', amount: 20000, units: 0 },
                                 { label: 'used_units', amount: -20000, units: 100 },
                                 { label: 'bonus_units', amount: 0, units: 30 }]);
  assert.deepEqual(q.reasons, ['already_used', 'bonus_not_refundable', 'nothing_left']);

  const before = (await getOrder(id)).json;
  r = await usage(id, { used_quantity: 151 });
  assertProblem(assert, r, 422, 'used_exceeds_quantity');
  r = await usage(id, { used_quantity: 150, in_use: true });
  assert.equal(r.status, 200, 'exactly quantity + bonus is allowed');
  assert.equal(r.json.used_quantity, 150);
  r = await usage(id, { used_quantity: 2000000000001 });
  assertProblem(assert, r, 422, 'out_of_range');
  assert.equal((await getOrder(id)).json.used_quantity, 150);
  assert.equal(before.used_quantity, 120);
});

test('usage: an image set in use gets image_in_use with its remedy, and back', async () => {
  const t = nowS();
  const { id } = await createOrder({
    account: `img-${RUN}`, product_type: 'image_subscription', billing_mode: 'subscription',
    amount_paid: 3000, paid_at: iso(t - DAY), period_start: iso(t - DAY),
    period_end: iso(t - DAY + 30 * DAY), quantity: 0, bonus_quantity: 0,
  }, 'I');
  let q = await quote(id);
  assert.equal(q.decision, 'full');
  assert.equal(q.amount, 3000);

  let r = await usage(id, { in_use: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.in_use, true);
  assert.equal(r.json.used_quantity, 0, 'fields not sent stay as they are');
  q = await quote(id);
  assert.equal(q.eligible, false);
  assert.deepEqual(q.reasons, ['image_in_use']);
  assert.equal(remedyCode(q), 'stop_instance_or_change_os');
  assert.match(q.remedy.en, /[Ss]top the instance/);

  r = await usage(id, { in_use: false });
  assert.equal(r.status, 200);
  q = await quote(id);
  assert.equal(q.decision, 'full');
  assert.equal(q.amount, 3000);
  assert.equal(q.remedy, null);
});

test('usage: a service marked completed is no longer refundable', async () => {
  const { id } = await createOrder({
    account: `svc-${RUN}`, product_type: 'marketplace_service', amount_paid: 150000,
    payment_method: 'bank_transfer', quantity: 0, bonus_quantity: 0, service_status: 'in_progress',
  }, 'M');
  let q = await quote(id);
  assert.equal(q.rule, 'service_in_progress');
  assert.equal(q.amount, 150000);
  const r = await usage(id, { service_status: 'completed' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.service_status, 'completed');
  q = await quote(id);
  assert.equal(q.eligible, false);
  assert.deepEqual(q.reasons, ['service_completed']);
});

// A service whose policy decides by its status, sent by billing without
// one: a clear 422 for the quote and the submission (regression: 500, "the
// policy engine refused order").
test('quote: a service order without service_status is 422 service_status_required, not 500', async () => {
  const account = `svc-none-${RUN}`;
  const { id } = await createOrder({
    account, product_type: 'marketplace_service', amount_paid: 150000,
    payment_method: 'bank_transfer', quantity: 0, bonus_quantity: 0,
  }, 'M');
  const q = await api('GET', `/api/v1/orders/${id}/quote`, { tok: SUPPORT });
  assertProblem(assert, q, 422, 'service_status_required');
  assert.match(q.json.detail, /marketplace_service/);
  const sub = await api('POST', '/api/v1/refunds', { tok: token(account, 'customer'),
    headers: { 'Idempotency-Key': `svc-none-${RUN}` },
    body: { order_id: id, reason_code: 'changed_mind', payout_method: 'original_route' } });
  assertProblem(assert, sub, 422, 'service_status_required');
  // Once billing sends the status, the quote is the policy's.
  assert.equal((await usage(id, { service_status: 'in_progress' })).status, 200);
  assert.equal((await quote(id)).amount, 150000);
});

// Billing lowered what an order paid below the quoted amount of its open
// request (only approved money is guarded, sql/005): nothing is left to
// quote, and a second submission is refused for the open request, not 500.
test('quote: an order billing lowered below its open request quotes nothing_left, not 500', async () => {
  const account = `acct-${RUN}-lowered`;
  const { id } = await createOrder({ account, amount_paid: 20000 });
  const cust = token(account, 'customer');
  const first = await api('POST', '/api/v1/refunds', { tok: cust, headers: { 'Idempotency-Key': `low-${RUN}-1` },
    body: { order_id: id, reason_code: 'changed_mind', payout_method: (await quote(id)).payout_default } });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.quoted_amount, 20000);
  assert.equal((await putOrder(id, orderBody({ account, amount_paid: 5000 }))).status, 200);
  const q = await quote(id);
  assert.equal(q.eligible, false);
  assert.equal(q.amount, 0);
  assert.ok(q.reasons.includes('nothing_left'), JSON.stringify(q));
  const again = await api('POST', '/api/v1/refunds', { tok: cust, headers: { 'Idempotency-Key': `low-${RUN}-2` },
    body: { order_id: id, reason_code: 'changed_mind', payout_method: 'original_route' } });
  assert.ok([409, 422].includes(again.status), again.text);
  assert.ok(['open_request_exists', 'not_eligible'].includes(again.json.code), again.text);
});

test('usage: empty, unknown or mistyped bodies are refused and change nothing', async () => {
  const { id } = await createOrder({ account: `use-bad-${RUN}`, used_quantity: 10 }, 'U');
  const before = (await getOrder(id)).json;
  const cases = [
    [{}, 422, 'missing_field'],
    [{ used: 3 }, 422, 'unknown_field'],
    [{ used_quantity: '3' }, 422, 'wrong_type'],
    [{ used_quantity: 2.5 }, 422, 'wrong_type'],
    [{ used_quantity: -1 }, 422, 'out_of_range'],
    [{ in_use: 1 }, 422, 'wrong_type'],
    [{ service_status: 'paused' }, 422, 'invalid_value'],
    [{ used_quantity: 5, service_status: null }, 422, 'wrong_type'],
  ];
  for (const [body, status, code] of cases) {
    assertProblem(assert, await usage(id, body), status, code);
    assert.deepEqual((await getOrder(id)).json, before, JSON.stringify(body));
  }
  const empty = await api('POST', `/api/v1/orders/${id}/usage`,
    { tok: SYSTEM, raw: '', headers: { 'Content-Type': 'application/json' } });
  assertProblem(assert, empty, 400, 'invalid_json');
  const plain = await api('POST', `/api/v1/orders/${id}/usage`,
    { tok: SYSTEM, raw: '{"used_quantity":1}', headers: { 'Content-Type': 'text/plain' } });
  assertProblem(assert, plain, 415, 'unsupported_media_type');
  assert.deepEqual((await getOrder(id)).json, before);
});

test('usage: unknown order 404; customer and staff 403', async () => {
  const before = (await getOrder('DEMO-TRAFFIC')).json;
  const r = await usage(`NOPE-${RUN}`, { used_quantity: 1 });
  assert.equal(r.status, 404, r.text);
  assert.equal(r.json.code, 'order_not_found');
  for (const role of ['customer', 'support', 'admin']) {
    assertProblem(assert, await usage('DEMO-TRAFFIC', { used_quantity: 99 }, token('demo-alice', role)),
      403, 'forbidden');
  }
  assert.deepEqual((await getOrder('DEMO-TRAFFIC')).json, before);
});

test('JSON answers carry UTF-8 text as it is, not \\u escapes', async () => {
  const id = newId('U');
  const name = '云服务器 ECS 包年 — “退款” 🚀';
  const created = await putOrder(id, orderBody({ product_name: name }));
  assert.equal(created.status, 201, created.text);
  const res = await fetch(`${process.env.REFUNDD_URL}/api/v1/orders/${id}`,
    { headers: { Authorization: `Bearer ${SUPPORT}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.ok(bytes.includes(Buffer.from(JSON.stringify(name).slice(1, -1), 'utf8')), bytes.toString());
  assert.ok(!bytes.includes(Buffer.from('\\u')), 'no \\u escape in the answer');
  assert.equal(JSON.parse(bytes.toString('utf8')).product_name, name);
});
