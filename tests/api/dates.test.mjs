// dates.test.mjs -- issue 11 item 5, "dates people plan by": GET
// /api/v1/refunds/{id} gives due_at (submission + the policy's review_sla_days
// business days) and, once paid out, expected_arrival_from / expected_arrival:
// the live payout's channel business days from the payout (DESIGN.md §3:
// balance at once; alipay, wechat 1; bank_transfer 1-3; card 3-7, earliest
// and latest). Both are checked against an independent business-day
// calendar written here: the reseller's zone from GET /api/v1/config and
// the holiday table from GET /api/v1/holidays, with calendar.h's rule (a
// start on a day off counts from 00:00 of the next business day).
//
// Every test makes its own orders and accounts; demo data is only read.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, token, uid, BASE, DAY, nowS, iso } from './lib.mjs';

const RUN = uid();
const SYSTEM = token(`billing-${RUN}`, 'system');
const SUPPORT = token(`agent-${RUN}`, 'support');
const FINANCE = token(`fin-${RUN}`, 'finance');
const ADMIN = token(`admin-${RUN}`, 'admin');

/* ---- an independent business-day calendar ------------------------------ */

let ZONE;
const KINDS = new Map();   // day number -> 'holiday' | 'workday'

before(async () => {
  const res = await fetch(`${BASE}/api/v1/config`);
  assert.equal(res.status, 200, 'refundd serves its configuration');
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  ZONE = (await res.json()).timezone;
  assert.ok(ZONE, 'GET /api/v1/config names the time zone');
  const year = new Date().getUTCFullYear();
  // 2026 too: the test below checks the demo table's National Day 2026.
  for (const y of new Set([2026, year - 1, year, year + 1])) {
    const r = await api('GET', `/api/v1/holidays?year=${y}`, { tok: ADMIN });
    assert.equal(r.status, 200, r.text);
    for (const d of r.json.items) KINDS.set(Date.parse(`${d.day}T00:00:00Z`) / 86400000, d.kind);
  }
});

/* The local wall clock of a unix second in ZONE. */
function local(sec) {
  const p = {};
  for (const x of new Intl.DateTimeFormat('en-CA', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(sec * 1000))) p[x.type] = Number(x.value);
  const day = Date.UTC(p.year, p.month - 1, p.day) / 86400000;
  const sod = p.hour * 3600 + p.minute * 60 + p.second;
  return { day, sod, offset: day * 86400 + sod - sec };
}
const weekday = (day) => (day + 4) % 7;   // 1970-01-01 was a Thursday; 0 = Sunday
function isBusinessDay(day) {
  const kind = KINDS.get(day);
  if (kind === 'holiday') return false;
  if (kind === 'workday') return true;
  return weekday(day) >= 1 && weekday(day) <= 5;
}
/* start + n business days (calendar.h calendar_add_business_days). */
function addBusinessDays(start, n) {
  let { day, sod } = local(start);
  if (!isBusinessDay(day)) {
    do day++; while (!isBusinessDay(day));
    sod = 0;
  }
  for (let k = n; k > 0;) if (isBusinessDay(++day)) k--;
  let guess = day * 86400 + sod;
  guess = day * 86400 + sod - local(guess).offset;
  return day * 86400 + sod - local(guess).offset;
}

const sec = (ts) => Math.floor(Date.parse(ts) / 1000);
/* The API computes from its own clock at the request, the row's created_at
 * is the database's: a second or two apart at most. */
function near(actualTs, wantSec, what) {
  assert.ok(actualTs, `${what} is set`);
  const diff = Math.abs(sec(actualTs) - wantSec);
  assert.ok(diff <= 2, `${what}: ${actualTs}, want ${iso(wantSec)} (${ZONE}), ${diff} s apart`);
}

/* ---- the refund's way to a payout ---------------------------------------- */

let seq = 0;
function customer() {
  const account = `dates-${RUN}-${++seq}`;
  return { account, tok: token(account, 'customer') };
}

async function order(cust, overrides) {
  const id = `DATES-${RUN}-${++seq}`;
  const body = {
    account: cust.account, provider: 'aliyun', product_type: 'api_credits',
    product_name: 'API 调用资源包 1 万次', billing_mode: 'one_time', status: 'paid',
    amount_paid: 10000, currency: 'CNY', payment_method: 'alipay', payment_ref: `REF-${id}`,
    paid_at: iso(nowS() - DAY), quantity: 10000, bonus_quantity: 0, used_quantity: 0,
    ...overrides,
  };
  const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function call(method, path, tok, body, status = 200) {
  const r = await api(method, path, { tok, body, headers: method === 'POST' && path === '/api/v1/refunds' ? { 'Idempotency-Key': `${RUN}-${++seq}` } : {} });
  assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
  return r.json;
}

/* Submitted, claimed and approved at the quote; returns the refund. */
async function approved(cust, orderId, payoutMethod) {
  const q = await call('GET', `/api/v1/orders/${orderId}/quote`, cust.tok);
  const r = await call('POST', '/api/v1/refunds', cust.tok, {
    order_id: orderId, reason_code: 'bought_by_mistake', reason_text: '', payout_method: payoutMethod ?? q.payout_default,
    expected_amount: q.amount,
  }, 201);
  await call('POST', `/api/v1/refunds/${r.id}/claim`, SUPPORT, {});
  const a = await call('POST', `/api/v1/refunds/${r.id}/approve`, SUPPORT, {});
  assert.equal(a.status, 'approved', JSON.stringify(a));
  return a;
}

/* ---- tests --------------------------------------------------------------- */

test('due_at is submission + review_sla_days business days, in the reseller\'s calendar', async () => {
  const cust = customer();
  const id = await order(cust, {});
  const q = await call('GET', `/api/v1/orders/${id}/quote`, cust.tok);
  const r = await call('POST', '/api/v1/refunds', cust.tok, {
    order_id: id, reason_code: 'bought_by_mistake', reason_text: '', payout_method: 'original_route', expected_amount: q.amount,
  }, 201);
  const got = await call('GET', `/api/v1/refunds/${r.id}`, cust.tok);
  near(got.due_at, addBusinessDays(sec(got.created_at), 3), 'due_at (api_credits: 3 business days)');
  const { day } = local(sec(got.due_at));
  assert.ok(isBusinessDay(day), `due_at ${got.due_at} falls on a business day in ${ZONE}`);
  assert.equal(got.expected_arrival, null, 'no arrival before a payout');
  assert.equal(got.expected_arrival_from, null);
});

// channel -> [earliest, latest] business days (DESIGN.md §3)
const CHANNELS = { alipay: [1, 1], wechat: [1, 1], bank_transfer: [1, 3], card: [3, 7] };

for (const [channel, [early, late]] of Object.entries(CHANNELS)) {
  test(`expected_arrival of an original-route payout by ${channel}: ${early}-${late} business days from the payout`, async () => {
    const cust = customer();
    const r = await approved(cust, await order(cust, { payment_method: channel }));
    assert.equal(r.expected_arrival, null, 'approved, not yet paid out: no arrival');
    const paid = await call('POST', `/api/v1/refunds/${r.id}/payout`, FINANCE, {}, 201);
    assert.equal(paid.status, 'paying');
    const seen = await call('GET', `/api/v1/refunds/${r.id}`, cust.tok);   // the customer sees it
    assert.equal(seen.payouts.length, 1);
    const p = seen.payouts[0];
    assert.equal(p.channel, channel);
    const at = sec(p.created_at);
    near(seen.expected_arrival_from, addBusinessDays(at, early), `${channel} earliest`);
    near(seen.expected_arrival, addBusinessDays(at, late), `${channel} latest`);
    // the refund's dates are its payout's
    assert.equal(sec(seen.expected_arrival_from), sec(p.expected_at));
    assert.equal(sec(seen.expected_arrival), sec(p.expected_latest_at));
    for (const ts of [seen.expected_arrival_from, seen.expected_arrival])
      assert.ok(isBusinessDay(local(sec(ts)).day), `${ts} is a business day in ${ZONE}`);
    if (early === late) assert.equal(seen.expected_arrival_from, seen.expected_arrival);
    else assert.ok(sec(seen.expected_arrival) > sec(seen.expected_arrival_from));
  });
}

test('expected_arrival of a balance payout: at once', async () => {
  const cust = customer();
  // cloud servers within 5 days may go to the balance
  const id = await order(cust, { product_type: 'cloud_server', product_name: 'ECS 2核4G', billing_mode: 'subscription',
    amount_paid: 12000, payment_method: 'card', quantity: 0, period_start: iso(nowS() - DAY), period_end: iso(nowS() + 364 * DAY) });
  const r = await approved(cust, id, 'balance');
  const paid = await call('POST', `/api/v1/refunds/${r.id}/payout`, FINANCE, {}, 201);
  assert.equal(paid.status, 'paid', 'the balance is credited at once');
  const seen = await call('GET', `/api/v1/refunds/${r.id}`, cust.tok);
  const p = seen.payouts[0];
  assert.equal(p.channel, 'balance');
  near(seen.expected_arrival_from, sec(p.created_at), 'balance earliest');
  near(seen.expected_arrival, sec(p.created_at), 'balance latest');
  assert.equal(seen.expected_arrival_from, seen.expected_arrival);
});

test('a failed payout takes its dates with it; the next payout brings its own', async () => {
  const cust = customer();
  const r = await approved(cust, await order(cust, { payment_method: 'card' }));
  const first = await call('POST', `/api/v1/refunds/${r.id}/payout`, FINANCE, {}, 201);
  assert.ok(first.expected_arrival);
  await call('POST', `/api/v1/payouts/${first.payouts[0].id}/fail`, FINANCE, { reason: 'card closed' });
  const back = await call('GET', `/api/v1/refunds/${r.id}`, cust.tok);
  assert.equal(back.status, 'approved');
  assert.equal(back.expected_arrival, null, 'a failed payout promises nothing');
  assert.equal(back.expected_arrival_from, null);
  const again = await call('POST', `/api/v1/refunds/${r.id}/payout`, FINANCE, {}, 201);
  const live = again.payouts.find((p) => p.status !== 'failed');
  assert.equal(sec(again.expected_arrival), sec(live.expected_latest_at));
  near(again.expected_arrival, addBusinessDays(sec(live.created_at), 7), 'card latest, second payout');
});

test('the calendar of this test agrees with calendar.h around National Day 2026 (demo holiday table)', () => {
  assert.equal(ZONE, 'Asia/Shanghai', 'scripts/test runs in the default zone');
  assert.equal(KINDS.get(Date.UTC(2026, 9, 10) / 86400000), 'workday', 'the demo calendar is loaded');
  // calendar.h's example: Wednesday 2026-09-30 10:00 + 3 = make-up Saturday 2026-10-10 10:00
  assert.equal(iso(addBusinessDays(Date.parse('2026-09-30T10:00:00+08:00') / 1000, 3)), '2026-10-10T02:00:00Z');
  // a start on a holiday counts from 00:00 of the next business day (Thursday 10-08)
  assert.equal(iso(addBusinessDays(Date.parse('2026-10-03T10:00:00+08:00') / 1000, 1)), '2026-10-08T16:00:00Z');
  // Friday 15:00 + 1 = Monday 15:00
  assert.equal(iso(addBusinessDays(Date.parse('2026-11-27T15:00:00+08:00') / 1000, 1)), '2026-11-30T07:00:00Z');
});

// glibc quietly answers in UTC for a zone it cannot load (and reads "XYZ3"
// as a POSIX rule, UTC-3): refundd checks the zone file itself and does not
// start. A second `refundd serve` with the stack's settings and its own
// socket; were the check gone it would serve, hence the timeout.
test('refundd serve refuses an app.timezone glibc would quietly replace', () => {
  const BIN = process.env.REFUNDD_BIN;
  assert.ok(BIN, 'REFUNDD_BIN is set by scripts/test');
  const dir = mkdtempSync(join(tmpdir(), 'refundd-tz-'));
  try {
    for (const [zone, why] of [['Mars/Olympus', 'unknown time zone "Mars/Olympus"'],
      ['Asia/shanghai', 'unknown time zone "Asia/shanghai"'], ['XYZ3', 'unknown time zone "XYZ3"'],
      ['../etc/passwd', 'is not a time zone name'], ['right/UTC', 'leap-second zones are not supported']]) {
      const r = spawnSync(BIN, ['serve'], {
        env: { ...process.env, REFUNDD_APP_TIMEZONE: zone, REFUNDD_SERVER_LISTEN: join(dir, 'tz.sock') },
        encoding: 'utf8', timeout: 10000,
      });
      assert.equal(r.status, 1, `${zone}: ${r.signal ? `still running (${r.signal})` : r.stderr}`);
      assert.ok(r.stderr.includes(`refundd: app.timezone: `) && r.stderr.includes(why), `${zone}: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
