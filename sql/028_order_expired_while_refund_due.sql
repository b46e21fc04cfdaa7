-- 028_order_expired_while_refund_due.sql -- an expired order, too,
-- stays as it is while one of its refunds is approved or being paid.
--
-- 021 refused billing's cancelled or unpaid only for an order that was
-- still "paid". A subscription that ran out is "expired" (allowed: it was
-- paid for), and from there billing could cancel it while its refund was
-- approved or paying: billing voids or returns the money, the payout goes
-- on, and the customer is paid twice. Expired is paid-for like paid; the
-- rule is the same from both.
CREATE OR REPLACE FUNCTION orders_keep_paid_while_refund_due() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('paid', 'expired') AND NEW.status IN ('cancelled', 'unpaid')
       AND EXISTS (SELECT 1 FROM refund_requests
                    WHERE order_id = NEW.id AND status IN ('approved', 'paying')) THEN
        RAISE EXCEPTION 'order % has a refund approved or being paid: it stays paid', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_paid_while_refund_due';
    END IF;
    RETURN NEW;
END $$;
