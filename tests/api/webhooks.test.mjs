// webhooks.test.mjs -- signed webhooks to the portal (DESIGN.md §8) with a
// real receiver: a node HTTP server here, and two extra `refundd serve`
// processes on the same database whose senders POST to it (the stack's own
// refundd has no webhook.url, so these two are the only senders). The
// receiver checks every signature, fails the first two attempts of this
// file's events (a 500, then a dropped connection), answers each after a
// short pause so that the two senders overlap, and records when each
// request came and was answered. Then: every event arrives, three times
// exactly (two failures, one success: no sender ever sent one twice),
// after de-duplication by id exactly once, in order per refund, with the
// body the API documents; an event that keeps failing ends `failed`, and
// the admin's retry sends it again (audited; 409 while a send is in
// flight); a sender killed with SIGKILL in the middle of a POST loses
// nothing: another process sends the event again. Also: who may see the
// deliveries, and refused configurations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { api, assertProblem, token, uid, sleep, nowS, iso, DAY, RUNDIR } from './lib.mjs';

const RUN = uid();
const BIN = process.env.REFUNDD_BIN;
const PREFIX = `wh-${RUN}-`;          // accounts of this file
const STUBBORN = `${PREFIX}stubborn`; // an account whose events the portal refuses
const ODD = `${PREFIX}odd`;           // a redirect, then a 2xx with a huge body
const SECRET = `whsec_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`;
const SECRET_FILE = `${RUNDIR}/run/webhook-secret-${RUN}`;
const SYSTEM = token(`billing-${RUN}`, 'system');
const SUPPORT = token(`wh-agent-${RUN}`, 'support');
const ADMIN_SUB = `wh-admin-${RUN}`;
const ADMIN = token(ADMIN_SUB, 'admin');
const FAILS = 2;                      // failed attempts before the portal accepts

// ------------------------------------------------------------ the receiver

const seen = [];          // every request: { id, refund, account, arrived, answered, status, sigOk, ... }
const accept = new Set(); // stubborn events the portal now takes
const hold = new Map();   // event id -> { ms, arrived: resolve } (answer late, say when it came)
const holdAccount = new Map();   // the same, for every event of an account (known before its events)
const tries = new Map();  // event id -> requests so far
const now = () => process.hrtime.bigint();

function verify(header, raw) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header || '');
  if (!m) return { sigOk: false, tsOk: false };
  const want = createHmac('sha256', SECRET).update(`${m[1]}.`).update(raw).digest();
  const sigOk = timingSafeEqual(want, Buffer.from(m[2], 'hex'));
  return { sigOk, tsOk: Math.abs(nowS() - Number(m[1])) <= 300 };
}

function decide(ev, n) {
  const ours = typeof ev?.data?.account === 'string' && ev.data.account.startsWith(PREFIX);
  if (!ours) return 200;                             // other files' events: taken at once
  if (ev.data.account === STUBBORN) return accept.has(ev.id) ? 200 : 500;
  if (ev.data.account === ODD) return n === 1 ? 302 : 'big';
  if (n === 1) return 500;
  if (n === 2) return 'drop';                        // no answer at all
  return 200;
}

function onRequest(req, res) {
  const arrived = now();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const raw = Buffer.concat(chunks);
    let ev = null;
    try { ev = JSON.parse(raw.toString('utf8')); } catch { /* recorded as unparsable */ }
    const id = ev?.id ?? null;
    const n = (tries.get(id) || 0) + 1;
    tries.set(id, n);
    const rec = { id, ev, n, arrived, method: req.method, path: req.url,
      type: req.headers['content-type'], eventHeader: req.headers['refundd-event-id'],
      ...verify(req.headers['refundd-signature'], raw) };
    seen.push(rec);
    const ours = ev?.data?.account?.startsWith?.(PREFIX);
    const h = hold.get(id) ?? holdAccount.get(ev?.data?.account);
    if (h) { h.arrived(); await sleep(h.ms); } else if (ours) await sleep(20 + Math.random() * 60);
    rec.status = decide(ev, n);
    rec.answered = now();
    if (rec.status === 'drop') { req.socket.destroy(); return; }
    if (rec.status === 302) {
      res.writeHead(302, { Location: `http://127.0.0.1:${receiver.address().port}/elsewhere` }).end();
      return;
    }
    if (rec.status === 'big') {
      // Up to 64 MiB, written as fast as refundd reads (backpressure): how
      // much went out says how much it read, plus the sockets' buffers.
      const chunk = Buffer.alloc(64 * 1024, 'x');
      rec.sent = 0;
      res.on('close', () => { rec.closed = true; rec.bodyAllRead = res.writableFinished; });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const pump = () => {
        while (!rec.closed && rec.sent < 64 * 1024 * 1024) {
          rec.sent += chunk.length;
          if (!res.write(chunk)) { res.once('drain', pump); return; }
        }
        if (!rec.closed) res.end();
      };
      pump();
      return;
    }
    res.writeHead(rec.status, { 'Content-Type': 'text/plain' }).end(rec.status === 200 ? 'ok' : 'no');
  });
}

const receiver = http.createServer(onRequest);
let URL_ = '';
const senders = [];

function startSender(name, extraEnv = {}) {
  const sock = `${RUNDIR}/run/refundd-wh-${name}-${RUN}.sock`;
  const child = spawn(BIN, ['serve'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env,
    REFUNDD_SERVER_LISTEN: sock, REFUNDD_SERVER_THREADS: '1',
    REFUNDD_WEBHOOK_URL: URL_, REFUNDD_WEBHOOK_SECRET_FILE: SECRET_FILE,
    REFUNDD_WEBHOOK_POLL_INTERVAL_MS: '50', REFUNDD_WEBHOOK_RETRY_BASE_MS: '100',
    REFUNDD_WEBHOOK_RETRY_CAP_MS: '400', REFUNDD_WEBHOOK_GIVE_UP: '6',
    REFUNDD_WEBHOOK_TIMEOUT_MS: '5000', ...extraEnv } });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  return { name, sock, child, exited, log: () => log };
}

before(async () => {
  assert.ok(BIN, 'REFUNDD_BIN is set by scripts/test');
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  URL_ = `http://127.0.0.1:${receiver.address().port}/portal/refundd-hooks`;
  writeFileSync(SECRET_FILE, `${SECRET}\n`, { mode: 0o600 });
  for (const name of ['a', 'b']) senders.push(startSender(name));
  for (const s of senders) await started(s);
});

// SIGTERM finishes the batch in flight and exits 0; a sender killed by a
// test is left out (stopped: true).
async function stopSenders() {
  const live = senders.filter((s) => !s.stopped);
  for (const s of live) { s.stopped = true; s.child.kill('SIGTERM'); }
  const codes = await Promise.all(live.map((s) => s.exited));
  codes.forEach((c, i) => assert.equal(c, 0, `sender ${live[i].name} exit: ${live[i].log()}`));
}

after(async () => {
  try {
    await stopSenders();
  } finally {
    receiver.close();
    rmSync(SECRET_FILE, { force: true });
  }
});

async function started(s) {
  for (let i = 0; i < 100 && !existsSync(s.sock); i++) await sleep(100);
  assert.ok(existsSync(s.sock), `sender ${s.name} did not start: ${s.log()}`);
  await until(`sender ${s.name} running`, () => /sending webhooks/.test(s.log()), 5000);
  return s;
}

// ------------------------------------------------------------ refunds that make events

let seq = 0;
async function newRefund(account = `${PREFIX}${++seq}`) {
  const orderId = `WH-${RUN}-${++seq}`;
  const r = await api('PUT', `/api/v1/orders/${orderId}`, { tok: SYSTEM, body: {
    account, provider: `wh_${RUN}`, product_type: 'api_credits', product_name: 'credits',
    billing_mode: 'one_time', status: 'paid', amount_paid: 10000, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - 3 * DAY), quantity: 10000,
    bonus_quantity: 0, used_quantity: 0 } });
  assert.equal(r.status, 201, r.text);
  const cust = token(account, 'customer');
  const s = await api('POST', '/api/v1/refunds', { tok: cust, headers: { 'Idempotency-Key': randomUUID() },
    body: { order_id: orderId, reason_code: 'changed_mind', payout_method: 'original_route' } });
  assert.equal(s.status, 201, s.text);
  return { id: s.json.id, account, cust };
}

async function step(id, action, tok, body, status = 200) {
  const r = await api('POST', `/api/v1/refunds/${id}/${action}`, body ? { tok, body } : { tok });
  assert.equal(r.status, status, `${action}: ${r.text}`);
}

// Submitted, claimed, asked for information, answered, approved: five
// events per refund (refund.submitted, in_review, needs_info, in_review
// again on the customer's answer, decided).
async function walk(x) {
  await step(x.id, 'claim', SUPPORT);
  await step(x.id, 'request-info', SUPPORT, { message: 'which invoice?' });
  await step(x.id, 'messages', x.cust, { body: 'INV-1' }, 201);
  await step(x.id, 'approve', SUPPORT, { note: 'ok' });
}

// The receiver lives in this process: lib.mjs's psql (execFileSync) would
// stall it while the query runs, so waiting loops ask without blocking.
const run = promisify(execFile);
async function psqlAsync(sql) {
  const { stdout } = await run('bash', [new URL('../../scripts/lib.sh', import.meta.url).pathname,
    'psql_super', RUNDIR, '-d', 'refundd', '-At', '-c', sql], { encoding: 'utf8' });
  return stdout.trim();
}

const deliveriesOf = async (refundIds) => (await psqlAsync(`SELECT 'evt_' || event_id, refund_id, type, status, attempts,
  coalesce(last_status_code, 0) FROM webhook_deliveries WHERE refund_id IN (${refundIds.join(',')})
  ORDER BY id`)).split('\n').filter(Boolean).map((l) => {
  const [id, refund, type, status, attempts, code] = l.split('|');
  return { id, refund: Number(refund), type, status, attempts: Number(attempts), code: Number(code) };
});

// Map.groupBy arrived in Node 21; Debian 12 has 18, this machine 20.
function groupBy(list, key) {
  const m = new Map();
  for (const x of list) m.set(key(x), [...(m.get(key(x)) || []), x]);
  return m;
}

async function until(what, fn, ms = 20000) {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - started > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// ------------------------------------------------------------ tests

test('every event reaches the portal signed, at least once, once after de-duplication, in order per refund', async () => {
  const refunds = await Promise.all([1, 2, 3, 4].map(() => newRefund()));
  await Promise.all(refunds.map(walk));   // the refunds' events interleave
  const ids = refunds.map((x) => x.id);
  const rows = await deliveriesOf(ids);
  assert.equal(rows.length, 5 * refunds.length, 'one delivery per outbox event');
  assert.deepEqual(rows.filter((r) => r.refund === ids[0]).map((r) => r.type),
    ['refund.submitted', 'refund.in_review', 'refund.needs_info', 'refund.in_review', 'refund.decided']);

  // Events other files left behind go first (oldest first): allow for them.
  const backlog = Number(await psqlAsync("SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'retrying')"));
  await until('all delivered', async () => (await deliveriesOf(ids)).every((r) => r.status === 'delivered'),
    20000 + 20 * backlog);
  const done = await deliveriesOf(ids);
  for (const r of done) {
    assert.equal(r.attempts, FAILS + 1, `${r.id}: two failures, then delivered`);
    assert.equal(r.code, 200);
  }

  const mine = seen.filter((s) => s.ev?.data?.account?.startsWith(PREFIX) && s.ev.data.account !== STUBBORN);
  // Every request of the run was signed with the secret, recently, as JSON.
  for (const s of seen) {
    assert.ok(s.sigOk, `bad signature on ${s.id}`);
    assert.ok(s.tsOk, `stale timestamp on ${s.id}`);
    assert.equal(s.method, 'POST');
    assert.equal(s.path, '/portal/refundd-hooks');
    assert.equal(s.type, 'application/json');
    assert.equal(s.eventHeader, s.id);
  }
  // Exactly FAILS + 1 sends per event: no two senders ever sent the same one.
  const byId = groupBy(mine, (s) => s.id);
  assert.deepEqual([...byId.keys()].sort(), done.map((r) => r.id).sort(), 'after de-duplication: each event once');
  for (const [id, list] of byId) {
    assert.deepEqual(list.map((s) => s.status), [500, 'drop', 200], `${id}: attempts as the portal answered them`);
  }
  // The body: {id, type, created_at, data}, the same bytes on every attempt.
  for (const [id, list] of byId) {
    const ev = list[0].ev;
    assert.deepEqual(Object.keys(ev).sort(), ['created_at', 'data', 'id', 'type']);
    assert.match(ev.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.ok(list.every((s) => JSON.stringify(s.ev) === JSON.stringify(ev)), `${id}: same body each time`);
    const row = done.find((r) => r.id === id);
    assert.equal(ev.type, row.type);
    assert.equal(ev.data.refund_id, row.refund);
  }
  // In order per refund: nothing of a refund's next event was sent before
  // the portal had accepted the one before it.
  for (const x of refunds) {
    const order = done.filter((r) => r.refund === x.id).map((r) => r.id);
    for (let i = 1; i < order.length; i++) {
      const prevOk = byId.get(order[i - 1]).find((s) => s.status === 200).answered;
      const nextFirst = byId.get(order[i])[0].arrived;
      assert.ok(nextFirst > prevOk, `refund ${x.id}: ${order[i]} sent before ${order[i - 1]} was accepted`);
    }
    const last = byId.get(order.at(-1))[0].ev.data;
    assert.equal(last.status, 'approved');
    assert.equal(last.account, x.account);
  }
});

test('a delivery the portal keeps refusing ends failed; the admin sends it again (audited; 409 while in flight)', async () => {
  const x = await newRefund(STUBBORN);
  const [row] = await deliveriesOf([x.id]);
  assert.equal(row.type, 'refund.submitted');
  await until('failed after webhook.give_up', async () => (await deliveriesOf([x.id]))[0].status === 'failed', 20000);
  const tried = seen.filter((s) => s.id === row.id);
  assert.ok(tried.length >= 3, `retried with back-off before giving up (${tried.length})`);
  assert.ok(tried.every((s) => s.status === 500));

  const list = await api('GET', '/api/v1/webhooks/deliveries?status=failed&limit=100', { tok: ADMIN });
  assert.equal(list.status, 200, list.text);
  let item = list.json.items.find((d) => d.event_id === row.id);
  for (let cursor = list.json.next_cursor; !item && cursor;) {
    const more = await api('GET', `/api/v1/webhooks/deliveries?status=failed&limit=100&cursor=${cursor}`, { tok: ADMIN });
    item = more.json.items.find((d) => d.event_id === row.id);
    cursor = more.json.next_cursor;
  }
  assert.ok(item, 'listed under status=failed');
  assert.equal(item.status, 'failed');
  assert.equal(item.attempts, tried.length);
  assert.equal(item.last_status_code, 500);
  assert.equal(item.last_error, 'HTTP 500');
  assert.equal(item.next_attempt_at, null);
  assert.equal(item.refund_id, x.id);
  assert.equal(item.data.account, STUBBORN);

  // The portal is fixed, but slow: the retried send is held for a while.
  accept.add(row.id);
  let arrivedNow;
  const arrived = new Promise((r) => { arrivedNow = r; });
  hold.set(row.id, { ms: 1500, arrived: arrivedNow });
  const r = await api('POST', `/api/v1/webhooks/deliveries/${item.id}/retry`, { tok: ADMIN });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, 'pending');
  assert.equal(r.json.manual_retries, 1);
  await arrived;
  assertProblem(assert, await api('POST', `/api/v1/webhooks/deliveries/${item.id}/retry`, { tok: ADMIN }),
    409, 'delivery_in_flight');
  await until('delivered after the retry', async () => (await deliveriesOf([x.id]))[0].status === 'delivered');
  const after = seen.filter((s) => s.id === row.id);
  assert.equal(after.length, tried.length + 1, 'sent once more, by one sender');
  assert.equal(after.at(-1).status, 200);

  const audit = await api('GET', `/api/v1/audit?entity=webhook_delivery&id=${item.id}`, { tok: ADMIN });
  assert.equal(audit.status, 200, audit.text);
  assert.equal(audit.json.items.length, 1, 'the refused retry left no trace');
  const ev = audit.json.items[0];
  assert.equal(ev.action, 'webhook.retry');
  assert.equal(ev.actor, ADMIN_SUB);
  assert.equal(ev.before.status, 'failed');
  assert.equal(ev.after.status, 'pending');
});

// Regressions: the sender dated every attempt of a batch with the batch's
// transaction start (before its POST), and after an admin's retry it
// counted the earlier attempts, so the next failure waited the cap.
test('an admin retry starts the back-off afresh; an attempt is dated when its answer came', async () => {
  const x = await newRefund(STUBBORN);
  const [row] = await deliveriesOf([x.id]);
  await until('failed after webhook.give_up', async () => (await deliveriesOf([x.id]))[0].status === 'failed', 20000);
  const before = (await deliveriesOf([x.id]))[0].attempts;
  assert.ok(before >= 3);
  // Every attempt is held 800 ms: the row shows the first one's outcome
  // for that long while the next attempt is on the wire.
  const arrivals = [];
  hold.set(row.id, { ms: 800, arrived: () => { arrivals.push(Date.now()); } });
  const id = row.id.slice(4);
  const did = await psqlAsync(`SELECT id FROM webhook_deliveries WHERE event_id = ${id}`);
  const r = await api('POST', `/api/v1/webhooks/deliveries/${did}/retry`, { tok: ADMIN });
  assert.equal(r.status, 202, r.text);
  const [, delayMs, lastMs] = await until('one more refused attempt', async () => {
    const v = (await psqlAsync(`SELECT attempts, round(extract(epoch FROM next_attempt_at - last_attempt_at) * 1000),
      round(extract(epoch FROM last_attempt_at) * 1000) FROM webhook_deliveries WHERE event_id = ${id}`)).split('|').map(Number);
    return v[0] === before + 1 ? v : null;
  });
  hold.delete(row.id);
  assert.equal(delayMs, 100, 'the base delay (REFUNDD_WEBHOOK_RETRY_BASE_MS), not the cap');
  assert.ok(arrivals.length >= 1);
  assert.ok(lastMs >= arrivals[0] + 700, `dated at its answer (${lastMs}), not before the POST (${arrivals[0]})`);
  await until('failed again', async () => (await deliveriesOf([x.id]))[0].status === 'failed', 20000);
});

test('redirects are not followed (a failure); an answer with a huge body is read no further than the cap', async () => {
  const x = await newRefund(ODD);
  const [row] = await deliveriesOf([x.id]);
  await until('delivered', async () => (await deliveriesOf([x.id]))[0].status === 'delivered');
  assert.deepEqual(seen.filter((s) => s.id === row.id).map((s) => s.status), [302, 'big']);
  assert.equal(seen.filter((s) => s.path === '/elsewhere').length, 0, 'nothing followed the Location');
  const big = seen.find((s) => s.id === row.id && s.status === 'big');
  await until('the big answer closed', () => big.closed, 5000);
  assert.equal(big.bodyAllRead, false, 'refundd stopped reading at its cap and hung up');
  assert.ok(big.sent < 8 * 1024 * 1024, `read ${big.sent} bytes of the answer`);
  const [done] = await deliveriesOf([x.id]);
  assert.equal(done.attempts, 2);
  assert.equal(done.code, 200);
});

test('deliveries API: admin only, filters and ids checked', async () => {
  for (const tok of [SUPPORT, SYSTEM, token(`${PREFIX}cust`, 'customer'), token('f', 'finance')]) {
    assertProblem(assert, await api('GET', '/api/v1/webhooks/deliveries', { tok }), 403, 'forbidden');
    assertProblem(assert, await api('POST', '/api/v1/webhooks/deliveries/1/retry', { tok }), 403, 'forbidden');
  }
  assertProblem(assert, await api('GET', '/api/v1/webhooks/deliveries'), 401, 'invalid_token');
  assertProblem(assert, await api('GET', '/api/v1/webhooks/deliveries?status=sent', { tok: ADMIN }), 400, 'invalid_filter');
  assertProblem(assert, await api('GET', '/api/v1/webhooks/deliveries?cursor=x', { tok: ADMIN }), 400, 'invalid_cursor');
  assertProblem(assert, await api('POST', '/api/v1/webhooks/deliveries/999999999999/retry', { tok: ADMIN }), 404, 'delivery_not_found');
  assertProblem(assert, await api('POST', '/api/v1/webhooks/deliveries/01/retry', { tok: ADMIN }), 404, 'delivery_not_found');
  const page = await api('GET', '/api/v1/webhooks/deliveries?status=delivered&limit=2', { tok: ADMIN });
  assert.equal(page.status, 200, page.text);
  assert.equal(page.json.items.length, 2);
  assert.ok(page.json.items.every((d) => d.status === 'delivered' && d.delivered_at));
  const next = await api('GET', `/api/v1/webhooks/deliveries?status=delivered&limit=2&cursor=${page.json.next_cursor}`, { tok: ADMIN });
  assert.ok(next.json.items[0].id > page.json.items[1].id, 'keyset pages');
});

test('refused configurations: a URL that is not http(s), a missing or short secret', () => {
  const run = (env) => spawnSync(BIN, ['serve'], { encoding: 'utf8', timeout: 10000,
    env: { ...process.env, REFUNDD_SERVER_LISTEN: `${RUNDIR}/run/refundd-wh-bad-${RUN}.sock`, ...env } });
  const short = `${RUNDIR}/run/webhook-short-${RUN}`;
  writeFileSync(short, 'too-short\n');
  try {
    const cases = [
      [{ REFUNDD_WEBHOOK_URL: 'file:///etc/passwd', REFUNDD_WEBHOOK_SECRET_FILE: SECRET_FILE }, /webhook\.url/],
      [{ REFUNDD_WEBHOOK_URL: 'gopher://127.0.0.1:70/', REFUNDD_WEBHOOK_SECRET_FILE: SECRET_FILE }, /webhook\.url/],
      [{ REFUNDD_WEBHOOK_URL: URL_, REFUNDD_WEBHOOK_SECRET_FILE: '' }, /webhook\.secret_file/],
      [{ REFUNDD_WEBHOOK_URL: URL_, REFUNDD_WEBHOOK_SECRET_FILE: short }, /at least 32 bytes/],
      [{ REFUNDD_WEBHOOK_URL: URL_, REFUNDD_WEBHOOK_SECRET_FILE: SECRET_FILE,
        REFUNDD_WEBHOOK_RETRY_BASE_MS: '5000', REFUNDD_WEBHOOK_RETRY_CAP_MS: '1000' }, /retry_cap_ms/],
    ];
    for (const [env, msg] of cases) {
      const r = run(env);
      assert.equal(r.status, 1, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  } finally {
    rmSync(short, { force: true });
  }
});

test('a sender killed mid-send: its lock goes with its connection, another sends the event again (at least once)', async () => {
  await stopSenders();   // a and b: so that the one killed below is the one sending
  const c = await started(startSender('c'));
  senders.push(c);
  // Held by account, set before the event exists: c may send it at once.
  let arrivedNow;
  const arrived = new Promise((r) => { arrivedNow = r; });
  holdAccount.set(`${PREFIX}crash`, { ms: 3000, arrived: arrivedNow });
  const x = await newRefund(`${PREFIX}crash`);
  const [row] = await deliveriesOf([x.id]);
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('c never posted the event')), 20000); });
  try { await Promise.race([arrived, late]); } finally { clearTimeout(timer); }
  c.stopped = true;                       // c is posting it, its row locked
  c.child.kill('SIGKILL');
  await c.exited;
  holdAccount.delete(`${PREFIX}crash`);
  const d = await started(startSender('d'));
  senders.push(d);
  await until('sent again by another process', async () => (await deliveriesOf([x.id]))[0].status === 'delivered');
  const got = seen.filter((s) => s.id === row.id);
  assert.ok(got.length >= 3, `c's attempt, and d's (${got.length})`);
  assert.equal(got.at(-1).status, 200);
  assert.equal((await deliveriesOf([x.id]))[0].attempts, got.length - 1,
    'the killed sender never recorded its attempt');
  assert.ok(got.every((s) => s.sigOk));
  assert.equal(new Set(got.map((s) => JSON.stringify(s.ev))).size, 1, 'the same event each time');
});

test('a sender frozen mid-send (its connection still open): the database ends its transaction, another sends the event', async () => {
  // SIGKILL closes the connection and PostgreSQL drops the lock at once;
  // a host that froze or fell off the network keeps the connection, and
  // its row lock held back this event and the refund's later ones for as
  // long as TCP keepalive took (hours). The sender's transaction is idle
  // while it posts, so idle_in_transaction_session_timeout (a batch's
  // budget + webhook.timeout_ms + a margin) now bounds it.
  await stopSenders();   // so that the one frozen below is the one sending
  const e = await started(startSender('e', { REFUNDD_WEBHOOK_TIMEOUT_MS: '1000' }));
  senders.push(e);
  let arrivedNow;
  const arrived = new Promise((r) => { arrivedNow = r; });
  holdAccount.set(`${PREFIX}frozen`, { ms: 3000, arrived: arrivedNow });
  const x = await newRefund(`${PREFIX}frozen`);
  const [row] = await deliveriesOf([x.id]);
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('e never posted the event')), 20000); });
  try { await Promise.race([arrived, late]); } finally { clearTimeout(timer); }
  e.child.kill('SIGSTOP');                // e is posting it, its row locked, its connection open
  holdAccount.delete(`${PREFIX}frozen`);
  try {
    const f = await started(startSender('f'));
    senders.push(f);
    await until('sent by another process although e still holds its connection',
      async () => (await deliveriesOf([x.id]))[0].status === 'delivered', 40000);
    const got = seen.filter((s) => s.id === row.id);
    assert.ok(got.length >= 2, `e's attempt, and f's (${got.length})`);
    assert.equal(got.at(-1).status, 200);
    assert.ok(got.every((s) => s.sigOk));
    // e wakes up: its transaction was ended under it; it connects again
    // and goes on sending (alone now: f is stopped)
    f.stopped = true;
    f.child.kill('SIGTERM');
    assert.equal(await f.exited, 0);
    e.child.kill('SIGCONT');
    const y = await newRefund(`${PREFIX}thawed`);
    await until('e sends again after its transaction was ended',
      async () => (await deliveriesOf([y.id]))[0].status === 'delivered', 30000);
    assert.match(e.log(), /outcomes not recorded/, 'e knew its outcomes were lost');
  } finally {
    e.stopped = true;
    e.child.kill('SIGKILL');
    await e.exited;
  }
});

test('a stopping sender walks away from a slow receiver: it exits before the answer, the event stays due and goes later', async () => {
  // Before, SIGTERM waited for the post in flight, up to webhook.timeout_ms
  // (60 s at most) after the requests were done; now libcurl's progress
  // callback gives the post up, and an abandoned post is not an attempt.
  await stopSenders();
  const g = await started(startSender('g', { REFUNDD_WEBHOOK_TIMEOUT_MS: '30000' }));
  senders.push(g);
  let arrivedNow;
  const arrived = new Promise((r) => { arrivedNow = r; });
  holdAccount.set(`${PREFIX}slow`, { ms: 20000, arrived: arrivedNow });
  const x = await newRefund(`${PREFIX}slow`);
  const [row] = await deliveriesOf([x.id]);
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('g never posted the event')), 20000); });
  try { await Promise.race([arrived, late]); } finally { clearTimeout(timer); }
  holdAccount.delete(`${PREFIX}slow`);
  g.stopped = true;
  g.child.kill('SIGTERM');
  assert.equal(await g.exited, 0, g.log());
  const first = seen.find((s) => s.id === row.id);
  assert.equal(first.answered, undefined, 'g exited while the receiver still held its post');
  const [after] = await deliveriesOf([x.id]);
  assert.equal(after.attempts, 0, 'a post given up is not an attempt');
  assert.notEqual(after.status, 'failed');
  const h = await started(startSender('h'));
  senders.push(h);
  await until('sent by the next sender', async () => (await deliveriesOf([x.id]))[0].status === 'delivered');
  assert.equal(seen.filter((s) => s.id === row.id).at(-1).status, 200);
});
