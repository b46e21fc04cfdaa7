// refunds.test.mjs -- POST /api/v1/refunds (the server's quote, the
// Idempotency-Key, quote_changed, eligibility, payout methods, one open
// request per order, the monthly limit, ownership and roles, due_at in
// business days) and the read side: GET /api/v1/refunds[/{id}].
// Every test makes its own orders under its own accounts (random per run),
// so the file passes when run twice against the same database and never
// meets another file's monthly limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { api, assertProblem, token, uid, DAY, nowS, iso, BASE, psql } from './lib.mjs';

const RUN = uid();
const SYSTEM = token(`billing-${RUN}`, 'system');
const SUPPORT = token(`rf-agent-${RUN}`, 'support');
const FINANCE = token(`rf-fin-${RUN}`, 'finance');

const epoch = (ts) => Math.floor(Date.parse(ts) / 1000);

let seq = 0;
// A customer of its own: an account no other test (or run) uses.
function customer(tag = 'c') {
  const sub = `rf-${tag}-${RUN}-${++seq}`;
  return { sub, tok: token(sub, 'customer') };
}

// An order for `account`, as billing would sync it. Default: API credits
// paid 10 days ago, unused (seed 000 case 1 in small): a full refund.
async function createOrder(account, overrides = {}) {
  const id = `RF-${RUN}-${++seq}`;
  const body = {
    account, provider: 'aliyun', product_type: 'api_credits', product_name: 'API 调用资源包',
    billing_mode: 'one_time', status: 'paid', amount_paid: 100000, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - 10 * DAY), quantity: 100000,
    bonus_quantity: 0, used_quantity: 0, ...overrides,
  };
  const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body });
  assert.equal(r.status, 201, r.text);
  return id;
}

// A prepaid cloud server bought `daysAgo` days ago (policy: 5-day window,
// one request per account per month).
function cloudServer(daysAgo = 1, overrides = {}) {
  const paid = nowS() - daysAgo * DAY;
  return {
    product_type: 'cloud_server', product_name: 'ECS 2核4G 包年', billing_mode: 'subscription',
    amount_paid: 120000, payment_method: 'wechat', paid_at: iso(paid), period_start: iso(paid),
    period_end: iso(paid + 365 * DAY), quantity: 0, ...overrides,
  };
}

const submitBody = (orderId, extra = {}) =>
  ({ order_id: orderId, reason_code: 'changed_mind', payout_method: 'original_route', ...extra });

async function submit(tok, body, key = randomUUID()) {
  const headers = key === null ? {} : { 'Idempotency-Key': key };
  return api('POST', '/api/v1/refunds', { tok, body, headers });
}

async function quoteOf(orderId, tok = SUPPORT) {
  const r = await api('GET', `/api/v1/orders/${orderId}/quote`, { tok });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function listAll(tok, query = '', limit = 100) {
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 200; i++) {
    const sep = query ? '&' : '';
    const r = await api('GET', `/api/v1/refunds?${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { tok });
    assert.equal(r.status, 200, r.text);
    seen.push(...r.json.items);
    if (r.json.next_cursor === null) return seen;
    cursor = r.json.next_cursor;
  }
  throw new Error('pagination never ended');
}

// ------------------------------------------------------------- submitting

test('submit: 201 with the quote the server computed, stored with the request', async () => {
  const alice = customer();
  const orderId = await createOrder(alice.sub);
  const shown = await quoteOf(orderId, alice.tok);
  assert.equal(shown.eligible, true);
  assert.equal(shown.amount, 100000);

  const r = await submit(alice.tok, submitBody(orderId, { reason_text: '买错了', expected_amount: shown.amount }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('idempotent-replayed'), null);
  const req = r.json;
  assert.ok(Number.isInteger(req.id) && req.id > 0);
  assert.equal(req.status, 'submitted');
  assert.equal(req.order_id, orderId);
  assert.equal(req.account, alice.sub);
  assert.equal(req.quoted_amount, shown.amount);
  assert.equal(req.currency, 'CNY');
  assert.equal(req.payout_method, 'original_route');
  assert.equal(req.reason_code, 'changed_mind');
  assert.equal(req.reason_text, '买错了');
  assert.equal(req.policy_version, shown.policy_version);
  assert.equal(req.approved_amount, null);
  assert.equal(req.assignee, null);
  assert.deepEqual(req.messages, []);
  // The stored quote is the engine's answer, not anything the client sent.
  assert.equal(req.quote.order_id, orderId);
  assert.equal(req.quote.amount, shown.amount);
  assert.equal(req.quote.rule, 'window_full');
  assert.equal(req.quote.decision, 'full');
  assert.deepEqual(req.quote.breakdown, shown.breakdown);
  assert.deepEqual(req.quote.payout_methods, ['original_route']);
  assert.equal(req.timeline.length, 1);
  assert.equal(req.timeline[0].action, 'refund.submit');
  assert.equal(req.timeline[0].to, 'submitted');
  assert.equal(req.timeline[0].actor, alice.sub);

  // GET gives the same request and quote back.
  const g = await api('GET', `/api/v1/refunds/${req.id}`, { tok: alice.tok });
  assert.equal(g.status, 200, g.text);
  assert.deepEqual(g.json.quote, req.quote);
  assert.equal(g.json.quoted_amount, req.quoted_amount);
});

test('submit: the client cannot choose the amount (amount is an unknown field)', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const r = await submit(c.tok, submitBody(orderId, { amount: 1 }));
  assertProblem(assert, r, 422, 'unknown_field');
  assert.equal(r.json.field, 'amount');
  const r2 = await submit(c.tok, submitBody(orderId, { quoted_amount: 1 }));
  assertProblem(assert, r2, 422, 'unknown_field');
  assert.deepEqual(await listAll(c.tok), [], 'nothing was created');
});

test('submit: body validation (reason code, payout method, types, content type)', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  assertProblem(assert, await submit(c.tok, submitBody(orderId, { reason_code: 'because' })), 422, 'invalid_value');
  assertProblem(assert, await submit(c.tok, submitBody(orderId, { payout_method: 'cash' })), 422, 'invalid_value');
  assertProblem(assert, await submit(c.tok, submitBody(orderId, { expected_amount: '100000' })), 422, 'wrong_type');
  assertProblem(assert, await submit(c.tok, { order_id: orderId, payout_method: 'original_route' }), 422, 'missing_field');
  assertProblem(assert, await submit(c.tok, submitBody(orderId, { reason_text: 'x'.repeat(2001) })), 422, 'too_long');
  const r = await api('POST', '/api/v1/refunds', { tok: c.tok, raw: JSON.stringify(submitBody(orderId)),
    headers: { 'Content-Type': 'text/plain', 'Idempotency-Key': randomUUID() } });
  assert.equal(r.status, 415, r.text);
  assert.deepEqual(await listAll(c.tok), []);
});

// Limits count characters, as the OpenAPI maxLength and the database's
// length() do (regression: bytes, so 667 Chinese characters were too long).
test('submit: reason_text is up to 2000 characters, whatever their bytes', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const r = await submit(c.tok, submitBody(orderId, { reason_text: '退'.repeat(2001) }));
  assertProblem(assert, r, 422, 'too_long');
  assert.equal(r.json.field, 'reason_text');
  assert.deepEqual(await listAll(c.tok), []);
  const text = '退款'.repeat(999) + '💰😀';   // 2000 characters, 6002 bytes
  const ok = await submit(c.tok, submitBody(orderId, { reason_text: text }));
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.reason_text, text);
});

test('submit: Idempotency-Key is required and checked', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  assertProblem(assert, await submit(c.tok, submitBody(orderId), null), 400, 'idempotency_key_required');
  assertProblem(assert, await submit(c.tok, submitBody(orderId), ''), 400, 'idempotency_key_required');
  assertProblem(assert, await submit(c.tok, submitBody(orderId), 'a b'), 400, 'invalid_idempotency_key');
  assertProblem(assert, await submit(c.tok, submitBody(orderId), 'k'.repeat(129)), 400, 'invalid_idempotency_key');
  assert.deepEqual(await listAll(c.tok), []);
  const ok = await submit(c.tok, submitBody(orderId), 'k'.repeat(128));
  assert.equal(ok.status, 201, ok.text);
});

test('submit: same key and body replays the first answer; another body is refused', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const key = `key-${randomUUID()}`;
  const first = await submit(c.tok, submitBody(orderId, { expected_amount: 100000 }), key);
  assert.equal(first.status, 201, first.text);

  const again = await submit(c.tok, submitBody(orderId, { expected_amount: 100000 }), key);
  assert.equal(again.status, 201, again.text);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.json.id, first.json.id);
  assert.deepEqual(again.json, first.json);

  // The same body with its keys in another order is the same body.
  const body = submitBody(orderId, { expected_amount: 100000 });
  const reordered = Object.fromEntries(Object.entries(body).reverse());
  const raw = await api('POST', '/api/v1/refunds', { tok: c.tok, raw: JSON.stringify(reordered),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key } });
  assert.equal(raw.status, 201, raw.text);
  assert.equal(raw.json.id, first.json.id);

  const other = await submit(c.tok, submitBody(orderId, { expected_amount: 100000, reason_text: 'x' }), key);
  assertProblem(assert, other, 422, 'idempotency_key_reused');
  const other2 = await submit(c.tok, submitBody(orderId, { payout_method: 'balance' }), key);
  assertProblem(assert, other2, 422, 'idempotency_key_reused');

  const mine = await listAll(c.tok);
  assert.deepEqual(mine.map((x) => x.id), [first.json.id], 'exactly one request');

  // A key belongs to its account: another customer's same key is a new key.
  const d = customer();
  const dOrder = await createOrder(d.sub);
  const theirs = await submit(d.tok, submitBody(dOrder), key);
  assert.equal(theirs.status, 201, theirs.text);
  assert.equal(theirs.headers.get('idempotent-replayed'), null);
  assert.notEqual(theirs.json.id, first.json.id);
  assert.equal(theirs.json.order_id, dOrder);
});

test('submit: a failed attempt does not burn its key', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const key = randomUUID();
  const wrong = await submit(c.tok, submitBody(orderId, { expected_amount: 99999 }), key);
  assertProblem(assert, wrong, 409, 'quote_changed');
  const right = await submit(c.tok, submitBody(orderId, { expected_amount: 100000 }), key);
  assert.equal(right.status, 201, right.text);
});

test('submit: 20 identical submissions racing with one key create one request', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const key = randomUUID();
  const all = await Promise.all(Array.from({ length: 20 },
    () => submit(c.tok, submitBody(orderId, { expected_amount: 100000 }), key)));
  for (const r of all) assert.equal(r.status, 201, r.text);
  const ids = new Set(all.map((r) => r.json.id));
  assert.equal(ids.size, 1, `one id, got ${[...ids]}`);
  assert.equal(all.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 19);
  assert.equal((await listAll(c.tok)).length, 1);
});

test('submit: expected_amount other than the quote -> 409 quote_changed with the quote', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  for (const expected of [99999, 100001, 0]) {
    const r = await submit(c.tok, submitBody(orderId, { expected_amount: expected }));
    assertProblem(assert, r, 409, 'quote_changed');
    assert.equal(r.json.quote.amount, 100000);
    assert.equal(r.json.quote.order_id, orderId);
    assert.equal(r.json.quote.eligible, true);
  }
  assert.deepEqual(await listAll(c.tok), [], 'nothing was created');
});

test('submit: usage recorded after the quote was shown -> 409 quote_changed', async () => {
  const c = customer();
  // After the 30-day window: unused credits by usage, to the balance.
  const orderId = await createOrder(c.sub, { amount_paid: 50000, payment_method: 'card',
    paid_at: iso(nowS() - 45 * DAY), quantity: 100000, used_quantity: 10000 });
  const shown = await quoteOf(orderId, c.tok);
  assert.equal(shown.rule, 'prorata_usage');
  assert.equal(shown.amount, 45000);
  assert.deepEqual(shown.payout_methods, ['balance']);

  const u = await api('POST', `/api/v1/orders/${orderId}/usage`, { tok: SYSTEM, body: { used_quantity: 20000 } });
  assert.equal(u.status, 200, u.text);

  const r = await submit(c.tok, submitBody(orderId, { payout_method: 'balance', expected_amount: shown.amount }));
  assertProblem(assert, r, 409, 'quote_changed');
  assert.equal(r.json.quote.amount, 40000);
  assert.equal(r.json.quote.rule, 'prorata_usage');

  const ok = await submit(c.tok, submitBody(orderId, { payout_method: 'balance', expected_amount: 40000 }));
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.quoted_amount, 40000);
  assert.equal(ok.json.payout_method, 'balance');
});

// Seed 001 after the window: unused time, counted in days begun (policy.h).
// Counted by the second, 1 000 000.00 a year lost 3 fen a second, so the
// amount shown was never the amount at submission: 409 quote_changed on
// every try. Half a day from the day's turn, the quote holds for the form.
test('submit: the unused-time quote of a dear server holds while the customer submits it', async () => {
  const c = customer('dear');
  const start = nowS() - 100 * DAY - DAY / 2;
  const orderId = await createOrder(c.sub, cloudServer(0, { amount_paid: 100000000,
    paid_at: iso(start), period_start: iso(start), period_end: iso(start + 365 * DAY) }));
  const shown = await quoteOf(orderId, c.tok);
  assert.equal(shown.rule, 'prorata_time');
  assert.equal(shown.decision, 'manual_review');
  const consumed = shown.breakdown.find((l) => l.label === 'consumed_time');
  assert.equal(consumed.units, 101 * DAY, 'the 101st day has begun and counts');
  assert.equal(shown.amount, Math.floor(100000000 * 264 / 365));
  await new Promise((resolve) => setTimeout(resolve, 1500));   // the customer reads and types
  const r = await submit(c.tok, submitBody(orderId, { expected_amount: shown.amount }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.quoted_amount, shown.amount);
});

test('submit: an ineligible order -> 422 not_eligible with quote.reasons', async () => {
  const c = customer();
  const cases = [
    [{ product_type: 'api_product', product_name: '实名认证 API' }, 'not_refundable_type'],
    [{ product_type: 'saas_app', product_name: '在线客服', billing_mode: 'subscription',
       paid_at: iso(nowS() - 10 * DAY), period_start: iso(nowS() - 10 * DAY),
       period_end: iso(nowS() + 355 * DAY), quantity: 0 }, 'window_closed'],
    [cloudServer(1, { promo: true }), 'promo_purchase'],
    [{ status: 'unpaid', paid_at: undefined }, 'order_unpaid'],
  ];
  for (const [overrides, reason] of cases) {
    const body = { ...overrides };
    for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
    const orderId = await createOrder(c.sub, body);
    const r = await submit(c.tok, submitBody(orderId));
    assertProblem(assert, r, 422, 'not_eligible');
    assert.equal(r.json.quote.eligible, false);
    assert.equal(r.json.quote.amount, 0);
    assert.ok(r.json.quote.reasons.includes(reason), `${reason} in ${r.json.quote.reasons}`);
  }
  const img = await createOrder(c.sub, { product_type: 'image_subscription', product_name: 'Windows 镜像',
    billing_mode: 'subscription', payment_method: 'alipay', paid_at: iso(nowS() - 2 * DAY),
    period_start: iso(nowS() - 2 * DAY), period_end: iso(nowS() + 28 * DAY), quantity: 0, in_use: true });
  const r = await submit(c.tok, submitBody(img));
  assertProblem(assert, r, 422, 'not_eligible');
  assert.ok(r.json.quote.reasons.includes('image_in_use'));
  assert.equal(r.json.quote.remedy.code, 'stop_instance_or_change_os');
  assert.deepEqual(await listAll(c.tok), []);
});

test('submit: a payout method the policy does not offer -> 422 payout_method_not_allowed', async () => {
  const c = customer();
  const inWindow = await createOrder(c.sub);                  // original route only
  const r = await submit(c.tok, submitBody(inWindow, { payout_method: 'balance' }));
  assertProblem(assert, r, 422, 'payout_method_not_allowed');
  assert.deepEqual(r.json.quote.payout_methods, ['original_route']);

  const afterWindow = await createOrder(c.sub, { paid_at: iso(nowS() - 45 * DAY), used_quantity: 50000 });
  const r2 = await submit(c.tok, submitBody(afterWindow, { payout_method: 'original_route' }));
  assertProblem(assert, r2, 422, 'payout_method_not_allowed');
  assert.deepEqual(r2.json.quote.payout_methods, ['balance']);
  assert.deepEqual(await listAll(c.tok), []);
});

test('submit: a second open request for an order -> 409 open_request_exists', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const first = await submit(c.tok, submitBody(orderId));
  assert.equal(first.status, 201, first.text);
  const second = await submit(c.tok, submitBody(orderId));
  assertProblem(assert, second, 409, 'open_request_exists');
  assert.equal(second.json.refund_id, first.json.id, 'names the open request');
  // Also once it is being reviewed or waits for a second approver.
  assert.equal((await api('POST', `/api/v1/refunds/${first.json.id}/claim`, { tok: SUPPORT })).status, 200);
  assertProblem(assert, await submit(c.tok, submitBody(orderId)), 409, 'open_request_exists');
});

test('submit: whatever the code, a second open request for an order is never created', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const first = await submit(c.tok, submitBody(orderId));
  assert.equal(first.status, 201, first.text);
  const second = await submit(c.tok, submitBody(orderId));
  assert.ok([409, 422].includes(second.status), second.text);
  assert.deepEqual((await listAll(c.tok)).map((x) => x.id), [first.json.id]);
});

test('submit: an order with money left but an open (partly approved) request -> 409 open_request_exists', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const first = await submit(c.tok, submitBody(orderId));
  assert.equal(first.status, 201, first.text);
  const id = first.json.id;
  assert.equal((await api('POST', `/api/v1/refunds/${id}/claim`, { tok: SUPPORT })).status, 200);
  const a = await api('POST', `/api/v1/refunds/${id}/approve`, { tok: SUPPORT, body: { amount: 60000, note: 'part' } });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.status, 'awaiting_confirmation');
  const left = await quoteOf(orderId, c.tok);
  assert.equal(left.amount, 40000, 'the rest of the order is still quotable');
  const second = await submit(c.tok, submitBody(orderId, { expected_amount: 40000 }));
  assertProblem(assert, second, 409, 'open_request_exists');
});

test('submit: cloud_server allows one request per account per month (monthly_limit)', async () => {
  const c = customer('monthly');
  const o1 = await createOrder(c.sub, cloudServer(1));
  const o2 = await createOrder(c.sub, cloudServer(2));
  const first = await submit(c.tok, submitBody(o1, { expected_amount: 120000 }));
  assert.equal(first.status, 201, first.text);

  const q = await quoteOf(o2, c.tok);
  assert.ok(q.reasons.includes('monthly_limit'), q.reasons);
  const second = await submit(c.tok, submitBody(o2));
  assertProblem(assert, second, 422, 'not_eligible');
  assert.ok(second.json.quote.reasons.includes('monthly_limit'), second.json.quote.reasons);

  // Another account is not affected by this one's limit.
  const d = customer('monthly');
  const o3 = await createOrder(d.sub, cloudServer(1));
  assert.equal((await submit(d.tok, submitBody(o3))).status, 201);

  // A withdrawn request does not count: the account may ask again.
  const w = await api('POST', `/api/v1/refunds/${first.json.id}/withdraw`, { tok: c.tok });
  assert.equal(w.status, 200, w.text);
  assert.equal(w.json.status, 'withdrawn');
  const third = await submit(c.tok, submitBody(o2, { expected_amount: 120000 }));
  assert.equal(third.status, 201, third.text);
});

// Seed 001's "每月" is the calendar month of the reseller's time zone
// (DESIGN.md §3): in Asia/Shanghai a month begins at 16:00Z on the last
// day of the month before in UTC, so a request made one second before that
// is last month's, and one made at that instant (still last month in UTC)
// is this month's.
test('submit: the monthly limit counts requests of this month in the reseller\'s time zone', async () => {
  const cfg = await api('GET', '/api/v1/config');
  assert.equal(cfg.status, 200, cfg.text);
  const tz = cfg.json.timezone;
  const c = customer('month');
  const o1 = await createOrder(c.sub, cloudServer(1));
  const o2 = await createOrder(c.sub, cloudServer(2));
  const first = await submit(c.tok, submitBody(o1, { expected_amount: 120000 }));
  assert.equal(first.status, 201, first.text);
  const monthStart = `date_trunc('month', now() AT TIME ZONE '${tz}') AT TIME ZONE '${tz}'`;

  psql(`UPDATE refund_requests SET created_at = ${monthStart} - interval '1 second' WHERE id = ${first.json.id}`);
  let q = await quoteOf(o2, c.tok);
  assert.ok(!q.reasons.includes('monthly_limit'), `last month's request counted: ${q.reasons}`);

  psql(`UPDATE refund_requests SET created_at = ${monthStart} WHERE id = ${first.json.id}`);
  q = await quoteOf(o2, c.tok);
  assert.ok(q.reasons.includes('monthly_limit'), `this month's request not counted: ${q.reasons}`);
});

// The monthly limit under races: submissions of one account take turns.
test('submit: racing submissions on different orders of one account respect the monthly limit', async () => {
  const c = customer('race');
  const orders = [];
  for (let i = 0; i < 20; i++) orders.push(await createOrder(c.sub, cloudServer(1)));
  const all = await Promise.all(orders.map((o) => submit(c.tok, submitBody(o))));
  const created = all.filter((r) => r.status === 201);
  for (const r of all) if (r.status !== 201) assertProblem(assert, r, 422, 'not_eligible');
  assert.equal(created.length, 1, `one request a month, got ${created.length}`);
});

test('submit: another account\'s order, or no such order -> 404; staff roles -> 403', async () => {
  const owner = customer();
  const other = customer();
  const orderId = await createOrder(owner.sub);
  const r = await submit(other.tok, submitBody(orderId));
  assertProblem(assert, r, 404, 'order_not_found');
  assert.ok(!r.text.includes(owner.sub), 'the owner is not revealed');
  const missing = await submit(other.tok, submitBody(`RF-${RUN}-nothing`));
  assertProblem(assert, missing, 404, 'order_not_found');
  assert.equal(missing.json.detail.replace(`RF-${RUN}-nothing`, 'X'), r.json.detail.replace(orderId, 'X'),
    'the same answer for another account\'s order as for a missing one');

  for (const role of ['support', 'supervisor', 'finance', 'admin', 'system']) {
    const s = await submit(token(`rf-${role}-${RUN}`, role), submitBody(orderId));
    assertProblem(assert, s, 403, 'forbidden');
  }
  assert.deepEqual(await listAll(owner.tok), []);
});

// due_at = submission + review_sla_days business days (api_credits: 3) in
// Asia/Shanghai, skipping weekends and the holiday table, which also lists
// make-up working days (calendar.c: a non-business start moves to the next
// business day at 00:00).
const TZ_OFFSET = 8 * 3600;
function addBusinessDays(start, n, holidays) {
  const dayOf = (d) => holidays.get(new Date(d * DAY * 1000).toISOString().slice(0, 10));
  const isBusiness = (d) => {
    const kind = dayOf(d);
    if (kind) return kind === 'workday';
    const wd = (d + 4) % 7; // 1970-01-01 was a Thursday
    return wd !== 0 && wd !== 6;
  };
  const next = (d) => { do d++; while (!isBusiness(d)); return d; };
  let day = Math.floor((start + TZ_OFFSET) / DAY);
  let tod = (start + TZ_OFFSET) - day * DAY;
  if (!isBusiness(day)) { day = next(day); tod = 0; }
  for (let i = 0; i < n; i++) day = next(day);
  return day * DAY + tod - TZ_OFFSET;
}

test('submit: due_at is in the future, review_sla_days business days after submission', async () => {
  const h = await api('GET', '/api/v1/holidays', { tok: SUPPORT });
  assert.equal(h.status, 200, h.text);
  const holidays = new Map(h.json.items.map((x) => [x.day, x.kind]));
  const policy = await api('GET', '/api/v1/policies/api_credits', { tok: SUPPORT });
  assert.equal(policy.status, 200, policy.text);
  const sla = policy.json.review_sla_days;
  assert.equal(sla, 3, 'demo policy: decision in 3 business days');

  const c = customer();
  const orderId = await createOrder(c.sub);
  const t0 = nowS();
  const r = await submit(c.tok, submitBody(orderId));
  const t1 = nowS() + 1;
  assert.equal(r.status, 201, r.text);
  const due = epoch(r.json.due_at);
  assert.ok(due > t1, 'due_at is in the future');
  assert.ok(due - t0 >= sla * DAY, `at least ${sla} days ahead`);
  const lo = addBusinessDays(t0, sla, holidays), hi = addBusinessDays(t1, sla, holidays);
  assert.ok(due >= lo && due <= hi,
    `due_at ${r.json.due_at} should be between ${iso(lo)} and ${iso(hi)}`);
  assert.equal(r.json.overdue, false);

  // The calculation above, checked against fixed dates of the demo calendar.
  const demo = new Map([['2026-09-27', 'workday'], ['2026-10-10', 'workday'],
    ...['01', '02', '03', '04', '05', '06', '07'].map((d) => [`2026-10-${d}`, 'holiday'])]);
  const at = (s) => Date.parse(s) / 1000;
  // Friday 2026-09-25 10:00 +08 -> Sun 27 (make-up), Mon 28, Tue 29.
  assert.equal(iso(addBusinessDays(at('2026-09-25T02:00:00Z'), 3, demo)), '2026-09-29T02:00:00Z');
  // Tuesday 2026-09-29 10:00 +08 -> Wed 30, (Golden Week), Thu 8, Fri 9.
  assert.equal(iso(addBusinessDays(at('2026-09-29T02:00:00Z'), 3, demo)), '2026-10-09T02:00:00Z');
});

// ------------------------------------------------------------- reading

test('list: a customer sees only their own requests, page by page', async () => {
  const a = customer('list');
  const b = customer('list');
  const mine = [];
  for (let i = 0; i < 5; i++) {
    const r = await submit(a.tok, submitBody(await createOrder(a.sub)));
    assert.equal(r.status, 201, r.text);
    mine.push(r.json.id);
  }
  const theirs = await submit(b.tok, submitBody(await createOrder(b.sub)));
  assert.equal(theirs.status, 201);

  const page = await api('GET', '/api/v1/refunds?limit=2', { tok: a.tok });
  assert.equal(page.status, 200, page.text);
  assert.equal(page.json.items.length, 2);
  assert.equal(typeof page.json.next_cursor, 'string');
  assert.equal(page.json.items[0].quote, undefined, 'the list leaves the quote out');

  const walked = await listAll(a.tok, '', 2);
  const ids = walked.map((x) => x.id);
  assert.deepEqual(ids, [...mine].reverse(), 'newest first, each once, only mine');
  assert.ok(walked.every((x) => x.account === a.sub));
  assert.deepEqual((await listAll(b.tok)).map((x) => x.id), [theirs.json.id]);

  // Staff see every account's requests and can filter by status.
  const staff = (await api('GET', '/api/v1/refunds?status=submitted&limit=100', { tok: SUPPORT })).json.items;
  assert.ok(staff.length >= 1 && staff.every((x) => x.status === 'submitted'));
  assert.ok(new Set(staff.map((x) => x.account)).size >= 2, 'staff see more than one account');
  const wd = await api('POST', `/api/v1/refunds/${mine[0]}/withdraw`, { tok: a.tok });
  assert.equal(wd.status, 200, wd.text);
  assert.deepEqual((await listAll(a.tok, 'status=withdrawn')).map((x) => x.id), [mine[0]]);
  assert.deepEqual((await listAll(a.tok, 'status=submitted')).map((x) => x.id), mine.slice(1).reverse());

  assertProblem(assert, await api('GET', '/api/v1/refunds?status=nope', { tok: a.tok }), 400, 'invalid_filter');
  assertProblem(assert, await api('GET', '/api/v1/refunds?cursor=abc', { tok: a.tok }), 400, 'invalid_cursor');
  assertProblem(assert, await api('GET', '/api/v1/refunds?limit=101', { tok: a.tok }), 400, 'invalid_limit');
  assertProblem(assert, await api('GET', '/api/v1/refunds?limit=0', { tok: a.tok }), 400, 'invalid_limit');
  assertProblem(assert, await api('GET', '/api/v1/refunds', { tok: token('x', 'system') }), 403, 'forbidden');
});

test('get: the request with its quote, timeline and messages; others get 404', async () => {
  const c = customer();
  const orderId = await createOrder(c.sub);
  const created = await submit(c.tok, submitBody(orderId, { reason_text: 'please' }));
  assert.equal(created.status, 201, created.text);
  const id = created.json.id;
  assert.equal((await api('POST', `/api/v1/refunds/${id}/claim`, { tok: SUPPORT })).status, 200);
  const info = await api('POST', `/api/v1/refunds/${id}/request-info`, { tok: SUPPORT, body: { message: '请提供截图' } });
  assert.equal(info.status, 200, info.text);
  const reply = await api('POST', `/api/v1/refunds/${id}/messages`, { tok: c.tok, body: { body: '已附上' } });
  // A plain message answers 201; the reply that moves the request answers
  // 200 (it goes through the transition path). Either way it is stored.
  assert.ok([200, 201].includes(reply.status), reply.text);
  assert.equal(reply.json.status, 'in_review');

  const r = await api('GET', `/api/v1/refunds/${id}`, { tok: c.tok });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'in_review');
  assert.equal(r.json.quote.amount, 100000);
  assert.equal(r.json.order.id, orderId);
  assert.equal(r.json.order.amount_paid, 100000);
  assert.deepEqual(r.json.messages.map((m) => [m.author_role, m.body]),
    [['support', '请提供截图'], ['customer', '已附上']]);
  assert.deepEqual(r.json.timeline.map((e) => [e.action, e.from, e.to]), [
    ['refund.submit', null, 'submitted'],
    ['refund.claim', 'submitted', 'in_review'],
    ['refund.request_info', 'in_review', 'needs_info'],
    ['refund.customer_reply', 'needs_info', 'in_review'],
  ]);
  const times = r.json.timeline.map((e) => Date.parse(e.at));
  assert.deepEqual([...times].sort((x, y) => x - y), times, 'timeline in time order');

  const staff = await api('GET', `/api/v1/refunds/${id}`, { tok: SUPPORT });
  assert.equal(staff.status, 200);
  assert.equal(staff.json.id, id);

  const other = customer();
  const o = await api('GET', `/api/v1/refunds/${id}`, { tok: other.tok });
  assertProblem(assert, o, 404, 'refund_not_found');
  assert.ok(!o.text.includes(c.sub));
  for (const bad of ['abc', '1x', '-1', '0', `0${id}`, '1.5', '99999999999999999999', '999999999999999999']) {
    const b = await api('GET', `/api/v1/refunds/${bad}`, { tok: c.tok });
    assert.equal(b.status, 404, `${bad}: ${b.text}`);
    assert.match(b.headers.get('content-type'), /^application\/problem\+json/);
  }
  const fin = await api('GET', `/api/v1/refunds/${id}`, { tok: FINANCE });
  assert.equal(fin.status, 200, 'finance reads requests too');
  assertProblem(assert, await api('GET', `/api/v1/refunds/${id}`, { tok: token('x', 'system') }), 403, 'forbidden');
});

// DESIGN.md §3 auto_approve_max: a full refund inside the window up to that
// amount is approved without a person; above it, or after the window, a
// person reviews. A product type of this run's own, so no shared policy moves.
test('auto-approval: a full in-window refund up to auto_approve_max is approved at once, larger ones wait', async () => {
  const type = `t_auto_${RUN}`.replace(/-/g, '_').slice(0, 31);
  const admin = token(`rf-admin-${RUN}`, 'admin');
  const put = await api('PUT', `/api/v1/policies/${type}`, { tok: admin, body: {
    refundable: true, window_rule: 'full', window_days: 7, window_requires_unused: false,
    after_window: 'none', handling_fee_bps: 0, deduct_third_party: false, promo_refundable: true,
    monthly_limit: 0, payout_methods: ['original_route'], payout_default: 'original_route',
    payout_methods_after_window: ['original_route'], payout_default_after_window: 'original_route',
    review_sla_days: 2, auto_approve_max: 5000, second_approval_over: 100000 } });
  assert.equal(put.status, 201, put.text);

  const small = customer('auto');
  const smallOrder = await createOrder(small.sub, { product_type: type, amount_paid: 5000, paid_at: iso(nowS() - DAY) });
  const a = await submit(small.tok, { order_id: smallOrder, reason_code: 'changed_mind',
    payout_method: 'original_route', expected_amount: 5000 });
  assert.equal(a.status, 201, a.text);
  assert.equal(a.json.status, 'approved');
  assert.equal(a.json.approved_amount, 5000);
  assert.deepEqual(a.json.timeline.map((e) => `${e.action}:${e.to}`), ['refund.submit_auto_approved:approved']);

  const big = customer('auto');
  const bigOrder = await createOrder(big.sub, { product_type: type, amount_paid: 5001, paid_at: iso(nowS() - DAY) });
  const b = await submit(big.tok, { order_id: bigOrder, reason_code: 'changed_mind',
    payout_method: 'original_route', expected_amount: 5001 });
  assert.equal(b.status, 201, b.text);
  assert.equal(b.json.status, 'submitted', 'one minor unit above the limit: a person decides');
  assert.equal(b.json.approved_amount, null);
});

// The approval limits are minor units of limits_currency (022): 5000 meant
// as 50.00 CNY is not ¥5000 (regression: a JPY order was auto-approved
// under a CNY limit, and approved without a second person above it).
test('approval limits hold in their currency only: another currency gets a person and a second approver', async () => {
  const type = `t_lim_${RUN}`.replace(/-/g, '_').slice(0, 31);
  const admin = token(`rf-admin-${RUN}`, 'admin');
  const body = {
    refundable: true, window_rule: 'full', window_days: 7, window_requires_unused: false,
    after_window: 'none', handling_fee_bps: 0, deduct_third_party: false, promo_refundable: true,
    monthly_limit: 0, payout_methods: ['original_route'], payout_default: 'original_route',
    payout_methods_after_window: ['original_route'], payout_default_after_window: 'original_route',
    review_sla_days: 2, auto_approve_max: 5000, second_approval_over: 100000 };
  const put = await api('PUT', `/api/v1/policies/${type}`, { tok: admin, body });
  assert.equal(put.status, 201, put.text);
  assert.equal(put.json.limits_currency, 'CNY', 'left out: CNY, as every policy before');
  const order = async (currency) => {
    const c = customer('lim');
    const id = await createOrder(c.sub, { product_type: type, amount_paid: 5000, currency,
      paid_at: iso(nowS() - DAY) });
    const r = await submit(c.tok, { order_id: id, reason_code: 'changed_mind',
      payout_method: 'original_route', expected_amount: 5000 });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  assert.equal((await order('CNY')).status, 'approved');
  const yen = await order('JPY');
  assert.equal(yen.status, 'submitted', '¥5000 under a 50.00 CNY limit: a person decides');
  // ¥5000 is below 100000 minor units, but those were CNY: a second approver.
  assert.equal((await api('POST', `/api/v1/refunds/${yen.id}/claim`, { tok: SUPPORT })).status, 200);
  const a = await api('POST', `/api/v1/refunds/${yen.id}/approve`, { tok: SUPPORT, body: {} });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.status, 'awaiting_second_approval');

  // Limits set in yen hold for yen orders, and then not for yuan.
  const jp = await api('PUT', `/api/v1/policies/${type}`, { tok: admin, body: { ...body, limits_currency: 'JPY' } });
  assert.equal(jp.status, 201, jp.text);
  assert.equal(jp.json.limits_currency, 'JPY');
  assert.equal((await api('GET', `/api/v1/policies/${type}`, { tok: admin })).json.limits_currency, 'JPY');
  assert.equal((await order('JPY')).status, 'approved');
  assert.equal((await order('CNY')).status, 'submitted');

  for (const bad of ['XYZ', 'cny', 'YE']) {
    const r = await api('PUT', `/api/v1/policies/${type}`, { tok: admin, body: { ...body, limits_currency: bad } });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.json.field, 'limits_currency', r.text);
  }
  assertProblem(assert, await api('PUT', `/api/v1/policies/${type}`, { tok: admin,
    body: { ...body, limits_currency: 'XYZ' } }), 422, 'unknown_currency');
  assertProblem(assert, await api('PUT', `/api/v1/policies/${type}`, { tok: admin,
    body: { ...body, limits_currency: 156 } }), 422, 'wrong_type');
  assert.equal((await api('GET', `/api/v1/policies/${type}`, { tok: admin })).json.version, 2,
    'refusals add no version');
});

// A request whose header lines are sent as given: a repeated name goes out
// as two lines (fetch would join them with ", ").
function rawRequest(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(BASE + path, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, json, text });
      });
    });
    req.on('error', reject);
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.end(body);
  });
}

// Two Idempotency-Keys (two retry layers each adding one): the first one
// used to win silently. Now 400 repeated_header, and nothing
// is stored under either key.
test('a repeated Idempotency-Key header is 400 repeated_header, a repeated Authorization 400; nothing is stored', async () => {
  const c = customer('hdr');
  const orderId = await createOrder(c.sub, { paid_at: iso(nowS() - DAY) });
  const body = JSON.stringify(submitBody(orderId));
  const keys = [`hdr-a-${RUN}`, `hdr-b-${RUN}`];
  const auth = `Bearer ${c.tok}`;
  const json = 'application/json';

  let r = await rawRequest('POST', '/api/v1/refunds', { Authorization: auth, 'Content-Type': json,
    'Idempotency-Key': keys }, body);
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.code, 'repeated_header');
  assert.equal(r.json.header, 'Idempotency-Key');
  // Two tokens: nginx refuses the request itself.
  r = await rawRequest('GET', '/api/v1/me', { Authorization: [auth, `Bearer ${token('other', 'admin')}`] });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.code, 'bad_request');
  assert.equal(psql(`SELECT count(*) FROM idempotency_keys WHERE key IN ('${keys[0]}', '${keys[1]}')`), '0');
  assert.equal(psql(`SELECT count(*) FROM refund_requests WHERE order_id = '${orderId}'`), '0');
  // Joined into one line (as fetch, Apache and lighttpd do): not a key.
  assertProblem(assert, await api('POST', '/api/v1/refunds', { tok: c.tok, body: submitBody(orderId),
    headers: { 'Idempotency-Key': keys.join(', ') } }), 400, 'invalid_idempotency_key');
  // Each once: as usual.
  r = await rawRequest('POST', '/api/v1/refunds', { Authorization: auth, 'Content-Type': json,
    'Idempotency-Key': keys[0] }, body);
  assert.equal(r.status, 201, r.text);
});
