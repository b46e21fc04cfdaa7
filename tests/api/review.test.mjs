// review.test.mjs -- the refund state machine of DESIGN.md §3 through the
// API: every transition with the roles that may and may not take it, the
// money rules of an approval (the quote, a supervisor's note, the second
// approver, the customer's confirmation), appeals, withdrawal; concurrent
// claims and approvals; the staff queue (order, filters, keyset pages, the
// plan of its query on 100 000 rows); and seed 000's two cases end to end.
// Every request here is for an order of this run's own provider and
// accounts, so the queue can be filtered down to this file's requests and
// the file passes when run twice against the same database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { api, assertProblem, token, uid, DAY, nowS, iso, psql } from './lib.mjs';

const RUN = uid();
const PROVIDER = `rv_${RUN}`;
const SYSTEM = token(`billing-${RUN}`, 'system');
const SUPPORT_SUB = `rv-agent-${RUN}`;
const SUPPORT = token(SUPPORT_SUB, 'support');
const SUPPORT2 = token(`rv-agent2-${RUN}`, 'support');
const SUP1_SUB = `rv-lead1-${RUN}`;
const SUP1 = token(SUP1_SUB, 'supervisor');
const SUP2_SUB = `rv-lead2-${RUN}`;
const SUP2 = token(SUP2_SUB, 'supervisor');
const FINANCE = token(`rv-fin-${RUN}`, 'finance');
const ADMIN = token(`rv-admin-${RUN}`, 'admin');



let seq = 0;
function customer(tag = 'c') {
  const sub = `rv-${tag}-${RUN}-${++seq}`;
  return { sub, tok: token(sub, 'customer') };
}

async function createOrder(account, overrides = {}) {
  const id = `RV-${RUN}-${++seq}`;
  const body = {
    account, provider: PROVIDER, product_type: 'api_credits', product_name: 'API 调用资源包',
    billing_mode: 'one_time', status: 'paid', amount_paid: 100000, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - 10 * DAY), quantity: 100000,
    bonus_quantity: 0, used_quantity: 0, ...overrides,
  };
  const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body });
  assert.equal(r.status, 201, r.text);
  return id;
}

function cloudServer(daysAgo = 1) {
  const paid = nowS() - daysAgo * DAY;
  return {
    product_type: 'cloud_server', product_name: 'ECS 2核4G 包年', billing_mode: 'subscription',
    amount_paid: 120000, payment_method: 'wechat', paid_at: iso(paid), period_start: iso(paid),
    period_end: iso(paid + 365 * DAY), quantity: 0,
  };
}

async function submit(tok, orderId, extra = {}) {
  return api('POST', '/api/v1/refunds', { tok, headers: { 'Idempotency-Key': randomUUID() },
    body: { order_id: orderId, reason_code: 'changed_mind', payout_method: 'original_route', ...extra } });
}

// A submitted request of a new customer: { c, orderId, id, req }.
async function newRequest(orderOverrides = {}, submitExtra = {}) {
  const c = customer();
  const orderId = await createOrder(c.sub, orderOverrides);
  const r = await submit(c.tok, orderId, submitExtra);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status, 'submitted');
  return { c, orderId, id: r.json.id, req: r.json };
}

const act = (id, action, tok, body) =>
  api('POST', `/api/v1/refunds/${id}/${action}`, body === undefined ? { tok } : { tok, body });

// Asserts a 200 answer and the request's new status; returns the request.
async function expectMove(promise, status) {
  const r = await promise;
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, status, r.text);
  return r.json;
}

async function inReview(orderOverrides, submitExtra) {
  const x = await newRequest(orderOverrides, submitExtra);
  x.req = await expectMove(act(x.id, 'claim', SUPPORT), 'in_review');
  return x;
}

async function getRefund(id, tok = SUPPORT) {
  const r = await api('GET', `/api/v1/refunds/${id}`, { tok });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function auditOf(id) {
  const r = await api('GET', `/api/v1/audit?entity=refund&id=${id}&limit=100`, { tok: ADMIN });
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

// -------------------------------------------------------------- preconditions

test('the demo policies these tests rely on', async () => {
  const want = {
    api_credits: { second_approval_over: 500000, auto_approve_max: 0, window_days: 30, monthly_limit: 0 },
    cloud_server: { second_approval_over: 300000, auto_approve_max: 0, window_days: 5, monthly_limit: 1 },
  };
  for (const [type, fields] of Object.entries(want)) {
    const r = await api('GET', `/api/v1/policies/${type}`, { tok: SUPPORT });
    assert.equal(r.status, 200, r.text);
    for (const [k, v] of Object.entries(fields)) assert.equal(r.json[k], v, `${type}.${k}`);
  }
});

// -------------------------------------------------------------- claim

test('claim: support or supervisor; customer, finance, admin and system -> 403', async () => {
  const { c, id } = await newRequest();
  for (const tok of [c.tok, FINANCE, ADMIN, SYSTEM]) assertProblem(assert, await act(id, 'claim', tok), 403, 'forbidden');
  assert.equal((await getRefund(id)).status, 'submitted', 'the refusals changed nothing');

  const claimed = await expectMove(act(id, 'claim', SUPPORT), 'in_review');
  assert.equal(claimed.assignee, SUPPORT_SUB);
  assert.equal(claimed.timeline.at(-1).action, 'refund.claim');

  const again = await act(id, 'claim', SUPPORT2);
  assertProblem(assert, again, 409, 'already_claimed');
  assert.equal(again.json.state, 'in_review');
  assertProblem(assert, await act(id, 'claim', SUPPORT), 409, 'already_claimed');
  // A supervisor may take an in-review request over.
  const taken = await expectMove(act(id, 'claim', SUP1), 'in_review');
  assert.equal(taken.assignee, SUP1_SUB);

  assertProblem(assert, await act(999999999999, 'claim', SUPPORT), 404, 'refund_not_found');
  assertProblem(assert, await act('abc', 'claim', SUPPORT), 404, 'refund_not_found');
});

// -------------------------------------------------------------- information

// A message sent again after a lost answer must not appear twice
// (regression: the Idempotency-Key was ignored on messages). The reply
// that answers needs_info is replayed too, not stored as a second message.
test('messages with an Idempotency-Key: the same again answers the first and adds nothing; another body 422', async () => {
  const { c, id } = await inReview();
  const say = (tok, body, key) => api('POST', `/api/v1/refunds/${id}/messages`,
    { tok, body: { body }, headers: { 'Idempotency-Key': key } });
  const bodies = async () => (await api('GET', `/api/v1/refunds/${id}`, { tok: SUPPORT })).json.messages.map((m) => m.body);
  await expectMove(act(id, 'request-info', SUPPORT, { message: '请上传付款截图' }), 'needs_info');
  const key = randomUUID();
  // The customer's reply, retried at once three times: one reply, one move.
  const replies = await Promise.all([1, 2, 3].map(() => say(c.tok, '截图已上传', key)));
  for (const r of replies) {
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status, 'in_review');
  }
  assert.equal(replies.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 2);
  assert.deepEqual(await bodies(), ['请上传付款截图', '截图已上传']);
  const again = await say(c.tok, '截图已上传', key);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.json.messages.map((m) => m.body), ['请上传付款截图', '截图已上传']);
  assertProblem(assert, await say(c.tok, '另一条', key), 422, 'idempotency_key_reused');
  // Staff keys are their own; a plain message retried is one message.
  const staffKey = randomUUID();
  for (let i = 0; i < 2; i++) assert.equal((await say(SUPPORT, '已收到', staffKey)).status, 201);
  assert.deepEqual(await bodies(), ['请上传付款截图', '截图已上传', '已收到']);
  assert.equal(psql(`SELECT count(*) FROM audit_events WHERE entity = 'refund' AND entity_id = '${id}'
    AND action IN ('refund.message', 'refund.customer_reply')`), '2');
  // The key on another request is another request.
  const other = await inReview();
  const elsewhere = await api('POST', `/api/v1/refunds/${other.id}/messages`,
    { tok: SUPPORT, body: { body: '已收到' }, headers: { 'Idempotency-Key': staffKey } });
  assertProblem(assert, elsewhere, 422, 'idempotency_key_reused');
  assertProblem(assert, await say(c.tok, 'x', 'bad key!'), 400, 'invalid_idempotency_key');
});

test('request-info -> needs_info; the customer\'s reply -> in_review; other messages keep the state', async () => {
  const { c, id } = await newRequest();
  assertProblem(assert, await act(id, 'request-info', SUPPORT, { message: 'x' }), 409, 'invalid_transition');
  await expectMove(act(id, 'claim', SUPPORT), 'in_review');
  assertProblem(assert, await act(id, 'request-info', SUPPORT, {}), 422, 'missing_field');
  const empty = await act(id, 'request-info', SUPPORT, { message: '' });
  assert.equal(empty.status, 422, empty.text);
  assertProblem(assert, await act(id, 'request-info', c.tok, { message: 'x' }), 403, 'forbidden');

  const asked = await expectMove(act(id, 'request-info', SUPPORT, { message: '请上传付款截图' }), 'needs_info');
  assert.equal(asked.messages.at(-1).body, '请上传付款截图');
  assert.equal(asked.messages.at(-1).author_role, 'support');

  // Staff talking does not answer for the customer.
  const note = await act(id, 'messages', SUPPORT2, { body: '补充说明' });
  assert.equal(note.status, 201, note.text);
  assert.equal(note.json.status, 'needs_info');
  // Another customer cannot answer.
  assertProblem(assert, await act(id, 'messages', customer().tok, { body: 'hi' }), 404, 'refund_not_found');
  assertProblem(assert, await act(id, 'messages', c.tok, {}), 422, 'missing_field');

  const replied = await act(id, 'messages', c.tok, { body: '截图已上传' });
  assert.ok([200, 201].includes(replied.status), replied.text);
  assert.equal(replied.json.status, 'in_review');
  assert.deepEqual(replied.json.messages.map((m) => m.body), ['请上传付款截图', '补充说明', '截图已上传']);

  // A customer message while in review is just a message.
  const more = await act(id, 'messages', c.tok, { body: '还有问题吗？' });
  assert.equal(more.status, 201, more.text);
  assert.equal(more.json.status, 'in_review');
  assert.deepEqual(more.json.timeline.map((e) => e.action), ['refund.submit', 'refund.claim',
    'refund.request_info', 'refund.message', 'refund.customer_reply', 'refund.message']);
});

// -------------------------------------------------------------- approve

test('approve: support at the quote -> approved; then no second decision', async () => {
  const { c, id } = await inReview();
  assertProblem(assert, await act(id, 'approve', c.tok, {}), 403, 'forbidden');
  assertProblem(assert, await act(id, 'approve', FINANCE, {}), 403, 'forbidden');
  assertProblem(assert, await act(id, 'approve', SUPPORT, { amount: 0 }), 422, 'out_of_range');
  assertProblem(assert, await act(id, 'approve', SUPPORT, { amount: -5 }), 422, 'out_of_range');
  assertProblem(assert, await act(id, 'approve', SUPPORT, { amount: '100' }), 422, 'wrong_type');
  assertProblem(assert, await act(id, 'approve', SUPPORT, { amount: 100, extra: 1 }), 422, 'unknown_field');

  const ok = await expectMove(act(id, 'approve', SUPPORT, { note: 'within policy' }), 'approved');
  assert.equal(ok.approved_amount, 100000);
  assert.equal(ok.approved_method, 'original_route');
  assert.equal(ok.first_approver, SUPPORT_SUB);
  assert.equal(ok.second_approver, null);
  assert.equal(ok.decision_note, 'within policy');
  assert.ok(ok.decided_at);

  const explicit = await inReview();
  const ok2 = await expectMove(act(explicit.id, 'approve', SUPPORT, { amount: 100000, payout_method: 'original_route' }), 'approved');
  assert.equal(ok2.approved_amount, 100000);

  assertProblem(assert, await act(id, 'approve', SUPPORT, {}), 409, 'invalid_transition');
  assertProblem(assert, await act(id, 'approve', SUP1, {}), 409, 'invalid_transition');
  assertProblem(assert, await act(id, 'reject', SUPPORT, { reason_code: 'other' }), 409, 'invalid_transition');
  assertProblem(assert, await act(id, 'claim', SUP1), 409, 'invalid_transition');
  assert.equal((await getRefund(id)).status, 'approved');
});

test('approve: from submitted (not claimed) -> 409', async () => {
  const { id } = await newRequest();
  assertProblem(assert, await act(id, 'approve', SUPPORT, {}), 409, 'invalid_transition');
});

test('approve above the quote: support 403 amount_above_quote, supervisor needs a note', async () => {
  // After the window: 50 % used, the quote is half of what was paid.
  const { id } = await inReview({ amount_paid: 50000, paid_at: iso(nowS() - 45 * DAY), used_quantity: 50000 },
    { payout_method: 'balance' });
  const before = await getRefund(id);
  assert.equal(before.quoted_amount, 25000);

  const s = await act(id, 'approve', SUPPORT, { amount: 25001, note: 'goodwill' });
  assertProblem(assert, s, 403, 'amount_above_quote');
  assertProblem(assert, await act(id, 'approve', SUP1, { amount: 30000 }), 422, 'note_required');
  assertProblem(assert, await act(id, 'approve', SUP1, { amount: 30000, note: '' }), 422, 'note_required');
  // Never more than the order's amount paid, whoever decides (database cap).
  assertProblem(assert, await act(id, 'approve', SUP1, { amount: 50001, note: 'too much' }), 409, 'exceeds_order_cap');
  assert.equal((await getRefund(id)).status, 'in_review', 'refusals changed nothing');

  const ok = await expectMove(act(id, 'approve', SUP1, { amount: 30000, note: '客户长期合作，酌情多退' }), 'approved');
  assert.equal(ok.approved_amount, 30000);
  assert.equal(ok.first_approver, SUP1_SUB);
  assert.equal(ok.decision_note, '客户长期合作，酌情多退');
});

test('approve above second_approval_over -> awaiting_second_approval; a different supervisor approves', async () => {
  // 10,000.00 of API credits in the window: above api_credits' 5,000.00.
  const { c, id } = await inReview({ amount_paid: 1000000, quantity: 1000000 });
  const first = await expectMove(act(id, 'approve', SUP1, { note: 'first' }), 'awaiting_second_approval');
  assert.equal(first.first_approver, SUP1_SUB);
  assert.equal(first.approved_amount, 1000000);

  const same = await act(id, 'approve', SUP1, {});
  assertProblem(assert, same, 403, 'same_approver');
  assertProblem(assert, await act(id, 'approve', SUPPORT, {}), 403, 'forbidden_role');
  assertProblem(assert, await act(id, 'approve', SUPPORT2, {}), 403, 'forbidden_role');
  assertProblem(assert, await act(id, 'confirm', c.tok), 409, 'invalid_transition');
  assertProblem(assert, await act(id, 'withdraw', c.tok), 409, 'invalid_transition');
  assert.equal((await getRefund(id)).status, 'awaiting_second_approval');

  // The second approver confirms the first approval's amount and method:
  // a body naming others is refused, not silently dropped (regression).
  assertProblem(assert, await act(id, 'approve', SUP2, { amount: 1 }), 422, 'second_approval_changes_terms');
  assertProblem(assert, await act(id, 'approve', SUP2, { payout_method: 'balance' }), 422,
    'second_approval_changes_terms');
  assert.equal((await getRefund(id)).status, 'awaiting_second_approval');
  // Restating the same terms is fine; the second note sits beside the first.
  const done = await expectMove(act(id, 'approve', SUP2,
    { amount: 1000000, payout_method: 'original_route', note: '已核对用量' }), 'approved');
  assert.equal(done.approved_amount, 1000000);
  assert.equal(done.first_approver, SUP1_SUB);
  assert.equal(done.second_approver, SUP2_SUB);
  assert.equal(done.decision_note, 'first', 'the first approver\'s note is kept');
  assert.equal(done.second_approval_note, '已核对用量');
  const approvals = (await auditOf(id)).filter((e) => e.action === 'refund.approve');
  assert.deepEqual(approvals.map((e) => [e.actor, e.after.status]),
    [[SUP1_SUB, 'awaiting_second_approval'], [SUP2_SUB, 'approved']]);
});

test('second_approval_over is a strict bound: at it one approver, one unit above two', async () => {
  const at = await inReview({ amount_paid: 1000000, quantity: 1000000 });
  // 500000 is less than the quote: the customer has to confirm it, and
  // reads why in the note (without one: 422).
  const noNote = await act(at.id, 'approve', SUPPORT, { amount: 500000 });
  assertProblem(assert, noNote, 422, 'note_required');
  // The detail says what is wrong (regression: "not possible in the current state").
  assert.match(noNote.json.detail, /note/);
  assert.doesNotMatch(noNote.json.detail, /current state/);
  const r = await expectMove(act(at.id, 'approve', SUPPORT, { amount: 500000, note: '部分用量已消耗' }), 'awaiting_confirmation');
  assert.equal(r.approved_amount, 500000);
  const above = await inReview({ amount_paid: 1000000, quantity: 1000000 });
  await expectMove(act(above.id, 'approve', SUPPORT, { amount: 500001, note: 'n' }), 'awaiting_second_approval');
  // Support may start it; a supervisor finishes it; the customer confirms the lower amount.
  await expectMove(act(above.id, 'approve', SUP1, {}), 'awaiting_confirmation');
  const fin = await expectMove(act(above.id, 'confirm', above.c.tok), 'approved');
  assert.equal(fin.approved_amount, 500001);
});

test('a supervisor may reject at the second approval; support may not', async () => {
  const { id } = await inReview({ amount_paid: 1000000, quantity: 1000000 });
  await expectMove(act(id, 'approve', SUPPORT, {}), 'awaiting_second_approval');
  assertProblem(assert, await act(id, 'reject', SUPPORT2, { reason_code: 'other' }), 403, 'forbidden_role');
  const r = await expectMove(act(id, 'reject', SUP1, { reason_code: 'abuse_suspected', note: 'n' }), 'rejected');
  assert.equal(r.reject_reason, 'abuse_suspected');
});

test('approve below the quote -> awaiting_confirmation; the customer confirms -> approved', async () => {
  const { c, id } = await inReview();
  const offered = await expectMove(act(id, 'approve', SUPPORT, { amount: 80000, note: '扣除已使用部分' }), 'awaiting_confirmation');
  assert.equal(offered.approved_amount, 80000);
  assertProblem(assert, await act(id, 'confirm', customer().tok), 404, 'refund_not_found');
  assertProblem(assert, await act(id, 'confirm', SUPPORT), 403, 'forbidden');
  assertProblem(assert, await act(id, 'approve', SUP1, {}), 409, 'invalid_transition');
  const done = await expectMove(act(id, 'confirm', c.tok), 'approved');
  assert.equal(done.approved_amount, 80000);
  assertProblem(assert, await act(id, 'confirm', c.tok), 409, 'invalid_transition');
  assertProblem(assert, await act(id, 'decline', c.tok), 409, 'invalid_transition');
});

test('approve with another payout method -> awaiting_confirmation even at the full amount', async () => {
  const { c, id } = await inReview(cloudServer(1));
  assertProblem(assert, await act(id, 'approve', SUPPORT, { payout_method: 'balance' }), 422, 'note_required');
  const r = await expectMove(act(id, 'approve', SUPPORT, { payout_method: 'balance', note: '原路退回通道已关闭' }), 'awaiting_confirmation');
  assert.equal(r.approved_amount, 120000);
  assert.equal(r.approved_method, 'balance');
  await expectMove(act(id, 'confirm', c.tok), 'approved');
});

// api_credits inside its window pays back by the original route only:
// staff may change the method only to one the policy offered (regression:
// approve used to take any payout_method).
test('approve with a payout method the policy does not offer -> 422 payout_method_not_allowed', async () => {
  const { id } = await inReview();
  assertProblem(assert, await act(id, 'approve', SUPPORT, { payout_method: 'balance' }), 422, 'payout_method_not_allowed');
  assertProblem(assert, await act(id, 'approve', SUP1, { payout_method: 'balance', note: 'n' }), 422, 'payout_method_not_allowed');
  assert.equal((await getRefund(id)).status, 'in_review');
  await expectMove(act(id, 'approve', SUPPORT, { payout_method: 'original_route' }), 'approved');
});

test('decline -> appealed (the one appeal); the supervisor decides it', async () => {
  const { c, id } = await inReview();
  await expectMove(act(id, 'approve', SUPPORT, { amount: 50000, note: 'half' }), 'awaiting_confirmation');
  assertProblem(assert, await act(id, 'decline', customer().tok), 404, 'refund_not_found');
  const appealed = await expectMove(act(id, 'decline', c.tok), 'appealed');
  assert.equal(appealed.appealed, true);
  assertProblem(assert, await act(id, 'approve', SUPPORT, {}), 403, 'forbidden_role');
  assertProblem(assert, await act(id, 'reject', SUPPORT, { reason_code: 'other' }), 403, 'forbidden_role');
  assertProblem(assert, await act(id, 'appeal', c.tok, {}), 409, 'invalid_transition');
  // The supervisor grants the full quote: nothing left for the customer to confirm.
  const decided = await expectMove(act(id, 'approve', SUP1, { note: 'full after appeal' }), 'approved');
  assert.equal(decided.approved_amount, 100000);
  assert.equal(decided.first_approver, SUP1_SUB);
});

test('a second decline, after the appeal is used, ends the request: rejected', async () => {
  const { c, id } = await inReview();
  await expectMove(act(id, 'approve', SUPPORT, { amount: 50000, note: 'half' }), 'awaiting_confirmation');
  await expectMove(act(id, 'decline', c.tok), 'appealed');
  await expectMove(act(id, 'approve', SUP1, { amount: 70000, note: 'more' }), 'awaiting_confirmation');
  await expectMove(act(id, 'decline', c.tok), 'rejected');
  assertProblem(assert, await act(id, 'appeal', c.tok, {}), 409, 'appeal_used');
  // The customer is told where the request went: rejected, not appealed
  // again (regression: the decline's notice was always refund.appealed).
  const kinds = (await api('GET', '/api/v1/notifications?limit=100', { tok: c.tok })).json.items
    .filter((n) => n.refund_id === id).map((n) => [n.kind, n.payload.status]);
  assert.deepEqual(kinds.slice(0, 4), [['refund.rejected', 'rejected'], ['refund.decided', 'awaiting_confirmation'],
    ['refund.appealed', 'appealed'], ['refund.decided', 'awaiting_confirmation']]);
});

// A new decision starts afresh (regression: q_update kept the earlier
// second_approver, so the earlier second approver deciding the appeal
// broke CHECK (second_approver <> first_approver) with a 409 conflict).
test('an appeal after a two-person approval is decided afresh by any supervisor', async () => {
  const { c, id } = await inReview({ amount_paid: 1000000, quantity: 1000000 });
  await expectMove(act(id, 'approve', SUP1, { amount: 600000, note: 'n' }), 'awaiting_second_approval');
  await expectMove(act(id, 'approve', SUP2, {}), 'awaiting_confirmation');
  await expectMove(act(id, 'decline', c.tok), 'appealed');
  // The full quote is above the threshold: SUP2 approves first this time.
  const again = await expectMove(act(id, 'approve', SUP2, { note: 'appeal granted' }), 'awaiting_second_approval');
  assert.equal(again.first_approver, SUP2_SUB);
  assert.equal(again.second_approver, null, 'nobody has made the second approval of this decision yet');
  const done = await expectMove(act(id, 'approve', SUP1, {}), 'approved');
  assert.equal(done.second_approver, SUP1_SUB);
});

// -------------------------------------------------------------- reject, appeal

test('reject {reason_code} -> rejected; appeal -> appealed; a second appeal -> 409 appeal_used', async () => {
  const { c, id } = await inReview();
  assertProblem(assert, await act(id, 'reject', SUPPORT, { reason_code: 'because' }), 422, 'invalid_value');
  assertProblem(assert, await act(id, 'reject', SUPPORT, {}), 422, 'missing_field');
  assertProblem(assert, await act(id, 'reject', SUPPORT, { reason_code: 'other', note: 'x'.repeat(2001) }), 422, 'too_long');
  assertProblem(assert, await act(id, 'reject', c.tok, { reason_code: 'other' }), 403, 'forbidden');
  assert.equal((await getRefund(id)).status, 'in_review');

  const rejected = await expectMove(act(id, 'reject', SUPPORT, { reason_code: 'policy_ineligible', note: '超出政策' }), 'rejected');
  assert.equal(rejected.reject_reason, 'policy_ineligible');
  assert.equal(rejected.decision_note, '超出政策');
  assert.ok(rejected.decided_at);

  assertProblem(assert, await act(id, 'appeal', customer().tok, {}), 404, 'refund_not_found');
  assertProblem(assert, await act(id, 'appeal', SUPPORT, {}), 403, 'forbidden');
  const appealed = await expectMove(act(id, 'appeal', c.tok, { message: '我确实没有使用' }), 'appealed');
  assert.equal(appealed.appealed, true);
  assert.equal(appealed.messages.at(-1).body, '我确实没有使用');
  assertProblem(assert, await act(id, 'appeal', c.tok, {}), 409, 'invalid_transition');

  // Only a supervisor decides an appeal; here: rejected again.
  assertProblem(assert, await act(id, 'reject', SUPPORT, { reason_code: 'other' }), 403, 'forbidden_role');
  await expectMove(act(id, 'reject', SUP1, { reason_code: 'insufficient_information' }), 'rejected');
  const second = await act(id, 'appeal', c.tok, { message: 'again' });
  assertProblem(assert, second, 409, 'appeal_used');
  assert.equal(second.json.state, 'rejected');
  const t = (await getRefund(id, c.tok)).timeline.map((e) => `${e.action}:${e.to}`);
  assert.deepEqual(t, ['refund.submit:submitted', 'refund.claim:in_review', 'refund.reject:rejected',
    'refund.appeal:appealed', 'refund.reject:rejected']);
});

// Regression: a granted appeal used to keep the rejection's reason and note.
test('an appeal granted without a note does not keep the rejection\'s reason and note', async () => {
  const { c, id } = await inReview();
  await expectMove(act(id, 'reject', SUPPORT, { reason_code: 'policy_ineligible', note: '不符合政策' }), 'rejected');
  await expectMove(act(id, 'appeal', c.tok, {}), 'appealed');
  const granted = await expectMove(act(id, 'approve', SUP1, {}), 'approved');
  assert.equal(granted.reject_reason, null);
  assert.notEqual(granted.decision_note, '不符合政策');
});

test('reject from needs_info (a customer who never answers)', async () => {
  const { id } = await inReview();
  await expectMove(act(id, 'request-info', SUPPORT, { message: '?' }), 'needs_info');
  await expectMove(act(id, 'reject', SUPPORT, { reason_code: 'insufficient_information' }), 'rejected');
});

test('a rejected request allows a new request for the same order', async () => {
  const { c, orderId, id } = await inReview();
  await expectMove(act(id, 'reject', SUPPORT, { reason_code: 'other' }), 'rejected');
  const again = await submit(c.tok, orderId, { expected_amount: 100000 });
  assert.equal(again.status, 201, again.text);
  assert.notEqual(again.json.id, id);
  assert.equal(again.json.quoted_amount, 100000, 'the rejected request no longer holds the money');
});

// The refusal names the request's state in "state" (regression: it was
// sent as "status" and overwritten by the problem's HTTP status).
test('a refused transition tells the request\'s current state', async () => {
  const { c, id } = await inReview();
  const r = await act(id, 'claim', SUPPORT2);
  assertProblem(assert, r, 409, 'already_claimed');
  assert.equal(r.json.state, 'in_review');
  const w = await act(id, 'confirm', c.tok);
  assertProblem(assert, w, 409, 'invalid_transition');
  assert.equal(w.json.state, 'in_review');
  const other = await act(id, 'withdraw', customer().tok);
  assertProblem(assert, other, 404, 'refund_not_found');
  assert.equal(other.json.state, undefined, 'another account learns nothing');
});

// -------------------------------------------------------------- withdraw

test('withdraw before approval -> withdrawn; after approval -> 409', async () => {
  const a = await newRequest();
  assertProblem(assert, await act(a.id, 'withdraw', SUPPORT), 403, 'forbidden');
  assertProblem(assert, await act(a.id, 'withdraw', customer().tok), 404, 'refund_not_found');
  await expectMove(act(a.id, 'withdraw', a.c.tok), 'withdrawn');
  assertProblem(assert, await act(a.id, 'withdraw', a.c.tok), 409, 'invalid_transition');
  assertProblem(assert, await act(a.id, 'claim', SUPPORT), 409, 'invalid_transition');

  const b = await inReview();
  await expectMove(act(b.id, 'withdraw', b.c.tok), 'withdrawn');

  const n = await inReview();
  await expectMove(act(n.id, 'request-info', SUPPORT, { message: '?' }), 'needs_info');
  await expectMove(act(n.id, 'withdraw', n.c.tok), 'withdrawn');

  const d = await inReview();
  await expectMove(act(d.id, 'approve', SUPPORT, {}), 'approved');
  const late = await act(d.id, 'withdraw', d.c.tok);
  assertProblem(assert, late, 409, 'invalid_transition');
  assert.equal(late.json.state, 'approved');

  const w = await inReview();
  await expectMove(act(w.id, 'approve', SUPPORT, { amount: 1000, note: 'n' }), 'awaiting_confirmation');
  assertProblem(assert, await act(w.id, 'withdraw', w.c.tok), 409, 'invalid_transition');

  // A withdrawn request frees the order for a new one.
  const again = await submit(a.c.tok, a.orderId);
  assert.equal(again.status, 201, again.text);
});

// -------------------------------------------------------------- concurrency

test('20 parallel claims of one submitted request: exactly one 200, 19 x 409', async () => {
  const { id } = await newRequest();
  const agents = Array.from({ length: 20 }, (_, i) => `rv-racer${i}-${RUN}`);
  const all = await Promise.all(agents.map((s) => act(id, 'claim', token(s, 'support'))));
  const ok = all.filter((r) => r.status === 200);
  assert.equal(ok.length, 1, all.map((r) => r.status).join(','));
  for (const r of all.filter((x) => x.status !== 200)) {
    assertProblem(assert, r, 409, 'already_claimed');
    assert.equal(r.json.state, 'in_review');
  }
  const final = await getRefund(id);
  assert.equal(final.assignee, ok[0].json.assignee);
  assert.ok(agents.includes(final.assignee));
  assert.equal((await auditOf(id)).filter((e) => e.action === 'refund.claim').length, 1);
});

async function approveRace(tokens) {
  const { id } = await inReview();
  const all = await Promise.all(tokens.map((t) => act(id, 'approve', t, { note: 'race' })));
  const ok = all.filter((r) => r.status === 200);
  assert.equal(ok.length, 1, all.map((r) => `${r.status}:${r.json?.code}`).join(','));
  assert.equal(ok[0].json.status, 'approved');
  for (const r of all.filter((x) => x.status !== 200)) {
    assertProblem(assert, r, 409, 'invalid_transition');
    assert.equal(r.json.state, 'approved');
  }
  const events = (await auditOf(id)).filter((e) => e.action === 'refund.approve');
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(events[0].after.status, 'approved');
  assert.equal(events[0].before.status, 'in_review');
  const final = await getRefund(id);
  assert.equal(final.approved_amount, 100000);
  assert.equal(final.first_approver, events[0].actor);
}

test('20 parallel approvals by different supervisors: one approval, one refund.approve event', async () => {
  await approveRace(Array.from({ length: 20 }, (_, i) => token(`rv-boss${i}-${RUN}`, 'supervisor')));
});

test('20 parallel approvals by the same support agent: one approval, one refund.approve event', async () => {
  await approveRace(Array(20).fill(SUPPORT));
});

// -------------------------------------------------------------- the queue

const queue = (query, tok = SUPPORT) => api('GET', `/api/v1/queue?${query}`, { tok });

async function walkQueue(query, limit, tok = SUPPORT, maxPages = 500) {
  const seen = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const r = await queue(`${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, tok);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.items.length <= limit);
    seen.push(...r.json.items);
    if (r.json.next_cursor === null) return seen;
    assert.equal(r.json.items.length, limit);
    cursor = r.json.next_cursor;
  }
  throw new Error(`queue pagination never ended (${seen.length} items, ${new Set(seen.map((x) => x.id)).size} distinct)`);
}

const byDue = (a, b) => (Date.parse(a.due_at) - Date.parse(b.due_at)) || (a.id - b.id);

test('queue: open requests by due_at, with filters, keyset pages and overdue', async () => {
  const provider = `${PROVIDER}_q`;
  const P = { provider };
  const submitted = await newRequest(P);
  const mine = await inReview(P);
  const info = await inReview(P);
  await expectMove(act(info.id, 'request-info', SUPPORT, { message: '?' }), 'needs_info');
  const theirs = await newRequest(P);
  await expectMove(act(theirs.id, 'claim', SUPPORT2), 'in_review');
  const second = await inReview({ ...P, amount_paid: 1000000, quantity: 1000000 });
  await expectMove(act(second.id, 'approve', SUPPORT, {}), 'awaiting_second_approval');
  const appeal = await inReview(P);
  await expectMove(act(appeal.id, 'reject', SUPPORT, { reason_code: 'other' }), 'rejected');
  await expectMove(act(appeal.id, 'appeal', appeal.c.tok, {}), 'appealed');
  const server = await newRequest({ ...P, ...cloudServer(1) });
  // Not in the queue: decided, closed or waiting for the customer.
  const approved = await inReview(P);
  await expectMove(act(approved.id, 'approve', SUPPORT, {}), 'approved');
  const rejected = await inReview(P);
  await expectMove(act(rejected.id, 'reject', SUPPORT, { reason_code: 'other' }), 'rejected');
  const waiting = await inReview(P);
  await expectMove(act(waiting.id, 'approve', SUPPORT, { amount: 10, note: 'n' }), 'awaiting_confirmation');
  const withdrawn = await newRequest(P);
  await expectMove(act(withdrawn.id, 'withdraw', withdrawn.c.tok), 'withdrawn');

  // Spread the due dates (whole seconds, as the application writes them)
  // and make one overdue, as a superuser may.
  const spread = [submitted, mine, theirs, second, appeal, server];
  spread.forEach((x, i) => psql(`UPDATE refund_requests SET due_at = date_trunc('second', now())
    + interval '${(spread.length - i) * 3600} seconds' WHERE id = ${x.id}`));
  psql(`UPDATE refund_requests SET due_at = date_trunc('second', now()) - interval '2 days' WHERE id = ${info.id}`);

  const open = [submitted, mine, info, theirs, second, appeal, server].map((x) => x.id);
  const all = await walkQueue(`provider=${provider}`, 100);
  assert.deepEqual(all.map((x) => x.id).sort((a, b) => a - b), [...open].sort((a, b) => a - b));
  assert.deepEqual(all.map((x) => x.id), [...all].sort(byDue).map((x) => x.id), 'ordered by due_at, id');
  assert.equal(all[0].id, info.id, 'the overdue one first');
  assert.deepEqual(all.map((x) => x.id), [info.id, server.id, appeal.id, second.id, theirs.id, mine.id, submitted.id]);
  assert.equal(all[0].overdue, true);
  assert.ok(all.slice(1).every((x) => x.overdue === false));
  assert.equal(all[0].quote, undefined, 'the queue leaves the quote out');

  // Keyset pages: every open request once, in the same order.
  for (const limit of [1, 2, 3]) {
    const paged = await walkQueue(`provider=${provider}`, limit);
    assert.deepEqual(paged.map((x) => x.id), all.map((x) => x.id), `limit ${limit}`);
  }

  const ids = async (q, tok) => (await walkQueue(`provider=${provider}&${q}`, 100, tok)).map((x) => x.id);
  assert.deepEqual(await ids('overdue=true'), [info.id]);
  // false is a filter too: the requests not yet due (regression: it was no filter).
  assert.deepEqual(await ids('overdue=false'), all.filter((x) => x.id !== info.id).map((x) => x.id));
  assert.deepEqual(await ids('status=submitted'), [server.id, submitted.id]);
  assert.deepEqual(await ids('status=in_review'), [theirs.id, mine.id]);
  assert.deepEqual(await ids('status=needs_info'), [info.id]);
  assert.deepEqual(await ids('status=awaiting_second_approval'), [second.id]);
  assert.deepEqual(await ids('status=appealed'), [appeal.id]);
  assert.deepEqual(await ids('product_type=cloud_server'), [server.id]);
  assert.deepEqual(await ids('product_type=api_credits&status=submitted'), [submitted.id]);
  assert.deepEqual(await ids('assignee=none'), [server.id, submitted.id]);
  assert.deepEqual(await ids('assignee=me'), [info.id, appeal.id, second.id, mine.id]);
  assert.deepEqual(await ids('assignee=me', SUPPORT2), [theirs.id]);
  assert.deepEqual(await ids('assignee=me', SUP1), []);
  assert.deepEqual(await ids('assignee=me&status=in_review'), [mine.id]);
  assert.deepEqual(await ids('product_type=saas_app'), []);
  // Without the provider filter this run's requests are still there, in order.
  const whole = await queue('overdue=true&limit=100');
  assert.equal(whole.status, 200);
  assert.ok(whole.json.items.every((x) => x.overdue === true));

  // The detail shows overdue too.
  assert.equal((await getRefund(info.id)).overdue, true);
  assert.equal((await getRefund(mine.id)).overdue, false);
});

test('queue: bad filters -> 400 invalid_filter; bad pages -> 400; only support and supervisor', async () => {
  for (const q of ['status=approved', 'status=paid', 'status=bogus', 'status=', 'assignee=bob',
    'assignee=ME', 'overdue=yes', 'overdue=1', 'provider=Aliyun', 'provider=a-b',
    'product_type=API', `product_type=${'x'.repeat(40)}`]) {
    const r = await queue(q);
    assertProblem(assert, r, 400, 'invalid_filter');
    assert.equal(typeof r.json.field, 'string', q);
  }
  for (const q of ['cursor=abc', 'cursor=123', 'cursor=:5', 'cursor=5:', 'cursor=1:2:3', 'cursor=-1:5']) {
    assertProblem(assert, await queue(q), 400, 'invalid_cursor');
  }
  assertProblem(assert, await queue('limit=0'), 400, 'invalid_limit');
  assertProblem(assert, await queue('limit=101'), 400, 'invalid_limit');
  assert.equal((await queue('limit=100')).status, 200);
  assert.equal((await queue('', SUP1)).status, 200);
  for (const tok of [customer().tok, FINANCE, ADMIN, SYSTEM]) assertProblem(assert, await queue('', tok), 403, 'forbidden');
});

// The cursor carries due_at in microseconds (regression: whole seconds,
// rounded, made a due_at with a fraction of a second come back on every
// page, for ever).
test('queue: keyset pages stay exact when due_at has a fraction of a second', async () => {
  const provider = `${PROVIDER}_frac`;
  const reqs = [];
  for (let i = 0; i < 4; i++) reqs.push(await newRequest({ provider }));
  psql(`UPDATE refund_requests SET due_at = '2026-01-01 00:00:00.3+00' WHERE id IN (${reqs[0].id}, ${reqs[1].id})`);
  psql(`UPDATE refund_requests SET due_at = '2026-01-01 00:00:05.7+00' WHERE id IN (${reqs[2].id}, ${reqs[3].id})`);
  try {
    const paged = await walkQueue(`provider=${provider}`, 1, SUPPORT, 10);
    assert.deepEqual(paged.map((x) => x.id), reqs.map((x) => x.id));
  } finally {
    // Out of the shared queue again, so nobody else's walk meets these rows.
    for (const x of reqs) await expectMove(act(x.id, 'withdraw', x.c.tok), 'withdrawn');
  }
});

// Regression: a cursor past the timestamp range answered 422
// validation_failed from the database instead of 400.
test('queue: a cursor past the timestamp range -> 400 invalid_cursor; at its end, an empty page', async () => {
  for (const c of ['253402300800000000:1', '9999999999999999999:1', '99999999999999999999999:1', '1:9999999999999999999']) {
    assertProblem(assert, await queue(`cursor=${c}`), 400, 'invalid_cursor');
  }
  const end = await queue('cursor=253402300799999999:999999999999999999');
  assert.equal(end.status, 200, end.text);
  assert.deepEqual(end.json, { items: [], next_cursor: null });
  const start = await queue('cursor=0:0&limit=1');
  assert.equal(start.status, 200, start.text);
  assert.equal(start.json.items.length, 1);
});

// A statement as refundd prepares it, read from the C source so that the
// tests follow any change to it: the string literals of `name = { "...",
// ... };`, with the #define macros of the file (object-like, and
// function-like ones whose arguments are string literals) expanded.
function cStatement(src, name) {
  const defs = {};
  for (const m of src.replace(/\\\n/g, ' ').matchAll(/^#define (\w+)(?:\(([^)]*)\))?(.*)$/gm))
    defs[m[1]] = { params: m[2] ? m[2].split(',').map((x) => x.trim()) : null, body: m[3] };
  const expand = (text, bound = {}) => [...text.matchAll(/"(?:[^"\\]|\\.)*"|(\w+)\s*\(([^()]*)\)|\w+/g)]
    .map((t) => {
      if (t[0].startsWith('"')) return t[0].slice(1, -1).replace(/\\(.)/g, '$1');
      if (t[0] in bound) return bound[t[0]];
      const d = defs[t[1] ?? t[0]];
      if (!d) return '';
      if (!d.params) return expand(d.body);
      const args = [...t[2].matchAll(/"(?:[^"\\]|\\.)*"/g)].map((a) => expand(a[0]));
      return expand(d.body, Object.fromEntries(d.params.map((p, i) => [p, args[i]])));
    }).join('');
  const m = new RegExp(`${name}\\s*=\\s*\\{\\s*"[^"]*",([\\s\\S]*?)\\};`).exec(src);
  return m ? expand(m[1]) : null;
}

// The queue's SQL as refundd prepares it (all three statements); the plain
// form of DESIGN.md as a fallback.
function queueSql() {
  const plain = "SELECT * FROM refund_requests r WHERE r.status IN ('submitted', 'in_review'," +
    " 'needs_info', 'awaiting_second_approval', 'appealed') ORDER BY r.due_at, r.id LIMIT 21";
  try {
    const src = readFileSync(new URL('../../fcgi/handlers_refunds.c', import.meta.url), 'utf8');
    return { plain, app: cStatement(src, 'q_queue'), first: cStatement(src, 'q_queue_first'),
             next: cStatement(src, 'q_queue_next') };
  } catch {
    return { plain, app: null };
  }
}

test('queue: on 100 000 requests the query uses the index refund_requests_queue', { timeout: 60000 }, () => {
  const { plain, app, first, next } = queueSql();
  assert.ok(app && app.includes('ORDER BY r.due_at, r.id'), 'found the queue statement in handlers_refunds.c');
  assert.ok(first && first.includes('LIMIT $1::int + 1'), 'found the first-page statement');
  assert.ok(next && next.includes('> (timestamptz \'epoch\' + $1::bigint'), 'found the next-page statement');
  const acct = `rv-bulk-${RUN}`;
  const marker = '@@plan@@';
  // One transaction that is rolled back: 20 001 orders, 100 000 requests
  // (a fifth of them open, one per order), fresh statistics, the plans.
  const sql = `
BEGIN;
INSERT INTO orders (id, account, provider, product_type, product_name, billing_mode, status,
    amount_paid, currency, payment_method, paid_at, quantity, bonus_quantity, used_quantity,
    in_use, promo, third_party_cost)
SELECT 'RVB-${RUN}-' || g, '${acct}', 'bulk', 'api_credits', 'bulk', 'one_time', 'paid', 1000, 'CNY',
    'alipay', now() - interval '1 day', 10, 0, 0, false, false, 0 FROM generate_series(0, 20000) g;
INSERT INTO refund_requests (order_id, account, product_type, provider, status, reason_code,
    payout_method, quote, quoted_amount, currency, policy_version, due_at)
SELECT 'RVB-${RUN}-' || (g / 5), '${acct}', 'api_credits', 'bulk',
    CASE WHEN g % 5 = 0 THEN (ARRAY['submitted', 'in_review', 'needs_info',
        'awaiting_second_approval', 'appealed'])[1 + (g / 5) % 5]
         ELSE (ARRAY['rejected', 'withdrawn', 'paid'])[1 + g % 3] END,
    'other', 'balance', '{}', 1000, 'CNY', 1,
    date_trunc('second', now()) + ((g * 7919) % 100000) * interval '1 minute'
FROM generate_series(1, 100000) g;
ANALYZE orders;
ANALYZE refund_requests;
SELECT count(*) FROM refund_requests WHERE account = '${acct}';
SELECT '${marker}plain';
EXPLAIN ${plain};
PREPARE rv_queue AS ${app};
SET plan_cache_mode = force_custom_plan;
SELECT '${marker}custom';
EXPLAIN EXECUTE rv_queue(NULL, NULL, NULL, NULL, false, NULL, NULL, 20);
SELECT '${marker}custom-filtered';
EXPLAIN EXECUTE rv_queue('in_review', 'bulk', 'api_credits', NULL, false, extract(epoch FROM now())::bigint, 5, 20);
-- What refundd's connections do: the default plan cache mode, after more
-- executions than it takes PostgreSQL to consider a generic plan.
SET plan_cache_mode = auto;
${'EXECUTE rv_queue(NULL, NULL, NULL, NULL, false, NULL, NULL, 20) \\g /dev/null\n'.repeat(8)}
SELECT '${marker}auto';
EXPLAIN EXECUTE rv_queue(NULL, NULL, NULL, NULL, false, NULL, NULL, 20);
PREPARE rv_first AS ${first};
PREPARE rv_next AS ${next};
${'EXECUTE rv_first(20) \\g /dev/null\n'.repeat(8)}
SELECT '${marker}first';
EXPLAIN EXECUTE rv_first(20);
${'EXECUTE rv_next(extract(epoch FROM now())::bigint * 1000000, 5, 20) \\g /dev/null\n'.repeat(8)}
SELECT '${marker}next';
EXPLAIN EXECUTE rv_next(extract(epoch FROM now())::bigint * 1000000, 5, 20);
-- What refundd runs them with (app.c app_list_generic).
SET plan_cache_mode = force_generic_plan;
SELECT '${marker}first-generic';
EXPLAIN EXECUTE rv_first(20);
SELECT '${marker}next-generic';
EXPLAIN EXECUTE rv_next(extract(epoch FROM now())::bigint * 1000000, 5, 20);
ROLLBACK;
SELECT count(*) FROM refund_requests WHERE account = '${acct}';
`;
  const out = psql(null, { input: sql });
  const sections = out.split(marker);
  assert.equal(sections.length, 9, out);
  assert.match(sections[0], /^100000$/m, 'the rows were there while planning');
  for (const s of sections.slice(1)) {
    const name = s.split('\n')[0];
    assert.match(s, /Scan using refund_requests_queue on refund_requests|Bitmap Index Scan on refund_requests_queue/,
      `${name} plan:\n${s}`);
    assert.doesNotMatch(s, /Seq Scan/, `${name} plan:\n${s}`);
    // Without filters the index gives the order itself: the first page
    // reads 21 entries, never the whole queue to sort it.
    if (name !== 'custom-filtered') {
      assert.match(s, /Index (Only )?Scan using refund_requests_queue on refund_requests/, `${name} plan:\n${s}`);
      assert.doesNotMatch(s, /Sort\b/, `${name} plan:\n${s}`);
    }
  }
  assert.match(out.trim().split('\n').at(-1), /^0$/, 'rolled back: nothing left behind');
});

// -------------------------------------------------------------- seed 000

test('seed 000 case 1: API credits bought by mistake 10 days ago, unused: all back to Alipay', async () => {
  const c = customer('seed');
  const orderId = await createOrder(c.sub, { product_name: 'API 调用资源包 100 万次', amount_paid: 1000000,
    payment_method: 'alipay', payment_ref: `ALI-${RUN}`, quantity: 1000000, used_quantity: 0 });
  const q = (await api('GET', `/api/v1/orders/${orderId}/quote`, { tok: c.tok })).json;
  assert.equal(q.eligible, true);
  assert.equal(q.decision, 'full');
  assert.equal(q.rule, 'window_full');
  assert.equal(q.amount, 1000000);
  assert.equal(q.amount_text, '10000.00');
  assert.equal(q.payout_default, 'original_route');

  const s = await submit(c.tok, orderId, { reason_code: 'bought_by_mistake', expected_amount: q.amount });
  assert.equal(s.status, 201, s.text);
  const id = s.json.id;
  await expectMove(act(id, 'claim', SUPPORT), 'in_review');
  // 10,000.00 is above api_credits' second_approval_over (5,000.00).
  await expectMove(act(id, 'approve', SUPPORT, { note: '30 天内无理由全额退款' }), 'awaiting_second_approval');
  await expectMove(act(id, 'approve', SUP1, {}), 'approved');

  const seen = await getRefund(id, c.tok);
  assert.equal(seen.status, 'approved');
  assert.equal(seen.approved_amount, 1000000);
  assert.equal(seen.approved_method, 'original_route');
  assert.equal(seen.first_approver, SUPPORT_SUB);
  assert.equal(seen.second_approver, SUP1_SUB);
  assert.deepEqual(seen.timeline.map((e) => [e.action, e.role, e.to]), [
    ['refund.submit', 'customer', 'submitted'],
    ['refund.claim', 'support', 'in_review'],
    ['refund.approve', 'support', 'awaiting_second_approval'],
    ['refund.approve', 'supervisor', 'approved'],
  ]);
  const mine = await api('GET', '/api/v1/refunds', { tok: c.tok });
  assert.deepEqual(mine.json.items.map((x) => [x.id, x.status]), [[id, 'approved']]);
});

test('seed 000 case 2: 45 days later, 37.5 % used: the unused part, 312.50, to the balance', async () => {
  const c = customer('seed');
  const orderId = await createOrder(c.sub, { product_name: 'API 调用资源包 10 万次', amount_paid: 50000,
    payment_method: 'card', payment_ref: `CARD-${RUN}`, paid_at: iso(nowS() - 45 * DAY),
    quantity: 100000, used_quantity: 37500 });
  const q = (await api('GET', `/api/v1/orders/${orderId}/quote`, { tok: c.tok })).json;
  assert.equal(q.eligible, true);
  assert.equal(q.rule, 'prorata_usage');
  assert.equal(q.decision, 'partial');
  assert.equal(q.amount, 31250);
  assert.equal(q.amount_text, '312.50');
  assert.deepEqual(q.payout_methods, ['balance']);
  assert.ok(q.reasons.includes('window_closed'));

  const s = await submit(c.tok, orderId, { payout_method: 'balance', expected_amount: 31250 });
  assert.equal(s.status, 201, s.text);
  const id = s.json.id;
  await expectMove(act(id, 'claim', SUPPORT), 'in_review');
  // Below every threshold: one support approval at the quote settles it.
  await expectMove(act(id, 'approve', SUPPORT, {}), 'approved');

  const seen = await getRefund(id, c.tok);
  assert.equal(seen.approved_amount, 31250);
  assert.equal(seen.approved_method, 'balance');
  assert.equal(seen.quote.amount_text, '312.50');
  assert.deepEqual(seen.timeline.map((e) => [e.action, e.from, e.to]), [
    ['refund.submit', null, 'submitted'],
    ['refund.claim', 'submitted', 'in_review'],
    ['refund.approve', 'in_review', 'approved'],
  ]);
});
