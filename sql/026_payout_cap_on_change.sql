-- 026_payout_cap_on_change.sql -- the order cap of payouts (004)
-- runs only when a payout can add to what its order's payouts add up to.
--
-- payouts_order_cap locks the order row and sums its payouts. It ran on
-- every UPDATE of a payout, also when the export marked it sent or the
-- channel settled it: neither changes the sum of the payouts that have not
-- failed. The export (one UPDATE over every pending payout) thereby locked
-- payout, then order, while a late "settled" (handlers_payouts.c) holds the
-- refund with its order and then locks the refund's retry: the two
-- deadlocked, and PostgreSQL failed one of them after deadlock_timeout.
-- What can raise the sum, and is still checked under the order's lock: a
-- new payout, a failed one that becomes live again (settled after all,
-- sql/020), and a changed amount or order (refused elsewhere, checked here
-- anyway). Same approach as 014 for refund_requests_cap.
DROP TRIGGER payouts_order_cap ON payouts;
CREATE TRIGGER payouts_order_cap BEFORE INSERT ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_order_cap();
CREATE TRIGGER payouts_order_cap_update BEFORE UPDATE ON payouts
    FOR EACH ROW
    WHEN (NEW.status <> 'failed'
          AND (OLD.status = 'failed'
               OR OLD.amount IS DISTINCT FROM NEW.amount
               OR OLD.order_id IS DISTINCT FROM NEW.order_id))
    EXECUTE FUNCTION payouts_order_cap();
