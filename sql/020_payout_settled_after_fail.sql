-- 020_payout_settled_after_fail.sql -- a payout reported failed that the
-- channel paid after all may become settled, once.
--
-- A bank transfer reported failed can still arrive (a returned-then-resent
-- transfer, a channel that answered "failed" on a timeout). Until now the
-- late "settled" was only recorded (payout.settle_after_fail) and the
-- refund stayed `approved`: finance could pay it a second time. The
-- channel's word now wins while nothing else has paid the refund
-- (handlers_payouts.c settle_late): the failed payout becomes settled and
-- the refund paid. Only that one change is allowed; everything else about
-- a final payout stays as it was (failure_reason keeps the history), and
-- payouts_one_live and payouts_order_cap still check the settled row.
CREATE OR REPLACE FUNCTION payouts_final() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    -- The columns a late settlement writes.
    settling constant text[] := ARRAY['status', 'settled_at', 'updated_at', 'channel_ref'];
BEGIN
    IF OLD.status = 'failed' AND NEW.status = 'settled'
       AND to_jsonb(NEW) - settling = to_jsonb(OLD) - settling THEN
        RETURN NEW;
    END IF;
    IF OLD.status IN ('settled', 'failed') AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'payout % is % and cannot change', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payouts_final';
    END IF;
    RETURN NEW;
END $$;
