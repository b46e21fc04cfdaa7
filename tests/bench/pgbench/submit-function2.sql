-- tests/bench/pgbench/submit-function2.sql -- POST /refunds' transaction as refundd sends it
-- (fcgi/handlers_refunds.c, quote.c, workdays.c, audit.c, refunds.c), with each half in one PL/pgSQL function (setup.sql): 2 round trips, BEGIN and the identity riding with the first, COMMIT with the second.
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
SELECT bench_submit_read(('pgb-' || :a), ('pgb-key-' || :n), '{"order_id":"PB-' || :n || '","payout_method":"original_route","reason_code":"changed_mind"}', ('PB-' || :n), 'Asia/Shanghai', extract(epoch FROM now())::bigint);
\endpipeline
\startpipeline
SELECT bench_submit_write(('pgb-' || :a), ('pgb-key-' || :n), '{"order_id":"PB-' || :n || '","payout_method":"original_route","reason_code":"changed_mind"}', ('PB-' || :n), '{"order_id": "PB","eligible": true,"decision": "full","amount": 10000,"amount_text": "100.00","currency": "CNY","rule": "window_full","breakdown": [],"reasons": [],"remedy": null,"window_ends_at": null,"payout_methods": ["original_route"],"payout_default": "original_route","policy_version": 1}', 10000, extract(epoch FROM now() + interval '3 days')::bigint);
COMMIT;
\endpipeline
