// metrics.test.mjs -- /metrics read by a real Prometheus parser: Debian's
// python3-prometheus-client (text_string_to_metric_families), which reads
// samples that stray from their family's HELP/TYPE group as untyped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE, api } from './lib.mjs';

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
    ['refundd_db_errors', 'counter'],
    ['refundd_queue_depth', 'gauge'],
    ['refundd_request_duration_seconds', 'histogram'],
    ['refundd_requests', 'counter'],
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
