// claims.test.mjs -- issue 12, the reseller's own money (DESIGN.md §8): the
// upstream purchase on order sync (hidden from customers), provider
// policies (versioned, admin), the provider figures staff see before
// approving (never customers), the claim approval opens, the claims list
// and its CSV, filing, statement import (each kind of line, the same file
// twice, broken files), and the margin report. The seed cases run end to
// end: a refund on day 3 fully recovered, one after the window with the
// reseller's loss shown, a purchase paid partly with a provider voucher.
// Each run uses its own provider (and unique references), so the file
// passes when run again against the same database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { api, assertProblem, token, uid, DAY, nowS, iso, psql } from './lib.mjs';

const RUN = uid();
const PROV = `cl_${RUN}`;
const SYSTEM = token(`cl-billing-${RUN}`, 'system');
const SUPPORT = token(`cl-agent-${RUN}`, 'support');
const SUPERVISOR = token(`cl-lead-${RUN}`, 'supervisor');
const FINANCE = token(`cl-fin-${RUN}`, 'finance');
const ADMIN = token(`cl-admin-${RUN}`, 'admin');

let seq = 0;
const customer = () => {
  const sub = `cl-c-${RUN}-${++seq}`;
  return { sub, tok: token(sub, 'customer') };
};
const ref = (tag) => `${tag}-${RUN}-${++seq}`;

// The provider's rule for cloud servers in this run: seed 001 seen from the
// reseller's seat (5 days full, then unused time, vouchers kept).
const ECS_RULE = { refundable: true, window_rule: 'full', window_days: 5, after_window: 'prorata_time',
  fee_bps: 0, vouchers_refundable: false, note: 'seed 001' };

async function putRule(provider, type, body, tok = ADMIN) {
  return api('PUT', `/api/v1/provider-policies/${provider}/${type}`, { tok, body });
}

// A cloud server sold for 1,200.00 paid daysAgo, bought upstream for cost
// (voucher part given) at the same moment.
async function ecsOrder(c, { daysAgo = 1, cost = 100000, voucher = 0, provider = PROV, upstreamRef,
  currency = 'CNY' } = {}) {
  const id = `CL-${RUN}-${++seq}`;
  const paid = nowS() - daysAgo * DAY;
  const body = {
    account: c.sub, provider, product_type: 'cloud_server', product_name: 'ECS 2核4G 包年',
    billing_mode: 'subscription', status: 'paid', amount_paid: 120000, currency,
    payment_method: 'wechat', paid_at: iso(paid), period_start: iso(paid),
    period_end: iso(paid + 365 * DAY), upstream_ref: upstreamRef ?? ref('i'),
    upstream_cost: cost, upstream_voucher: voucher, upstream_paid_at: iso(paid),
  };
  const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body });
  assert.equal(r.status, 201, r.text);
  return { id, upstreamRef: body.upstream_ref };
}

async function submit(c, orderId, method = 'balance') {
  const r = await api('POST', '/api/v1/refunds', { tok: c.tok, headers: { 'Idempotency-Key': randomUUID() },
    body: { order_id: orderId, reason_code: 'changed_mind', payout_method: method } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

// cloud_server's approval limits are CNY (sql/022): a request in another
// currency needs a second approver, here the supervisor.
async function approve(id, body = {}, currency = 'CNY') {
  const claimed = await api('POST', `/api/v1/refunds/${id}/claim`, { tok: SUPPORT });
  assert.equal(claimed.status, 200, claimed.text);
  let r = await api('POST', `/api/v1/refunds/${id}/approve`, { tok: SUPPORT, body });
  assert.equal(r.status, 200, r.text);
  if (currency !== 'CNY') {
    assert.equal(r.json.status, 'awaiting_second_approval');
    r = await api('POST', `/api/v1/refunds/${id}/approve`, { tok: SUPERVISOR, body: {} });
    assert.equal(r.status, 200, r.text);
  }
  assert.equal(r.json.status, 'approved');
  return r.json;
}

// An approved refund of a new order: { c, order, refund, claim }.
async function approvedClaim(opts = {}) {
  const c = customer();
  const order = await ecsOrder(c, opts);
  const refund = await submit(c, order.id);
  const approved = await approve(refund.id, {}, opts.currency);
  return { c, order, refund: approved, claim: approved.provider_figures.claim };
}

const claims = (query = '', tok = FINANCE, headers = {}) =>
  api('GET', `/api/v1/provider-claims${query}`, { tok, headers });
const filed = (id, body, tok = FINANCE) => api('POST', `/api/v1/provider-claims/${id}/filed`, { tok, body });
const importCsv = (text, { provider = PROV, tok = FINANCE, type = 'text/csv', query = '' } = {}) =>
  api('POST', `/api/v1/provider-claims/statements?provider=${provider}${query}`,
    { tok, raw: text, headers: { 'Content-Type': type } });
const claimRow = (id) => JSON.parse(psql(`SELECT to_jsonb(k) FROM provider_claims k WHERE id = ${id}`));

test('setup: the provider rules of this run (admin only, versioned)', async () => {
  let r = await putRule(PROV, 'cloud_server', { ...ECS_RULE, note: 'first' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.version, 1);
  r = await putRule(PROV, 'cloud_server', ECS_RULE);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.version, 2);
  assert.equal(r.json.created_by, `cl-admin-${RUN}`);
  r = await api('GET', `/api/v1/provider-policies/${PROV}/cloud_server`, { tok: ADMIN });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.version, 2);
  assert.deepEqual(r.json.versions.map((v) => v.version), [2, 1]);
  r = await api('GET', `/api/v1/provider-policies/${PROV}/cloud_server?version=1`, { tok: ADMIN });
  assert.equal(r.json.note, 'first');
  r = await api('GET', '/api/v1/provider-policies', { tok: ADMIN });
  assert.equal(r.status, 200);
  const mine = r.json.items.filter((p) => p.provider === PROV);
  assert.deepEqual(mine.map((p) => [p.product_type, p.version]), [['cloud_server', 2]]);
  // The seeds' rules ship as demo data for aliyun and huaweicloud.
  assert.ok(r.json.items.some((p) => p.provider === 'aliyun' && p.product_type === 'cloud_server'
    && p.window_days === 5 && p.after_window === 'prorata_time' && !p.vouchers_refundable));
  assert.ok(r.json.items.some((p) => p.provider === 'huaweicloud' && p.product_type === 'traffic_package'));
  // An audit event per version, found by the audit API under provider:product_type
  // (regression: the id had a '/', which ?id= cannot carry).
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE entity = 'provider_policy'
    AND entity_id = '${PROV}:cloud_server'`), '2');
  const trail = await api('GET', `/api/v1/audit?entity=provider_policy&id=${PROV}:cloud_server`, { tok: ADMIN });
  assert.equal(trail.status, 200, trail.text);
  assert.equal(trail.json.items.filter((e) => e.action === 'provider_policy.version').length, 2);
  // The same rule again (a retry after a timeout) adds no version and no event.
  const again = await putRule(PROV, 'cloud_server', ECS_RULE);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.version, 2);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE entity = 'provider_policy'
    AND entity_id = '${PROV}:cloud_server'`), '2');
});

test('provider policies: refusals change nothing', async () => {
  for (const tok of [SUPPORT, FINANCE, SUPERVISOR, token('x', 'customer')]) {
    assertProblem(assert, await api('GET', '/api/v1/provider-policies', { tok }), 403, 'forbidden');
    assertProblem(assert, await putRule(PROV, 'saas_app', ECS_RULE, tok), 403, 'forbidden');
  }
  assertProblem(assert, await api('GET', `/api/v1/provider-policies/${PROV}/nothing`, { tok: ADMIN }),
    404, 'provider_policy_not_found');
  assertProblem(assert, await api('GET', `/api/v1/provider-policies/${PROV}/cloud_server?version=9`,
    { tok: ADMIN }), 404, 'provider_policy_not_found');
  assertProblem(assert, await api('GET', `/api/v1/provider-policies/${PROV}/cloud_server?version=x`,
    { tok: ADMIN }), 400, 'invalid_version');
  assertProblem(assert, await putRule(PROV, 'saas_app', { ...ECS_RULE, window_rule: 'service_in_progress' }),
    422, 'invalid_policy');
  assertProblem(assert, await putRule(PROV, 'saas_app', { ...ECS_RULE, after_window: 'negotiate' }),
    422, 'invalid_value');
  assertProblem(assert, await putRule(PROV, 'saas_app', { ...ECS_RULE, colour: 'red' }), 422, 'unknown_field');
  assertProblem(assert, await putRule(PROV, 'saas_app', { ...ECS_RULE, fee_bps: 10001 }), 422, 'out_of_range');
  assertProblem(assert, await putRule('Bad-Name', 'saas_app', ECS_RULE), 422, 'invalid_product_type');
  assert.equal(psql(`SELECT count(*) FROM provider_policies WHERE provider = '${PROV}'
    AND product_type = 'saas_app'`), '0');
});

test('order sync: the upstream purchase is stored, shown to staff, never to the customer', async () => {
  const c = customer();
  const { id, upstreamRef } = await ecsOrder(c, { cost: 90000, voucher: 10000 });
  let r = await api('GET', `/api/v1/orders/${id}`, { tok: SUPPORT });
  assert.equal(r.json.upstream_ref, upstreamRef);
  assert.equal(r.json.upstream_cost, 90000);
  assert.equal(r.json.upstream_voucher, 10000);
  for (const path of [`/api/v1/orders/${id}`, '/api/v1/orders']) {
    r = await api('GET', path, { tok: c.tok });
    assert.equal(r.status, 200);
    assert.ok(!/upstream/.test(r.text), `a customer sees no upstream_*: ${r.text}`);
  }
  // Staff narrowing the list to the account still see them (regression: the
  // filter doubled as the customer's view).
  r = await api('GET', `/api/v1/orders?account=${encodeURIComponent(c.sub)}`, { tok: SUPPORT });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.find((o) => o.id === id)?.upstream_ref, upstreamRef);
  // A change answered to the customer hides them too, while its audit event
  // keeps the whole order (regression: cancelling an unpaid order answered
  // the reseller's purchase to the customer).
  const unpaid = `CL-${RUN}-${++seq}`;
  const body = { account: c.sub, provider: PROV, product_type: 'cloud_server_payg', product_name: 'ECS',
    billing_mode: 'payg', status: 'unpaid', amount_paid: 0, currency: 'CNY', payment_method: 'wechat',
    quantity: 0, bonus_quantity: 0, upstream_ref: ref('i'), upstream_cost: 88000, upstream_voucher: 0,
    upstream_paid_at: iso(nowS() - DAY) };
  assert.equal((await api('PUT', `/api/v1/orders/${unpaid}`, { tok: SYSTEM, body })).status, 201);
  r = await api('POST', `/api/v1/orders/${unpaid}/cancel`, { tok: c.tok });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'cancelled');
  assert.ok(!/upstream/.test(r.text), `the cancel answer shows no upstream_*: ${r.text}`);
  assert.equal(psql(`SELECT before->>'upstream_cost' || '/' || (after->>'upstream_cost')
    FROM audit_events WHERE action = 'order.cancel' AND entity_id = '${unpaid}'`), '88000/88000');
  // Whole or absent; the voucher is part of the cost.
  const base = { account: c.sub, provider: PROV, product_type: 'cloud_server', product_name: 'x',
    billing_mode: 'subscription', status: 'paid', amount_paid: 100, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS()) };
  const put = (extra) => api('PUT', `/api/v1/orders/CL-${RUN}-bad`, { tok: SYSTEM, body: { ...base, ...extra } });
  assertProblem(assert, await put({ upstream_ref: 'i-1' }), 422, 'invalid_upstream');
  assertProblem(assert, await put({ upstream_cost: 5 }), 422, 'invalid_upstream');
  assertProblem(assert, await put({ upstream_ref: 'i-1', upstream_cost: 5, upstream_voucher: 6,
    upstream_paid_at: iso(nowS()) }), 422, 'invalid_upstream');
  assertProblem(assert, await put({ upstream_ref: 'bad ref', upstream_cost: 5, upstream_paid_at: iso(nowS()) }),
    422, 'invalid_value');
  assert.equal(psql(`SELECT count(*) FROM orders WHERE id = 'CL-${RUN}-bad'`), '0');
  // Re-synced without them, the purchase is gone (the whole order is replaced).
  r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body: { ...base, account: c.sub } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.upstream_ref, null);
});

test('seed 001, day 3: staff see the full recovery and the margin before approving; the claim opens with it', async () => {
  const c = customer();
  const { id, upstreamRef } = await ecsOrder(c, { daysAgo: 3 });
  let r = await api('GET', `/api/v1/orders/${id}/quote`, { tok: SUPPORT });
  assert.equal(r.status, 200, r.text);
  const p = r.json.provider;
  assert.equal(p.provider, PROV);
  assert.equal(p.upstream_ref, upstreamRef);
  assert.equal(p.policy_version, 2);
  assert.equal(p.expected_recovery, 100000);
  assert.equal(p.customer_amount, 120000);
  assert.equal(p.margin, -20000);
  assert.equal(p.margin_text, '-200.00');
  assert.deepEqual(p.breakdown, [{ label: 'upstream_cost', amount: 100000, units: 0 }]);
  assert.deepEqual(p.reasons, []);
  assert.equal(p.claim, null);
  // The customer's quote has no provider side.
  r = await api('GET', `/api/v1/orders/${id}/quote`, { tok: c.tok });
  assert.equal(r.status, 200);
  assert.ok(!('provider' in r.json), r.text);
  const refund = await submit(c, id);
  r = await api('GET', `/api/v1/refunds/${refund.id}`, { tok: SUPPORT });
  assert.equal(r.json.provider_figures.expected_recovery, 100000);
  assert.equal(r.json.provider_figures.claim, null);
  r = await api('GET', `/api/v1/refunds/${refund.id}`, { tok: c.tok });
  assert.ok(!('provider_figures' in r.json) && !/expected_recovery/.test(r.text), r.text);
  // Approval opens the claim in the same transaction, frozen at approval.
  const approved = await approve(refund.id);
  const claim = approved.provider_figures.claim;
  assert.equal(claim.status, 'to_file');
  assert.equal(claim.expected_amount, 100000);
  assert.equal(claim.customer_amount, 120000);
  assert.equal(claim.upstream_ref, upstreamRef);
  assert.equal(claim.policy_version, 2);
  assert.equal(claim.refund_id, refund.id);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE entity = 'provider_claim'
    AND entity_id = '${claim.id}' AND action = 'provider_claim.open'`), '1');
  // A customer action answer (withdraw refused) shows no figures either.
  r = await api('GET', `/api/v1/refunds/${refund.id}`, { tok: c.tok });
  assert.ok(!/provider_figures|expected_recovery|upstream/.test(r.text));
});

test('seed 001 after the window: the provider returns unused time only; the reseller\'s loss is shown', async () => {
  const c = customer();
  const { id } = await ecsOrder(c, { daysAgo: 73 });
  const r = await api('GET', `/api/v1/orders/${id}/quote`, { tok: SUPERVISOR });
  const p = r.json.provider;
  // 292 of 365 days unused: the provider 1,000.00 * 292/365 = 800.00, the
  // customer (negotiated, unused time) 1,200.00 * 292/365 = 960.00 -- or
  // one day less (291/365: 797.26, 956.71) once the 74th day has begun
  // (the seconds since the order was made; policy.h counts days begun).
  const days = r.json.breakdown.find((l) => l.label === 'consumed_time').units / DAY;
  assert.ok(days === 73 || days === 74, r.text);
  const unused = (paid) => Math.floor(paid * (365 - days) / 365);
  assert.equal(r.json.amount, unused(120000));
  assert.equal(p.expected_recovery, unused(100000));
  assert.equal(p.customer_amount, r.json.amount);
  assert.equal(p.margin, p.expected_recovery - r.json.amount);
  assert.ok(p.margin <= -15900 && p.margin >= -16010, r.text);
  // later answers may fall on the 74th day: 797.26 .. 800.00
  const near = (v) => assert.ok(v >= 79726 && v <= 80000, `${v} near 80000`);
  assert.ok(p.reasons.includes('window_closed') && p.reasons.includes('already_used'));
  assert.deepEqual(p.breakdown.map((l) => l.label), ['upstream_cost', 'consumed_time']);
  assert.equal(p.breakdown.reduce((s, l) => s + l.amount, 0), 80000);
  const refund = await submit(c, id);
  // Negotiated down to 900.00: the customer confirms, and that approval
  // opens the claim, with the amount as approved.
  let a = await api('POST', `/api/v1/refunds/${refund.id}/claim`, { tok: SUPPORT });
  a = await api('POST', `/api/v1/refunds/${refund.id}/approve`, { tok: SUPPORT,
    body: { amount: 90000, note: 'negotiated' } });
  assert.equal(a.json.status, 'awaiting_confirmation', a.text);
  near(a.json.provider_figures.expected_recovery);
  assert.equal(a.json.provider_figures.margin, a.json.provider_figures.expected_recovery - 90000);
  assert.equal(a.json.provider_figures.claim, null);
  a = await api('POST', `/api/v1/refunds/${refund.id}/confirm`, { tok: c.tok });
  assert.equal(a.json.status, 'approved', a.text);
  assert.ok(!/provider_figures/.test(a.text));
  const claim = JSON.parse(psql(`SELECT to_jsonb(k) FROM provider_claims k WHERE refund_id = ${refund.id}`));
  near(claim.expected_amount);
  assert.equal(claim.customer_amount, 90000);
  assert.equal(claim.status, 'to_file');
});

test('a purchase paid partly with a provider voucher: the voucher does not come back', async () => {
  const c = customer();
  const { id } = await ecsOrder(c, { daysAgo: 2, voucher: 30000 });
  const r = await api('GET', `/api/v1/orders/${id}/quote`, { tok: FINANCE });
  const p = r.json.provider;
  assert.equal(p.expected_recovery, 70000);
  assert.equal(p.margin, 70000 - 120000);
  assert.deepEqual(p.breakdown, [{ label: 'upstream_cost', amount: 100000, units: 0 },
    { label: 'voucher_not_refunded', amount: -30000, units: 0 }]);
  assert.deepEqual(p.reasons, ['voucher_not_refunded']);
});

test('an order without an upstream purchase has no provider side and opens no claim', async () => {
  const c = customer();
  const id = `CL-${RUN}-${++seq}`;
  const paid = nowS() - DAY;
  let r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body: { account: c.sub, provider: PROV,
    product_type: 'cloud_server', product_name: 'ECS', billing_mode: 'subscription', status: 'paid',
    amount_paid: 5000, currency: 'CNY', payment_method: 'alipay', paid_at: iso(paid),
    period_start: iso(paid), period_end: iso(paid + 30 * DAY) } });
  assert.equal(r.status, 201);
  r = await api('GET', `/api/v1/orders/${id}/quote`, { tok: SUPPORT });
  assert.equal(r.json.provider, null);
  const refund = await submit(c, id);
  const approved = await approve(refund.id);
  assert.equal(approved.provider_figures, null);
  assert.equal(psql(`SELECT count(*) FROM provider_claims WHERE refund_id = ${refund.id}`), '0');
});

test('bought upstream from a provider without a policy: approval opens a claim expecting nothing', async () => {
  const c = customer();
  const prov = `np_${RUN}`;   // no provider policy is ever written for it
  const order = await ecsOrder(c, { provider: prov });
  let r = await api('GET', `/api/v1/orders/${order.id}/quote`, { tok: SUPPORT });
  assert.equal(r.json.provider.policy_version, null);
  assert.deepEqual(r.json.provider.reasons, ['no_provider_policy']);
  const refund = await submit(c, order.id);
  const approved = await approve(refund.id);
  const claim = approved.provider_figures.claim;
  assert.equal(claim.policy_version, null);
  assert.equal(claim.expected_amount, 0);
  assert.deepEqual(claim.reasons, ['no_provider_policy']);
  assert.equal(psql(`SELECT count(*) FROM provider_claims WHERE refund_id = ${refund.id}
                     AND policy_version IS NULL AND status = 'to_file'`), '1');
});

test('claims: finance lists them (keyset, filters), the CSV filing list neutralises formulas', async () => {
  const a = await approvedClaim();
  const b = await approvedClaim({ upstreamRef: `-cmd-${RUN}` });
  let r = await claims(`?provider=${PROV}&status=to_file&limit=1`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 1);
  assert.equal(r.json.items[0].id, b.claim.id);
  r = await claims(`?provider=${PROV}&status=to_file&limit=1&cursor=${r.json.next_cursor}`);
  assert.equal(r.json.items[0].id, a.claim.id);
  r = await claims(`?provider=${PROV}&status=recovered`);
  assert.ok(r.json.items.every((k) => k.status === 'recovered'));
  r = await claims(`?provider=${PROV}`, FINANCE, { Accept: 'text/csv' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  assert.match(r.headers.get('content-disposition'), /provider-claims\.csv/);
  const lines = r.text.trim().split('\r\n');
  assert.equal(lines[0], 'claim_id,refund_id,order_id,provider,product_type,upstream_ref,'
    + 'expected_amount,currency,policy_version,opened_at');
  const rowB = lines.find((l) => l.startsWith(`${b.claim.id},`));
  assert.ok(rowB.includes(`,'-cmd-${RUN},1000.00,CNY,2,`), rowB);
  assert.ok(lines.some((l) => l.startsWith(`${a.claim.id},`)));
  assertProblem(assert, await claims('?status=filed', FINANCE, { Accept: 'text/csv' }), 400, 'invalid_filter');
  assertProblem(assert, await claims('?status=nope'), 400, 'invalid_filter');
  assertProblem(assert, await claims('?cursor=x'), 400, 'invalid_cursor');
  for (const tok of [SUPPORT, SUPERVISOR, ADMIN, a.c.tok])
    assertProblem(assert, await claims('', tok), 403, 'forbidden');
});

test('filed: to_file -> filed with the provider\'s reference, audited; refusals change nothing', async () => {
  const { claim } = await approvedClaim();
  const claimRef = ref('RF');
  let r = await filed(claim.id, { claim_ref: claimRef });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'filed');
  assert.equal(r.json.claim_ref, claimRef);
  assert.equal(r.json.filed_by, `cl-fin-${RUN}`);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE entity = 'provider_claim'
    AND entity_id = '${claim.id}' AND action = 'provider_claim.filed'`), '1');
  assertProblem(assert, await filed(claim.id, { claim_ref: ref('RF') }), 409, 'claim_not_to_file');
  const other = await approvedClaim();
  assertProblem(assert, await filed(other.claim.id, { claim_ref: claimRef }), 409, 'claim_ref_taken');
  assertProblem(assert, await filed(other.claim.id, { claim_ref: 'has space' }), 422, 'invalid_value');
  assertProblem(assert, await filed(other.claim.id, {}), 422, 'missing_field');
  assertProblem(assert, await filed(999999999, { claim_ref: 'x' }), 404, 'claim_not_found');
  assertProblem(assert, await filed('abc', { claim_ref: 'x' }), 404, 'claim_not_found');
  assertProblem(assert, await filed(other.claim.id, { claim_ref: 'x' }, SUPPORT), 403, 'forbidden');
  assert.equal(claimRow(other.claim.id).status, 'to_file');
});

// Five claims, then a statement with every kind of line (default columns:
// this run's provider has no [provider.*] section).
test('statement import: matched, amount_mismatch, refused, unknown_ref, duplicate and invalid lines; twice; broken files', async () => {
  const exact = await approvedClaim();
  const less = await approvedClaim();
  const byRef = await approvedClaim();
  const zero = await approvedClaim();
  const untouched = await approvedClaim();
  const claimRef = ref('CASE');
  assert.equal((await filed(byRef.claim.id, { claim_ref: claimRef })).status, 200);
  const text = '\uFEFFdate,ref,amount,fee,memo\r\n'
    + `2026-12-01,${exact.order.upstreamRef},1000.00,0,ok\r\n`
    + `2026-12-01,${less.order.upstreamRef},950.50,12.34,"fee, and less"\r\n`
    + `2026-12-02,${claimRef},1000.00,0,by claim ref\r\n`
    + `2026-12-02,${zero.order.upstreamRef},0,0,refused\r\n`
    + `2026-12-02,nobody-${RUN},1.00,0,unknown\r\n`
    + `2026-12-02,${exact.order.upstreamRef},1000.00,0,again\r\n`
    + `2026-12-02,${untouched.order.upstreamRef},1.234,0,too precise\r\n`
    + '2026-12-02,,5.00,0,no ref\r\n';
  // Broken files first: each changes nothing.
  const broken = text.replace('"fee, and less"', '"fee, and less');
  let r = await importCsv(broken);
  assertProblem(assert, r, 422, 'statement_syntax');
  assert.equal(r.json.line, 9);   // the quote left open runs to the end of the file
  assertProblem(assert, await importCsv(text.replace('amount', 'sum')), 422, 'statement_missing_column');
  assertProblem(assert, await importCsv(Buffer.from([0x72, 0x65, 0x66, 0xff, 0x0a])), 422, 'statement_not_utf8');
  assertProblem(assert, await importCsv(''), 422, 'statement_empty');
  assertProblem(assert, await importCsv(text, { type: 'application/json' }), 415, 'unsupported_media_type');
  assertProblem(assert, await importCsv(text, { provider: 'Bad!' }), 400, 'invalid_provider');
  assertProblem(assert, await importCsv(text, { query: '&currency=XXX' }), 400, 'invalid_currency');
  assertProblem(assert, await importCsv(text, { tok: SUPPORT }), 403, 'forbidden');
  for (const k of [exact, less, byRef, zero, untouched])
    assert.ok(['to_file', 'filed'].includes(claimRow(k.claim.id).status));

  r = await importCsv(text);
  assert.equal(r.status, 201, r.text);
  const res = r.json;
  assert.equal(res.provider, PROV);
  assert.equal(res.lines, 8);
  assert.match(res.sha256, /^[0-9a-f]{64}$/);
  const by = (list) => Object.fromEntries(list.map((x) => [x.line, x]));
  const m = by(res.matched);
  assert.deepEqual(Object.keys(m).map(Number), [2, 3, 4, 5]);
  assert.deepEqual(m[2], { line: 2, ref: exact.order.upstreamRef, claim_id: exact.claim.id,
    status: 'recovered', expected: 100000, actual: 100000, fee: 0 });
  assert.equal(m[3].status, 'partially_recovered');
  assert.equal(m[3].actual, 95050);
  assert.equal(m[3].fee, 1234);
  assert.equal(m[4].claim_id, byRef.claim.id);
  assert.equal(m[5].status, 'refused');
  assert.deepEqual(res.amount_mismatch.map((x) => [x.line, x.expected, x.actual]),
    [[3, 100000, 95050], [5, 100000, 0]]);
  assert.deepEqual(res.unknown_ref, [{ line: 6, ref: `nobody-${RUN}` }]);
  assert.deepEqual(res.duplicate, [{ line: 7, ref: exact.order.upstreamRef, claim_id: exact.claim.id }]);
  assert.deepEqual(res.invalid, [{ line: 8, reason: 'bad_amount' }, { line: 9, reason: 'missing_ref' }]);
  // The claims as stored, with an audit event each.
  const k = claimRow(less.claim.id);
  assert.equal(k.status, 'partially_recovered');
  assert.equal(k.recovered_amount, 95050);
  assert.equal(k.fee, 1234);
  assert.ok(k.statement_id > 0);
  assert.equal(claimRow(exact.claim.id).status, 'recovered');
  assert.equal(claimRow(zero.claim.id).status, 'refused');
  assert.equal(claimRow(untouched.claim.id).status, 'to_file');
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE entity = 'provider_claim'
    AND entity_id IN ('${exact.claim.id}', '${less.claim.id}', '${byRef.claim.id}', '${zero.claim.id}')
    AND action IN ('provider_claim.recovered', 'provider_claim.partially_recovered', 'provider_claim.refused')`), '4');
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE entity = 'provider_statement'
    AND entity_id = '${k.statement_id}'`), '1');
  // The refund shows its claim closed.
  r = await api('GET', `/api/v1/refunds/${less.refund.id}`, { tok: FINANCE });
  assert.equal(r.json.provider_figures.claim.status, 'partially_recovered');

  // The same file again: the first result, nothing changes.
  const before = psql(`SELECT count(*) || ':' || max(updated_at) FROM provider_claims WHERE provider = '${PROV}'`);
  r = await importCsv(text);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(r.json, res);
  assert.equal(psql(`SELECT count(*) FROM provider_statements WHERE provider = '${PROV}'`), '1');
  assert.equal(psql(`SELECT count(*) || ':' || max(updated_at) FROM provider_claims WHERE provider = '${PROV}'`), before);
  // Another file naming the closed claims: duplicates only.
  r = await importCsv(`ref,amount\n${exact.order.upstreamRef},1000.00\n`);
  assert.equal(r.status, 201);
  assert.deepEqual(r.json.duplicate, [{ line: 2, ref: exact.order.upstreamRef, claim_id: exact.claim.id }]);
  assert.deepEqual(r.json.matched, []);
});

// Renewals of one instance are orders with the same upstream_ref, so two
// claims can share a reference. A later statement usually repeats the lines
// of an earlier one (a month's export, then the quarter's): a line already
// applied by an earlier import is a duplicate, not a recovery for the next
// open claim of that reference, which would count the money twice.
test('statement import: an overlapping statement does not apply a line twice to another claim of the same reference', async () => {
  const instance = ref('i-renewed');
  const first = await approvedClaim({ upstreamRef: instance });
  const second = await approvedClaim({ upstreamRef: instance });
  let r = await importCsv(`ref,amount,fee,date\n${instance},1000.00,0,2026-12-01\n`);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.matched.map((x) => [x.line, x.claim_id]), [[2, first.claim.id]]);
  // The overlapping export: the same line again, then the second refund.
  r = await importCsv(`ref,amount,fee,date\n${instance},1000.00,0,2026-12-01\n${instance},600.00,1.50,2026-12-09\n`);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.duplicate, [{ line: 2, ref: instance, claim_id: first.claim.id }]);
  assert.deepEqual(r.json.matched.map((x) => [x.line, x.claim_id, x.status, x.actual, x.fee]),
    [[3, second.claim.id, 'partially_recovered', 60000, 150]]);
  assert.equal(claimRow(first.claim.id).recovered_amount, 100000);
  const k = claimRow(second.claim.id);
  assert.deepEqual([k.status, k.recovered_amount, k.fee], ['partially_recovered', 60000, 150]);
  // Without the date column, the same line still names the claim it closed.
  r = await importCsv(`ref,amount,fee\n${instance},600.00,1.50\n`);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.duplicate, [{ line: 2, ref: instance, claim_id: second.claim.id }]);
  assert.deepEqual(r.json.matched, []);
});

// Two refunds of the same amount on the same day for one instance are two
// lines of one file: both apply. Importing that file's first line alone
// before does not make the second one a duplicate.
test('statement import: identical lines in one file close one claim each; an earlier import of one of them is counted once', async () => {
  const instance = ref('i-twice');
  const a = await approvedClaim({ upstreamRef: instance });
  const b = await approvedClaim({ upstreamRef: instance });
  const c = await approvedClaim({ upstreamRef: instance });
  const line = `${instance},1000.00,0,2026-12-03\n`;
  let r = await importCsv(`ref,amount,fee,date\n${line}`);
  assert.deepEqual(r.json.matched.map((x) => x.claim_id), [a.claim.id]);
  r = await importCsv(`ref,amount,fee,date\n${line}${line}${line}`);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.duplicate.map((x) => [x.line, x.claim_id]), [[2, a.claim.id]]);
  assert.deepEqual(r.json.matched.map((x) => [x.line, x.claim_id]), [[3, b.claim.id], [4, c.claim.id]]);
});

// Two open claims of one reference expecting different amounts: a line
// goes to the one expecting exactly its amount, whatever the order of the
// lines, so neither shows a shortfall the provider does not owe.
test('statement import: among open claims of one reference, the line closes the one expecting its amount', async () => {
  const instance = ref('i-two-open');
  const big = await approvedClaim({ upstreamRef: instance, cost: 100000 });
  const small = await approvedClaim({ upstreamRef: instance, cost: 80000 });
  assert.deepEqual([big.claim.expected_amount, small.claim.expected_amount], [100000, 80000]);
  const r = await importCsv(`ref,amount\n${instance},800.00\n${instance},1000.00\n`);
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.matched.map((x) => [x.line, x.claim_id, x.status]),
    [[2, small.claim.id, 'recovered'], [3, big.claim.id, 'recovered']]);
  assert.deepEqual(r.json.amount_mismatch, []);
});

test('aliyun end to end: the seed rule of the demo data, the configured columns, recovered in full', async () => {
  const c = customer();
  const order = await ecsOrder(c, { daysAgo: 3, provider: 'aliyun' });
  const refund = await submit(c, order.id);
  const approved = await approve(refund.id);
  assert.equal(approved.provider_figures.claim.expected_amount, 100000);
  assert.equal(approved.provider_figures.claim.policy_version, 1);
  // conf/refundd.conf: [provider.aliyun] statement_columns = ref=InstanceId,
  // amount=RefundAmount, fee=Fee, date=RefundDate
  const r = await importCsv(`RefundDate,InstanceId,RefundAmount,Fee\n2026-12-01,${order.upstreamRef},1000.00,0.00\n`,
    { provider: 'aliyun' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.matched[0].status, 'recovered');
  assert.equal(claimRow(approved.provider_figures.claim.id).recovered_amount, 100000);
  // The default columns do not fit aliyun's statement.
  assertProblem(assert, await importCsv(`ref,amount\nx,1\n`, { provider: 'aliyun' }), 422, 'statement_missing_column');
});

test('margin report: per provider, product type and month, JSON and CSV; who may read it', async () => {
  // A claim opened and recovered, and a customer refund paid to the balance.
  const done = await approvedClaim({ cost: 80000 });
  let r = await api('POST', `/api/v1/refunds/${done.refund.id}/payout`, { tok: FINANCE, body: {} });
  assert.equal(r.status, 201, r.text);
  r = await importCsv(`ref,amount,fee\n${done.order.upstreamRef},750.00,50.00\n`);
  assert.equal(r.status, 201, r.text);
  // The report's dates are the reseller's days (app.timezone: Asia/Shanghai in
  // scripts/test), not UTC's: from 16:00 UTC on, Shanghai is a day ahead.
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  r = await api('GET', `/api/v1/reports/margin?group=provider&from=2000-01-01&to=2999-12-31`, { tok: FINANCE });
  assert.equal(r.status, 200, r.text);
  const row = r.json.items.find((i) => i.key === PROV && i.currency === 'CNY');
  const sums = JSON.parse(psql(`SELECT jsonb_build_object('expected', sum(expected_amount),
    'actual', sum(coalesce(recovered_amount, 0)), 'fees', sum(coalesce(fee, 0)),
    'open', count(*) FILTER (WHERE status IN ('to_file', 'filed')))
    FROM provider_claims WHERE provider = '${PROV}' AND currency = 'CNY'`));
  const paid = Number(psql(`SELECT coalesce(sum(p.amount), 0) FROM payouts p JOIN refund_requests r
    ON r.id = p.refund_id WHERE r.provider = '${PROV}' AND p.status = 'settled' AND p.currency = 'CNY'`));
  assert.ok(paid >= 120000);
  assert.deepEqual(row, { key: PROV, currency: 'CNY', customer_refunds_paid: paid, expected_recovery: sums.expected,
    actual_recovery: sums.actual, fees: sums.fees, net_loss: paid - sums.actual, open_claims: sums.open });
  r = await api('GET', `/api/v1/reports/margin?group=month&from=${today}&to=${today}`, { tok: SUPERVISOR });
  assert.equal(r.status, 200);
  assert.ok(r.json.items.some((i) => /^\d{4}-\d{2}$/.test(i.key)));
  r = await api('GET', '/api/v1/reports/margin?group=product_type', { tok: ADMIN });
  assert.ok(r.json.items.some((i) => i.key === 'cloud_server'));
  // Nothing in a period long ago.
  r = await api('GET', '/api/v1/reports/margin?from=2001-01-01&to=2001-01-31', { tok: FINANCE });
  assert.deepEqual(r.json.items, []);
  r = await api('GET', `/api/v1/reports/margin?group=provider`, { tok: FINANCE, headers: { Accept: 'text/csv' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  const lines = r.text.trim().split('\r\n');
  assert.equal(lines[0], 'key,currency,customer_refunds_paid,expected_recovery,actual_recovery,fees,net_loss,open_claims');
  assert.ok(lines.includes(`${PROV},CNY,${row.customer_refunds_paid},${row.expected_recovery},${row.actual_recovery},`
    + `${row.fees},${row.net_loss},${row.open_claims}`), r.text);
  assertProblem(assert, await api('GET', '/api/v1/reports/margin?group=week', { tok: FINANCE }), 400, 'invalid_filter');
  assertProblem(assert, await api('GET', '/api/v1/reports/margin?from=2026-02-30', { tok: FINANCE }), 400, 'invalid_filter');
  assertProblem(assert, await api('GET', '/api/v1/reports/margin?to=yesterday', { tok: FINANCE }), 400, 'invalid_filter');
  // A reversed range is a mistake, as in the refunds report (regression: 200 and no rows).
  const rev = await api('GET', '/api/v1/reports/margin?from=2026-03-02&to=2026-03-01', { tok: FINANCE });
  assertProblem(assert, rev, 422, 'invalid_range');
  assert.equal(rev.json.field, 'from');
  assert.equal((await api('GET', '/api/v1/reports/margin?from=2026-03-01&to=2026-03-01', { tok: FINANCE })).status, 200);
  for (const tok of [SUPPORT, done.c.tok, SYSTEM])
    assertProblem(assert, await api('GET', '/api/v1/reports/margin', { tok }), 403, 'forbidden');
});

// D9: the import's refusals say what is wrong. A 415 names the type the
// route takes; a NUL byte is "not text" (it is valid UTF-8); a date must
// exist in the calendar; a record that a quoted field carries over two
// lines is reported at the line it starts on.
test('statement import wording: 415 names text/csv, NUL is statement_not_text, calendar dates, a record\'s first line', async () => {
  let r = await importCsv('ref,amount\r\n', { type: 'application/json' });
  assertProblem(assert, r, 415, 'unsupported_media_type');
  assert.equal(r.json.title, 'Content-Type must be text/csv');
  // a statement in another charset is refused like a JSON body in one,
  // not read as UTF-8 bytes it is not; charset=utf-8 is fine
  r = await importCsv('ref,amount\r\n', { type: 'text/csv; charset=gbk' });
  assertProblem(assert, r, 415, 'unsupported_media_type');
  r = await importCsv(`ref,amount\r\nutf8-${RUN},1\r\n`, { type: 'text/csv; charset=utf-8' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.unknown_ref.map((x) => x.line), [2]);
  r = await importCsv(Buffer.from('ref,amount\nq\u0000x,1\n'));
  assertProblem(assert, r, 422, 'statement_not_text');
  r = await importCsv(`ref,amount,date\n"a\nb",1,\nzz-${RUN},2,\na10-${RUN},5,2026-13-45\n`
    + `a11-${RUN},5,2026-02-29\na12-${RUN},5,2028-02-29\n`, { query: '&currency=JPY' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.invalid, [{ line: 2, reason: 'bad_ref' }, { line: 5, reason: 'bad_date' },
    { line: 6, reason: 'bad_date' }]);
  assert.deepEqual(r.json.unknown_ref.map((x) => x.line), [4, 7]);
});

// D4: the currency is part of what identifies an import. The same bytes
// sent with the default currency (CNY) and then with the right one (JPY)
// are two imports: the second closes the JPY claim the first could not.
// Only the same file in the same currency is replayed.
test('statement import: the same file with another ?currency= is imported on its own; same currency replays', async () => {
  const k = await approvedClaim({ currency: 'JPY' });
  assert.equal(k.claim.currency, 'JPY');
  const text = `ref,amount\r\n${k.order.upstreamRef},${k.claim.expected_amount}\r\n`;
  let r = await importCsv(text);
  assert.equal(r.status, 201, r.text);
  const first = r.json;
  assert.equal(first.currency, 'CNY');
  assert.deepEqual(first.invalid, [{ line: 2, reason: 'currency_mismatch' }]);
  assert.equal(claimRow(k.claim.id).status, 'to_file');

  r = await importCsv(text, { query: '&currency=JPY' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('idempotent-replayed'), null);
  assert.equal(r.json.currency, 'JPY');
  assert.equal(r.json.sha256, first.sha256);
  assert.deepEqual(r.json.invalid, []);
  assert.deepEqual(r.json.matched.map((x) => [x.line, x.claim_id, x.status]), [[2, k.claim.id, 'recovered']]);
  const jpy = r.json;
  assert.equal(claimRow(k.claim.id).status, 'recovered');

  // Each import is replayed in its own currency, and changes nothing.
  r = await importCsv(text, { query: '&currency=JPY' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(r.json, jpy);
  r = await importCsv(text);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, first);
  assert.equal(psql(`SELECT string_agg(currency, ',' ORDER BY id) FROM provider_statements
    WHERE provider = '${PROV}' AND sha256 = '${first.sha256}'`), 'CNY,JPY');
});

// D3: a provider with a CNY and a JPY claim, each refund paid and each
// claim recovered. The margin report has a row per currency; the explorer
// saw 120000 CNY + 12000 JPY minor units reported as 132000.
test('margin report: a row per key and currency, never a sum of CNY and JPY minor units', async () => {
  const provider = `clm_${RUN}`;
  assert.equal((await putRule(provider, 'cloud_server', ECS_RULE)).status, 201);
  const one = async (currency) => {
    const k = await approvedClaim({ provider, currency });
    const p = await api('POST', `/api/v1/refunds/${k.refund.id}/payout`, { tok: FINANCE, body: {} });
    assert.equal(p.status, 201, p.text);
    const amount = currency === 'JPY' ? String(k.claim.expected_amount) : (k.claim.expected_amount / 100).toFixed(2);
    const r = await importCsv(`ref,amount,fee\n${k.order.upstreamRef},${amount},0\n`, { provider, query: `&currency=${currency}` });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.matched.length, 1, r.text);
    const paid = Number(psql(`SELECT amount FROM payouts WHERE refund_id = ${k.refund.id} AND status = 'settled'`));
    assert.ok(paid > 0);
    return { ...k, paid };
  };
  const cny = await one('CNY');
  const jpy = await one('JPY');
  let r = await api('GET', '/api/v1/reports/margin?group=provider&from=2000-01-01&to=2999-12-31', { tok: FINANCE });
  assert.equal(r.status, 200, r.text);
  const rows = r.json.items.filter((i) => i.key === provider);
  const want = (k, currency) => ({ key: provider, currency, customer_refunds_paid: k.paid,
    expected_recovery: k.claim.expected_amount, actual_recovery: k.claim.expected_amount, fees: 0,
    net_loss: k.paid - k.claim.expected_amount, open_claims: 0 });
  assert.deepEqual(rows, [want(cny, 'CNY'), want(jpy, 'JPY')]);
  r = await api('GET', '/api/v1/reports/margin?group=provider&from=2000-01-01&to=2999-12-31',
    { tok: FINANCE, headers: { Accept: 'text/csv' } });
  const lines = r.text.trim().split('\r\n').filter((l) => l.startsWith(`${provider},`));
  assert.deepEqual(lines.map((l) => l.split(',').slice(0, 3)),
    [[provider, 'CNY', String(cny.paid)], [provider, 'JPY', String(jpy.paid)]]);
});
