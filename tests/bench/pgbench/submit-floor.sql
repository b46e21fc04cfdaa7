-- tests/bench/pgbench/submit-floor.sql -- the least a write transaction
-- costs here: one small row into a table with one index (the
-- Idempotency-Keys' primary key), committed with its WAL flush, in one round trip. Not a
-- submission: the yardstick the submission's variants are read against.
SELECT nextval('bench_submit_seq') AS n \gset
\set a :n % 65536
\startpipeline
BEGIN;
INSERT INTO idempotency_keys (account, key, request_hash, status, response)
 VALUES (('pgb-' || :a), ('pgb-key-' || :n), 'floor', 201, '{}');
COMMIT;
\endpipeline
