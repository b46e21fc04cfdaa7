-- 021_order_paid_while_refund_due.sql -- billing may not take an order out
-- of "paid" while one of its refunds is approved or being paid.
--
-- A paid order that billing marks cancelled or unpaid has had its money
-- returned or voided there; refundd would still pay the approved refund,
-- and the customer would get the money twice. Such a sync is refused
-- (409 order_has_refunds, handlers_orders.c) so that a person looks at it:
-- the refund is paid or its payout failed first, or billing's cancellation
-- is corrected. "expired" stays allowed: a subscription that ran out was
-- still paid for. Requests not yet approved, and refunds already paid,
-- leave billing free (a fully refunded order is commonly cancelled there).
CREATE FUNCTION orders_keep_paid_while_refund_due() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'paid' AND NEW.status IN ('cancelled', 'unpaid')
       AND EXISTS (SELECT 1 FROM refund_requests
                    WHERE order_id = NEW.id AND status IN ('approved', 'paying')) THEN
        RAISE EXCEPTION 'order % has a refund approved or being paid: it stays paid', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_paid_while_refund_due';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_keep_paid_while_refund_due BEFORE UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_keep_paid_while_refund_due();
