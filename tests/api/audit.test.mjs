// audit.test.mjs -- the audit trail (GET /api/v1/audit, who may read it,
// what an event records, its hash chain recomputed here independently, the
// sealer linking events within a second of commit), GET /api/v1/audit/verify
// before and after a superuser tampers with the trail (a row changed,
// deleted or inserted behind refundd's back, a chain tail dropped, a
// checkpoint's signature forged; each restored or rolled back, so the chain
// is valid again for later tests and runs), the signed checkpoints checked
// here with the run's public key, the database's refusal to change or remove
// audit rows, and the customer's notifications (GET /api/v1/notifications).
// Orders and accounts are this run's own, so the file can run twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign as signSig,
  verify as verifySig } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { api, assertProblem, token, uid, DAY, nowS, iso, psql, sleep, RUNDIR } from './lib.mjs';

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

// The same, once the sealer has linked every event on the page (it runs
// every 200 ms here). How soon it seals is sealer.test.mjs's question,
// answered from the database's own clock; this only waits, with a bound
// generous enough for a loaded machine.
async function sealedPage(query, tok = ADMIN) {
  const started = Date.now();
  for (;;) {
    const page = await auditPage(query, tok);
    if (page.items.every((e) => e.hash !== null)) return page;
    assert.ok(Date.now() - started < 15000, `events still unsealed after 15 s: ${JSON.stringify(page.items.map((e) => e.id))}`);
    await sleep(50);
  }
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

  const events = (await sealedPage(`entity=refund&id=${id}&limit=100`)).items;
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
    assert.ok(Number.isInteger(e.position) && e.position > 0);
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
  // The quote and its frozen inputs are recorded once, by the submission;
  // a transition records the row without them (they never change after it).
  assert.equal(events[0].after.quote.amount, 100000);
  assert.equal(events[0].after.quote_inputs.order.amount_paid, 100000);
  for (const e of events.slice(1)) {
    for (const side of [e.before, e.after])
      assert.deepEqual(['quote', 'quote_inputs'].filter((k) => k in side), [], `${e.action}: ${Object.keys(side)}`);
  }
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

test('audit: the sealer links every committed event into one chain, by position, within a second', async () => {
  const start = await newRequest();
  // A burst of concurrent writers: they take no lock, and the chain must
  // still be one line with every event in it exactly once.
  const others = await Promise.all(Array.from({ length: 8 }, () => newRequest()));
  await Promise.all(others.map((x) => act(x.id, 'claim', token(`au-racer-${x.id}`, 'support'))));
  await act(start.id, 'claim', SUPPORT);

  const first = (await sealedPage(`entity=refund&id=${start.id}`)).items[0];
  const last = (await sealedPage(`entity=refund&id=${start.id}`)).items.at(-1);
  const ours = await auditWalk(`cursor=${first.id - 1}`, 50);
  assert.ok(ours.length >= 1 + 8 * 3 + 1, `${ours.length} rows`);
  const positions = new Set();
  for (const e of ours.filter((x) => x.id <= last.id)) {
    assert.ok(e.position !== null, `event ${e.id} sealed`);
    positions.add(e.position);
  }
  // The chain itself, in position order from the first of ours to the last.
  const lo = Math.min(...positions);
  const hi = Math.max(...positions);
  const chain = psql(`SELECT c.position, c.event_id, encode(c.prev_hash, 'hex'), encode(c.hash, 'hex')
    FROM audit_chain c WHERE c.position BETWEEN ${lo - 1} AND ${hi} ORDER BY c.position`)
    .split('\n').map((l) => l.split('|')).map(([pos, id, prev, hash]) => ({ pos: Number(pos), id: Number(id), prev, hash }));
  const byId = new Map(ours.map((e) => [e.id, e]));
  for (let i = 1; i < chain.length; i++) {
    assert.equal(chain[i].pos, chain[i - 1].pos + 1, 'positions have no gap');
    assert.equal(chain[i].prev, chain[i - 1].hash, `position ${chain[i].pos} links to ${chain[i - 1].pos}`);
    const e = byId.get(chain[i].id);
    if (e) {
      assert.equal(e.position, chain[i].pos);
      assert.equal(e.hash, expectedHash(e), `hash of event ${e.id} (${e.action})`);
      assert.equal(e.prev_hash, chain[i].prev);
    }
  }
  assert.equal(psql('SELECT count(*) = count(DISTINCT event_id) FROM audit_chain'), 't', 'no event twice');
});

test('audit: an event is sealed within a second of its commit', async () => {
  const { id } = await newRequest();
  // Measured in the database (event time to sealing time), not by this
  // client's polling, whose own delays on a busy machine say nothing.
  const page = await sealedPage(`entity=refund&id=${id}`);
  const lag = Number(psql(`SELECT extract(epoch FROM c.sealed_at - e.at) FROM audit_chain c
    JOIN audit_events e ON e.id = c.event_id WHERE e.id = ${page.items[0].id}`));
  assert.ok(lag >= 0 && lag < 1.5, `sealed ${lag} s after the event`);
});

// ------------------------------------------------------------------ verify

const VERIFY_KEYS = ['checked', 'checkpoints', 'failures', 'first_bad_id', 'first_bad_position',
  'first_unsealed_id', 'ok', 'unsealed'];

// Runs tamper SQL and audit_verify() in one transaction that is rolled
// back, so the trail is never really broken: returns audit_verify's row.
function verifyRolledBack(tamper) {
  const out = psql(null, { input: `
BEGIN;
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change;
ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_change;
${tamper}
SELECT 'row', ok, checked, first_bad_position, first_bad_id, unsealed, first_unsealed_id, bad_checkpoint_id
  FROM audit_verify();
ROLLBACK;
` });
  const row = out.split('\n').find((l) => l.startsWith('row|'));
  assert.ok(row, out);
  const [, ok, checked, badPos, badId, unsealed, firstUnsealed, badCheckpoint] = row.split('|');
  const n = (v) => (v === '' ? null : Number(v));
  return { ok: ok === 't', checked: n(checked), badPos: n(badPos), badId: n(badId), unsealed: n(unsealed),
    firstUnsealed: n(firstUnsealed), badCheckpoint: n(badCheckpoint) };
}

async function sealedRequest() {
  const r = await newRequest();
  await act(r.id, 'claim', SUPPORT);
  await act(r.id, 'withdraw', r.c.tok);
  const events = (await sealedPage(`entity=refund&id=${r.id}`)).items;
  return { ...r, events };
}

test('verify: ok; a superuser\'s edit is found at its position; restored, ok again', async () => {
  const before = await verify();
  assert.deepEqual(Object.keys(before).sort(), VERIFY_KEYS);
  assert.equal(before.ok, true, JSON.stringify(before));
  assert.deepEqual(before.failures, []);
  assert.equal(before.first_bad_id, null);
  assert.equal(before.checked, Number(psql('SELECT count(*) FROM audit_chain')));
  // The same answer for a supervisor; the sealer may have signed another
  // checkpoint in between (every 3 s here), so those are compared apart.
  const { checkpoints: cpSup, ...restSup } = await verify(SUPERVISOR);
  const { checkpoints: cpBefore, ...restBefore } = before;
  assert.deepEqual(restSup, restBefore);
  assert.ok(cpSup.checked >= cpBefore.checked, JSON.stringify([cpSup, cpBefore]));

  const { events } = await sealedRequest();
  const target = events[0];   // refund.submit
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
    assert.deepEqual(bad.failures, ['chain_broken']);
    assert.equal(bad.first_bad_id, target.id);
    assert.equal(bad.first_bad_position, target.position);
    assert.equal(bad.checked, target.position, 'stops at the first bad position');
    const listed = (await auditPage(`entity=refund&id=${target.entity_id}`)).items[0];
    assert.equal(listed.actor, `${original}-forged`, 'the list shows what is stored');
    assert.notEqual(expectedHash(listed), listed.hash, 'and the stored hash no longer fits it');
  } finally {
    setActor(original);
  }
  const after = await verify();
  assert.equal(after.ok, true, JSON.stringify(after));
  assert.ok(after.checked >= before.checked + 3);
  assert.equal(psql(`SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass
    AND tgname = 'audit_events_no_change' AND tgenabled = 'O'`), '1', 'the guard is enabled again');
});

test('verify: a deleted event, a deleted chain link, an event inserted behind refundd\'s back, a forged link', async () => {
  const { events } = await sealedRequest();
  const [, gone, next] = events;
  assert.equal(verifyRolledBack('SELECT 1;').ok, true, 'the harness itself changes nothing');

  // The event row removed: its chain link points at nothing.
  let r = verifyRolledBack(`DELETE FROM audit_events WHERE id = ${gone.id};`);
  assert.deepEqual([r.ok, r.badPos, r.badId], [false, gone.position, gone.id]);

  // Its link removed instead: the next position no longer follows, and the
  // event (older than the grace period? not yet) is no longer in the chain.
  r = verifyRolledBack(`DELETE FROM audit_chain WHERE position = ${gone.position};`);
  assert.equal(r.ok, false);
  assert.equal(r.badPos, gone.position + 1);

  // Both removed, the later links renumbered: the hashes still break.
  r = verifyRolledBack(`DELETE FROM audit_chain WHERE position = ${gone.position};
    DELETE FROM audit_events WHERE id = ${gone.id};
    UPDATE audit_chain SET position = position - 1 WHERE position > ${gone.position};`);
  assert.deepEqual([r.ok, r.badPos], [false, gone.position]);
  assert.ok(next.position === gone.position + 1);

  // An event inserted behind refundd's back (backdated, so it looks old):
  // nobody sealed it, and verify says so.
  r = verifyRolledBack(`INSERT INTO audit_events (at, actor, actor_role, action, entity, entity_id)
    VALUES (now() - interval '1 hour', 'intruder', 'admin', 'refund.approve', 'refund', '1');`);
  assert.equal(r.ok, false);
  assert.equal(r.badPos, null, 'the chain itself is intact');
  assert.equal(r.unsealed, 1);
  assert.ok(r.firstUnsealed > 0);

  // The same event with a chain link forged at the end, hash made up.
  r = verifyRolledBack(`WITH e AS (INSERT INTO audit_events (at, actor, actor_role, action, entity, entity_id)
      VALUES (now() - interval '1 hour', 'intruder', 'admin', 'refund.approve', 'refund', '1') RETURNING id)
    INSERT INTO audit_chain (position, event_id, prev_hash, hash)
    SELECT (SELECT max(position) + 1 FROM audit_chain), e.id,
           (SELECT hash FROM audit_chain ORDER BY position DESC LIMIT 1), sha256('forged') FROM e;`);
  assert.equal(r.ok, false);
  assert.equal(r.badPos, Number(psql('SELECT max(position) + 1 FROM audit_chain')));
  assert.equal((await verify()).ok, true);
});

// Every event refundd writes goes into the sealer's queue in the same
// statement (fcgi/audit.c), and the sealer takes it out in the transaction
// that links it: a committed event in neither the chain nor the queue will
// never be sealed, whatever its time says. Dated in the future, "older than
// the grace period" would not have caught it until that date.
test('verify: an event in neither the chain nor the sealer\'s queue is found at once, even dated ahead', async () => {
  const insert = (at) => `INSERT INTO audit_events (at, actor, actor_role, action, entity, entity_id)
    VALUES (${at}, 'intruder', 'admin', 'refund.approve', 'refund', '1')`;

  let r = verifyRolledBack(`${insert("now() + interval '1 day'")};`);
  assert.deepEqual([r.ok, r.badPos, r.unsealed], [false, null, 1], JSON.stringify(r));
  assert.ok(r.firstUnsealed > 0);

  r = verifyRolledBack(`${insert('clock_timestamp()')};`);
  assert.deepEqual([r.ok, r.unsealed], [false, 1], JSON.stringify(r));

  // Written as refundd writes it (queued), not sealed yet and within the
  // grace: that is an event on its way, not a failure.
  r = verifyRolledBack(`WITH e AS (${insert('clock_timestamp()')} RETURNING id)
    INSERT INTO audit_unsealed SELECT id FROM e;`);
  assert.deepEqual([r.ok, r.unsealed], [true, 0], JSON.stringify(r));
});

// ------------------------------------------------------------- checkpoints

function publicKeyRaw() {
  const pem = readFileSync(`${RUNDIR}/audit-signing.pem`, 'utf8');
  const der = createPublicKey(createPrivateKey(pem)).export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

// The signed message, as DESIGN.md and sql/007 give it, checked here with
// node's own Ed25519, not refundd's code.
function checkSignature(k) {
  const msg = `refundd-audit-checkpoint/v1 ${k.position} ${k.head_hash} ${k.unix_time}`;
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(k.public_key, 'hex')]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return verifySig(null, Buffer.from(msg), key, Buffer.from(k.signature, 'hex'));
}

test('checkpoints: admin signs the head on demand; the signature verifies with the run\'s public key', async () => {
  // The sealer signs every 3 s too: when it has just signed this very head,
  // the answer is its checkpoint (200). Move the head and ask again.
  let r;
  for (let i = 0; i < 5; i++) {
    await sealedRequest();
    r = await api('POST', '/api/v1/audit/checkpoints', { tok: ADMIN });
    if (r.status !== 200) break;
    assert.equal(r.json.position, Number(psql('SELECT max(position) FROM audit_chain')), r.text);
  }
  assert.equal(r.status, 201, r.text);
  const k = r.json;
  assert.deepEqual(Object.keys(k).sort(), ['head_hash', 'id', 'position', 'public_key', 'requested_by',
    'signature', 'signed_at', 'unix_time']);
  assert.equal(k.requested_by, `au-admin-${RUN}`);
  assert.equal(k.public_key, publicKeyRaw().toString('hex'));
  assert.equal(checkSignature(k), true);
  assert.equal(checkSignature({ ...k, position: k.position - 1 }), false, 'the check can fail');
  assert.equal(psql(`SELECT encode(hash, 'hex') FROM audit_chain WHERE position = ${k.position}`), k.head_hash);
  assert.ok(k.position >= Number(psql('SELECT max(position) FROM audit_chain')) - 100);

  // Nothing new since: the same checkpoint again, 200.
  const again = await api('POST', '/api/v1/audit/checkpoints', { tok: ADMIN });
  if (again.status === 200) assert.equal(again.json.id, k.id);
  else assert.equal(again.status, 201, again.text);   // another test's write landed in between

  for (const tok of [SUPERVISOR, SUPPORT, FINANCE, SYSTEM, customer().tok]) {
    assertProblem(assert, await api('POST', '/api/v1/audit/checkpoints', { tok }), 403, 'forbidden');
  }
  const v = await verify();
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.ok(v.checkpoints.checked >= 1);
  assert.ok(v.checkpoints.last_position >= k.position);
});

test('checkpoints: the sealer signs one by itself when the head moves; the list pages and verifies', async () => {
  const lastId = Number(psql('SELECT coalesce(max(id), 0) FROM audit_checkpoints'));
  await sealedRequest();
  let mine = null;
  for (let i = 0; i < 100 && !mine; i++) {
    const page = await api('GET', `/api/v1/audit/checkpoints?cursor=${lastId}&limit=100`, { tok: SUPERVISOR });
    assert.equal(page.status, 200, page.text);
    mine = page.json.items.find((k) => k.requested_by === 'sealer');
    if (!mine) await sleep(100);
  }
  assert.ok(mine, 'a sealer checkpoint within 10 s (scripts/test sets audit.checkpoint_interval = 3)');
  assert.equal(checkSignature(mine), true);

  const all = [];
  let cursor = null;
  for (let i = 0; i < 10000; i++) {
    const p = await api('GET', `/api/v1/audit/checkpoints?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { tok: ADMIN });
    all.push(...p.json.items);
    if ((cursor = p.json.next_cursor) === null) break;
  }
  assert.equal(all.length, Number(psql('SELECT count(*) FROM audit_checkpoints')));
  assert.ok(all.every(checkSignature), 'every checkpoint verifies here too');
  for (const tok of [SUPPORT, FINANCE, customer().tok]) {
    assertProblem(assert, await api('GET', '/api/v1/audit/checkpoints', { tok }), 403, 'forbidden');
  }
  assertProblem(assert, await api('GET', '/api/v1/audit/checkpoints?cursor=x', { tok: ADMIN }), 400, 'invalid_cursor');
});

test('checkpoints: a dropped chain tail is found against the last checkpoint', async () => {
  const { events } = await sealedRequest();
  const k = (await api('POST', '/api/v1/audit/checkpoints', { tok: ADMIN })).json;
  assert.ok(k.position >= events.at(-1).position);
  // The tail from our first event on, chain links and events, gone: the
  // chain that is left is consistent in itself, only the checkpoint knows.
  const r = verifyRolledBack(`
    DELETE FROM audit_events WHERE id IN (SELECT event_id FROM audit_chain WHERE position >= ${events[0].position});
    DELETE FROM audit_chain WHERE position >= ${events[0].position};
    DELETE FROM audit_unsealed;`);
  assert.equal(r.ok, false);
  assert.equal(r.badPos, null, 'what is left links up');
  assert.equal(r.unsealed, 0);
  assert.ok(r.badCheckpoint !== null && r.badCheckpoint <= k.id, `checkpoint ${r.badCheckpoint}`);
});

test('checkpoints: a forged signature is found; restored, ok again', async () => {
  await sealedRequest();
  const k = (await api('POST', '/api/v1/audit/checkpoints', { tok: ADMIN })).json;
  const set = (hex) => psql(`BEGIN;
    ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_change;
    UPDATE audit_checkpoints SET signature = decode('${hex}', 'hex') WHERE id = ${k.id};
    ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_no_change;
    COMMIT;`);
  const flipped = (parseInt(k.signature.slice(0, 2), 16) ^ 1).toString(16).padStart(2, '0') + k.signature.slice(2);
  set(flipped);
  try {
    const bad = await verify();
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.failures, ['bad_signature']);
    assert.equal(bad.checkpoints.bad_signature_id, k.id);
  } finally {
    set(k.signature);
  }
  assert.equal((await verify()).ok, true);
  assert.match(psqlFails(`UPDATE audit_checkpoints SET position = 1 WHERE id = ${k.id}`), /append-only/);
  assert.match(psqlFails(`DELETE FROM audit_chain WHERE position = ${k.position}`), /append-only/);
  assert.match(psqlFails('TRUNCATE audit_chain'), /append-only/);
});

test('the trail is append-only: triggers refuse even a superuser; the app role has no UPDATE or DELETE', async () => {
  const { id } = await newRequest();
  const row = (await sealedPage(`entity=refund&id=${id}`)).items[0];
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
  for (const table of ['audit_chain', 'audit_checkpoints']) {
    for (const p of ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) assert.equal(priv(table, p), 'f', `${table} ${p}`);
  }
  assert.equal(priv('audit_unsealed', 'DELETE'), 'f', 'only the sealer function removes queue rows');
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
  await act(id, 'messages', c.tok, { body: '好的' });            // the reply: back to in_review
  await act(id, 'messages', SUPPORT, { body: '收到' });
  await act(id, 'approve', SUPPORT, { amount: 90000, note: '扣除已用部分' });
  await act(id, 'confirm', c.tok);

  const r = await api('GET', '/api/v1/notifications?limit=100', { tok: c.tok });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.next_cursor, null);
  const items = r.json.items;
  // The customer's reply moved the request back to in_review: that is a
  // transition the portal's webhook must hear of too (regression: none).
  assert.deepEqual(items.map((n) => n.kind), ['refund.approved', 'refund.decided', 'refund.message',
    'refund.in_review', 'refund.needs_info', 'refund.in_review', 'refund.submitted'], 'newest first');
  assert.deepEqual(items[3].payload, { order_id: orderId, status: 'in_review' });
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

// ------------------------------------------------------------- anchors

/* A checkpoint copied out of refundd (position and head hash) and given
 * back to verify: the chain must still hold that hash there. */
test('verify with an anchor: the copied-out head matches; a changed hash or a shortened chain fails it', async () => {
  await sealedRequest();
  const k = (await api('POST', '/api/v1/audit/checkpoints', { tok: ADMIN })).json;
  const at = (q, tok = ADMIN) => api('GET', `/api/v1/audit/verify?${q}`, { tok });

  const good = await at(`position=${k.position}&hash=${k.head_hash}`);
  assert.equal(good.status, 200, good.text);
  assert.equal(good.json.ok, true, JSON.stringify(good.json));
  assert.deepEqual(good.json.failures, []);
  assert.deepEqual(good.json.anchor, { position: k.position, hash: k.head_hash, found_hash: k.head_hash, ok: true });
  const upper = await at(`hash=${k.head_hash.toUpperCase()}&position=${k.position}`, SUPERVISOR);
  assert.equal(upper.json.anchor.ok, true, 'hex digits in either case');
  assert.equal(upper.json.anchor.hash, k.head_hash);

  const flipped = (k.head_hash[0] === 'a' ? 'b' : 'a') + k.head_hash.slice(1);
  const wrong = (await at(`position=${k.position}&hash=${flipped}`)).json;
  assert.equal(wrong.ok, false);
  assert.deepEqual(wrong.failures, ['anchor_mismatch']);
  assert.deepEqual(wrong.anchor, { position: k.position, hash: flipped, found_hash: k.head_hash, ok: false });

  const head = Number(psql('SELECT max(position) FROM audit_chain'));
  const beyond = (await at(`position=${head + 1000}&hash=${k.head_hash}`)).json;
  assert.equal(beyond.ok, false);
  assert.deepEqual(beyond.failures, ['anchor_not_in_chain']);
  assert.equal(beyond.anchor.found_hash, null);

  for (const [q, field] of [[`position=${k.position}`, 'hash'], [`hash=${k.head_hash}`, 'position'],
    [`position=${k.position}&hash=${k.head_hash.slice(1)}`, 'hash'], [`position=${k.position}&hash=${'g'.repeat(64)}`, 'hash'],
    [`position=0&hash=${k.head_hash}`, 'position'], [`position=x&hash=${k.head_hash}`, 'position']]) {
    const r = await at(q);
    assertProblem(assert, r, 400, 'invalid_filter');
    assert.equal(r.json.field, field, q);
  }
  assertProblem(assert, await at(`position=${k.position}&hash=${k.head_hash}`, SUPPORT), 403, 'forbidden');
});

/* Why anchors: whoever can rewrite the database can drop the chain's tail
 * and the checkpoints that signed it. What is left is consistent, and the
 * database's own proof finds nothing; only a head kept elsewhere does.
 * (Rolled back: the same reads the handler makes, inside the tampering.) */
test('anchors: a tail dropped with its checkpoints passes audit_verify() but not the anchored head', async () => {
  const { events } = await sealedRequest();
  const k = (await api('POST', '/api/v1/audit/checkpoints', { tok: ADMIN })).json;
  assert.ok(k.position >= events.at(-1).position);
  const out = psql(null, { input: `
BEGIN;
ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change;
ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_change;
ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_change;
DELETE FROM audit_events WHERE id IN (SELECT event_id FROM audit_chain WHERE position >= ${events[0].position});
DELETE FROM audit_chain WHERE position >= ${events[0].position};
DELETE FROM audit_checkpoints WHERE position >= ${events[0].position};
DELETE FROM audit_unsealed;
SELECT 'row', ok, bad_checkpoint_id IS NULL FROM audit_verify();
SELECT 'anchor', count(*) FROM audit_chain WHERE position = ${k.position};
ROLLBACK;
` });
  const line = (tag) => out.split('\n').find((l) => l.startsWith(`${tag}|`));
  assert.equal(line('row'), 'row|t|t', `the database's own proof passes: ${out}`);
  assert.equal(line('anchor'), 'anchor|0', 'the anchored position is gone');
  // and through refundd, on the real (untouched) chain, the anchor holds
  const now = (await api('GET', `/api/v1/audit/verify?position=${k.position}&hash=${k.head_hash}`, { tok: ADMIN })).json;
  assert.equal(now.anchor.ok, true);
});

/* scripts/verify-checkpoint: a copied-out checkpoint checked with the
 * openssl command alone, against the public key the auditor trusts. */
test('verify-checkpoint: a checkpoint verifies offline with openssl; a changed field or another key does not', async () => {
  await sealedRequest();
  const k = (await api('POST', '/api/v1/audit/checkpoints', { tok: ADMIN })).json;
  const trusted = publicKeyRaw().toString('hex');
  const SCRIPT = new URL('../../scripts/verify-checkpoint', import.meta.url).pathname;
  const run = (key, f) => spawnSync('bash', [SCRIPT, '--key', key, String(f.position), f.head_hash, String(f.unix_time),
    f.signature], { encoding: 'utf8' });

  const good = run(trusted, k);
  assert.equal(good.status, 0, good.stderr);
  assert.equal(good.stdout.trim(), 'ok');
  const other = (x) => (x[0] === 'a' ? 'b' : 'a') + x.slice(1);
  for (const changed of [{ position: k.position + 1 }, { head_hash: other(k.head_hash) }, { unix_time: k.unix_time + 1 },
    { signature: other(k.signature) }]) {
    const r = run(trusted, { ...k, ...changed });
    assert.equal(r.status, 1, `${JSON.stringify(changed)} verified`);
    assert.match(r.stderr, /does not verify/);
  }
  // A forger signs with a key of their own: it fits their checkpoint, not the trusted key.
  const forger = generateKeyPairSync('ed25519');
  const forged = { ...k, head_hash: other(k.head_hash) };
  forged.signature = signSig(null, Buffer.from(`refundd-audit-checkpoint/v1 ${forged.position} ${forged.head_hash} ${forged.unix_time}`),
    forger.privateKey).toString('hex');
  const forgerKey = forger.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
  assert.equal(run(forgerKey, forged).status, 0, 'it verifies with the key it came with');
  assert.equal(run(trusted, forged).status, 1, 'and not with the trusted one');
  for (const args of [[], ['--key', trusted], ['--key', 'xyz', '1', k.head_hash, '1', k.signature]]) {
    const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 1, `usage ${args.length}`);
    assert.match(r.stderr, /verify-checkpoint: /);
  }
});
