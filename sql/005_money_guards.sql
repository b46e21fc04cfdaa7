-- 005_money_guards.sql -- two more rules the database keeps whatever a
-- worker does: a payout moves exactly the amount its refund was approved
-- for, and billing cannot lower what an order paid below what is already
-- approved or paid back for it.

CREATE FUNCTION payouts_match_approval() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE approved bigint;
BEGIN
    SELECT approved_amount INTO approved FROM refund_requests WHERE id = NEW.refund_id;
    IF approved IS NULL OR NEW.amount <> approved THEN
        RAISE EXCEPTION 'payout of refund % must be its approved amount %', NEW.refund_id, approved
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payouts_match_approval';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payouts_match_approval BEFORE INSERT OR UPDATE OF amount, refund_id ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_match_approval();

CREATE FUNCTION orders_keep_refunds_covered() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.amount_paid < OLD.amount_paid AND NEW.amount_paid < refund_committed(NEW.id, NULL) THEN
        RAISE EXCEPTION 'order % has more approved or refunded than % left', NEW.id, NEW.amount_paid
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_refunds_covered';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_keep_refunds_covered BEFORE UPDATE OF amount_paid ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_keep_refunds_covered();
