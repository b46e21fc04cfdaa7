// payouts.test.mjs -- issue 6: POST /api/v1/refunds/{id}/payout (balance and
// original route), POST /api/v1/payouts/{id}/settle|fail, GET
// /api/v1/payouts (JSON and the CSV export), GET /api/v1/balance, exactly
// one payout under concurrent calls, the order cap enforced by the database
// itself, and seed 000 end to end (DESIGN.md §3 "Payout", §4).
//
// Every test makes its own orders with random ids and accounts, so the file
// passes when run twice against one database; demo orders are not touched.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { api, assertProblem, token, uid, sleep, THREADS, RUNDIR, DAY, nowS, iso } from './lib.mjs';

const RUN = uid();
const SYSTEM = token(`billing-${RUN}`, 'system');
const FINANCE = token(`fin-${RUN}`, 'finance');
const FINANCE2 = token(`fin2-${RUN}`, 'finance');
const SUPPORT = token(`agent-${RUN}`, 'support');
const LEAD_A = token(`lead-a-${RUN}`, 'supervisor');
const LEAD_B = token(`lead-b-${RUN}`, 'supervisor');
const ADMIN = token(`admin-${RUN}`, 'admin');
const LIB = new URL('../../scripts/lib.sh', import.meta.url).pathname;

const epoch = (ts) => Math.floor(Date.parse(ts) / 1000);

// foundation.test.mjs restarts PostgreSQL; touch every worker thread first so
// that a dead idle connection does not answer a test below with 503.
before(async () => {
  for (let i = 0, ok = 0; i < 40 * THREADS && ok < 4 * THREADS; i++) {
    const r = await api('GET', '/api/v1/payouts?limit=1', { tok: FINANCE });
    ok = r.status === 200 ? ok + 1 : 0;
    if (r.status !== 200) await sleep(50);
  }
});

// ---- helpers ----------------------------------------------------------------

let seq = 0;
const next = () => `${RUN}-${++seq}`;

// A customer of their own: account = JWT sub.
function customer(prefix = 'payc') {
  const account = `${prefix}-${next()}`;
  return { account, tok: token(account, 'customer') };
}

// PUT an order from billing. Default: API credits paid yesterday by Alipay,
// unused, 100.00 CNY: a full refund to the original route (seed 000 case 1).
async function makeOrder(cust, overrides = {}) {
  const id = `PAYT-${next()}`;
  const body = {
    account: cust.account, provider: 'aliyun', product_type: 'api_credits',
    product_name: 'API 调用资源包 1 万次', billing_mode: 'one_time', status: 'paid',
    amount_paid: 10000, currency: 'CNY', payment_method: 'alipay', payment_ref: `REF-${id}`,
    paid_at: iso(nowS() - DAY), quantity: 10000, bonus_quantity: 0, used_quantity: 0,
    in_use: false, promo: false, third_party_cost: 0, ...overrides,
  };
  const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body });
  assert.equal(r.status, 201, `order ${id}: ${r.text}`);
  return { id, ...body };
}

// API credits bought 45 days ago with a quarter used: prorata_usage, balance only.
const AFTER_WINDOW = () => ({ paid_at: iso(nowS() - 45 * DAY), used_quantity: 2500 });
// A cloud server inside its 5-day window: both payout methods are offered.
function CLOUD_SERVER() {
  const paid = nowS() - DAY;
  return {
    product_type: 'cloud_server', product_name: 'ECS 2核4G 包年', billing_mode: 'subscription',
    amount_paid: 120000, payment_method: 'wechat', paid_at: iso(paid), period_start: iso(paid),
    period_end: iso(paid + 365 * DAY), quantity: 0,
  };
}

async function quoteOf(cust, orderId) {
  const r = await api('GET', `/api/v1/orders/${orderId}/quote`, { tok: cust.tok });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// Submits with the quote the customer was shown.
async function submit(cust, orderId, method) {
  const q = await quoteOf(cust, orderId);
  assert.equal(q.eligible, true, `quote for ${orderId}: ${JSON.stringify(q)}`);
  const r = await api('POST', '/api/v1/refunds', {
    tok: cust.tok, headers: { 'Idempotency-Key': `pay-${next()}` },
    body: { order_id: orderId, reason_code: 'bought_by_mistake', payout_method: method ?? q.payout_default,
            expected_amount: q.amount },
  });
  assert.equal(r.status, 201, r.text);
  return { refund: r.json, quote: q };
}

const act = (id, action, tok, body) => api('POST', `/api/v1/refunds/${id}/${action}`, { tok, body });

// Claim and approve (support, or the given approver); a second, different
// supervisor above second_approval_over; the customer confirms a changed
// amount. Returns the approved request.
async function approve(cust, refundId, body = {}, approver = SUPPORT) {
  let r = await act(refundId, 'claim', SUPPORT);
  assert.equal(r.status, 200, r.text);
  r = await act(refundId, 'approve', approver, body);
  assert.equal(r.status, 200, r.text);
  if (r.json.status === 'awaiting_second_approval') {
    r = await act(refundId, 'approve', LEAD_B, {});
    assert.equal(r.status, 200, r.text);
  }
  if (r.json.status === 'awaiting_confirmation') {
    r = await act(refundId, 'confirm', cust.tok);
    assert.equal(r.status, 200, r.text);
  }
  assert.equal(r.json.status, 'approved', r.text);
  return r.json;
}

// A fresh customer, order and approved request.
async function approvedRefund(orderOverrides = {}, { method, approveBody, prefix } = {}) {
  const cust = customer(prefix);
  const order = await makeOrder(cust, orderOverrides);
  const { refund, quote } = await submit(cust, order.id, method);
  const approved = await approve(cust, refund.id, approveBody);
  return { cust, order, quote, refund: approved, id: approved.id };
}

const payout = (refundId, { tok = FINANCE, body } = {}) =>
  api('POST', `/api/v1/refunds/${refundId}/payout`, { tok, body });
const settle = (payoutId, { tok = SYSTEM, body } = {}) =>
  api('POST', `/api/v1/payouts/${payoutId}/settle`, { tok, body });
const fail = (payoutId, reason = 'account closed at the bank', tok = SYSTEM) =>
  api('POST', `/api/v1/payouts/${payoutId}/fail`, { tok, body: { reason } });

async function refundOf(id, tok = FINANCE) {
  const r = await api('GET', `/api/v1/refunds/${id}`, { tok });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function balanceOf(cust) {
  const r = await api('GET', '/api/v1/balance', { tok: cust.tok });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const creditsFor = (bal, refundId) => bal.lines.filter((l) => l.refund_id === refundId);
const cny = (bal) => (bal.balances.find((b) => b.currency === 'CNY') || { amount: 0 }).amount;

// SQL as the PostgreSQL superuser: what a bug in a worker, or a person with a
// console, could try. { ok, out, err } with the verbose error (SQLSTATE,
// constraint name) on failure.
function superSql(sql) {
  try {
    const out = execFileSync('bash', [LIB, 'psql_super', RUNDIR, '-d', 'refundd',
      '-v', 'VERBOSITY=verbose', '-At', '-c', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, out: out.trim(), err: '' };
  } catch (e) {
    return { ok: false, out: String(e.stdout ?? ''), err: String(e.stderr ?? '') };
  }
}

function assertRefusedByDb(res, sqlstate, constraint) {
  assert.equal(res.ok, false, `the database accepted it (${res.out})`);
  assert.match(res.err, new RegExp(`ERROR:\\s+${sqlstate}:`), res.err);
  if (constraint) assert.match(res.err, new RegExp(`CONSTRAINT NAME:\\s+${constraint}\\s`), res.err);
}

function sqlOne(sql) {
  const res = superSql(sql);
  assert.ok(res.ok, res.err);
  return res.out;
}

// ---- expected arrival: business days in Asia/Shanghai (UTC+8, no DST) --------

const ZONE = 8 * 3600;
async function holidayKinds() {
  const r = await api('GET', '/api/v1/holidays', { tok: ADMIN });
  assert.equal(r.status, 200, r.text);
  return new Map(r.json.items.map((h) => [Date.parse(`${h.day}T00:00:00Z`) / 1000 / DAY, h.kind]));
}
function isBusinessDay(kinds, day) {
  if (kinds.has(day)) return kinds.get(day) === 'workday';
  const weekday = (day + 4) % 7;   // day 0, 1970-01-01, was a Thursday
  return weekday !== 0 && weekday !== 6;
}
// n business days after start: the same local time of day, counted from the
// next business day's start when start is not one.
function addBusinessDays(kinds, start, n) {
  const local = start + ZONE;
  let day = Math.floor(local / DAY);
  let tod = local - day * DAY;
  if (isBusinessDay(kinds, day) && n === 0) return start;
  if (!isBusinessDay(kinds, day)) {
    do day++; while (!isBusinessDay(kinds, day));
    tod = 0;
  }
  for (let i = 0; i < n; i++) do day++; while (!isBusinessDay(kinds, day));
  return day * DAY + tod - ZONE;
}

const CHANNEL_DAYS = { alipay: [1, 1], wechat: [1, 1], bank_transfer: [1, 3], card: [3, 7] };

// The worker reads the clock when the request starts, a moment before the
// row's created_at: accept any start second in the two before it.
function assertArrival(kinds, p, channel) {
  const [early, late] = CHANNEL_DAYS[channel];
  const created = epoch(p.created_at);
  const got = [epoch(p.expected_at), epoch(p.expected_latest_at)];
  const starts = [created, created - 1, created - 2];
  const fits = starts.some((s) => addBusinessDays(kinds, s, early) === got[0] &&
                                  addBusinessDays(kinds, s, late) === got[1]);
  assert.ok(fits, `${channel}: created ${p.created_at}, expected ${p.expected_at} .. ${p.expected_latest_at}; ` +
    `want ${iso(addBusinessDays(kinds, created, early))} .. ${iso(addBusinessDays(kinds, created, late))}`);
  assert.ok(got[0] > created && got[1] >= got[0]);
  // and the count, plainly: whole business days between creation and arrival,
  // counted from the next business day when it was made on a day off
  // (DESIGN.md: the clock starts the next business morning)
  let startDay = Math.floor((created + ZONE) / DAY);
  if (!isBusinessDay(kinds, startDay)) {
    do startDay++; while (!isBusinessDay(kinds, startDay));
  }
  const count = (until) => {
    let n = 0;
    for (let d = startDay + 1; d <= Math.floor((until + ZONE) / DAY); d++) if (isBusinessDay(kinds, d)) n++;
    return n;
  };
  assert.equal(count(got[0]), early, `${channel}: business days to expected_at`);
  assert.equal(count(got[1]), late, `${channel}: business days to expected_latest_at`);
}

// ---- RFC 4180 -------------------------------------------------------------

// Parses CSV strictly: fields quoted or not, CRLF after every record (a bare
// CR or LF is allowed only inside quotes). Throws on anything else.
function parseCsv(text) {
  const rows = [];
  let i = 0;
  while (i < text.length) {
    const row = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new Error('unterminated quote');
          if (text[i] === '"') {
            if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++;
            break;
          }
          field += text[i++];
        }
      } else {
        while (i < text.length && !',\r\n"'.includes(text[i])) field += text[i++];
        if (text[i] === '"') throw new Error(`quote inside an unquoted field at ${i}`);
      }
      row.push(field);
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '\r' && text[i + 1] === '\n') { i += 2; break; }
      throw new Error(`record not ended by CRLF at ${i}: ${JSON.stringify(text.slice(i, i + 10))}`);
    }
    rows.push(row);
  }
  return rows;
}

const CSV_HEAD = ['payout_id', 'refund_id', 'order_id', 'account', 'product_name', 'channel',
  'payment_ref', 'amount', 'currency', 'expected_by'];

async function exportCsv(tok = FINANCE, query = '', accept = 'text/csv') {
  const r = await api('GET', `/api/v1/payouts${query}`, { tok, headers: { Accept: accept } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  const rows = parseCsv(r.text);
  assert.deepEqual(rows[0], CSV_HEAD);
  for (const row of rows) assert.equal(row.length, CSV_HEAD.length, JSON.stringify(row));
  return { r, rows: rows.slice(1) };
}

// =============================================================================

test('payout: finance only; a request not yet approved is 409 invalid_transition; bad ids 404; a bad body changes nothing', async () => {
  const cust = customer();
  const order = await makeOrder(cust);
  const { refund } = await submit(cust, order.id);

  // submitted, in_review: not payable
  let r = await payout(refund.id);
  assertProblem(assert, r, 409, 'invalid_transition');
  assert.equal((await act(refund.id, 'claim', SUPPORT)).status, 200);
  r = await payout(refund.id);
  assertProblem(assert, r, 409, 'invalid_transition');

  // approved for less than the quote: waits for the customer, not payable yet
  r = await act(refund.id, 'approve', SUPPORT, { amount: 9000, note: 'one day used' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'awaiting_confirmation');
  r = await payout(refund.id);
  assertProblem(assert, r, 409, 'invalid_transition');
  assert.equal((await act(refund.id, 'confirm', cust.tok)).json.status, 'approved');

  // only finance, whatever the state
  for (const tok of [cust.tok, SUPPORT, LEAD_A, ADMIN, SYSTEM]) {
    assertProblem(assert, await payout(refund.id, { tok }), 403, 'forbidden');
  }
  // unknown and malformed ids
  for (const id of ['999999999999', 'abc', '0', '1e3', '99999999999999999999']) {
    assertProblem(assert, await payout(id), 404, 'refund_not_found');
  }
  // bodies that are refused, and change nothing
  assertProblem(assert, await payout(refund.id, { body: { payout_method: 'cash' } }), 422, 'invalid_value');
  assertProblem(assert, await payout(refund.id, { body: { payout_method: null } }), 422, 'wrong_type');
  assertProblem(assert, await payout(refund.id, { body: { amount: 1 } }), 422, 'unknown_field');
  r = await api('POST', `/api/v1/refunds/${refund.id}/payout`, { tok: FINANCE, raw: 'payout_method=balance',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(r.status, 415, r.text);
  let now = await refundOf(refund.id);
  assert.equal(now.status, 'approved');
  assert.equal(now.approved_amount, 9000);
  assert.deepEqual(now.payouts, []);

  // an empty JSON object is no body: the approved method
  r = await payout(refund.id, { body: {} });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'paying');
  assert.equal(r.json.payouts.length, 1);
  assert.equal(r.json.payouts[0].amount, 9000);   // the approved amount, not the quote
  assertProblem(assert, await payout(refund.id), 409, 'invalid_transition');
});

test('balance: the payout settles at once, the request is paid, one ledger line, GET /balance shows it', async () => {
  const { cust, quote, id } = await approvedRefund(AFTER_WINDOW());
  assert.equal(quote.rule, 'prorata_usage');
  assert.deepEqual(quote.payout_methods, ['balance']);
  assert.equal(quote.amount, 7500);   // 75 % of 100.00 unused

  const r = await payout(id);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'paid');
  assert.equal(r.json.payouts.length, 1);
  const p = r.json.payouts[0];
  assert.equal(p.method, 'balance');
  assert.equal(p.channel, 'balance');
  assert.equal(p.status, 'settled');
  assert.equal(p.amount, 7500);
  assert.equal(p.currency, 'CNY');
  assert.equal(p.refund_id, id);
  assert.equal(p.account, cust.account);
  assert.ok(p.settled_at, 'settled_at');
  assert.equal(p.expected_at, p.expected_latest_at);
  const actions = r.json.timeline.map((e) => e.action);
  assert.ok(actions.includes('refund.payout_start') && actions.includes('refund.payout_settled'), actions.join());
  assert.deepEqual(r.json.timeline.slice(-2).map((e) => e.to), ['paying', 'paid']);

  const bal = await balanceOf(cust);
  const lines = creditsFor(bal, id);
  assert.equal(lines.length, 1, JSON.stringify(bal));
  assert.equal(lines[0].amount, 7500);
  assert.equal(lines[0].currency, 'CNY');
  assert.equal(lines[0].kind, 'refund_credit');
  assert.equal(lines[0].payout_id, p.id);
  assert.equal(lines[0].account, undefined, 'the ledger line does not repeat the account');
  assert.equal(cny(bal), 7500);
  assert.equal(bal.lines.length, 1);

  // the customer is told; others see nothing of it
  const n = await api('GET', '/api/v1/notifications', { tok: cust.tok });
  assert.ok(n.json.items.some((x) => x.refund_id === id && x.kind === 'refund.paid'), n.text);
  assert.deepEqual((await balanceOf(customer())).balances, []);
  assertProblem(assert, await api('GET', '/api/v1/balance', { tok: FINANCE }), 403, 'forbidden');

  // the ledger guards itself: one credit per payout, lines never change
  assertRefusedByDb(superSql(`INSERT INTO balance_ledger (account, amount, currency, kind, refund_id, payout_id)
    VALUES ('${cust.account}', 7500, 'CNY', 'refund_credit', ${id}, ${p.id})`), '23505', 'balance_ledger_payout_id_key');
  assertRefusedByDb(superSql(`UPDATE balance_ledger SET amount = 1 WHERE payout_id = ${p.id}`), '42501');
  assertRefusedByDb(superSql(`DELETE FROM balance_ledger WHERE payout_id = ${p.id}`), '42501');
  assert.equal(cny(await balanceOf(cust)), 7500);
});

test('original route: a pending payout on the order\'s channel, expected per channel in business days', async () => {
  const kinds = await holidayKinds();
  for (const channel of ['alipay', 'wechat', 'bank_transfer', 'card']) {
    const { cust, order, id } = await approvedRefund({ payment_method: channel, payment_ref: `${channel}-${next()}` });
    const r = await payout(id);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status, 'paying');
    assert.equal(r.json.payouts.length, 1);
    const p = r.json.payouts[0];
    assert.equal(p.method, 'original_route');
    assert.equal(p.channel, channel);
    assert.equal(p.status, 'pending');
    assert.equal(p.amount, 10000);
    assert.equal(p.order_id, order.id);
    assert.equal(p.settled_at, null);
    assertArrival(kinds, p, channel);
    // no money moved yet
    assert.deepEqual(creditsFor(await balanceOf(cust), id), []);
    const n = await api('GET', '/api/v1/notifications', { tok: cust.tok });
    assert.ok(n.json.items.some((x) => x.refund_id === id && x.kind === 'refund.paying'), n.text);
    // the customer sees the same payout
    const mine = await refundOf(id, cust.tok);
    assert.deepEqual(mine.payouts, r.json.payouts);
  }
});

// The money leaves when the export sends the instruction: a payout that
// waited for the export (over a weekend, a holiday, a week) is expected
// its channel's business days from then. The window was that of the
// payout's creation, so the customer was told a date already past, or
// only a day after the instruction had gone out.
test('an instruction waiting for the export is expected its channel\'s business days from the export', async () => {
  const kinds = await holidayKinds();
  const made = [];
  for (const channel of ['alipay', 'wechat', 'bank_transfer', 'card']) {
    const { id } = await approvedRefund({ payment_method: channel });
    const p = (await payout(id)).json.payouts[0];
    // made ten days ago, and not exported since
    sqlOne(`UPDATE payouts SET created_at = created_at - interval '10 days',
      expected_at = expected_at - interval '10 days',
      expected_latest_at = expected_latest_at - interval '10 days' WHERE id = ${p.id}`);
    made.push({ id, channel, p });
  }
  const { rows } = await exportCsv();
  for (const m of made) {
    const now = await refundOf(m.id);
    const sent = now.payouts[0];
    assert.equal(sent.status, 'sent');
    assertArrival(kinds, { ...sent, created_at: sent.sent_at }, m.channel);
    assert.equal(now.expected_arrival_from, sent.expected_at);
    assert.equal(now.expected_arrival, sent.expected_latest_at);
    const row = rows.find((x) => x[0] === String(m.p.id));
    assert.equal(row[9], iso(epoch(sent.expected_latest_at)), 'the export says the same');
    // the payout's trail has it as sent
    const ev = JSON.parse(sqlOne(`SELECT after::text FROM audit_events WHERE entity = 'payout'
      AND entity_id = '${m.p.id}' AND action = 'payout.sent'`));
    assert.equal(epoch(ev.expected_latest_at), epoch(sent.expected_latest_at));
  }
});

test('original route of an order paid from the balance: credited back to the balance at once', async () => {
  const { cust, id } = await approvedRefund({ payment_method: 'balance' });
  const r = await payout(id);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'paid');
  const [p] = r.json.payouts;
  assert.equal(p.method, 'original_route');
  assert.equal(p.channel, 'balance');
  assert.equal(p.status, 'settled');
  const lines = creditsFor(await balanceOf(cust), id);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].amount, 10000);
});

for (const kind of ['original_route', 'balance']) {
  test(`32 parallel payouts of one approved request (${kind}): one 201, the rest 409, one payout`, async () => {
    const { cust, id } = await approvedRefund(kind === 'balance' ? AFTER_WINDOW() : {});
    const tokens = [FINANCE, FINANCE2];
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) => payout(id, { tok: tokens[i % 2] })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join());
    assert.equal(statuses.filter((s) => s === 409).length, 31, statuses.join());
    for (const r of results.filter((x) => x.status === 409)) assertProblem(assert, r, 409, 'invalid_transition');

    const now = await refundOf(id);
    assert.equal(now.payouts.length, 1, JSON.stringify(now.payouts));
    assert.equal(now.status, kind === 'balance' ? 'paid' : 'paying');
    assert.equal(now.timeline.filter((e) => e.action === 'refund.payout_start').length, 1);
    assert.equal(sqlOne(`SELECT count(*) FROM payouts WHERE refund_id = ${id}`), '1');
    const lines = creditsFor(await balanceOf(cust), id);
    assert.equal(lines.length, kind === 'balance' ? 1 : 0, JSON.stringify(lines));

    if (kind === 'original_route') {
      // the channel calls back many times at once: one settlement, one event
      const pid = now.payouts[0].id;
      const settles = await Promise.all(Array.from({ length: 16 }, (_, i) =>
        settle(pid, { tok: i % 2 ? SYSTEM : FINANCE, body: { channel_ref: `CB-${i}` } })));
      assert.deepEqual([...new Set(settles.map((r) => r.status))], [200], settles.map((r) => r.text).join('\n'));
      for (const r of settles) assert.equal(r.json.status, 'settled');
      assert.equal(new Set(settles.map((r) => r.json.channel_ref)).size, 1, 'one callback won');
      const paid = await refundOf(id);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.timeline.filter((e) => e.action === 'refund.payout_settled').length, 1);
      assert.equal(sqlOne(`SELECT count(*) FROM audit_events WHERE entity = 'payout' AND entity_id = '${pid}'
        AND action = 'payout.settle'`), '1');
    }
  });
}

// One customer's refunds paid to the balance all at once: one line each,
// and the balance is exactly what those lines add up to.
test('parallel balance payouts of one customer: one credit per refund, the balance is the sum of its lines', async () => {
  const cust = customer('balpar');
  const ids = [];
  for (let i = 0; i < 6; i++) {
    const order = await makeOrder(cust, { ...AFTER_WINDOW(), amount_paid: 10000 + i * 100 });
    const { refund } = await submit(cust, order.id);
    ids.push((await approve(cust, refund.id)).id);
  }
  const results = await Promise.all(ids.flatMap((id) => [payout(id), payout(id, { tok: FINANCE2 })]));
  assert.equal(results.filter((r) => r.status === 201).length, ids.length, results.map((r) => r.status).join());
  const bal = await balanceOf(cust);
  const approved = await Promise.all(ids.map(async (id) => (await refundOf(id)).approved_amount));
  for (const [i, id] of ids.entries()) {
    assert.deepEqual(creditsFor(bal, id).map((l) => l.amount), [approved[i]], `refund ${id}`);
  }
  assert.equal(bal.lines.length, ids.length);
  assert.equal(cny(bal), bal.lines.reduce((n, l) => n + l.amount, 0));
  assert.equal(cny(bal), approved.reduce((n, a) => n + a, 0));
  assert.equal(sqlOne(`SELECT sum(amount) FROM balance_ledger WHERE account = '${cust.account}'`), String(cny(bal)));
});

// The channel reports one failure many times at once: the refund goes back
// to approved once, with one event and one notice for the customer.
test('16 parallel "failed" callbacks for one sent payout: one failure, one event, one notice', async () => {
  const { cust, id } = await approvedRefund({ payment_method: 'card' });
  const p = (await payout(id)).json.payouts[0];
  await exportCsv();
  const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => fail(p.id, `declined ${i}`)));
  assert.deepEqual([...new Set(answers.map((r) => r.status))], [200], answers.map((r) => r.text).join('\n'));
  assert.equal(new Set(answers.map((r) => r.json.failure_reason)).size, 1, 'one callback won');
  const now = await refundOf(id);
  assert.equal(now.status, 'approved');
  assert.equal(now.timeline.filter((e) => e.action === 'refund.payout_failed').length, 1);
  assert.equal(sqlOne(`SELECT count(*) FROM audit_events WHERE entity = 'payout' AND entity_id = '${p.id}'
    AND action = 'payout.fail'`), '1');
  const n = await api('GET', '/api/v1/notifications', { tok: cust.tok });
  assert.equal(n.json.items.filter((x) => x.refund_id === id && x.kind === 'refund.payout_failed').length, 1, n.text);
});

// The database keeps a balance from going below zero, whatever writes the
// ledger: a debit (spend, adjustment) larger than the account's balance in
// that currency is refused, also when two debits that each fit come at once.
test('the database keeps every balance at zero or more, also under two debits at once', async () => {
  const cust = customer('balneg');
  const order = await makeOrder(cust, AFTER_WINDOW());
  const { refund } = await submit(cust, order.id);
  const { id } = await approve(cust, refund.id);
  assert.equal((await payout(id)).status, 201);
  const credit = cny(await balanceOf(cust));
  assert.ok(credit > 0);
  const debit = (amount, kind = 'spend') => `INSERT INTO balance_ledger (account, amount, currency, kind, memo)
    VALUES ('${cust.account}', ${-amount}, 'CNY', '${kind}', 'test')`;
  assertRefusedByDb(superSql(debit(credit + 1)), '23514', 'balance_ledger_not_negative');
  assertRefusedByDb(superSql(debit(1, 'adjustment').replace("'CNY'", "'USD'")), '23514', 'balance_ledger_not_negative');
  // two debits of 60 % each at once: one of them is refused
  const share = Math.ceil(credit * 0.6);
  const both = await Promise.all([0, 1].map(() => new Promise((resolve) => {
    const psql = spawn('bash', [LIB, 'psql_super', RUNDIR, '-d', 'refundd', '-c',
      `BEGIN; ${debit(share)}; SELECT pg_sleep(0.5); COMMIT;`], { stdio: 'ignore' });
    psql.on('exit', (code) => resolve(code));
  })));
  assert.equal(both.filter((code) => code === 0).length, 1, `exit codes ${both}`);
  assert.equal(cny(await balanceOf(cust)), credit - share);
  assert.ok(superSql(debit(credit - share)).ok, 'down to zero is allowed');
  assert.equal(cny(await balanceOf(cust)), 0);
});

test('settle and fail racing on one payout: exactly one wins', async () => {
  const { id } = await approvedRefund();
  const p = (await payout(id)).json.payouts[0];
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) =>
    i % 2 ? settle(p.id) : fail(p.id, `race ${i}`)));
  const final = (await refundOf(id)).payouts;
  assert.equal(final.length, 1);
  const won = final[0].status;
  assert.ok(['settled', 'failed'].includes(won));
  for (const r of results) {
    if (r.status === 200) assert.equal(r.json.status, won);
    else assertProblem(assert, r, 409, 'payout_final');
  }
  assert.equal((await refundOf(id)).status, won === 'settled' ? 'paid' : 'approved');
});

test('settle: system or finance; a replay answers 200 and changes nothing; fail after settle is 409 payout_final', async () => {
  // original route
  const { cust, id } = await approvedRefund({ payment_method: 'bank_transfer' });
  const p = (await payout(id)).json.payouts[0];
  for (const tok of [cust.tok, SUPPORT, LEAD_A, ADMIN]) {
    assertProblem(assert, await settle(p.id, { tok }), 403, 'forbidden');
    assertProblem(assert, await fail(p.id, 'x', tok), 403, 'forbidden');
  }
  for (const bad of ['999999999999', 'abc', '-1', '1.0', '9999999999999999999']) {
    assertProblem(assert, await settle(bad), 404, 'payout_not_found');
  }
  assertProblem(assert, await settle(p.id, { body: { channel_ref: 'X', amount: 1 } }), 422, 'unknown_field');
  assertProblem(assert, await settle(p.id, { body: { channel_ref: 'x'.repeat(129) } }), 422, 'too_long');
  assert.equal((await refundOf(id)).payouts[0].status, 'pending');

  let r = await settle(p.id, { body: { channel_ref: 'BANK-OK-1' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, p.id);
  assert.equal(r.json.status, 'settled');
  assert.equal(r.json.channel_ref, 'BANK-OK-1');
  assert.ok(r.json.settled_at);
  let now = await refundOf(id, cust.tok);
  assert.equal(now.status, 'paid');
  const n = await api('GET', '/api/v1/notifications', { tok: cust.tok });
  assert.ok(n.json.items.some((x) => x.refund_id === id && x.kind === 'refund.paid'), n.text);

  // delivered again (by finance, with another reference): the same payout back
  for (const tok of [SYSTEM, FINANCE]) {
    r = await settle(p.id, { tok, body: { channel_ref: 'BANK-OK-2' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'settled');
    assert.equal(r.json.channel_ref, 'BANK-OK-1');
    assert.equal(r.json.updated_at, now.payouts[0].updated_at);
  }
  r = await settle(p.id);   // no body at all
  assert.equal(r.status, 200, r.text);
  now = await refundOf(id);
  assert.equal(now.status, 'paid');
  assert.equal(now.payouts.length, 1);
  assert.equal(now.payouts.filter((x) => x.status === 'settled').length, 1);
  assert.equal(now.timeline.filter((e) => e.action === 'refund.payout_settled').length, 1);

  r = await fail(p.id, 'bounced');
  assertProblem(assert, r, 409, 'payout_final');
  assert.equal((await refundOf(id)).payouts[0].status, 'settled');
  assertProblem(assert, await payout(id), 409, 'invalid_transition');

  // balance: settled by the payout itself; a callback for it is a replay
  const b = await approvedRefund(AFTER_WINDOW());
  const bp = (await payout(b.id)).json.payouts[0];
  assert.equal(bp.status, 'settled');
  for (const tok of [SYSTEM, FINANCE]) {
    r = await settle(bp.id, { tok });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'settled');
  }
  assertProblem(assert, await fail(bp.id, 'too late'), 409, 'payout_final');
  const bnow = await refundOf(b.id);
  assert.equal(bnow.status, 'paid');
  assert.equal(bnow.payouts.length, 1);
  const lines = creditsFor(await balanceOf(b.cust), b.id);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].amount, 7500);
});

test('fail: the request goes back to approved; a retry is a new payout; one settled payout in the end', async () => {
  const { cust, id } = await approvedRefund({ payment_method: 'card' });
  const p1 = (await payout(id)).json.payouts[0];

  assertProblem(assert, await fail(p1.id, 'x', cust.tok), 403, 'forbidden');
  assertProblem(assert, await api('POST', `/api/v1/payouts/${p1.id}/fail`, { tok: SYSTEM, body: {} }), 422, 'missing_field');
  assertProblem(assert, await fail(p1.id, ''), 422, 'invalid_value');
  assertProblem(assert, await fail(p1.id, 'x'.repeat(501)), 422, 'too_long');
  let r = await api('POST', `/api/v1/payouts/${p1.id}/fail`, { tok: SYSTEM });
  assert.ok([400, 415, 422].includes(r.status), `a fail without a body: ${r.status}`);
  assert.equal((await refundOf(id)).status, 'paying');

  r = await fail(p1.id, 'card expired');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'failed');
  assert.equal(r.json.failure_reason, 'card expired');
  let now = await refundOf(id, cust.tok);
  assert.equal(now.status, 'approved');
  assert.deepEqual(now.timeline.slice(-1).map((e) => [e.action, e.from, e.to]),
    [['refund.payout_failed', 'paying', 'approved']]);
  const n = await api('GET', '/api/v1/notifications', { tok: cust.tok });
  assert.ok(n.json.items.some((x) => x.refund_id === id && x.kind === 'refund.payout_failed'), n.text);

  // the same answer again is a replay (a late "settled" has tests of its own below)
  r = await fail(p1.id, 'card expired again', FINANCE);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.failure_reason, 'card expired');
  assert.equal((await refundOf(id)).status, 'approved');

  // API credits inside the window go back only by the original route
  r = await payout(id, { body: { payout_method: 'balance' } });
  assertProblem(assert, r, 422, 'payout_method_not_allowed');
  now = await refundOf(id);
  assert.equal(now.status, 'approved');
  assert.equal(now.approved_method, 'original_route');
  assert.equal(now.payouts.length, 1);
  assert.deepEqual(creditsFor(await balanceOf(cust), id), []);

  // retry on the same route: a new pending payout
  r = await payout(id);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'paying');
  assert.equal(r.json.payouts.length, 2);
  const p2 = r.json.payouts[1];
  assert.notEqual(p2.id, p1.id);
  assert.equal(p2.status, 'pending');
  assert.equal(p2.channel, 'card');
  assert.equal(p2.amount, 10000);
  assert.equal(r.json.payouts[0].status, 'failed');

  r = await settle(p2.id, { body: { channel_ref: 'CARD-RETRY' } });
  assert.equal(r.status, 200, r.text);
  now = await refundOf(id);
  assert.equal(now.status, 'paid');
  assert.deepEqual(now.payouts.map((x) => x.status), ['failed', 'settled']);
  assert.equal(sqlOne(`SELECT count(*) FROM payouts WHERE refund_id = ${id} AND status = 'settled'`), '1');
  assertProblem(assert, await payout(id), 409, 'invalid_transition');
});

test('fail, then a retry switched to the balance when the quote offered it', async () => {
  const { cust, quote, id } = await approvedRefund(CLOUD_SERVER());
  assert.deepEqual([...quote.payout_methods].sort(), ['balance', 'original_route']);
  const p1 = (await payout(id)).json.payouts[0];
  assert.equal(p1.channel, 'wechat');
  assert.equal((await fail(p1.id, 'wechat account frozen')).status, 200);

  const r = await payout(id, { body: { payout_method: 'balance' } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'paid');
  assert.equal(r.json.approved_method, 'balance');
  assert.deepEqual(r.json.payouts.map((x) => [x.method, x.channel, x.status]),
    [['original_route', 'wechat', 'failed'], ['balance', 'balance', 'settled']]);
  assert.equal(r.json.payouts[1].amount, 120000);
  const lines = creditsFor(await balanceOf(cust), id);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].amount, 120000);
  assert.equal(lines[0].payout_id, r.json.payouts[1].id);
  assertProblem(assert, await payout(id, { body: { payout_method: 'balance' } }), 409, 'invalid_transition');
});

test('the order cap holds across two requests of one order, in the API and in the database', async () => {
  const cust = customer();
  const order = await makeOrder(cust);   // 100.00 paid

  // first request: approved for 40.00 of the 100.00 quoted, confirmed, paid
  const first = await submit(cust, order.id);
  assert.equal(first.quote.amount, 10000);
  const r1 = await approve(cust, first.refund.id, { amount: 4000, note: 'only part was bought by mistake' });
  assert.equal(r1.approved_amount, 4000);
  const p1 = (await payout(r1.id)).json.payouts[0];
  assert.equal(p1.amount, 4000);

  // the database: one live payout per request, no payout above the order
  assertRefusedByDb(superSql(`INSERT INTO payouts (refund_id, order_id, account, method, channel, amount, currency,
      status, expected_at, expected_latest_at, product_name)
    VALUES (${r1.id}, '${order.id}', '${cust.account}', 'original_route', 'alipay', 4000, 'CNY', 'pending', now(), now(), 'p')`),
    '23505', 'payouts_one_live');
  // A payout moves exactly its approval (005), checked before the order cap.
  assertRefusedByDb(superSql(`UPDATE payouts SET amount = 10001 WHERE id = ${p1.id}`), '23514', 'payouts_match_approval');
  assert.equal((await settle(p1.id)).status, 200);
  assert.equal((await refundOf(r1.id)).status, 'paid');

  // the rest is quoted, no more
  const second = await submit(cust, order.id);
  assert.equal(second.quote.amount, 6000);
  assert.ok(second.quote.breakdown.some((l) => l.label === 'already_refunded' && l.amount === -4000),
    JSON.stringify(second.quote.breakdown));
  assert.equal((await act(second.refund.id, 'claim', SUPPORT)).status, 200);
  // a supervisor may approve above the quote with a reason, but not above the cap
  let r = await act(second.refund.id, 'approve', LEAD_A, { amount: 6001, note: 'goodwill' });
  assertProblem(assert, r, 409, 'exceeds_order_cap');
  assert.equal((await refundOf(second.refund.id)).status, 'in_review');
  r = await act(second.refund.id, 'approve', SUPPORT, {});
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'approved');
  assert.equal(r.json.approved_amount, 6000);
  const r2 = r.json;

  // the database refuses more, whoever asks
  assertRefusedByDb(superSql(`UPDATE refund_requests SET approved_amount = 6001 WHERE id = ${r2.id}`),
    '23514', 'refund_requests_order_cap');
  assertRefusedByDb(superSql(`UPDATE refund_requests SET approved_amount = 4001 WHERE id = ${r1.id}`),
    '23514', 'refund_requests_order_cap');
  assertRefusedByDb(superSql(`INSERT INTO refund_requests (order_id, account, product_type, provider, status,
      reason_code, payout_method, quote, quoted_amount, currency, policy_version, approved_amount,
      approved_method, due_at)
    SELECT order_id, account, product_type, provider, 'paid', reason_code, payout_method, quote, 1, currency,
      policy_version, 1, payout_method, due_at FROM refund_requests WHERE id = ${r2.id}`),
    '23514', 'refund_requests_order_cap');

  const p2 = (await payout(r2.id)).json.payouts[0];
  assert.equal(p2.amount, 6000);
  // Payouts equal their approvals (005) and approvals are capped, so the
  // database refuses an oversized payout by the first of its rules it checks.
  assertRefusedByDb(superSql(`UPDATE payouts SET amount = 6001 WHERE id = ${p2.id}`), '23514', 'payouts_match_approval');
  // The order cap stands behind it on its own: with the approval rule switched
  // off (in the same implicit transaction, rolled back by the error) the cap
  // still refuses.
  assertRefusedByDb(superSql(`ALTER TABLE payouts DISABLE TRIGGER payouts_match_approval;
    UPDATE payouts SET amount = 6001 WHERE id = ${p2.id}`), '23514', 'payouts_order_cap');
  assert.equal(sqlOne(`SELECT tgenabled FROM pg_trigger WHERE tgname = 'payouts_match_approval'`), 'O');
  assertRefusedByDb(superSql(`INSERT INTO payouts (refund_id, order_id, account, method, channel, amount, currency,
      status, expected_at, expected_latest_at, product_name)
    VALUES (${r1.id}, '${order.id}', '${cust.account}', 'balance', 'balance', 1, 'CNY', 'settled', now(), now(), 'p')`),
    '23514', 'payouts_match_approval');
  // a settled payout is final, even to the superuser
  assertRefusedByDb(superSql(`UPDATE payouts SET amount = 3999 WHERE id = ${p1.id}`), '23514', 'payouts_final');
  assertRefusedByDb(superSql(`UPDATE payouts SET status = 'failed' WHERE id = ${p1.id}`), '23514', 'payouts_final');

  assert.equal((await settle(p2.id)).status, 200);
  assert.equal((await refundOf(r2.id)).status, 'paid');
  assert.equal(sqlOne(`SELECT sum(amount) FROM payouts WHERE order_id = '${order.id}' AND status <> 'failed'`), '10000');
  assert.equal(sqlOne(`SELECT sum(approved_amount) FROM refund_requests WHERE order_id = '${order.id}'
    AND status IN ('awaiting_confirmation', 'approved', 'paying', 'paid')`), '10000');

  // nothing is left to refund
  const q = await quoteOf(cust, order.id);
  assert.equal(q.eligible, false, JSON.stringify(q));
  assert.equal(q.amount, 0);
  r = await api('POST', '/api/v1/refunds', { tok: cust.tok, headers: { 'Idempotency-Key': `pay-${next()}` },
    body: { order_id: order.id, reason_code: 'other', payout_method: 'original_route', expected_amount: 0 } });
  assertProblem(assert, r, 422, 'not_eligible');
});

test('GET /api/v1/payouts: finance only, ?status= filter, keyset pagination', async () => {
  const settled = await approvedRefund(AFTER_WINDOW());
  const pending = await approvedRefund({ payment_method: 'wechat' });
  const failed = await approvedRefund({ payment_method: 'bank_transfer' });
  const ps = (await payout(settled.id)).json.payouts[0];
  const pp = (await payout(pending.id)).json.payouts[0];
  const pf = (await payout(failed.id)).json.payouts[0];
  assert.equal((await fail(pf.id, 'wrong account number')).status, 200);
  const ours = [ps.id, pp.id, pf.id];
  const want = { [ps.id]: 'settled', [pp.id]: 'pending', [pf.id]: 'failed' };

  for (const tok of [settled.cust.tok, SUPPORT, LEAD_A, ADMIN, SYSTEM]) {
    assertProblem(assert, await api('GET', '/api/v1/payouts', { tok }), 403, 'forbidden');
    assertProblem(assert, await api('GET', '/api/v1/payouts', { tok, headers: { Accept: 'text/csv' } }), 403, 'forbidden');
  }
  for (const q of ['status=bogus', 'status=', 'status=SETTLED', 'status=settled,failed']) {
    assertProblem(assert, await api('GET', `/api/v1/payouts?${q}`, { tok: FINANCE }), 400, 'invalid_filter');
  }
  for (const q of ['limit=0', 'limit=101', 'limit=-1', 'limit=ten', 'limit=1.5']) {
    assertProblem(assert, await api('GET', `/api/v1/payouts?${q}`, { tok: FINANCE }), 400, 'invalid_limit');
  }
  for (const q of ['cursor=abc', 'cursor=1%20OR%201=1', 'cursor=-1']) {
    assertProblem(assert, await api('GET', `/api/v1/payouts?${q}`, { tok: FINANCE }), 400, 'invalid_cursor');
  }

  // newest first: walk two at a time from just after ours
  const start = String(Math.max(...ours) + 1);
  const seen = [];
  let cursor = start;
  for (let page = 0; page < 50; page++) {
    const r = await api('GET', `/api/v1/payouts?limit=2&cursor=${cursor}`, { tok: FINANCE });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.items.length <= 2);
    seen.push(...r.json.items);
    if (r.json.next_cursor === null) break;
    assert.equal(r.json.items.length, 2);
    assert.equal(r.json.next_cursor, String(r.json.items.at(-1).id));
    cursor = r.json.next_cursor;
    if (ours.every((id) => seen.some((x) => x.id === id))) break;
  }
  const ids = seen.map((x) => x.id);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] < ids[i - 1], `ids descend: ${ids}`);
  for (const id of ours) {
    const item = seen.find((x) => x.id === id);
    assert.ok(item, `payout ${id} listed`);
    assert.equal(item.status, want[id]);
  }
  assert.equal(seen.find((x) => x.id === pf.id).failure_reason, 'wrong account number');

  // each status filter: only that status, ours included; pagination within it
  for (const status of ['settled', 'pending', 'failed']) {
    const found = [];
    cursor = start;
    for (let page = 0; page < 200; page++) {
      const r = await api('GET', `/api/v1/payouts?status=${status}&limit=1&cursor=${cursor}`, { tok: FINANCE });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.items.length <= 1);
      for (const x of r.json.items) assert.equal(x.status, status);
      found.push(...r.json.items.map((x) => x.id));
      if (r.json.next_cursor === null || found.some((id) => want[id] === status)) break;
      cursor = r.json.next_cursor;
    }
    const mine = found.filter((id) => ours.includes(id));
    assert.deepEqual(mine.map((id) => want[id]), [status], `status=${status}: ${found}`);
  }
  // the default page size and the last page
  let r = await api('GET', '/api/v1/payouts', { tok: FINANCE });
  assert.equal(r.status, 200);
  assert.ok(r.json.items.length <= 20);
  r = await api('GET', `/api/v1/payouts?limit=100&cursor=${Math.min(...ours)}`, { tok: FINANCE });
  assert.equal(r.status, 200);
  for (const x of r.json.items) assert.ok(x.id < Math.min(...ours));
});

test('CSV export: RFC 4180 with CRLF, formulas neutralised, pending payouts become sent and are not sent twice', async () => {
  // a hostile account, product name and payment reference; a plain one; a balance payout
  const evil = await approvedRefund({ product_name: '=HYPERLINK("http://x.example/?a=1","click")',
    payment_method: 'card', payment_ref: '@SUM(1+1)' }, { prefix: '=cmd' });
  const plain = await approvedRefund({ product_name: 'Pack, "large"\r\nsecond line',
    payment_method: 'alipay', payment_ref: '-ALI-001' });
  const bal = await approvedRefund(AFTER_WINDOW());
  const pe = (await payout(evil.id)).json.payouts[0];
  const pl = (await payout(plain.id)).json.payouts[0];
  const pb = (await payout(bal.id)).json.payouts[0];
  assert.equal(pe.status, 'pending');
  assert.equal(pl.status, 'pending');
  assert.equal(pb.status, 'settled');
  assert.ok(evil.cust.account.startsWith('=cmd-'));

  const { r, rows } = await exportCsv();
  assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.match(r.headers.get('content-disposition') || '', /^attachment; filename="payouts\.csv"$/);
  assert.ok(r.text.startsWith(`${CSV_HEAD.join(',')}\r\n`));
  assert.ok(r.text.endsWith('\r\n'));

  const byId = new Map(rows.map((row) => [row[0], row]));
  assert.equal(rows.filter((row) => row[0] === String(pe.id)).length, 1);
  assert.ok(!byId.has(String(pb.id)), 'a balance payout is never exported');
  assert.deepEqual(byId.get(String(pe.id)), [String(pe.id), String(evil.id), evil.order.id,
    `'${evil.cust.account}`, `'=HYPERLINK("http://x.example/?a=1","click")`, 'card', "'@SUM(1+1)",
    '100.00', 'CNY', iso(epoch(pe.expected_latest_at))]);
  assert.deepEqual(byId.get(String(pl.id)), [String(pl.id), String(plain.id), plain.order.id,
    plain.cust.account, 'Pack, "large"\r\nsecond line', 'alipay', "'-ALI-001", '100.00', 'CNY',
    iso(epoch(pl.expected_latest_at))]);
  // and as bytes: the apostrophe inside the quotes, inner quotes doubled
  assert.ok(r.text.includes(`,"'=HYPERLINK(""http://x.example/?a=1"",""click"")",card,'@SUM(1+1),100.00,CNY,`), r.text);
  assert.ok(r.text.includes(`,"Pack, ""large""\r\nsecond line",alipay,'-ALI-001,100.00,CNY,`), r.text);
  // no cell of the export starts a formula
  for (const row of rows) for (const cell of row) assert.ok(!/^[=+\-@\t\r]/.test(cell), `cell ${JSON.stringify(cell)}`);

  // exported: sent, with the time
  for (const id of [evil.id, plain.id]) {
    const [p] = (await refundOf(id)).payouts;
    assert.equal(p.status, 'sent');
    assert.ok(p.sent_at, 'sent_at');
    assert.equal((await refundOf(id)).status, 'paying');
  }
  const sent = await api('GET', `/api/v1/payouts?status=sent&limit=100&cursor=${Math.max(pe.id, pl.id) + 1}`, { tok: FINANCE });
  assert.ok(sent.json.items.some((x) => x.id === pe.id) && sent.json.items.some((x) => x.id === pl.id));
  assert.ok(Number(sqlOne(`SELECT count(*) FROM audit_events WHERE action = 'payout.export'
    AND actor = 'fin-${RUN}'`)) >= 1, 'the export is audited');

  // a second export does not repeat them
  const again = await exportCsv(FINANCE2);
  assert.ok(!again.rows.some((row) => [String(pe.id), String(pl.id)].includes(row[0])), again.r.text);

  // the channel answers for sent payouts
  assert.equal((await settle(pe.id, { body: { channel_ref: 'CARD-777' } })).status, 200);
  assert.equal((await refundOf(evil.id)).status, 'paid');
  assert.equal((await fail(pl.id, 'alipay account closed')).status, 200);
  assert.equal((await refundOf(plain.id)).status, 'approved');
  // the retry is pending again and goes out in the next export, once
  const retry = (await payout(plain.id)).json.payouts[1];
  assert.equal(retry.status, 'pending');
  const third = await exportCsv();
  assert.equal(third.rows.filter((row) => row[0] === String(retry.id)).length, 1);
  assert.ok(!third.rows.some((row) => row[0] === String(pl.id)));
});

test('CSV export: two clerks exporting at once never send one instruction twice', async () => {
  const made = [];
  for (let i = 0; i < 4; i++) made.push(await approvedRefund({ payment_method: i % 2 ? 'wechat' : 'bank_transfer' }));
  const ids = [];
  for (const m of made) ids.push(String((await payout(m.id)).json.payouts[0].id));
  const exports = await Promise.all([exportCsv(FINANCE), exportCsv(FINANCE2), exportCsv(FINANCE), exportCsv(FINANCE2)]);
  for (const id of ids) {
    const times = exports.reduce((n, e) => n + e.rows.filter((row) => row[0] === id).length, 0);
    assert.equal(times, 1, `payout ${id} exported ${times} times`);
  }
  for (const m of made) assert.equal((await refundOf(m.id)).payouts[0].status, 'sent');
});

test('seed 000 case 1: API credits paid 10 days ago, unused: the full amount back to Alipay', async () => {
  const cust = customer('seed0');
  const order = await makeOrder(cust, {
    product_name: 'API 调用资源包 100 万次', amount_paid: 1000000, payment_method: 'alipay',
    paid_at: iso(nowS() - 10 * DAY), quantity: 1000000, used_quantity: 0,
  });
  const { refund, quote } = await submit(cust, order.id);
  assert.equal(quote.decision, 'full');
  assert.equal(quote.rule, 'window_full');
  assert.equal(quote.amount, 1000000);                 // 10,000.00 CNY
  assert.deepEqual(quote.payout_methods, ['original_route']);
  assert.equal(refund.payout_method, 'original_route');

  // above second_approval_over (5,000.00): support, then a different supervisor
  assert.equal((await act(refund.id, 'claim', SUPPORT)).status, 200);
  let r = await act(refund.id, 'approve', SUPPORT, {});
  assert.equal(r.json.status, 'awaiting_second_approval', r.text);
  assertProblem(assert, await payout(refund.id), 409, 'invalid_transition');
  r = await act(refund.id, 'approve', LEAD_B, {});
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'approved');
  assert.equal(r.json.second_approver, `lead-b-${RUN}`);

  const kinds = await holidayKinds();
  r = await payout(refund.id);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'paying');
  const [p] = r.json.payouts;
  assert.deepEqual([p.method, p.channel, p.status, p.amount, p.currency],
    ['original_route', 'alipay', 'pending', 1000000, 'CNY']);
  assertArrival(kinds, p, 'alipay');

  r = await settle(p.id, { body: { channel_ref: `ALIPAY-${RUN}` } });
  assert.equal(r.status, 200, r.text);
  const done = await refundOf(refund.id, cust.tok);
  assert.equal(done.status, 'paid');
  assert.deepEqual(done.payouts.map((x) => [x.status, x.amount, x.channel_ref]), [['settled', 1000000, `ALIPAY-${RUN}`]]);
  assert.deepEqual((await balanceOf(cust)).balances, []);   // nothing to the balance
  assert.deepEqual(done.timeline.map((e) => e.to),
    ['submitted', 'in_review', 'awaiting_second_approval', 'approved', 'paying', 'paid']);
});

test('seed 000 case 2: 45 days ago, 37.5 % of the credits used: the unused part to the balance', async () => {
  const cust = customer('seed0');
  const order = await makeOrder(cust, {
    product_name: 'API 调用资源包 10 万次', amount_paid: 50000, payment_method: 'card',
    paid_at: iso(nowS() - 45 * DAY), quantity: 100000, used_quantity: 37500,
  });
  const { refund, quote } = await submit(cust, order.id);
  assert.equal(quote.decision, 'partial');
  assert.equal(quote.rule, 'prorata_usage');
  assert.equal(quote.amount, 31250);                   // 62.5 % of 500.00 = 312.50
  assert.deepEqual(quote.payout_methods, ['balance']);
  assert.ok(quote.reasons.includes('window_closed'), quote.reasons.join());
  assert.equal(refund.payout_method, 'balance');

  const approved = await approve(cust, refund.id);
  assert.equal(approved.approved_amount, 31250);
  const r = await payout(refund.id);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'paid');
  assert.deepEqual(r.json.payouts.map((x) => [x.method, x.channel, x.status, x.amount]),
    [['balance', 'balance', 'settled', 31250]]);
  const bal = await balanceOf(cust);
  assert.deepEqual(bal.balances, [{ currency: 'CNY', amount: 31250 }]);
  assert.equal(bal.lines.length, 1);
  assert.deepEqual([bal.lines[0].amount, bal.lines[0].kind, bal.lines[0].refund_id, bal.lines[0].payout_id],
    [31250, 'refund_credit', refund.id, r.json.payouts[0].id]);
  // not to the card
  assert.equal(sqlOne(`SELECT count(*) FROM payouts WHERE order_id = '${order.id}' AND channel = 'card'`), '0');
});

test('the audit trail still verifies after all of the above', async () => {
  const r = await api('GET', '/api/v1/audit/verify', { tok: ADMIN });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.ok, true, r.text);
});

// ---- regressions: bugs found by these tests, fixed ---------------------------

test('a balance payout is expected at once, also on a day that is not a business day', async () => {
  const { id } = await approvedRefund(AFTER_WINDOW());
  const today = new Date((nowS() + ZONE) * 1000).toISOString().slice(0, 10);
  const kinds = await holidayKinds();
  const dayNo = Math.floor((nowS() + ZONE) / DAY);
  const inserted = isBusinessDay(kinds, dayNo) &&
    sqlOne(`INSERT INTO holidays (day, kind, name) VALUES ('${today}', 'holiday', 'payouts test ${RUN}')
      ON CONFLICT DO NOTHING RETURNING day`) !== '';
  let r;
  try {
    r = await payout(id);
  } finally {
    if (inserted) sqlOne(`DELETE FROM holidays WHERE day = '${today}' AND name = 'payouts test ${RUN}'`);
  }
  assert.equal(r.status, 201, r.text);
  const [p] = r.json.payouts;
  assert.equal(p.status, 'settled');
  assert.ok(epoch(p.expected_at) <= epoch(p.settled_at) + 1,
    `expected_at ${p.expected_at} after settled_at ${p.settled_at}`);
});

test('an approval with a payout method the quote does not offer is refused', async () => {
  const cust = customer();
  const order = await makeOrder(cust);              // original_route only
  const { refund } = await submit(cust, order.id);
  assert.equal((await act(refund.id, 'claim', SUPPORT)).status, 200);
  const r = await act(refund.id, 'approve', SUPPORT, { payout_method: 'balance' });
  assertProblem(assert, r, 422, 'payout_method_not_allowed');
});

test('a refused payout or callback names the current state in the problem', async () => {
  const { id } = await approvedRefund();
  const cust = customer();
  const order = await makeOrder(cust);
  const { refund } = await submit(cust, order.id);
  const r = await payout(refund.id);
  assertProblem(assert, r, 409, 'invalid_transition');
  assert.ok(Object.values(r.json).includes('submitted'), `the state is missing: ${r.text}`);
  const p = (await payout(id)).json.payouts[0];
  assert.equal((await settle(p.id)).status, 200);
  const f = await fail(p.id, 'late');
  assertProblem(assert, f, 409, 'payout_final');
  assert.ok(Object.values(f.json).includes('settled'), `the payout status is missing: ${f.text}`);
});

test('a payout id with leading zeros is not a second name for the payout in the audit trail', async () => {
  const { id } = await approvedRefund();
  const p = (await payout(id)).json.payouts[0];
  const r = await settle(`000${p.id}`);
  if (r.status === 404) return;   // refused like a refund id with a leading 0: fine
  assert.equal(r.status, 200, r.text);
  const audit = await api('GET', `/api/v1/audit?entity=payout&id=${p.id}`, { tok: ADMIN });
  assert.equal(audit.status, 200, audit.text);
  assert.ok(audit.json.items.some((e) => e.action === 'payout.settle'),
    `payout.settle not under entity_id ${p.id}: ${audit.json.items.map((e) => e.action)}`);
});

test('the first payout goes by the method the customer submitted or confirmed', async () => {
  const { cust, id } = await approvedRefund(CLOUD_SERVER());   // submitted: original_route
  const r = await payout(id, { body: { payout_method: 'balance' } });
  assert.ok(r.status >= 400 && r.status < 500, `switched without a failure: ${r.status} ${r.json?.status}`);
  assert.deepEqual(creditsFor(await balanceOf(cust), id), []);
});

test('the database keeps a payout at its request\'s approved amount', async () => {
  const cust = customer();
  const order = await makeOrder(cust);
  const { refund } = await submit(cust, order.id);
  const approved = await approve(cust, refund.id, { amount: 4000, note: 'part' });
  const p = (await payout(approved.id)).json.payouts[0];
  assertRefusedByDb(superSql(`UPDATE payouts SET amount = 9000 WHERE id = ${p.id}`), '23514');
});

test('CSV re-export: ?status=sent fetches sent instructions again and changes nothing', async () => {
  const a = await approvedRefund({ payment_method: 'card' });
  const p = (await payout(a.id)).json.payouts[0];
  const first = await exportCsv();
  assert.ok(first.rows.some((row) => row[0] === String(p.id)), 'exported once');
  const again = await exportCsv(FINANCE, '?status=sent');
  const row = again.rows.find((x) => x[0] === String(p.id));
  assert.deepEqual(row, first.rows.find((x) => x[0] === String(p.id)), 'the same row again');
  assert.equal((await refundOf(a.id)).payouts[0].status, 'sent', 'still sent, nothing changed');
  // a payout that was settled is not sent again
  assert.equal((await settle(p.id)).status, 200);
  const after = await exportCsv(FINANCE, '?status=sent');
  assert.ok(!after.rows.some((x) => x[0] === String(p.id)));
  for (const q of ['?status=pending', '?status=settled', '?status=bogus']) {
    assertProblem(assert, await api('GET', `/api/v1/payouts${q}`, { tok: FINANCE, headers: { Accept: 'text/csv' } }),
      400, 'invalid_filter');
  }
});

// A lost download is fetched again, and that file goes to the channel. The
// re-download held every instruction sent and not yet answered, of every
// export: a card payout takes up to 7 business days, so an earlier
// export's instructions, still with the channel, went to it a second time
// with the lost ones and were paid twice. Each export has a number now; the
// re-download is the last export's, or the one asked for (?export=).
test('CSV re-download: the last export again, or the one asked for, never another export\'s instructions', async () => {
  const a = await approvedRefund({ payment_method: 'card' });
  const pa = (await payout(a.id)).json.payouts[0];
  const first = await exportCsv();
  assert.ok(first.rows.some((row) => row[0] === String(pa.id)));
  const b = await approvedRefund({ payment_method: 'bank_transfer' });
  const pb = (await payout(b.id)).json.payouts[0];
  const lost = await exportCsv();   // this file never reached finance
  assert.deepEqual(lost.rows.map((row) => row[0]), [String(pb.id)]);
  const sentA = (await refundOf(a.id)).payouts[0];
  const sentB = (await refundOf(b.id)).payouts[0];
  assert.ok(Number.isInteger(sentA.export_id) && sentB.export_id > sentA.export_id,
    `export numbers ${sentA.export_id}, ${sentB.export_id}`);
  // the last export, as it was: b's instruction and not a's, which the channel has
  const again = await exportCsv(FINANCE, '?status=sent');
  assert.deepEqual(again.rows, lost.rows);
  // recorded with the export it repeated
  const lastEvent = () => JSON.parse(sqlOne(`SELECT after::text FROM audit_events
    WHERE action = 'payout.reexport' AND actor = 'fin-${RUN}' ORDER BY id DESC LIMIT 1`));
  assert.deepEqual(lastEvent(), { count: 1, payout_ids: [pb.id], export_id: sentB.export_id });
  // an earlier export by its number
  const earlier = await exportCsv(FINANCE, `?status=sent&export=${sentA.export_id}`);
  assert.deepEqual(earlier.rows, first.rows.filter((row) => row[0] === String(pa.id)));
  const byNumber = await exportCsv(FINANCE, `?status=sent&export=${sentB.export_id}`);
  assert.deepEqual(byNumber.rows, lost.rows);
  // what the channel answered since is not sent again
  assert.equal((await settle(pb.id)).status, 200);
  assert.deepEqual((await exportCsv(FINANCE, '?status=sent')).rows, []);
  assert.equal((await refundOf(a.id)).payouts[0].status, 'sent', 'nothing changed');
  assert.deepEqual(lastEvent(), { count: 0, payout_ids: [], export_id: null });
  for (const q of ['?status=sent&export=0', '?status=sent&export=x', '?status=sent&export=007', '?export=1']) {
    assertProblem(assert, await api('GET', `/api/v1/payouts${q}`, { tok: FINANCE, headers: { Accept: 'text/csv' } }),
      400, 'invalid_filter');
  }
  assertProblem(assert, await api('GET', `/api/v1/payouts?export=${sentA.export_id}`, { tok: FINANCE }),
    400, 'invalid_filter');
});

// ---- found by exploring the finance side (regressions) ------------------------

// A payout failed by finance after the export sent it: the retry went out
// too, the channel then settled both, and refundd recorded one payment.
test('finance may fail only a pending payout; once sent, only the channel answers for it', async () => {
  const { id } = await approvedRefund({ payment_method: 'card' });
  const p = (await payout(id)).json.payouts[0];
  await exportCsv();
  assert.equal((await refundOf(id)).payouts[0].status, 'sent');
  const r = await fail(p.id, 'customer says it never arrived', FINANCE);
  assertProblem(assert, r, 409, 'payout_sent');
  assert.equal(r.json.state, 'sent');
  let now = await refundOf(id);
  assert.equal(now.status, 'paying', 'a refused fail changes nothing');
  assert.equal(now.payouts[0].status, 'sent');
  assert.equal(sqlOne(`SELECT count(*) FROM audit_events WHERE entity = 'payout' AND entity_id = '${p.id}'
    AND action = 'payout.fail'`), '0');
  assertProblem(assert, await payout(id), 409, 'invalid_transition');
  // The channel's own answer still fails it; a pending one finance may fail.
  assert.equal((await fail(p.id, 'card closed')).status, 200);
  const retry = (await payout(id)).json.payouts[1];
  assert.equal(retry.status, 'pending');
  const f = await fail(retry.id, 'cancelled before export', FINANCE);
  assert.equal(f.status, 200, f.text);
  now = await refundOf(id);
  assert.equal(now.status, 'approved');
});

// A payout reported failed that the channel paid after all. Before 020 the
// "settled" was only recorded and the refund stayed approved: finance could
// pay it again and the customer got the money twice.
const eventsOf = (entity, id, action) => Number(sqlOne(`SELECT count(*) FROM audit_events
  WHERE entity = '${entity}' AND entity_id = '${id}' AND action = '${action}'`));

test('a late "settled" for a failed payout, nothing paid since: the payout settles, the refund is paid', async () => {
  const { id, cust } = await approvedRefund({ payment_method: 'card' });
  const p = (await payout(id)).json.payouts[0];
  await exportCsv();
  assert.equal((await fail(p.id, 'bank timeout')).status, 200);
  assert.equal((await refundOf(id)).status, 'approved');
  const r = await settle(p.id, { body: { channel_ref: 'CARD-LATE-1' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'settled');
  assert.equal(r.json.channel_ref, 'CARD-LATE-1');
  assert.equal(r.json.failure_reason, 'bank timeout', 'the failure stays in its history');
  const now = await refundOf(id);
  assert.equal(now.status, 'paid');
  assert.deepEqual(now.payouts.map((x) => [x.id, x.status]), [[p.id, 'settled']]);
  assert.equal(eventsOf('payout', p.id, 'payout.settle'), 1);
  assert.equal(eventsOf('refund', id, 'refund.payout_settled'), 1);
  assert.equal(eventsOf('payout', p.id, 'payout.settle_after_fail'), 0);
  const n = await api('GET', '/api/v1/notifications', { tok: cust.tok });
  assert.ok(n.json.items.some((x) => x.refund_id === id && x.kind === 'refund.paid'), n.text);
  // Nothing can pay it again; the same answer again changes nothing.
  assertProblem(assert, await payout(id), 409, 'invalid_transition');
  assertProblem(assert, await payout(id, { body: { payout_method: 'balance' } }), 409, 'invalid_transition');
  const again = await settle(p.id, { body: { channel_ref: 'CARD-LATE-1' } });
  assert.equal(again.status, 200, again.text);
  assert.equal(eventsOf('payout', p.id, 'payout.settle'), 1, 'no second event');
  assertProblem(assert, await fail(p.id, 'failed again?'), 409, 'payout_final');
  // The database itself lets a failed payout change only to settled.
  const other = await approvedRefund({ payment_method: 'card' });
  const q = (await payout(other.id)).json.payouts[0];
  assert.equal((await fail(q.id)).status, 200);
  assertRefusedByDb(superSql(`UPDATE payouts SET amount = 1 WHERE id = ${q.id}`), '23514', 'payouts_final');
  assertRefusedByDb(superSql(`UPDATE payouts SET status = 'settled', failure_reason = NULL WHERE id = ${q.id}`),
    '23514', 'payouts_final');
  assertRefusedByDb(superSql(`UPDATE payouts SET status = 'sent' WHERE id = ${q.id}`), '23514', 'payouts_final');
});

test('a late "settled" while the retry is still pending: the retry is failed as superseded, one payment', async () => {
  const { id } = await approvedRefund({ payment_method: 'card' });
  const p = (await payout(id)).json.payouts[0];
  await exportCsv();
  assert.equal((await fail(p.id, 'bank timeout')).status, 200);
  const retry = (await payout(id)).json.payouts[1];
  assert.equal(retry.status, 'pending');
  const r = await settle(p.id);
  assert.equal(r.status, 200, r.text);
  const now = await refundOf(id);
  assert.equal(now.status, 'paid');
  const byId = Object.fromEntries(now.payouts.map((x) => [x.id, x]));
  assert.equal(byId[p.id].status, 'settled');
  assert.equal(byId[retry.id].status, 'failed');
  assert.match(byId[retry.id].failure_reason, new RegExp(`superseded: payout ${p.id} was settled`));
  assert.equal(eventsOf('payout', retry.id, 'payout.fail'), 1);
  assert.equal(eventsOf('refund', id, 'refund.payout_failed'), 2, 'the bank timeout and the superseded retry');
  // The superseded retry is never exported.
  const csv = await exportCsv();
  assert.ok(!csv.rows.some((row) => row[0] === String(retry.id)));
});

test('a late "settled" after the retry went out or paid: refused, recorded for finance (paid twice)', async () => {
  // The retry was exported: the channel has it.
  const sent = await approvedRefund({ payment_method: 'card' });
  const p1 = (await payout(sent.id)).json.payouts[0];
  await exportCsv();
  assert.equal((await fail(p1.id, 'bank timeout')).status, 200);
  const retry = (await payout(sent.id)).json.payouts[1];
  await exportCsv();
  const r = await settle(p1.id, { body: { channel_ref: 'CARD-LATE-2' } });
  assertProblem(assert, r, 409, 'payout_final');
  assert.equal(r.json.state, 'failed');
  assert.match(r.json.detail, /paid again/);
  let now = await refundOf(sent.id);
  assert.equal(now.status, 'paying');
  assert.deepEqual(now.payouts.map((x) => [x.id, x.status]).sort(), [[p1.id, 'failed'], [retry.id, 'sent']].sort());
  const ev = sqlOne(`SELECT after::text FROM audit_events WHERE entity = 'payout' AND entity_id = '${p1.id}'
    AND action = 'payout.settle_after_fail'`);
  assert.deepEqual(JSON.parse(ev), { status: 'failed', late_answer: 'settled', channel_ref: 'CARD-LATE-2' });
  const trail = await api('GET', `/api/v1/audit?entity=payout&id=${p1.id}`, { tok: LEAD_A });
  assert.equal(trail.status, 200, trail.text);
  assert.ok(trail.json.items.some((e) => e.action === 'payout.settle_after_fail'), trail.text);

  // The retry went to the balance (settled at once).
  const bal = await approvedRefund(CLOUD_SERVER());
  const p2 = (await payout(bal.id)).json.payouts[0];
  await exportCsv();
  assert.equal((await fail(p2.id, 'wechat account frozen')).status, 200);
  assert.equal((await payout(bal.id, { body: { payout_method: 'balance' } })).status, 201);
  assertProblem(assert, await settle(p2.id), 409, 'payout_final');
  now = await refundOf(bal.id);
  assert.equal(now.status, 'paid');
  assert.equal(now.payouts.find((x) => x.id === p2.id).status, 'failed');
  assert.equal(eventsOf('payout', p2.id, 'payout.settle_after_fail'), 1);
});

test('late "settled" racing 16 retries: the refund is paid once, by the payout the channel paid', async () => {
  const { id } = await approvedRefund({ payment_method: 'bank_transfer' });
  const p = (await payout(id)).json.payouts[0];
  await exportCsv();
  assert.equal((await fail(p.id, 'returned by the bank')).status, 200);
  const calls = Array.from({ length: 17 }, (_, i) => (i === 8 ? settle(p.id) : payout(id)));
  const answers = await Promise.all(calls);
  assert.equal(answers[8].status, 200, answers[8].text);
  for (const a of answers) assert.ok([200, 201, 409].includes(a.status), a.text);
  const now = await refundOf(id);
  assert.equal(now.status, 'paid');
  const live = now.payouts.filter((x) => x.status !== 'failed');
  assert.deepEqual(live.map((x) => [x.id, x.status]), [[p.id, 'settled']]);
  assert.ok(answers.filter((a) => a.status === 201).length <= 1, 'at most one retry was made, and superseded');
});

// Refunds whose first payout went out and failed, each with its retry
// still pending: the ground of a late "settled".
async function failedWithPendingRetry(n, channel = 'card') {
  const made = [];
  for (let i = 0; i < n; i++) {
    const { id } = await approvedRefund({ payment_method: channel });
    const first = (await payout(id)).json.payouts[0];
    made.push({ id, first });
  }
  await exportCsv();
  for (const m of made) {
    assert.equal((await fail(m.first.id, 'bank timeout')).status, 200);
    m.retry = (await payout(m.id)).json.payouts[1];
    assert.equal(m.retry.status, 'pending');
  }
  return made;
}

// Two requests interleaved on purpose: a psql session of the test holds a
// row lock (lock: a SELECT ... FOR UPDATE), the requests of steps start one
// after the other, each once the one before waits (directly or behind
// another) on that session's lock, then the session lets go and they run
// on in that order. Answers theirs.
async function interleaved(lock, steps) {
  const tag = `hold-${next()}`;
  const holder = spawn('bash', [LIB, 'psql_super', RUNDIR, '-d', 'refundd', '-c',
    `BEGIN; ${lock}; SELECT pg_sleep(60), '${tag}'; COMMIT;`], { stdio: 'ignore' });
  const ended = new Promise((resolve) => holder.on('exit', resolve));
  const holderPid = () => sqlOne(`SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'
    AND query LIKE '%${tag}''%'`);
  // the backends queued behind the holder, however deep
  const behind = (pid) => Number(sqlOne(`WITH RECURSIVE w(pid) AS (
      SELECT pid FROM pg_stat_activity WHERE ${pid} = ANY (pg_blocking_pids(pid))
      UNION SELECT a.pid FROM pg_stat_activity a JOIN w ON w.pid = ANY (pg_blocking_pids(a.pid)))
    SELECT count(*) FROM w`));
  const until = async (what) => {
    for (const end = Date.now() + 20000; !what() && Date.now() < end;) await sleep(50);
    return what();
  };
  const answers = [];
  try {
    assert.ok(await until(() => holderPid() !== ''), 'the lock holder is in place');
    const pid = holderPid();
    for (const [n, call] of steps.entries()) {
      answers.push(call());
      assert.ok(await until(() => behind(pid) === n + 1), `request ${n + 1} waits behind the holder`);
    }
  } finally {
    // cancelling the sleep ends the holder's transaction: the lock goes
    sqlOne(`SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'PgSleep'
      AND query LIKE '%${tag}''%'`);
    await ended;
  }
  return Promise.all(answers);
}

const exportCall = () => api('GET', '/api/v1/payouts', { tok: FINANCE, headers: { Accept: 'text/csv' } });

// The export marks a retry sent while the channel's late "settled" for the
// payout it replaces comes in. The export locked the retry and then, through
// the order cap trigger, its order; the late settlement held the order (with
// the refund) and wanted the retry: a deadlock, which PostgreSQL broke after
// a second by failing one of them (the export answered 409 "conflict").
// Marking a payout sent cannot change what the order's payouts add up to,
// so the cap no longer locks the order for it.
test('the export racing a late "settled" for the payout its retry replaces: no deadlock', async () => {
  const [m] = await failedWithPendingRetry(1);
  const [csv, late] = await interleaved(`SELECT 1 FROM payouts WHERE id = ${m.retry.id} FOR UPDATE`,
    [exportCall, () => settle(m.first.id, { body: { channel_ref: 'LATE-EXPORT' } })]);
  assert.equal(csv.status, 200, csv.text);
  assert.ok(parseCsv(csv.text).some((row) => row[0] === String(m.retry.id)), 'the retry went out');
  // it went out first: the late answer is refused and kept for finance
  assertProblem(assert, late, 409, 'payout_final');
  const now = await refundOf(m.id);
  const byId = Object.fromEntries(now.payouts.map((x) => [x.id, x.status]));
  assert.deepEqual([now.status, byId[m.first.id], byId[m.retry.id]], ['paying', 'failed', 'sent']);
  assert.equal(eventsOf('payout', m.first.id, 'payout.settle_after_fail'), 1);
});

// Finance fails the pending retry while the channel's late "settled" for
// the payout it replaced comes in. A fail locked the retry, then its
// refund; a late settlement the refund, then the retry: a deadlock, one of
// them answered 409 "conflict". Every call on a payout now locks its refund
// first.
test('a late "settled" racing finance failing the pending retry: both 200, the refund paid once', async () => {
  const [m] = await failedWithPendingRetry(1);
  const [late, failed] = await interleaved(`SELECT 1 FROM refund_requests WHERE id = ${m.id} FOR UPDATE`,
    [() => settle(m.first.id), () => fail(m.retry.id, 'cancelled before export', FINANCE)]);
  assert.equal(late.status, 200, late.text);
  assert.equal(failed.status, 200, failed.text);
  assert.equal(failed.json.status, 'failed');
  const now = await refundOf(m.id);
  const byId = Object.fromEntries(now.payouts.map((x) => [x.id, x.status]));
  assert.deepEqual([now.status, byId[m.first.id], byId[m.retry.id]], ['paid', 'settled', 'failed']);
  assert.equal(eventsOf('payout', m.first.id, 'payout.settle'), 1);
  assert.equal(eventsOf('payout', m.retry.id, 'payout.fail'), 1, 'failed once, as superseded');
});

test('an instruction keeps the payment reference it was made with; the export records each payout', async () => {
  const { id, order } = await approvedRefund({ payment_method: 'alipay', payment_ref: 'ALIPAY-ORIG-1' });
  const p = (await payout(id)).json.payouts[0];
  assert.equal(p.payment_ref, 'ALIPAY-ORIG-1');
  assert.equal(p.product_name, order.product_name);
  const first = await exportCsv();
  const row = first.rows.find((x) => x[0] === String(p.id));
  assert.equal(row[6], 'ALIPAY-ORIG-1');
  // Billing re-syncs the order with another reference and product name.
  const { id: orderId, ...body } = order;
  const u = await api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM,
    body: { ...body, payment_ref: 'ATTACKER-999', product_name: 'renamed', payment_method: 'card' } });
  assert.equal(u.status, 200, u.text);
  const again = await exportCsv(FINANCE, '?status=sent');
  const row2 = again.rows.find((x) => x[0] === String(p.id));
  assert.deepEqual(row2, row, 'the re-download is the instruction as sent');
  const stored = (await refundOf(id)).payouts[0];
  assert.equal(stored.payment_ref, 'ALIPAY-ORIG-1');
  assert.equal(stored.product_name, order.product_name);
  // The payout's trail shows it was sent; the download names its payouts.
  const sent = JSON.parse(sqlOne(`SELECT after::text FROM audit_events WHERE entity = 'payout'
    AND entity_id = '${p.id}' AND action = 'payout.sent'`));
  assert.equal(sent.status, 'sent');
  assert.equal(sent.id, p.id);
  const exports = sqlOne(`SELECT string_agg(after::text, '|' ORDER BY id) FROM audit_events
    WHERE action IN ('payout.export', 'payout.reexport') AND after->'payout_ids' @> '[${p.id}]'`).split('|');
  assert.equal(exports.length, 2, 'the export and the re-download');
  for (const e of exports.map((x) => JSON.parse(x))) assert.equal(e.count, e.payout_ids.length);
});

test('payouts list: a cursor out of range is 400 invalid_cursor, like every list', async () => {
  for (const c of ['9223372036854775808', '1234567890123456789', 'abc', '-1']) {
    assertProblem(assert, await api('GET', `/api/v1/payouts?cursor=${c}`, { tok: FINANCE }), 400, 'invalid_cursor');
  }
  assert.equal((await api('GET', '/api/v1/payouts?cursor=123456789012345678', { tok: FINANCE })).status, 200);
});

// The export changes state, so only a client that asks for CSV first gets
// it (regression: "text/csvfoo" or "text/csv" anywhere at the front matched).
test('GET /payouts exports only for an Accept whose first type is text/csv', async () => {
  const { id } = await approvedRefund({ payment_method: 'card' });
  const p = (await payout(id)).json.payouts[0];
  for (const accept of ['text/csvfoo', 'application/json, text/csv', 'text/csv-schema']) {
    const r = await api('GET', '/api/v1/payouts?limit=5', { tok: FINANCE, headers: { Accept: accept } });
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json.items), `${accept}: a JSON page`);
    assert.equal((await refundOf(id)).payouts[0].status, 'pending', `${accept}: nothing exported`);
  }
  const { rows } = await exportCsv(FINANCE, '', 'text/csv; charset=utf-8, application/json');
  assert.ok(rows.some((row) => row[0] === String(p.id)));
  assert.equal((await refundOf(id)).payouts[0].status, 'sent');
});

// Billing cancelled a paid order while its refund was approved: refundd
// would pay the refund all the same, and a customer whose money billing
// returned got it twice (regression: the sync was accepted).
test('billing may not cancel a paid order while its refund is approved or paying (409 order_has_refunds)', async () => {
  const { id, order } = await approvedRefund({ payment_method: 'card' });
  const { id: orderId, ...body } = order;
  const put = (change) => api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: { ...body, ...change } });
  const before = (await api('GET', `/api/v1/orders/${orderId}`, { tok: SUPPORT })).json;
  for (const status of ['cancelled', 'unpaid']) {
    const r = await put({ status });
    assertProblem(assert, r, 409, 'order_has_refunds');
    assert.equal(r.json.field, 'status');
  }
  const p = (await payout(id)).json.payouts[0];
  assertProblem(assert, await put({ status: 'cancelled' }), 409, 'order_has_refunds');   // paying
  const still = (await api('GET', `/api/v1/orders/${orderId}`, { tok: SUPPORT })).json;
  assert.equal(still.status, 'paid');
  assert.equal(still.updated_at, before.updated_at, 'a refused sync changes nothing');
  // Expired is a paid subscription that ran out: allowed; so is any status once the refund is paid.
  assert.equal((await put({ status: 'expired' })).status, 200);
  // ... and from there, too, billing may not void it while the refund is
  // being paid (it could: the rule looked only at orders still "paid")
  for (const status of ['cancelled', 'unpaid']) assertProblem(assert, await put({ status }), 409, 'order_has_refunds');
  assert.equal((await api('GET', `/api/v1/orders/${orderId}`, { tok: SUPPORT })).json.status, 'expired');
  assert.equal((await put({ status: 'paid' })).status, 200);
  await exportCsv();
  assert.equal((await settle(p.id)).status, 200);
  const done = await put({ status: 'cancelled' });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.status, 'cancelled');
  // A request not yet approved leaves billing free.
  const cust = customer();
  const open = await makeOrder(cust);
  await submit(cust, open.id);
  const { id: openId, ...openBody } = open;
  const r = await api('PUT', `/api/v1/orders/${openId}`, { tok: SYSTEM, body: { ...openBody, status: 'cancelled' } });
  assert.equal(r.status, 200, r.text);
});

// ... and then that request is not approved, confirmed or paid: billing
// returned or voided the order's money, and paying the refund would pay the
// customer twice (regression: a request in review, or waiting for the
// customer to confirm a lower amount, was approved and paid out after billing
// cancelled its order). It can still be rejected or declined.
test('a request whose order billing cancelled or unpaid is not approved, confirmed or paid (409 order_not_paid)', async () => {
  const voidOrder = (order, status) => {
    const { id, ...body } = order;
    return api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body: { ...body, status } });
  };
  const counts = (id) => sqlOne(`SELECT (SELECT count(*) FROM payouts WHERE refund_id = ${id})
    || '/' || (SELECT count(*) FROM audit_events WHERE entity = 'refund' AND entity_id = '${id}')`);
  for (const status of ['cancelled', 'unpaid']) {
    // In review when billing voids the order.
    const cust = customer();
    const order = await makeOrder(cust, CLOUD_SERVER());
    const { refund } = await submit(cust, order.id);
    assert.equal((await act(refund.id, 'claim', SUPPORT)).status, 200);
    assert.equal((await voidOrder(order, status)).status, 200, `${status}: billing is free before approval`);
    const before = counts(refund.id);
    for (const tok of [SUPPORT, LEAD_A]) {
      const r = await act(refund.id, 'approve', tok, tok === LEAD_A ? { note: 'checked' } : {});
      assertProblem(assert, r, 409, 'order_not_paid');
      assert.equal(r.json.state, 'in_review');
    }
    assert.equal(counts(refund.id), before, 'a refusal writes nothing');
    assert.equal((await refundOf(refund.id)).status, 'in_review');
    const rej = await act(refund.id, 'reject', SUPPORT, { reason_code: 'policy_ineligible', note: `order ${status} in billing` });
    assert.equal(rej.status, 200, rej.text);
    assert.equal(rej.json.status, 'rejected');
  }
  // Waiting for the customer to confirm a lower amount when billing cancels.
  const cust = customer();
  const order = await makeOrder(cust, CLOUD_SERVER());
  const { refund } = await submit(cust, order.id);
  assert.equal((await act(refund.id, 'claim', SUPPORT)).status, 200);
  const lower = await act(refund.id, 'approve', SUPPORT, { amount: 100000, note: 'one month used' });
  assert.equal(lower.json.status, 'awaiting_confirmation', lower.text);
  assert.equal((await voidOrder(order, 'cancelled')).status, 200);
  assertProblem(assert, await act(refund.id, 'confirm', cust.tok), 409, 'order_not_paid');
  assertProblem(assert, await payout(refund.id), 409, 'invalid_transition');
  assert.equal(sqlOne(`SELECT count(*) FROM payouts WHERE refund_id = ${refund.id}`), '0');
  const declined = await act(refund.id, 'decline', cust.tok);
  assert.equal(declined.status, 200, declined.text);
  assert.equal(declined.json.status, 'appealed');
  // The appeal cannot approve it either, until billing has the order paid again.
  assertProblem(assert, await act(refund.id, 'approve', LEAD_A, { note: 'on appeal' }), 409, 'order_not_paid');
  assert.equal((await voidOrder(order, 'paid')).status, 200);
  const ok = await act(refund.id, 'approve', LEAD_A, { note: 'billing corrected the order' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.status, 'approved');
});

// A billing change and an approval of the same order at once: either the
// approval sees the cancellation (order_not_paid) or billing sees the
// approval (order_has_refunds); never both through.
test('an approval racing billing\'s cancellation of its order: one of them is refused', async () => {
  for (let round = 0; round < 6; round++) {
    const cust = customer();
    const order = await makeOrder(cust, CLOUD_SERVER());
    const { refund } = await submit(cust, order.id);
    assert.equal((await act(refund.id, 'claim', SUPPORT)).status, 200);
    const { id, ...body } = order;
    const [a, b] = await Promise.all([
      act(refund.id, 'approve', SUPPORT, {}),
      api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body: { ...body, status: 'cancelled' } }),
    ]);
    const final = sqlOne(`SELECT o.status || '/' || r.status FROM orders o JOIN refund_requests r
      ON r.order_id = o.id WHERE r.id = ${refund.id}`);
    if (a.status === 200) {
      assertProblem(assert, b, 409, 'order_has_refunds');
      assert.equal(final, 'paid/approved');
    } else {
      assertProblem(assert, a, 409, 'order_not_paid');
      assert.equal(b.status, 200, b.text);
      assert.equal(final, 'cancelled/in_review');
    }
  }
});
