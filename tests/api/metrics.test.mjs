// metrics.test.mjs -- /metrics read by a real Prometheus parser: Debian's
// python3-prometheus-client (text_string_to_metric_families), which reads
// samples that stray from their family's HELP/TYPE group as untyped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE, api, psql, sleep } from './lib.mjs';

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type,
                "samples": [[s.name, s.labels, s.value] for s in f.samples]})
print(json.dumps(out))
`;

function parse(text) {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', PARSE], { input: text }).toString());
}

test('every family parses with its declared type, its samples grouped under it', async () => {
  await api('GET', '/api/v1/health');
  await api('GET', '/api/v1/no-such-route');
  const text = await (await fetch(BASE + '/metrics')).text();
  const families = parse(text);
  const byName = Object.fromEntries(families.map((f) => [f.name, f]));
  // The parser names a counter without its _total suffix.
  assert.deepEqual(families.map((f) => [f.name, f.type]).sort(), [
    ['refundd_audit_checkpoint_age_seconds', 'gauge'],
    ['refundd_audit_unsealed_events', 'gauge'],
    ['refundd_audit_unsealed_oldest_seconds', 'gauge'],
    ['refundd_db_errors', 'counter'],
    ['refundd_payouts_unsettled', 'gauge'],
    ['refundd_queue_depth', 'gauge'],
    ['refundd_request_duration_seconds', 'histogram'],
    ['refundd_requests', 'counter'],
    ['refundd_webhook_deliveries', 'gauge'],
  ], text.slice(0, 2000));

  const health = byName.refundd_requests.samples.find(([n, l]) =>
    n === 'refundd_requests_total' && l.route === '/api/v1/health' && l.status === '200');
  assert.ok(health && health[2] >= 1, 'health counted');
  const hist = byName.refundd_request_duration_seconds.samples
    .filter(([, l]) => l.route === '/api/v1/health');
  const inf = hist.find(([n, l]) => n.endsWith('_bucket') && l.le === '+Inf');
  const count = hist.find(([n]) => n.endsWith('_count'));
  assert.ok(inf && count && inf[2] === count[2], 'the +Inf bucket equals the count');
  const buckets = hist.filter(([n]) => n.endsWith('_bucket')).map(([, , v]) => v);
  assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b), 'buckets are cumulative');
});

test('the parser does catch a family split from its TYPE line (the check can fail)', () => {
  const split = '# HELP a_total A.\n# TYPE a_total counter\n# HELP b B.\n# TYPE b gauge\n' +
    'a_total 1\nb 2\n';
  const types = parse(split).map((f) => f.type);
  assert.ok(types.includes('unknown') || types.includes('untyped'), JSON.stringify(types));
});

/* The gauges an operator alerts on, against the database read here with
 * psql. Background threads (the sealer, the webhook sender) move some of
 * them, so a reading counts only when two scrapes around it agree. */
const GAUGES = `SELECT
  (SELECT count(*) FROM refund_requests WHERE status IN ('submitted', 'in_review', 'needs_info',
     'awaiting_second_approval', 'appealed')),
  (SELECT count(*) FROM audit_unsealed),
  (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
  (SELECT count(*) FROM webhook_deliveries WHERE status = 'retrying'),
  (SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'),
  (SELECT count(*) FROM payouts WHERE status = 'pending'),
  (SELECT count(*) FROM payouts WHERE status = 'sent'),
  extract(epoch FROM (SELECT max(signed_at) FROM audit_checkpoints))`;

async function scrape() {
  const byName = Object.fromEntries(parse(await (await fetch(BASE + '/metrics')).text())
    .map((f) => [f.name, f.samples]));
  const one = (name, status) => byName[name].find(([, l]) => (status ? l.status === status : true))[2];
  return {
    at: Date.now() / 1000,
    counts: [one('refundd_queue_depth'), one('refundd_audit_unsealed_events'),
      one('refundd_webhook_deliveries', 'pending'), one('refundd_webhook_deliveries', 'retrying'),
      one('refundd_webhook_deliveries', 'failed'),
      one('refundd_payouts_unsettled', 'pending'), one('refundd_payouts_unsettled', 'sent')],
    oldest: one('refundd_audit_unsealed_oldest_seconds'),
    checkpointAge: one('refundd_audit_checkpoint_age_seconds'),
  };
}

test('the gauges: the review queue, the sealer, the webhooks and the payouts as the database has them', async () => {
  for (let attempt = 0; ; attempt++) {
    const before = await scrape();
    const [db, signedAt] = ((row) => [row.slice(0, 7).map(Number), Number(row[7])])(psql(GAUGES).split('|'));
    const after = await scrape();
    if (JSON.stringify(before.counts) !== JSON.stringify(after.counts) && attempt < 10) {
      await sleep(300);
      continue;
    }
    assert.deepEqual(after.counts, db, 'queue, unsealed, webhooks pending/retrying/failed, payouts pending/sent');
    assert.ok(after.counts.every((v) => Number.isInteger(v) && v >= 0));
    assert.ok(after.oldest >= 0 && (after.counts[1] > 0 || after.oldest === 0), `oldest ${after.oldest}`);
    // the newest checkpoint the gauge measured from is one the database has
    // (or a newer one signed between the scrape and the query)
    assert.ok(after.checkpointAge >= 0);
    const implied = after.at - after.checkpointAge;
    assert.ok(implied <= signedAt + 1, `age ${after.checkpointAge}, newest signed ${signedAt}`);
    assert.equal(psql(`SELECT count(*) > 0 FROM audit_checkpoints
      WHERE extract(epoch FROM signed_at) BETWEEN ${implied - 1.5} AND ${implied + 1.5}`), 't',
    `no checkpoint signed near ${implied} (age ${after.checkpointAge})`);
    return;
  }
});
