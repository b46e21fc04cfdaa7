-- tests/bench/pgbench/setup.sql -- what the submit scripts need on top of a
-- migrated database with sql/demo/ and tests/bench/seed.sql: fresh orders
-- PB-1..:orders of accounts pgb-0..65535 (one submission each, numbered by
-- bench_submit_seq; as many accounts as that, so that an account's requests
-- of the month, which every quote counts, stay a handful as real ones do,
-- instead of growing by hundreds a run), and the two PL/pgSQL functions of the "function"
-- variant. Not a migration: only pgbench.sh loads it, as the superuser.
\set ON_ERROR_STOP 1
INSERT INTO orders (id, account, provider, product_type, product_name, billing_mode, status,
    amount_paid, currency, payment_method, payment_ref, paid_at, quantity)
SELECT 'PB-' || n, 'pgb-' || (n % 65536), 'aliyun', 'api_credits', 'API 资源包 (pgbench)',
    'one_time', 'paid', 10000, 'CNY', 'alipay', 'ALI-PB-' || n, now() - interval '10 days', 1000
FROM generate_series(1, :orders) n;
CREATE SEQUENCE bench_submit_seq;

-- The read half of a submission in one call: the account lock, the
-- Idempotency-Key, the quote's inputs (order row locked) and the holidays,
-- as refundd's statements would return them (one JSON document).
CREATE FUNCTION bench_submit_read(p_account text, p_key text, p_canonical text,
                                  p_order text, p_tz text, p_start bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE idem jsonb; inputs jsonb; days jsonb;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('refund-submissions:' || p_account));
    SELECT jsonb_build_object('status', status, 'response', response, 'same',
           request_hash = encode(sha256(convert_to(p_canonical, 'UTF8')), 'hex')) INTO idem
      FROM idempotency_keys WHERE account = p_account AND key = p_key;
    SELECT to_jsonb(q) INTO inputs FROM (
        SELECT o.account, o.product_type, o.status, o.billing_mode, o.amount_paid, o.currency,
         coalesce(extract(epoch FROM o.paid_at), 0)::bigint AS paid_at,
         coalesce(extract(epoch FROM o.period_start), 0)::bigint AS period_start,
         coalesce(extract(epoch FROM o.period_end), 0)::bigint AS period_end,
         o.quantity, o.bonus_quantity, o.used_quantity, o.in_use,
         coalesce(o.service_status, 'none') AS service_status, o.promo, o.third_party_cost,
         o.payment_method, o.id, p.product_type IS NOT NULL AS has_policy,
         p.version, p.refundable, p.window_rule, p.window_days, p.window_requires_unused,
         p.after_window, p.handling_fee_bps, p.deduct_third_party, p.promo_refundable,
         p.monthly_limit, array_to_string(p.payout_methods, ',') AS methods, p.payout_default,
         array_to_string(p.payout_methods_after_window, ',') AS methods_after,
         p.payout_default_after_window, p.review_sla_days, p.auto_approve_max,
         p.second_approval_over, p.product_type AS policy_type,
         refund_committed(o.id, NULL) + (SELECT coalesce(sum(r.quoted_amount), 0) FROM refund_requests r
           WHERE r.order_id = o.id AND r.status IN ('submitted', 'in_review', 'needs_info',
           'awaiting_second_approval', 'appealed')) AS refunded,
         (SELECT count(*) FROM refund_requests r WHERE r.account = o.account
           AND r.product_type = o.product_type AND r.status <> 'withdrawn'
           AND r.created_at >= date_trunc('month', now() AT TIME ZONE p_tz) AT TIME ZONE p_tz) AS this_month,
         (SELECT r.id FROM refund_requests r WHERE r.order_id = o.id
           AND r.status NOT IN ('paid', 'rejected', 'withdrawn')) AS open_id
        FROM orders o LEFT JOIN LATERAL (SELECT * FROM refund_policies p
          WHERE p.product_type = o.product_type ORDER BY p.version DESC LIMIT 1) p ON true
        WHERE o.id = p_order AND o.account = p_account FOR UPDATE OF o) q;
    SELECT jsonb_agg(jsonb_build_array((day - DATE '1970-01-01')::bigint, kind) ORDER BY day) INTO days
      FROM holidays WHERE day >= to_timestamp(p_start)::date - 1
       AND day <= to_timestamp(p_start)::date + 3 * 366;
    RETURN jsonb_build_object('idem', idem, 'inputs', inputs, 'holidays', days)::text;
END $$;

-- The write half: the request, its audit event and queue row, the notices,
-- the answer (the detail query) and the stored answer; returns the answer.
CREATE FUNCTION bench_submit_write(p_account text, p_key text, p_canonical text, p_order text,
                                   p_quote text, p_amount bigint, p_due bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE new_id bigint; after text; detail text;
BEGIN
    INSERT INTO refund_requests (order_id, account, product_type, provider, status,
        reason_code, reason_text, payout_method, quote, quoted_amount, currency, policy_version,
        approved_amount, approved_method, first_approver, due_at)
    SELECT o.id, o.account, o.product_type, o.provider, 'submitted', 'changed_mind', '',
        'original_route', p_quote::jsonb, p_amount, o.currency, 1, NULL, NULL, NULL, to_timestamp(p_due)
    FROM orders o WHERE o.id = p_order RETURNING id, to_jsonb(refund_requests)::text INTO new_id, after;
    WITH e AS (INSERT INTO audit_events (actor, actor_role, action, entity, entity_id,
        before, after, request_id, client_addr)
      VALUES (current_setting('refundd.sub'), current_setting('refundd.role'), 'refund.submit',
        'refund', new_id::text, NULL, after::jsonb, current_setting('refundd.request_id'),
        current_setting('refundd.client_addr')) RETURNING id)
    INSERT INTO audit_unsealed (event_id) SELECT id FROM e;
    INSERT INTO notifications (account, channel, refund_id, kind, payload)
    SELECT p_account, ch, new_id, 'refund.submitted', coalesce(NULL::jsonb, (SELECT jsonb_build_object(
        'order_id', r.order_id, 'status', r.status) FROM refund_requests r WHERE r.id = new_id), '{}')
    FROM unnest(ARRAY['in_app', 'email']) ch;
    SELECT (to_jsonb(r) || jsonb_build_object(
     'order', (SELECT jsonb_build_object('id', o.id, 'product_name', o.product_name,
       'product_type', o.product_type, 'provider', o.provider, 'amount_paid', o.amount_paid,
       'currency', o.currency, 'payment_method', o.payment_method, 'paid_at', o.paid_at)
       FROM orders o WHERE o.id = r.order_id),
     'messages', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'author', m.author,
       'author_role', m.author_role, 'body', m.body, 'created_at', m.created_at) ORDER BY m.id), '[]')
       FROM refund_messages m WHERE m.refund_id = r.id),
     'timeline', (SELECT coalesce(jsonb_agg(jsonb_build_object('at', e.at, 'actor', e.actor,
       'role', e.actor_role, 'action', e.action, 'from', e.before->>'status',
       'to', e.after->>'status') ORDER BY e.id), '[]')
       FROM audit_events e WHERE e.entity = 'refund' AND e.entity_id = r.id::text),
     'payouts', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.id), '[]')
       FROM payouts p WHERE p.refund_id = r.id),
     'overdue', r.due_at < now() AND r.status IN ('submitted', 'in_review', 'needs_info',
       'awaiting_second_approval', 'appealed'),
     'expected_arrival_from', live.expected_at, 'expected_arrival', live.expected_latest_at
     ))::text INTO detail FROM refund_requests r
     LEFT JOIN LATERAL (SELECT p.expected_at, p.expected_latest_at FROM payouts p
       WHERE p.refund_id = r.id AND p.status <> 'failed' ORDER BY p.id DESC LIMIT 1) live ON true
     WHERE r.id = new_id AND r.account = p_account;
    INSERT INTO idempotency_keys (account, key, request_hash, status, response)
    VALUES (p_account, p_key, encode(sha256(convert_to(p_canonical, 'UTF8')), 'hex'), 201, detail);
    RETURN detail;
END $$;
