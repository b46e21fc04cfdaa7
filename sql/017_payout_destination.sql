-- 017_payout_destination.sql -- a payout instruction keeps where the money
-- goes.
--
-- The export read the payment reference and product name from the live
-- order row, so a later order sync (a new payment_ref) changed what a
-- re-download of instructions already sent said, and could point the
-- next export at another account. The payout now copies both from the
-- order when it is made, and the exports read the payout alone.
ALTER TABLE payouts
    ADD COLUMN payment_ref  text CHECK (length(payment_ref) <= 128),
    ADD COLUMN product_name text CHECK (length(product_name) BETWEEN 1 AND 200);

-- Payouts made before this migration: the order as it is now is the best
-- record there is. Final payouts are otherwise immutable (payouts_final),
-- and the order cap has nothing to check here, so both triggers sleep for
-- this one statement.
ALTER TABLE payouts DISABLE TRIGGER payouts_final, DISABLE TRIGGER payouts_order_cap;
UPDATE payouts p SET payment_ref = o.payment_ref, product_name = o.product_name
  FROM orders o WHERE o.id = p.order_id;
ALTER TABLE payouts ENABLE TRIGGER payouts_final, ENABLE TRIGGER payouts_order_cap;
ALTER TABLE payouts ALTER COLUMN product_name SET NOT NULL;
