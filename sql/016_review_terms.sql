-- 016_review_terms.sql -- two facts a request's review relies on stay put.
--
-- The second approver's note is kept beside the first approver's: before
-- this, the second approval wrote its note over decision_note, and the
-- customer lost the reason the first approver gave for the offer.
ALTER TABLE refund_requests
    ADD COLUMN second_approval_note text CHECK (length(second_approval_note) <= 2000);

-- Once an order has a refund request, billing may no longer move it to
-- another account or currency: the request, its payout and its claim were
-- made out to that account in that currency, and a payout reads the
-- currency from the order. Such a correction is a person's (withdraw or
-- settle the requests, then re-sync). Compared by value: an upsert that
-- sends the same account and currency again changes nothing.
CREATE FUNCTION orders_keep_refund_terms() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.account IS DISTINCT FROM OLD.account OR NEW.currency IS DISTINCT FROM OLD.currency)
       AND EXISTS (SELECT 1 FROM refund_requests WHERE order_id = NEW.id) THEN
        RAISE EXCEPTION 'order % has refund requests: its account and currency are fixed', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'orders_refund_terms_fixed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_keep_refund_terms BEFORE UPDATE OF account, currency ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_keep_refund_terms();
