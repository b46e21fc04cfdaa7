-- 010_refund_requests_order_index.sql -- refund_committed() (sql/003, 006)
-- sums an order's approved requests, paid ones included. The only index on
-- refund_requests.order_id was the partial one of open requests, which a
-- query that also wants 'paid' rows cannot use: every quote, submission,
-- approval (the cap trigger) and billing update of an order scanned the
-- whole table. With 100 000 requests that was 45-55 ms per call and quotes
-- and writes ran at 40-60 per second (tests/bench/README.md). An order has a
-- handful of requests at most, so a plain index on order_id serves them all.
CREATE INDEX refund_requests_order ON refund_requests (order_id);

-- The same for payouts.refund_id: payouts_one_live (sql/004) indexes only
-- payouts that have not failed, so the refund's detail (all its payouts)
-- and the lock query's count of failed payouts read the whole table.
CREATE INDEX payouts_refund ON payouts (refund_id);
