-- tests/bench/seed.sql -- the benchmark's database: refund requests in bulk,
-- loaded by run.sh as the superuser after sql/demo/ (the api_credits policy:
-- 30 days full, original route only, never auto-approved, no monthly limit).
--
-- psql variables (run.sh sets them all):
--   requests          refund requests in all (at least approve_pool + payout_pool)
--   approve_pool      of them in_review with an assignee: one approve each
--   payout_pool       of them approved: one payout each
--   submit_accounts   fresh customer accounts bench-s0..N-1 for POST /refunds,
--   submit_orders     each with this many orders BS-<account>-<n>, n = 0..,
--                     paid 10 days ago, no request yet: one submission each
--
-- Every request has its own order (one open request per order); old
-- requests get no audit rows (no query needs them). The ranges of ids in
-- each pool are contiguous (one INSERT each, in id order); run.sh reads them
-- back with SELECT min(id), max(id).
\set ON_ERROR_STOP 1
BEGIN;

-- One order per request: 100.00 CNY paid by Alipay 10 days ago.
INSERT INTO orders (id, account, provider, product_type, product_name, billing_mode, status,
    amount_paid, currency, payment_method, payment_ref, paid_at, quantity)
SELECT 'BR-' || i, 'bench-c' || (i % 20000), 'aliyun', 'api_credits', 'API 资源包 (bench)',
    'one_time', 'paid', 10000, 'CNY', 'alipay', 'ALI-BR-' || i, now() - interval '10 days', 1000
FROM generate_series(1, :requests) i;

-- Fresh accounts and orders for POST /refunds.
INSERT INTO orders (id, account, provider, product_type, product_name, billing_mode, status,
    amount_paid, currency, payment_method, payment_ref, paid_at, quantity)
SELECT 'BS-' || a || '-' || n, 'bench-s' || a, 'aliyun', 'api_credits', 'API 资源包 (bench)',
    'one_time', 'paid', 10000, 'CNY', 'alipay', 'ALI-BS-' || a || '-' || n,
    now() - interval '10 days', 1000
FROM generate_series(0, :submit_accounts - 1) a, generate_series(0, :submit_orders - 1) n;

-- What the quote said when these requests were made (the shape quote.c stores).
CREATE TEMP TABLE bench_req (i int, status text, other jsonb) ON COMMIT DROP;
INSERT INTO bench_req
SELECT i, CASE WHEN i <= :approve_pool THEN 'in_review'
               WHEN i <= :approve_pool + :payout_pool THEN 'approved'
               ELSE (ARRAY['submitted', 'paid', 'rejected', 'withdrawn', 'needs_info',
                           'in_review', 'paid', 'withdrawn'])[1 + i % 8] END, NULL
FROM generate_series(1, :requests) i;

INSERT INTO refund_requests (order_id, account, product_type, provider, status, reason_code,
    reason_text, payout_method, quote, quoted_amount, currency, policy_version,
    approved_amount, approved_method, first_approver, reject_reason, assignee, due_at,
    created_at, updated_at, decided_at)
SELECT 'BR-' || b.i, 'bench-c' || (b.i % 20000), 'api_credits', 'aliyun', b.status,
    'changed_mind', '', 'original_route',
    jsonb_build_object('order_id', 'BR-' || b.i, 'eligible', true, 'decision', 'full',
        'amount', 10000, 'amount_text', '100.00', 'currency', 'CNY', 'rule', 'window_full',
        'breakdown', '[]'::jsonb, 'reasons', '[]'::jsonb, 'remedy', NULL,
        'window_ends_at', to_char((now() + interval '20 days') AT TIME ZONE 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'payout_methods', '["original_route"]'::jsonb, 'payout_default', 'original_route',
        'policy_version', 1),
    10000, 'CNY', 1,
    CASE WHEN b.status IN ('approved', 'paid') THEN 10000 END,
    CASE WHEN b.status IN ('approved', 'paid') THEN 'original_route' END,
    CASE WHEN b.status IN ('approved', 'paid') THEN 'bench-support' END,
    CASE WHEN b.status = 'rejected' THEN 'other' END,
    CASE WHEN b.status IN ('in_review', 'needs_info', 'approved', 'paid', 'rejected')
         THEN 'bench-support' END,
    -- due from 5 business days ago to 14 ahead: some of the queue is overdue
    now() + ((b.i % 20) - 5) * interval '1 day',
    now() - interval '40 days' - (b.i % 300) * interval '1 day',
    now() - interval '40 days' - (b.i % 300) * interval '1 day',
    CASE WHEN b.status IN ('approved', 'paid', 'rejected')
         THEN now() - interval '39 days' - (b.i % 300) * interval '1 day' END
FROM bench_req b ORDER BY b.i;

COMMIT;
-- Vacuumed, analyzed and written out now, so that autovacuum and the
-- checkpointer do not do it in the middle of a measured run.
VACUUM (ANALYZE) orders, refund_requests;
CHECKPOINT;
