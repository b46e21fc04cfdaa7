// reliability.test.mjs -- DESIGN.md §6: PostgreSQL restarted under load.
// While writers keep syncing orders, the database goes away and comes back.
// Meanwhile refundd answers 503 problems (never hangs, never 5xx of another
// kind), reconnects by itself, and every write it acknowledged is there
// afterwards, whole (order and items in one transaction).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, token, pgctl, psql, sleep, uid } from './lib.mjs';

const SYS = token('billing', 'system');

function orderBody(account) {
  return {
    account, provider: 'aliyun', product_type: 'saas_app', product_name: 'reliability probe',
    billing_mode: 'one_time', status: 'paid', amount_paid: 1000, currency: 'CNY',
    payment_method: 'alipay', paid_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    items: [{ item_no: 1, name: 'a', status: 'paid', amount: 600 },
            { item_no: 2, name: 'b', status: 'paid', amount: 400 }],
  };
}

test('PostgreSQL restarted under load: 503 meanwhile, then back, and no acknowledged write lost', async () => {
  const run = `REL-${uid()}`;
  const acked = [];
  const statuses = new Map();
  let stop = false;
  const writer = async (w) => {
    for (let i = 0; !stop && i < 2000; i++) {
      const id = `${run}-${w}-${i}`;
      const r = await api('PUT', `/api/v1/orders/${id}`, { tok: SYS, body: orderBody(`rel-${w}`) });
      statuses.set(r.status, (statuses.get(r.status) || 0) + 1);
      if (r.status === 201) acked.push(id);
      else if (r.status !== 503) unexpected.push(`${id}: ${r.status} ${r.text.slice(0, 200)}`);
      await sleep(25);   // stay under nginx's rate limit (limit_req)
    }
  };
  const unexpected = [];
  const writers = Array.from({ length: 4 }, (_, w) => writer(w));
  await sleep(700);
  pgctl('pg_stop');
  await sleep(700);
  pgctl('pg_start');
  await sleep(1500);
  stop = true;
  await Promise.all(writers);

  assert.deepEqual(unexpected, [], 'only 201 or 503 while the database restarts');
  assert.ok(statuses.get(503) > 0, `the outage was seen: ${JSON.stringify([...statuses])}`);
  assert.ok(acked.length > 10, 'writes went through before and after');
  // Every acknowledged order is stored, with both items (one transaction).
  const list = acked.map((id) => `'${id}'`).join(',');
  const whole = psql(`SELECT count(*) FROM orders o WHERE o.id IN (${list})
    AND (SELECT count(*) FROM order_items i WHERE i.order_id = o.id) = 2`);
  assert.equal(Number(whole), acked.length, 'every acknowledged write is there, whole');
  // And refundd serves again on every thread.
  for (let i = 0; i < 8; i++) assert.equal((await api('GET', '/api/v1/health')).status, 200);
});
