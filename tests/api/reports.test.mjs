// reports.test.mjs -- GET /api/v1/reports/refunds: a report row checked
// against counts and amounts this test works out itself from the requests
// it made (a provider of its own, rp_<random>); business hours by hand over
// a weekend; CSV with the same rows, formula-neutralised; roles, groups and
// ranges refused; and the plan of the report's one statement (and the
// simulation's) on 100 000 requests, as review.test.mjs checks the queue's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { api, assertProblem, token, uid, DAY, nowS, iso, psql, BASE } from './lib.mjs';

const RUN = uid();
const PROVIDER = `rp_${RUN}`;
const SYSTEM = token(`rp-billing-${RUN}`, 'system');
const SUPPORT_SUB = `rp-agent-${RUN}`;
const SUPPORT = token(SUPPORT_SUB, 'support');
// A reviewer whose name a spreadsheet would run as a formula.
const FORMULA_SUB = `=HYPERLINK("x")-${RUN}`;
const FORMULA = token(FORMULA_SUB, 'support');
const SUPERVISOR = token(`rp-lead-${RUN}`, 'supervisor');
const FINANCE = token(`rp-fin-${RUN}`, 'finance');
const ADMIN = token(`rp-admin-${RUN}`, 'admin');

// A call that must succeed; its answer (checked against docs/openapi.yaml
// by lib.mjs).
async function call(method, path, tok, body, headers = {}) {
  const r = await api(method, path, { tok, body, headers });
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
}

let seq = 0;
// A submitted request; afterWindow: paid 45 days ago with a quarter used
// (the unused part, to the balance: a payout that settles at once).
async function request({ afterWindow = false, reason = 'changed_mind', provider = PROVIDER, currency = 'CNY' } = {}) {
  const sub = `rp-c-${RUN}-${++seq}`;
  const tok = token(sub, 'customer');
  const orderId = `RP-${RUN}-${seq}`;
  const o = await api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: {
    account: sub, provider, product_type: 'api_credits', product_name: 'API 调用资源包',
    billing_mode: 'one_time', status: 'paid', amount_paid: 10000 * seq, currency,
    payment_method: 'alipay', paid_at: iso(nowS() - (afterWindow ? 45 : 3) * DAY), quantity: 1000,
    bonus_quantity: 0, used_quantity: afterWindow ? 250 : 0,
  } });
  assert.equal(o.status, 201, o.text);
  const q = (await api('GET', `/api/v1/orders/${orderId}/quote`, { tok })).json;
  const r = await call('POST', '/api/v1/refunds', tok, { order_id: orderId, reason_code: reason,
    payout_method: q.payout_default, expected_amount: q.amount }, { 'Idempotency-Key': randomUUID() });
  return { id: r.id, tok, amount: q.amount, reason, status: 'submitted', approved: 0 };
}

const act = (x, action, tok, body = {}) => call('POST', `/api/v1/refunds/${x.id}/${action}`, tok, body);
const mine = [];

before(async () => {
  // 2 left submitted, 1 withdrawn, 2 rejected, 2 approved, 2 paid.
  for (let i = 0; i < 9; i++) {
    mine.push(await request({ afterWindow: i >= 7, reason: i % 2 ? 'bought_by_mistake' : 'changed_mind' }));
  }
  await act(mine[2], 'withdraw', mine[2].tok);
  mine[2].status = 'withdrawn';
  for (const x of mine.slice(3, 5)) {
    await act(x, 'claim', SUPPORT);
    await act(x, 'reject', SUPPORT, { reason_code: 'policy_ineligible', note: 'no' });
    x.status = 'rejected';
  }
  for (const x of mine.slice(5, 9)) {
    await act(x, 'claim', x === mine[5] ? FORMULA : SUPPORT);
    const r = await act(x, 'approve', x === mine[5] ? FORMULA : SUPPORT, {});
    assert.equal(r.status, 'approved');
    x.status = 'approved';
    x.approved = x.amount;
  }
  for (const x of mine.slice(7, 9)) {
    const r = await call('POST', `/api/v1/refunds/${x.id}/payout`, FINANCE, {});
    assert.equal(r.status, 'paid');
    x.status = 'paid';
  }
});

const report = (query, tok = SUPERVISOR, headers) =>
  api('GET', `/api/v1/reports/refunds${query}`, { tok, headers });

test('report by provider: the row of this run matches the counts made here', async () => {
  const r = await report('?group=provider');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.group, 'provider');
  const row = r.json.items.find((x) => x.key === PROVIDER);
  assert.ok(row, r.text);
  const count = (f) => mine.filter(f).length;
  const sum = (f, k) => mine.filter(f).reduce((a, x) => a + x[k], 0);
  const granted = (x) => ['approved', 'paying', 'paid'].includes(x.status);
  const expected = {
    key: PROVIDER,
    currency: 'CNY',
    submitted: mine.length,
    approved: count(granted),
    rejected: count((x) => x.status === 'rejected'),
    withdrawn: count((x) => x.status === 'withdrawn'),
    paid: count((x) => x.status === 'paid'),
    amount_requested: sum(() => true, 'amount'),
    amount_approved: sum(granted, 'approved'),
    amount_paid: sum((x) => x.status === 'paid', 'approved'),
    approval_rate: Math.round(10000 * count(granted) / (count(granted) + 2)) / 10000,
    within_sla_share: 1,   // every decision came at once
  };
  assert.deepEqual({ ...row, first_decision_hours_p50: undefined, first_decision_hours_p90: undefined },
    { ...expected, first_decision_hours_p50: undefined, first_decision_hours_p90: undefined });
  assert.equal(expected.approved, 4);
  assert.equal(expected.paid, 2);
  // Decided within seconds of submission, on a working day or not.
  assert.ok(row.first_decision_hours_p50 >= 0 && row.first_decision_hours_p50 < 0.5, r.text);
  assert.ok(row.first_decision_hours_p90 >= row.first_decision_hours_p50);
});

test('report: business hours skip the weekend; the SLA share counts a late decision', async () => {
  // One of this run's rejected requests, moved: submitted Friday 2025-03-07
  // 18:00 in Shanghai, first decided Monday 10:00, due Monday 09:00. Hours
  // on working days: 6 on Friday, 10 on Monday.
  const x = mine[4];
  psql(`UPDATE refund_requests SET created_at = '2025-03-07 18:00+08', first_decided_at = '2025-03-10 10:00+08',
    due_at = '2025-03-10 09:00+08' WHERE id = ${x.id}`);
  const holidays = psql("SELECT count(*) FROM holidays WHERE day BETWEEN '2025-03-07' AND '2025-03-10'");
  assert.equal(holidays, '0', 'no holiday or make-up day in the way');
  const r = await report(`?group=provider&from=2025-03-01T00:00:00Z&to=2025-03-31T00:00:00Z`);
  assert.equal(r.status, 200, r.text);
  const row = r.json.items.find((i) => i.key === PROVIDER);
  assert.equal(row.submitted, 1);
  assert.equal(row.rejected, 1);
  assert.equal(row.approval_rate, 0);
  assert.equal(row.first_decision_hours_p50, 16);
  assert.equal(row.first_decision_hours_p90, 16);
  assert.equal(row.within_sla_share, 0);
  // The default range (the last 90 days) no longer holds it.
  const now = (await report('?group=provider')).json.items.find((i) => i.key === PROVIDER);
  assert.equal(now.submitted, mine.length - 1);
});

test('report: every grouping answers; weeks and months are keys of the reseller calendar', async () => {
  for (const g of ['reason_code', 'product_type', 'provider', 'policy_version', 'assignee', 'week', 'month']) {
    const r = await report(`?group=${g}`, FINANCE);
    assert.equal(r.status, 200, `${g}: ${r.text}`);
    assert.equal(r.json.group, g);
    assert.ok(r.json.items.length > 0, g);
    const total = r.json.items.reduce((a, x) => a + x.submitted, 0);
    const all = (await report('?group=product_type', ADMIN)).json.items.reduce((a, x) => a + x.submitted, 0);
    assert.equal(total, all, `${g}: every request in exactly one group`);
  }
  const weeks = (await report('?group=week')).json.items.map((x) => x.key);
  assert.ok(weeks.every((k) => /^\d{4}-W\d{2}$/.test(k)), weeks.join());
  const months = (await report('?group=month')).json.items.map((x) => x.key);
  assert.ok(months.every((k) => /^\d{4}-\d{2}$/.test(k)), months.join());
  const versions = (await report('?group=policy_version')).json.items.map((x) => x.key);
  assert.ok(versions.includes('api_credits:1') || versions.some((k) => k.startsWith('api_credits:')));
  const byReviewer = (await report('?group=assignee')).json.items;
  assert.equal(byReviewer.find((x) => x.key === FORMULA_SUB).approved, 1);
  assert.ok(byReviewer.some((x) => x.key === null), 'unassigned requests have key null');
});

test('report as CSV: the same rows, a formula-looking key neutralised', async () => {
  const json = (await report('?group=assignee')).json.items;
  const res = await fetch(`${BASE}/api/v1/reports/refunds?group=assignee`,
    { headers: { Authorization: `Bearer ${SUPERVISOR}`, Accept: 'text/csv' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  const lines = (await res.text()).trim().split('\r\n');
  assert.equal(lines[0], 'key,currency,submitted,approved,rejected,withdrawn,paid,amount_requested,amount_approved,' +
    'amount_paid,approval_rate,first_decision_hours_p50,first_decision_hours_p90,within_sla_share');
  assert.equal(lines.length, json.length + 1);
  const formula = lines.find((l) => l.includes(`HYPERLINK(""x"")-${RUN}`));
  assert.ok(formula.startsWith(`"'=HYPERLINK(""x"")-${RUN}",`), formula);
  const row = json.find((x) => x.key === FORMULA_SUB);
  assert.equal(formula.split(',').slice(1, 10).join(','),
    [row.currency, row.submitted, row.approved, row.rejected, row.withdrawn, row.paid, row.amount_requested,
      row.amount_approved, row.amount_paid].join(','));
});

// D3: requests of one provider in CNY and JPY are two rows, each with its
// currency; the explorer saw CNY and JPY minor units added into one figure.
test('report: a row per key and currency, never a sum of CNY and JPY minor units', async () => {
  const provider = `rpx_${RUN}`;
  const cny = await request({ provider });
  const jpy = await request({ provider, currency: 'JPY' });
  const r = await report('?group=provider');
  assert.equal(r.status, 200, r.text);
  const rows = r.json.items.filter((x) => x.key === provider);
  assert.deepEqual(rows.map((x) => [x.currency, x.submitted, x.amount_requested]),
    [['CNY', 1, cny.amount], ['JPY', 1, jpy.amount]]);
  const res = await fetch(`${BASE}/api/v1/reports/refunds?group=provider`,
    { headers: { Authorization: `Bearer ${SUPERVISOR}`, Accept: 'text/csv' } });
  const lines = (await res.text()).trim().split('\r\n').filter((l) => l.startsWith(`${provider},`));
  assert.deepEqual(lines.map((l) => l.split(',').slice(0, 3)), [[provider, 'CNY', '1'], [provider, 'JPY', '1']]);
});

// A request the customer withdrew before its decision was due is no missed
// SLA: nothing was open past due_at. One withdrawn after due_at, still
// undecided, was (the customer gave up waiting). Its due_at is long past at
// report time in both cases.
test('report: the SLA share leaves out a request withdrawn before it was due', async () => {
  const provider = `rps_${RUN}`;
  const early = await request({ provider });
  const late = await request({ provider });
  const onTime = await request({ provider });
  await act(early, 'withdraw', early.tok);
  await act(late, 'withdraw', late.tok);
  await act(onTime, 'claim', SUPPORT);
  await act(onTime, 'reject', SUPPORT, { reason_code: 'policy_ineligible', note: 'no' });
  // Submitted 10 days ago, due 7 days ago; early withdrawn 9 days ago, late 5.
  psql(`UPDATE refund_requests SET created_at = now() - interval '10 days', due_at = now() - interval '7 days',
    updated_at = now() - CASE id WHEN ${early.id} THEN interval '9 days' ELSE interval '5 days' END
    WHERE id IN (${early.id}, ${late.id})`);
  const r = await report('?group=provider');
  assert.equal(r.status, 200, r.text);
  const row = r.json.items.find((x) => x.key === provider);
  assert.equal(row.withdrawn, 2, r.text);
  // Decided in time: onTime; missed: late; not counted: early.
  assert.equal(row.within_sla_share, 0.5, r.text);
});

test('report: roles, groups and ranges refused', async () => {
  for (const role of ['customer', 'support', 'system']) {
    assertProblem(assert, await report('', token(`x-${RUN}`, role)), 403, 'forbidden');
  }
  assertProblem(assert, await report('?group=colour'), 400, 'invalid_filter');
  let r = await report('?from=yesterday');
  assertProblem(assert, r, 400, 'invalid_filter');
  assert.equal(r.json.field, 'from');
  assertProblem(assert, await report('?to=2026-13-01T00:00:00Z'), 400, 'invalid_filter');
  r = await report('?from=2026-06-01T00:00:00Z&to=2026-06-01T00:00:00Z');
  assertProblem(assert, r, 422, 'invalid_range');
  assert.equal(r.json.field, 'from');
  r = await report('?from=2020-01-01T00:00:00Z&to=2026-06-01T00:00:00Z');
  assertProblem(assert, r, 422, 'invalid_range');
  assert.equal(r.json.field, 'to');
  assertProblem(assert, await report(`?from=${iso(nowS() + DAY)}`), 422, 'invalid_range');
});

// The statements as refundd prepares them, read from the source.
function stmt(file, name) {
  const src = readFileSync(new URL(`../../fcgi/${file}`, import.meta.url), 'utf8')
    .replace(/" EPOCH\("((?:[^"\\]|\\.)*)"\) "/g, (_, x) =>
      `coalesce(extract(epoch FROM (${x.replace(/\\(.)/g, '$1')})::timestamptz), 0)::bigint`);
  const m = new RegExp(`=\\s*\\{\\s*"${name}",([\\s\\S]*?)\\};`).exec(src);
  return [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1].replace(/\\(.)/g, '$1')).join('');
}

test('on 100 000 requests the report and the simulation read by index, not the whole table', { timeout: 120000 }, () => {
  const report = stmt('reports.c', 'reports_refunds');
  const sim = stmt('simulations.c', 'simulations_rows');
  assert.match(report, /WITH r AS/);
  assert.match(sim, /FROM refund_requests r/);
  const acct = `rp-bulk-${RUN}`;
  const marker = '@@plan@@';
  // Rolled back: 20 001 orders, 100 000 requests submitted over 1 000 days
  // (a 30-day report reads about 3 %), five product types.
  const sql = `
BEGIN;
INSERT INTO orders (id, account, provider, product_type, product_name, billing_mode, status,
    amount_paid, currency, payment_method, paid_at, quantity)
SELECT 'RPB-${RUN}-' || g, '${acct}', 'bulk', 'api_credits', 'bulk', 'one_time', 'paid', 1000, 'CNY',
    'alipay', now() - interval '1 day', 10 FROM generate_series(0, 20000) g;
INSERT INTO refund_requests (order_id, account, product_type, provider, status, reason_code,
    payout_method, quote, quoted_amount, currency, policy_version, due_at, created_at)
SELECT 'RPB-${RUN}-' || (g / 5), '${acct}',
    (ARRAY['api_credits', 'cloud_server', 'saas_app', 'traffic_package', 'image_subscription'])[1 + g % 5],
    'bulk', (ARRAY['rejected', 'withdrawn', 'paid'])[1 + g % 3], 'other', 'balance', '{}', 1000, 'CNY', 1,
    now(), now() - ((g * 7919) % 1000) * interval '1 day' - (g % 1440) * interval '1 minute'
FROM generate_series(1, 100000) g;
ANALYZE orders;
ANALYZE refund_requests;
SELECT count(*) FROM refund_requests WHERE account = '${acct}';
PREPARE rp_report AS ${report};
PREPARE rp_sim AS ${sim};
SET plan_cache_mode = force_custom_plan;
SELECT '${marker}report-custom';
EXPLAIN EXECUTE rp_report(extract(epoch FROM now() - interval '30 days')::bigint, extract(epoch FROM now())::bigint, 'reason_code', 'Asia/Shanghai');
SELECT '${marker}sim-custom';
EXPLAIN EXECUTE rp_sim('api_credits', extract(epoch FROM now() - interval '90 days')::bigint, extract(epoch FROM now())::bigint);
SET plan_cache_mode = auto;
${"EXECUTE rp_report(extract(epoch FROM now() - interval '30 days')::bigint, extract(epoch FROM now())::bigint, 'week', 'Asia/Shanghai') \\g /dev/null\n".repeat(6)}
SELECT '${marker}report-auto';
EXPLAIN EXECUTE rp_report(extract(epoch FROM now() - interval '30 days')::bigint, extract(epoch FROM now())::bigint, 'month', 'Asia/Shanghai');
ROLLBACK;
SELECT count(*) FROM refund_requests WHERE account = '${acct}';
`;
  const out = psql(null, { input: sql });
  const sections = out.split(marker);
  assert.equal(sections.length, 4, out);
  assert.match(sections[0], /^100000$/m, 'the rows were there while planning');
  for (const s of sections.slice(1)) {
    const name = s.split('\n')[0];
    const index = 'refund_requests_created';
    assert.match(s, new RegExp(`Index Scan using ${index} on refund_requests|Bitmap Index Scan on ${index}`),
      `${name} plan:\n${s}`);
    assert.doesNotMatch(s, /Seq Scan on refund_requests/, `${name} plan:\n${s}`);
  }
  assert.match(out.trim().split('\n').at(-1), /^0$/, 'rolled back: nothing left behind');
});
