-- 012_frozen_inputs.sql -- every refund request keeps the inputs its quote
-- was computed from (DESIGN.md §8, "Frozen inputs and simulation"), so the
-- quote can be recomputed exactly later and a draft policy can be run over
-- past requests (POST /api/v1/policies/{type}/simulate). Also the indexes
-- that serve the simulation's and the reports' range scans.
--
-- quote_inputs (written by the submission's INSERT, fcgi/handlers_refunds.c):
--   {"reconstructed": false,          -- true: rebuilt below, after the fact
--    "quoted_at": "…Z",               -- the instant the engine was asked
--    "already_refunded": n,           -- refunded or being refunded then
--    "requests_this_month": n,        -- the account's earlier requests that month
--    "order": {product_type, status, billing_mode, amount_paid, currency,
--              paid_at, period_start, period_end, quantity, bonus_quantity,
--              used_quantity, in_use, service_status, promo, third_party_cost,
--              items: [{item_no, name, status, amount}]}}
-- Times are whole seconds (what the engine saw), null where the engine saw 0.
-- NULL: a request older than this migration whose inputs cannot be rebuilt.

ALTER TABLE refund_requests ADD COLUMN quote_inputs jsonb
    CHECK (quote_inputs IS NULL OR (jsonb_typeof(quote_inputs) = 'object'
           AND quote_inputs ? 'order' AND quote_inputs ? 'quoted_at'));

-- Whole seconds as the engine sees them (quote.c rounds extract(epoch)).
CREATE FUNCTION frozen_time(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(to_timestamp(extract(epoch FROM t)::bigint) AT TIME ZONE 'UTC',
                   'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- Requests made before: rebuilt from what the database still knows. The
-- order's facts are today's (usage may have grown since), so these are
-- marked reconstructed. What the quote needed at the time can be recovered
-- better than that for two inputs: "already refunded" is what the order's
-- earlier requests had approved, and "requests this month" counts the
-- account's earlier requests for the same product type in the same calendar
-- month of Asia/Shanghai (the default time zone; config.c). An order that
-- is no longer paid or expired now could only have been paid then (a quote
-- for anything else is not eligible, and no request is stored): status
-- 'paid', when it was ever paid (paid_at known). Without paid_at, nothing is
-- rebuilt: the data does not allow it.
UPDATE refund_requests r SET quote_inputs = jsonb_build_object(
    'reconstructed', true,
    'quoted_at', frozen_time(r.created_at),
    'already_refunded', (SELECT coalesce(sum(e.approved_amount), 0) FROM refund_requests e
        WHERE e.order_id = r.order_id AND e.id < r.id
          AND e.status IN ('awaiting_confirmation', 'approved', 'paying', 'paid')),
    'requests_this_month', (SELECT count(*) FROM refund_requests m
        WHERE m.account = r.account AND m.product_type = r.product_type AND m.id < r.id
          AND m.status <> 'withdrawn'
          AND date_trunc('month', m.created_at AT TIME ZONE 'Asia/Shanghai')
            = date_trunc('month', r.created_at AT TIME ZONE 'Asia/Shanghai')),
    'order', jsonb_build_object(
        'product_type', o.product_type, 'status', 'paid', 'billing_mode', o.billing_mode,
        'amount_paid', o.amount_paid, 'currency', o.currency,
        'paid_at', frozen_time(o.paid_at),
        'period_start', frozen_time(o.period_start),
        'period_end', frozen_time(o.period_end),
        'quantity', o.quantity, 'bonus_quantity', o.bonus_quantity,
        'used_quantity', o.used_quantity, 'in_use', o.in_use,
        'service_status', coalesce(o.service_status, 'none'), 'promo', o.promo,
        'third_party_cost', o.third_party_cost,
        'items', (SELECT coalesce(jsonb_agg(jsonb_build_object('item_no', i.item_no,
            'name', i.name, 'status', i.status, 'amount', i.amount) ORDER BY i.item_no), '[]')
            FROM order_items i WHERE i.order_id = o.id)))
FROM orders o
WHERE o.id = r.order_id AND r.quote_inputs IS NULL AND o.paid_at IS NOT NULL;

-- The simulation: one product type's requests submitted in a range.
CREATE INDEX refund_requests_type_created ON refund_requests (product_type, created_at);
-- The reports: every request submitted in a range, whatever the grouping.
CREATE INDEX refund_requests_created ON refund_requests (created_at);
