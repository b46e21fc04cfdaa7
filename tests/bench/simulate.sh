#!/usr/bin/env bash
# tests/bench/simulate.sh -- the policy simulation's speed (issue 13: 100 000
# requests simulated in under 2 s on a 2-core machine). Seeds 100 000 refund
# requests of a product type of its own (bench_sim_<pid>, with a copy of
# api_credits' policy) with frozen quote inputs spread over 90 days, times
# POST /api/v1/policies/{type}/simulate through nginx a few times with a
# draft that changes about half of them, prints the times and the summary,
# and removes what it seeded. No pass/fail on timing: it exits non-zero only
# when a call does not answer 200 or counts the wrong number of requests.
#
# Runs against a stack that is up (the build it serves is what is measured:
# use a Release build for the number that counts; an ASan build is several
# times slower):
#   eval "$(scripts/dev-stack env /tmp/x-rd PORT)"; tests/bench/simulate.sh
# Environment: REFUNDD_URL, REFUNDD_RUNDIR (from dev-stack env),
#   SIM_REQUESTS=100000, SIM_RUNS=3.
source "$(dirname "$0")/../../scripts/lib.sh"
set -euo pipefail

N=${SIM_REQUESTS:-100000}
RUNS=${SIM_RUNS:-3}
RD=${REFUNDD_RUNDIR:?run under scripts/dev-stack env}
URL=${REFUNDD_URL:?run under scripts/dev-stack env}
TYPE=bench_sim_$$
BIN=${REFUNDD_BIN:-$REPO/build-asan/refundd}

# Without the foreign-key triggers (superuser, this session only): nothing
# refers to these rows, and checking 100 000 of them against tables with no
# index on refund_id takes minutes.
cleanup() {
	psql_super "$RD" -d refundd <<SQL >/dev/null
SET session_replication_role = replica;
DELETE FROM refund_requests WHERE product_type = '$TYPE';
DELETE FROM orders WHERE product_type = '$TYPE';
DELETE FROM refund_policies WHERE product_type = '$TYPE';
SQL
}
trap cleanup EXIT

echo "== seeding $N requests of $TYPE"
psql_super "$RD" -d refundd <<SQL >/dev/null
INSERT INTO refund_policies (product_type, version, refundable, window_rule, window_days,
    window_requires_unused, after_window, handling_fee_bps, deduct_third_party, promo_refundable,
    monthly_limit, payout_methods, payout_default, payout_methods_after_window,
    payout_default_after_window, review_sla_days, auto_approve_max, second_approval_over, note, created_by)
SELECT '$TYPE', 1, refundable, window_rule, window_days, window_requires_unused, after_window,
    handling_fee_bps, deduct_third_party, promo_refundable, monthly_limit, payout_methods,
    payout_default, payout_methods_after_window, payout_default_after_window, review_sla_days,
    auto_approve_max, second_approval_over, 'bench', 'bench'
FROM refund_policies WHERE product_type = 'api_credits' ORDER BY version DESC LIMIT 1;
INSERT INTO orders (id, account, provider, product_type, product_name, billing_mode, status,
    amount_paid, currency, payment_method, paid_at, quantity, used_quantity)
SELECT 'BS-$$-' || g, 'bench-' || (g % 5000), 'aliyun', '$TYPE', 'bench', 'one_time', 'paid', 100000,
    'CNY', 'alipay', now() - (g % 88) * interval '1 day' - interval '2 days', 100000, (g * 37) % 100000
FROM generate_series(1, $N) g;
INSERT INTO refund_requests (order_id, account, product_type, provider, status, reason_code,
    payout_method, quote, quoted_amount, currency, policy_version, due_at, created_at, quote_inputs)
SELECT o.id, o.account, o.product_type, 'aliyun', 'rejected', 'other', 'original_route',
    jsonb_build_object('decision', 'full', 'eligible', true), 100000, 'CNY', 1,
    now(), o.paid_at + interval '1 day',
    jsonb_build_object('reconstructed', false, 'quoted_at', frozen_time(o.paid_at + interval '1 day'),
      'already_refunded', 0, 'requests_this_month', 0,
      'order', jsonb_build_object('product_type', o.product_type, 'status', 'paid',
        'billing_mode', 'one_time', 'amount_paid', o.amount_paid, 'currency', 'CNY',
        'paid_at', frozen_time(o.paid_at), 'period_start', null, 'period_end', null,
        'quantity', o.quantity, 'bonus_quantity', 0, 'used_quantity', o.used_quantity,
        'in_use', false, 'service_status', 'none', 'promo', false, 'third_party_cost', 0,
        'items', '[]'::jsonb))
FROM orders o WHERE o.product_type = '$TYPE';
ANALYZE refund_requests;
SQL

TOKEN=$("$BIN" token --sub bench-admin --role admin)
DRAFT='{"policy":{"refundable":true,"window_rule":"full","window_days":0,"window_requires_unused":false,"after_window":"prorata_usage","handling_fee_bps":250,"deduct_third_party":false,"promo_refundable":true,"monthly_limit":0,"payout_methods":["original_route"],"payout_default":"original_route","payout_methods_after_window":["balance"],"payout_default_after_window":"balance","review_sla_days":3,"auto_approve_max":0,"second_approval_over":500000}}'
echo "== POST /api/v1/policies/$TYPE/simulate, $RUNS runs ($BIN)"
for i in $(seq "$RUNS"); do
	out=$(curl -sS -o /tmp/bench-sim-$$.json -w '%{http_code} %{time_total}' -X POST \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data "$DRAFT" "$URL/api/v1/policies/$TYPE/simulate?limit=100")
	read -r code secs <<<"$out"
	[ "$code" = 200 ] || { echo "answered $code: $(cat /tmp/bench-sim-$$.json)"; exit 1; }
	seen=$(jq -r .summary.requests /tmp/bench-sim-$$.json)
	[ "$seen" = "$N" ] || { echo "counted $seen requests, seeded $N"; exit 1; }
	printf 'run %d: %.3f s\n' "$i" "$secs"
done
jq -c .summary /tmp/bench-sim-$$.json
rm -f /tmp/bench-sim-$$.json
