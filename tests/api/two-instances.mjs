// two-instances.mjs -- two refundd processes, one database, one nginx
// upstream (scripts/test starts the second as "refundd-2" and renders nginx
// with both; REFUNDD_INSTANCES names them). A 32-way payout race spread over
// both pays once; kill -9 of one under load loses no acknowledged write,
// nginx sends new requests to the other, idempotent reads in flight are
// retried by nginx, and clients retry writes with their Idempotency-Key.
// Not a *.test.mjs: the plain API run leaves it out, since it kills an
// instance; scripts/test runs it in a phase of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { api, token, uid, psql, sleep, nowS, iso, DAY, RUNDIR } from './lib.mjs';

const INSTANCES = (process.env.REFUNDD_INSTANCES || '').split(',').filter(Boolean);
const RUN = uid();
const SYSTEM = token(`billing-${RUN}`, 'system');
const SUPPORT = token(`agent-${RUN}`, 'support');
const FINANCE = token(`fin-${RUN}`, 'finance');
const logOf = (name) => readFileSync(`${RUNDIR}/${name}.log`, 'utf8');

async function order(account, n) {
  const id = `INST-${RUN}-${n}`;
  const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYSTEM, body: {
    account, provider: 'aliyun', product_type: 'api_credits', product_name: 'API credits',
    billing_mode: 'one_time', status: 'paid', amount_paid: 10000, currency: 'CNY',
    payment_method: 'alipay', paid_at: iso(nowS() - DAY), quantity: 1000 } });
  assert.ok(r.status === 201, r.text);
  return id;
}

// A client as the API asks clients to be: a write that met 502/503/504 or
// a broken connection is sent again with the same Idempotency-Key.
async function submitWithRetry(tok, orderId) {
  const started = Date.now();
  for (let attempt = 0; attempt < 40; attempt++) {
    let r;
    try {
      r = await api('POST', '/api/v1/refunds', { tok, headers: { 'Idempotency-Key': `k-${orderId}` },
        body: { order_id: orderId, reason_code: 'bought_by_mistake', payout_method: 'original_route',
          expected_amount: 10000 } });
    } catch { r = { status: 0 }; }
    if (r.status === 201 || r.status === 200) return { id: r.json.id, attempt, started };
    assert.ok([0, 502, 503, 504].includes(r.status), `${orderId}: ${r.status} ${r.text}`);
    await sleep(100);
  }
  throw new Error(`${orderId}: no answer after 40 tries`);
}

test('two instances are configured', () => {
  assert.equal(INSTANCES.length, 2, 'REFUNDD_INSTANCES names two instances');
  for (const name of INSTANCES) assert.match(readFileSync(`${RUNDIR}/${name}.pid`, 'utf8'), /^\d+/);
});

test('32 parallel payouts spread over both instances: one 201, 31 409, one payout', async () => {
  const cust = token(`inst-race-${RUN}`, 'customer');
  const orderId = await order(`inst-race-${RUN}`, 'race');
  const { id } = await submitWithRetry(cust, orderId);
  assert.equal((await api('POST', `/api/v1/refunds/${id}/claim`, { tok: SUPPORT })).status, 200);
  const ok = await api('POST', `/api/v1/refunds/${id}/approve`, { tok: SUPPORT, body: {} });
  assert.equal(ok.json.status, 'approved', ok.text);

  const rid = (i) => `race-${RUN}-${i}`;
  const results = await Promise.all(Array.from({ length: 32 }, (_, i) =>
    api('POST', `/api/v1/refunds/${id}/payout`, { tok: FINANCE, headers: { 'X-Request-Id': rid(i) } })));
  const statuses = results.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join());
  assert.equal(statuses.filter((s) => s === 409).length, 31, statuses.join());
  assert.equal(psql(`SELECT count(*) FROM payouts WHERE refund_id = ${Number(id)}`), '1');
  // Both took part: each instance logged some of the race's request ids.
  for (const name of INSTANCES) {
    const seen = Array.from({ length: 32 }, (_, i) => rid(i)).filter((r) => logOf(name).includes(`"${r}"`));
    assert.ok(seen.length > 0, `${name} served none of the race`);
  }
});

test('kill -9 of one instance under load: no acknowledged write lost, none doubled, the other serves', async () => {
  const victim = INSTANCES[1];
  const WORKERS = 4, PER = 40;
  const customers = Array.from({ length: WORKERS }, (_, w) => `inst-load-${RUN}-${w}`);
  const orders = [];
  for (let w = 0; w < WORKERS; w++)
    for (let i = 0; i < PER; i++) orders.push({ w, id: await order(customers[w], `${w}-${i}`) });
  const readTarget = (await submitWithRetry(token(customers[0], 'customer'), orders[0].id)).id;

  let killedAt = 0;
  const acked = [];
  const reads = [];
  const writers = Array.from({ length: WORKERS }, async (_, w) => {
    const tok = token(customers[w], 'customer');
    for (const o of orders.filter((x) => x.w === w)) acked.push({ order: o.id, ...(await submitWithRetry(tok, o.id)) });
  });
  const reader = (async () => {
    const tok = token(customers[0], 'customer');
    while (acked.length < orders.length - 1) {
      const r = await api('GET', `/api/v1/refunds/${readTarget}`, { tok });
      reads.push({ status: r.status, at: Date.now() });
    }
  })();
  const killer = (async () => {
    while (acked.length < orders.length / 3) await sleep(20);
    const pid = Number(readFileSync(`${RUNDIR}/${victim}.pid`, 'utf8'));
    process.kill(pid, 'SIGKILL');
    killedAt = Date.now();
  })();
  await Promise.all([...writers, reader, killer]);
  assert.ok(killedAt > 0, 'the instance was killed under load');
  assert.ok(acked.filter((a) => a.started > killedAt).length > 20, 'load went on after the kill');

  // Every acknowledged request is stored, once per order, whatever the retries.
  const stored = psql(`SELECT order_id || ' ' || id FROM refund_requests WHERE order_id LIKE 'INST-${RUN}-%-%'`)
    .split('\n').filter(Boolean).map((l) => l.split(' '));
  const byOrder = new Map();
  for (const [o, id] of stored) byOrder.set(o, [...(byOrder.get(o) || []), id]);
  for (const a of acked) assert.deepEqual(byOrder.get(a.order), [String(a.id)], `${a.order}: ${byOrder.get(a.order)}`);
  assert.equal(acked.length, orders.length);

  // New requests go to the survivor: a write started after the kill needed
  // no retry, and reads never failed (nginx retries an idempotent GET that
  // met the dying instance on the other one).
  const lateRetries = acked.filter((a) => a.started > killedAt + 100 && a.attempt > 0);
  assert.deepEqual(lateRetries, [], 'writes started after the kill went through at once');
  assert.ok(reads.length > 10);
  assert.deepEqual(reads.filter((r) => r.status !== 200), [], 'every read answered 200');
  const inFlightRetries = acked.filter((a) => a.attempt > 0).length;
  assert.ok(inFlightRetries <= WORKERS, `only writes in flight at the kill were retried: ${inFlightRetries}`);
});
