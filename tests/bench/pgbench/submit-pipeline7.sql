-- tests/bench/pgbench/submit-pipeline7.sql -- POST /refunds' transaction as refundd sends it
-- (fcgi/handlers_refunds.c, quote.c, workdays.c, audit.c, refunds.c), grouped as refundd groups them now (libpq pipeline mode): 7 round trips.
-- Generated shape, kept by hand: the same twelve statements in every
-- submit-*.sql; only where the round trips end differs. The order (PB-n,
-- account pgb-(n % 65536)) comes from bench_submit_seq in one extra round trip
-- before the transaction, the same in every variant. The new request's id is
-- (SELECT currval()) where refundd passes it back in (a later round trip). No
-- colon is followed by a letter or digit inside a literal: pgbench -M prepared
-- would take it for a variable.
SELECT nextval('bench_submit_seq') AS n \gset
\set a :n % 65536
\startpipeline
BEGIN;
SELECT set_config('refundd.sub', ('pgb-' || :a), true), set_config('refundd.role', 'customer', true),
 set_config('refundd.request_id', 'pgbench', true), set_config('refundd.client_addr', '127.0.0.1', true);
SELECT pg_advisory_xact_lock(hashtext('refund-submissions:' || ('pgb-' || :a)));
SELECT status, response, request_hash = encode(sha256(convert_to('{"order_id":"PB-' || :n || '","payout_method":"original_route","reason_code":"changed_mind"}', 'UTF8')), 'hex')
 FROM idempotency_keys WHERE account = ('pgb-' || :a) AND key = ('pgb-key-' || :n);
\endpipeline
\startpipeline
SELECT o.account, o.product_type, o.status, o.billing_mode, o.amount_paid, o.currency,
 coalesce(extract(epoch FROM o.paid_at), 0)::bigint, coalesce(extract(epoch FROM o.period_start), 0)::bigint,
 coalesce(extract(epoch FROM o.period_end), 0)::bigint, o.quantity, o.bonus_quantity, o.used_quantity, o.in_use,
 coalesce(o.service_status, 'none'), o.promo, o.third_party_cost, o.payment_method, o.id, p.product_type IS NOT NULL,
 p.version, p.refundable, p.window_rule, p.window_days, p.window_requires_unused, p.after_window, p.handling_fee_bps,
 p.deduct_third_party, p.promo_refundable, p.monthly_limit, array_to_string(p.payout_methods, ','), p.payout_default,
 array_to_string(p.payout_methods_after_window, ','), p.payout_default_after_window, p.review_sla_days,
 p.auto_approve_max, p.second_approval_over, p.product_type,
 refund_committed(o.id, NULL) + (SELECT coalesce(sum(r.quoted_amount), 0) FROM refund_requests r
   WHERE r.order_id = o.id AND r.status IN ('submitted', 'in_review', 'needs_info', 'awaiting_second_approval', 'appealed')),
 (SELECT count(*) FROM refund_requests r WHERE r.account = o.account AND r.product_type = o.product_type
   AND r.status <> 'withdrawn' AND r.created_at >= date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai'),
 (SELECT r.id FROM refund_requests r WHERE r.order_id = o.id AND r.status NOT IN ('paid', 'rejected', 'withdrawn'))
 FROM orders o LEFT JOIN LATERAL (SELECT * FROM refund_policies p WHERE p.product_type = o.product_type
   ORDER BY p.version DESC LIMIT 1) p ON true
 WHERE o.id = ('PB-' || :n) AND o.account = ('pgb-' || :a) FOR UPDATE OF o;
\endpipeline
\startpipeline
SELECT (day - DATE '1970-01-01')::bigint, kind FROM holidays
 WHERE day >= now()::date - 1 AND day <= now()::date + 3 * 366 ORDER BY day LIMIT 1200;
\endpipeline
\startpipeline
INSERT INTO refund_requests (order_id, account, product_type, provider, status, reason_code, reason_text,
 payout_method, quote, quoted_amount, currency, policy_version, approved_amount, approved_method, first_approver, due_at)
 SELECT o.id, o.account, o.product_type, o.provider, 'submitted', 'changed_mind', '', 'original_route',
 '{"order_id": "PB","eligible": true,"decision": "full","amount": 10000,"amount_text": "100.00","currency": "CNY","rule": "window_full","breakdown": [],"reasons": [],"remedy": null,"window_ends_at": null,"payout_methods": ["original_route"],"payout_default": "original_route","policy_version": 1}'::jsonb, 10000, o.currency, 1, NULL, NULL, NULL, now() + interval '3 days'
 FROM orders o WHERE o.id = ('PB-' || :n) RETURNING id::text, to_jsonb(refund_requests)::text;
\endpipeline
\startpipeline
WITH e AS (INSERT INTO audit_events (actor, actor_role, action, entity, entity_id, before, after, request_id, client_addr)
 VALUES (current_setting('refundd.sub'), current_setting('refundd.role'), 'refund.submit', 'refund', (SELECT currval('refund_requests_id_seq'))::text,
 NULL, (SELECT to_jsonb(r) FROM refund_requests r WHERE r.id = (SELECT currval('refund_requests_id_seq'))), current_setting('refundd.request_id'),
 current_setting('refundd.client_addr')) RETURNING id)
 INSERT INTO audit_unsealed (event_id) SELECT id FROM e;
INSERT INTO notifications (account, channel, refund_id, kind, payload)
 SELECT ('pgb-' || :a), ch, (SELECT currval('refund_requests_id_seq')), 'refund.submitted', coalesce(NULL::jsonb, (SELECT jsonb_build_object(
 'order_id', r.order_id, 'status', r.status) FROM refund_requests r WHERE r.id = (SELECT currval('refund_requests_id_seq'))), '{}')
 FROM unnest(ARRAY['in_app', 'email']) ch;
\endpipeline
\startpipeline
SELECT (to_jsonb(r) || jsonb_build_object(
 'order', (SELECT jsonb_build_object('id', o.id, 'product_name', o.product_name, 'product_type', o.product_type,
   'provider', o.provider, 'amount_paid', o.amount_paid, 'currency', o.currency, 'payment_method', o.payment_method,
   'paid_at', o.paid_at) FROM orders o WHERE o.id = r.order_id),
 'messages', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'author', m.author, 'author_role', m.author_role,
   'body', m.body, 'created_at', m.created_at) ORDER BY m.id), '[]') FROM refund_messages m WHERE m.refund_id = r.id),
 'timeline', (SELECT coalesce(jsonb_agg(jsonb_build_object('at', e.at, 'actor', e.actor, 'role', e.actor_role,
   'action', e.action, 'from', e.before->>'status', 'to', e.after->>'status') ORDER BY e.id), '[]')
   FROM audit_events e WHERE e.entity = 'refund' AND e.entity_id = r.id::text),
 'payouts', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.id), '[]') FROM payouts p WHERE p.refund_id = r.id),
 'overdue', r.due_at < now() AND r.status IN ('submitted', 'in_review', 'needs_info', 'awaiting_second_approval', 'appealed'),
 'expected_arrival_from', live.expected_at, 'expected_arrival', live.expected_latest_at))::text
 FROM refund_requests r LEFT JOIN LATERAL (SELECT p.expected_at, p.expected_latest_at FROM payouts p
   WHERE p.refund_id = r.id AND p.status <> 'failed' ORDER BY p.id DESC LIMIT 1) live ON true
 WHERE r.id = (SELECT currval('refund_requests_id_seq')) AND r.account = ('pgb-' || :a);
\endpipeline
\startpipeline
INSERT INTO idempotency_keys (account, key, request_hash, status, response)
 VALUES (('pgb-' || :a), ('pgb-key-' || :n), encode(sha256(convert_to('{"order_id":"PB-' || :n || '","payout_method":"original_route","reason_code":"changed_mind"}', 'UTF8')), 'hex'), 201, repeat('x', 1000));
COMMIT;
\endpipeline
