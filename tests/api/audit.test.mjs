// audit.test.mjs -- the audit trail (GET /api/v1/audit, who may read it,
// what an event records, its hash chain recomputed here independently),
// GET /api/v1/audit/verify before and after a superuser tampers with a row
// (restored afterwards, so the chain is valid again for later tests and
// runs), the database's refusal to change or remove audit rows, and the
// customer's notifications (GET /api/v1/notifications).
// Orders and accounts are this run's own, so the file can run twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { api, assertProblem, token, uid, DAY, nowS, iso, psql } from './lib.mjs';

const RUN = uid();
const SYSTEM = token(`billing-${RUN}`, 'system');
const SUPPORT_SUB = `au-agent-${RUN}`;
const SUPPORT = token(SUPPORT_SUB, 'support');
const SUPERVISOR = token(`au-lead-${RUN}`, 'supervisor');
const ADMIN = token(`au-admin-${RUN}`, 'admin');
const FINANCE = token(`au-fin-${RUN}`, 'finance');


// Runs SQL that must fail; returns the error text.
function psqlFails(sql) {
  try {
    psql(sql);
  } catch (e) {
    return String(e.stderr || e.message);
  }
  assert.fail(`should have been refused: ${sql}`);
}

let seq = 0;
function customer(tag = 'c') {
  const sub = `au-${tag}-${RUN}-${++seq}`;
  return { sub, tok: token(sub, 'customer') };
}

async function createOrder(account, overrides = {}) {
  const id = `AU-${RUN}-${++seq}`;
  const body = {
    account, provider: 'aliyun', product_type: 'api_credits', product_name: 'API 调用资源包',
    billing_mode: 'one_time', status: 'paid', amount_paid: 100000, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - 10 * DAY), quantity: 100000, used_quantity: 0,
    ...overrides,
  };
  const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body });
  assert.equal(r.status, 201, r.text);
  return id;
}

async function newRequest(c = customer()) {
  const orderId = await createOrder(c.sub);
  const r = await api('POST', '/api/v1/refunds', { tok: c.tok, headers: { 'Idempotency-Key': randomUUID() },
    body: { order_id: orderId, reason_code: 'changed_mind', payout_method: 'original_route', expected_amount: 100000 } });
  assert.equal(r.status, 201, r.text);
  return { c, orderId, id: r.json.id };
}

async function act(id, action, tok, body, headers = {}) {
  const r = await api('POST', `/api/v1/refunds/${id}/${action}`, { tok, body, headers });
  assert.ok(r.status === 200 || r.status === 201, `${action}: ${r.status} ${r.text}`);
  return r.json;
}

async function auditPage(query, tok = ADMIN) {
  const r = await api('GET', `/api/v1/audit?${query}`, { tok });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function auditWalk(query, limit = 100) {
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 1000; i++) {
    const page = await auditPage(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...page.items);
    if (page.next_cursor === null) return seen;
    assert.equal(page.items.length, limit);
    cursor = page.next_cursor;
  }
  throw new Error('audit pagination never ended');
}

const verify = async (tok = ADMIN) => {
  const r = await api('GET', '/api/v1/audit/verify', { tok });
  assert.equal(r.status, 200, r.text);
  return r.json;
};

// ---------------------------------------------------- the chain, recomputed

// jsonb's text form, which is what the database hashes: keys ordered by
// length, then bytes; ", " and ": " between items; strings JSON-escaped
// with non-ASCII characters as they are.
function jsonbText(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) =>
      (Buffer.byteLength(a) - Buffer.byteLength(b)) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText(v[k])}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

// "2026-11-25T14:43:48.7922+00:00" -> "2026-11-25T14:43:48.792200Z" (UTC, microseconds).
function utcMicros(ts) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  assert.ok(m, `timestamp ${ts}`);
  const whole = new Date(Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3]}`)).toISOString().slice(0, 19);
  return `${whole}.${(m[2] || '').padEnd(6, '0')}Z`;
}

// hash = sha256(prev_hash || canonical row), as sql/003 audit_canonical.
function expectedHash(e) {
  const canonical = [String(e.id), utcMicros(e.at), e.actor, e.role, e.action, e.entity, e.entity_id,
    e.before === null ? 'null' : jsonbText(e.before), e.after === null ? 'null' : jsonbText(e.after),
    e.request_id, e.client_addr].join('\x1f');
  return createHash('sha256').update(Buffer.concat([Buffer.from(e.prev_hash, 'hex'), Buffer.from(canonical, 'utf8')]))
    .digest('hex');
}

// ------------------------------------------------------------------ reading

test('audit: admin and supervisor read it; support, finance, customer and system get 403', async () => {
  for (const tok of [ADMIN, SUPERVISOR]) {
    assert.equal((await api('GET', '/api/v1/audit?limit=1', { tok })).status, 200);
    assert.equal((await api('GET', '/api/v1/audit/verify', { tok })).status, 200);
  }
  for (const tok of [SUPPORT, FINANCE, customer().tok, SYSTEM]) {
    assertProblem(assert, await api('GET', '/api/v1/audit', { tok }), 403, 'forbidden');
    assertProblem(assert, await api('GET', '/api/v1/audit/verify', { tok }), 403, 'forbidden');
  }
  assertProblem(assert, await api('GET', '/api/v1/audit'), 401, 'invalid_token');
});

test('audit: a refund\'s events, who, what, before and after, request id, in order', async () => {
  const { c, id, orderId } = await newRequest();
  const rid = `au-${RUN}-claim`;
  await act(id, 'claim', SUPPORT, undefined, { 'X-Request-Id': rid });
  await act(id, 'request-info', SUPPORT, { message: '请说明原因' });
  await act(id, 'messages', c.tok, { body: '买错了' });
  await act(id, 'approve', SUPPORT, { note: 'ok' });

  const events = (await auditPage(`entity=refund&id=${id}&limit=100`)).items;
  assert.deepEqual(events.map((e) => [e.action, e.role, e.before?.status ?? null, e.after.status]), [
    ['refund.submit', 'customer', null, 'submitted'],
    ['refund.claim', 'support', 'submitted', 'in_review'],
    ['refund.request_info', 'support', 'in_review', 'needs_info'],
    ['refund.customer_reply', 'customer', 'needs_info', 'in_review'],
    ['refund.approve', 'support', 'in_review', 'approved'],
  ]);
  const ids = events.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in id order');
  for (const e of events) {
    assert.equal(e.entity, 'refund');
    assert.equal(e.entity_id, String(id));
    assert.match(e.hash, /^[0-9a-f]{64}$/);
    assert.match(e.prev_hash, /^[0-9a-f]{64}$/);
    assert.ok(e.client_addr, 'client address recorded');
    assert.ok(e.request_id, 'request id recorded');
    assert.equal(e.after.id, id);
  }
  assert.equal(events[0].actor, c.sub);
  assert.equal(events[1].actor, SUPPORT_SUB);
  assert.equal(events[1].request_id, rid, 'the X-Request-Id of the call');
  assert.equal(events[1].after.assignee, SUPPORT_SUB);
  assert.equal(events[4].after.approved_amount, 100000);
  assert.equal(events[4].before.approved_amount, null);
  const distinctRequests = new Set(events.map((e) => e.request_id));
  assert.equal(distinctRequests.size, events.length, 'one request id per call');

  // The same, one event per page.
  const paged = await auditWalk(`entity=refund&id=${id}`, 1);
  assert.deepEqual(paged.map((e) => e.id), ids);

  // The order's own events are filed under the order.
  const orderEvents = (await auditPage(`entity=order&id=${orderId}`)).items;
  assert.deepEqual(orderEvents.map((e) => e.action), ['order.create']);
  assert.equal(orderEvents[0].role, 'system');
  assert.equal(orderEvents[0].after.id, orderId);

  assert.deepEqual((await auditPage(`entity=refund&id=999999999999`)).items, []);
  for (const q of ['entity=Refund', 'entity=a-b', 'id=a%20b', `id=${'9'.repeat(81)}`]) {
    assertProblem(assert, await api('GET', `/api/v1/audit?${q}`, { tok: ADMIN }), 400, 'invalid_filter');
  }
  assertProblem(assert, await api('GET', '/api/v1/audit?cursor=x', { tok: ADMIN }), 400, 'invalid_cursor');
  assertProblem(assert, await api('GET', '/api/v1/audit?limit=1000', { tok: ADMIN }), 400, 'invalid_limit');
});

test('audit: every row links to the one before and its hash can be recomputed', async () => {
  const start = await newRequest();
  // A burst of concurrent writers: the chain must still be one line.
  const others = await Promise.all(Array.from({ length: 8 }, () => newRequest()));
  await Promise.all(others.map((x) => act(x.id, 'claim', token(`au-racer-${x.id}`, 'support'))));
  await act(start.id, 'claim', SUPPORT);

  const first = (await auditPage(`entity=refund&id=${start.id}`)).items[0];
  const rows = await auditWalk(`cursor=${first.id - 1}`, 50);
  assert.ok(rows.length >= 1 + 8 * 3 + 1, `${rows.length} rows`);
  assert.equal(rows[0].id, first.id);
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) {
      assert.ok(rows[i].id > rows[i - 1].id);
      assert.equal(rows[i].prev_hash, rows[i - 1].hash, `row ${rows[i].id} links to row ${rows[i - 1].id}`);
    }
    assert.equal(rows[i].hash, expectedHash(rows[i]), `hash of row ${rows[i].id} (${rows[i].action})`);
  }
});

// ------------------------------------------------------------------ verify

test('verify: ok; a superuser\'s edit is found at its row; restored, ok again', async () => {
  const before = await verify();
  assert.deepEqual(Object.keys(before).sort(), ['checked', 'first_bad_id', 'ok']);
  assert.equal(before.ok, true, JSON.stringify(before));
  assert.equal(before.first_bad_id, null);
  assert.equal(before.checked, Number(psql('SELECT count(*) FROM audit_events')));
  assert.deepEqual(await verify(SUPERVISOR), before);

  const { id } = await newRequest();
  await act(id, 'claim', SUPPORT);
  const target = (await auditPage(`entity=refund&id=${id}`)).items[0];   // refund.submit
  const original = psql(`SELECT actor FROM audit_events WHERE id = ${target.id}`);
  assert.equal(original, target.actor);
  const setActor = (value) => psql(`BEGIN;
    ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change;
    UPDATE audit_events SET actor = '${value.replace(/'/g, "''")}' WHERE id = ${target.id};
    ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change;
    COMMIT;`);

  setActor(`${original}-forged`);
  try {
    const bad = await verify();
    assert.equal(bad.ok, false);
    assert.equal(bad.first_bad_id, target.id);
    assert.equal(bad.checked, Number(psql(`SELECT count(*) FROM audit_events WHERE id <= ${target.id}`)),
      'stops at the first bad row');
    const listed = (await auditPage(`entity=refund&id=${id}`)).items[0];
    assert.equal(listed.actor, `${original}-forged`, 'the list shows what is stored');
    assert.notEqual(expectedHash(listed), listed.hash, 'and the stored hash no longer fits it');
  } finally {
    setActor(original);
  }
  const after = await verify();
  assert.equal(after.ok, true, JSON.stringify(after));
  assert.equal(after.first_bad_id, null);
  assert.ok(after.checked >= before.checked + 2);
  assert.equal(psql(`SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass
    AND tgname = 'audit_events_no_change' AND tgenabled = 'O'`), '1', 'the guard is enabled again');
});

test('verify: a removed row is found at the row after it (checked in a rolled-back transaction)', async () => {
  const { id, c } = await newRequest();
  await act(id, 'claim', SUPPORT);
  await act(id, 'withdraw', c.tok);
  const events = (await auditPage(`entity=refund&id=${id}`)).items;
  const [gone, next] = [events[1], events[2]];
  const out = psql(null, { input: `
BEGIN;
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change;
DELETE FROM audit_events WHERE id = ${gone.id};
SELECT ok, first_bad_id FROM audit_verify();
ROLLBACK;
SELECT ok, first_bad_id FROM audit_verify();
` });
  const lines = out.split('\n').filter((l) => l.includes('|'));
  const nextId = Number(psql(`SELECT min(id) FROM audit_events WHERE id > ${gone.id}`));
  assert.ok(nextId <= next.id);
  assert.deepEqual(lines, [`f|${nextId}`, 't|']);
  assert.equal((await verify()).ok, true);
});

test('the trail is append-only: triggers refuse even a superuser; the app role has no UPDATE or DELETE', async () => {
  const { id } = await newRequest();
  const row = (await auditPage(`entity=refund&id=${id}`)).items[0];
  assert.match(psqlFails(`UPDATE audit_events SET actor = 'x' WHERE id = ${row.id}`), /append-only/);
  assert.match(psqlFails(`DELETE FROM audit_events WHERE id = ${row.id}`), /append-only/);
  assert.match(psqlFails('TRUNCATE audit_events'), /append-only/);
  assert.equal(psql(`SELECT actor FROM audit_events WHERE id = ${row.id}`), row.actor);

  const priv = (table, p) => psql(`SELECT has_table_privilege('refundd_app', '${table}', '${p}')`);
  assert.equal(priv('audit_events', 'UPDATE'), 'f');
  assert.equal(priv('audit_events', 'DELETE'), 'f');
  assert.equal(priv('audit_events', 'TRUNCATE'), 'f');
  assert.equal(priv('audit_events', 'INSERT'), 't');
  assert.equal(priv('audit_events', 'SELECT'), 't');
  assert.equal(priv('refund_requests', 'DELETE'), 'f');
  assert.equal(priv('refund_messages', 'UPDATE'), 'f');
  assert.equal(priv('refund_messages', 'DELETE'), 'f');
  // Only the owner can switch the guard off: it must not be the app.
  assert.equal(psql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'audit_events'::regclass") !== 'refundd_app', true);
  assert.equal(psql("SELECT pg_has_role('refundd_app', 'refundd_owner', 'MEMBER')"), 'f');
  assert.equal(psql("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'refundd_app'"), 'f');
  assert.equal((await verify()).ok, true);
});

// ------------------------------------------------------------ notifications

test('notifications: a row for each customer-visible transition, only the customer\'s own', async () => {
  const c = customer('notify');
  const { id, orderId } = await newRequest(c);
  await act(id, 'claim', SUPPORT);
  await act(id, 'request-info', SUPPORT, { message: '请上传截图' });
  await act(id, 'messages', c.tok, { body: '好的' });            // the reply: no notification
  await act(id, 'messages', SUPPORT, { body: '收到' });
  await act(id, 'approve', SUPPORT, { amount: 90000 });
  await act(id, 'confirm', c.tok);

  const r = await api('GET', '/api/v1/notifications?limit=100', { tok: c.tok });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.next_cursor, null);
  const items = r.json.items;
  assert.deepEqual(items.map((n) => n.kind), ['refund.approved', 'refund.decided', 'refund.message',
    'refund.needs_info', 'refund.in_review', 'refund.submitted'], 'newest first');
  assert.ok(items.every((n) => n.refund_id === id));
  const ids = items.map((n) => n.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  const byKind = Object.fromEntries(items.map((n) => [n.kind, n]));
  assert.deepEqual(byKind['refund.decided'].payload, { order_id: orderId, status: 'awaiting_confirmation' });
  assert.deepEqual(byKind['refund.approved'].payload, { order_id: orderId, status: 'approved' });
  assert.deepEqual(byKind['refund.in_review'].payload, { order_id: orderId, status: 'in_review' });
  assert.deepEqual(byKind['refund.needs_info'].payload, { order_id: orderId, status: 'needs_info' });
  for (const n of items) assert.ok(!Number.isNaN(Date.parse(n.created_at)));

  // One page at a time.
  let cursor = null;
  const walked = [];
  for (let i = 0; i < 10; i++) {
    const p = await api('GET', `/api/v1/notifications?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { tok: c.tok });
    assert.equal(p.status, 200, p.text);
    walked.push(...p.json.items.map((n) => n.id));
    if ((cursor = p.json.next_cursor) === null) break;
  }
  assert.deepEqual(walked, ids);

  // The email outbox has the same rows for the mailer, not yet sent.
  assert.equal(psql(`SELECT count(*) FROM notifications WHERE refund_id = ${id} AND channel = 'email' AND sent_at IS NULL`),
    String(items.length));
  assert.equal(psql(`SELECT count(DISTINCT account) || ':' || min(account) FROM notifications WHERE refund_id = ${id}`), `1:${c.sub}`);

  // Another customer sees none of it; staff have no notifications endpoint.
  const other = customer('notify');
  const theirs = await api('GET', '/api/v1/notifications', { tok: other.tok });
  assert.equal(theirs.status, 200);
  assert.deepEqual(theirs.json.items, []);
  for (const tok of [SUPPORT, ADMIN, SYSTEM]) {
    assertProblem(assert, await api('GET', '/api/v1/notifications', { tok }), 403, 'forbidden');
  }
  assertProblem(assert, await api('GET', '/api/v1/notifications?cursor=zz', { tok: c.tok }), 400, 'invalid_cursor');
});

test('notifications: rejection, appeal, withdrawal', async () => {
  const c = customer('notify');
  const a = await newRequest(c);
  await act(a.id, 'claim', SUPPORT);
  await act(a.id, 'reject', SUPPORT, { reason_code: 'policy_ineligible' });
  await act(a.id, 'appeal', c.tok, { message: '请复核' });
  const b = await newRequest(c);
  await act(b.id, 'withdraw', c.tok);
  const items = (await api('GET', '/api/v1/notifications?limit=100', { tok: c.tok })).json.items;
  assert.deepEqual(items.map((n) => [n.refund_id, n.kind]), [
    [b.id, 'refund.withdrawn'], [b.id, 'refund.submitted'],
    [a.id, 'refund.appealed'], [a.id, 'refund.rejected'], [a.id, 'refund.in_review'], [a.id, 'refund.submitted'],
  ]);
  assert.equal(items[2].payload.status, 'appealed');
  assert.equal(items[3].payload.status, 'rejected');
});
