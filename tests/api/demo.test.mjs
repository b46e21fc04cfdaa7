// demo.test.mjs -- the lived-in demo scripts/test loads before the API tests
// (scripts/demo-queue.mjs, as scripts/run does): a newcomer opening the staff
// page sees a real queue, and finance has payouts to export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, token } from './lib.mjs';

const LEAD = token('lead-wang', 'supervisor');
const FINANCE = token('fin-chen', 'finance');

async function demoRequests() {
  const all = [];
  let cursor = '';
  do {
    const page = await api('GET', `/api/v1/refunds?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { tok: LEAD });
    assert.equal(page.status, 200, page.text);
    all.push(...page.json.items.filter((r) => r.order_id.startsWith('DEMO-Q-')));
    cursor = page.json.next_cursor;
  } while (cursor);
  return all;
}

test('a dozen demo requests of several customers, in every state the desk sees', async () => {
  const reqs = await demoRequests();
  assert.equal(reqs.length, 12, JSON.stringify(reqs.map((r) => [r.order_id, r.status])));
  assert.ok(new Set(reqs.map((r) => r.account)).size >= 5, 'several customers');
  const states = new Set(reqs.map((r) => r.status));
  for (const s of ['submitted', 'in_review', 'needs_info', 'awaiting_second_approval', 'appealed',
    'awaiting_confirmation', 'approved', 'paying', 'paid', 'withdrawn'])
    assert.ok(states.has(s), `a demo request in ${s}: ${[...states]}`);
});

test('the staff queue shows them, one overdue; finance has a payout to export', async () => {
  const q = await api('GET', '/api/v1/queue?limit=100&overdue=true', { tok: LEAD });
  assert.equal(q.status, 200, q.text);
  assert.ok(q.json.items.some((r) => r.order_id === 'DEMO-Q-05'), 'DEMO-Q-05 is overdue');
  const open = await api('GET', '/api/v1/queue?limit=100', { tok: LEAD });
  const demo = open.json.items.filter((r) => r.order_id.startsWith('DEMO-Q-'));
  assert.ok(demo.length >= 6, `open demo requests in the queue: ${demo.length}`);
  const paying = (await demoRequests()).find((r) => r.status === 'paying');
  const full = await api('GET', `/api/v1/refunds/${paying.id}`, { tok: FINANCE });
  assert.ok(full.json.payouts.some((p) => p.status === 'pending' || p.status === 'sent'), full.text);
});

test('each demo request carries its timeline and the audit chain holds', async () => {
  const reqs = await demoRequests();
  const appealed = reqs.find((r) => r.status === 'appealed');
  const full = await api('GET', `/api/v1/refunds/${appealed.id}`, { tok: LEAD });
  const steps = full.json.timeline.map((e) => e.action || e.event || e.type);
  assert.ok(steps.length >= 4, JSON.stringify(full.json.timeline));
  const v = await api('GET', '/api/v1/audit/verify', { tok: token('demo-admin', 'admin') });
  assert.equal(v.json.ok, true, v.text);
});
