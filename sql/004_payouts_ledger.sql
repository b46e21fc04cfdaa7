-- 004_payouts_ledger.sql -- moving the money: payouts of approved refunds and
-- the customers' balance ledger. Exactly one successful payout per refund,
-- ever, and never more paid out for an order than was paid for it: both are
-- enforced here, whatever the workers do.

CREATE TABLE payouts (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refund_id          bigint NOT NULL REFERENCES refund_requests (id),
    order_id           text NOT NULL REFERENCES orders (id),
    account            text NOT NULL,
    method             text NOT NULL CHECK (method IN ('original_route', 'balance')),
    channel            text NOT NULL CHECK (channel IN ('balance', 'alipay', 'wechat', 'card', 'bank_transfer')),
    amount             bigint NOT NULL CHECK (amount > 0),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status             text NOT NULL CHECK (status IN ('pending', 'sent', 'settled', 'failed')),
    channel_ref        text CHECK (length(channel_ref) <= 128),
    failure_reason     text CHECK (length(failure_reason) <= 500),
    expected_at        timestamptz NOT NULL,   -- earliest expected arrival
    expected_latest_at timestamptz NOT NULL,   -- latest expected arrival
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    sent_at            timestamptz,
    settled_at         timestamptz,
    CHECK (expected_latest_at >= expected_at)
);
-- At most one payout per refund that has not failed: a second concurrent
-- payout of the same refund dies here even if two workers got past C.
CREATE UNIQUE INDEX payouts_one_live ON payouts (refund_id) WHERE status <> 'failed';
CREATE INDEX payouts_status_id ON payouts (status, id);
CREATE INDEX payouts_order ON payouts (order_id);

-- Settled + in-flight payouts of an order never exceed what it paid. The
-- order row is locked, so two payouts of one order check one after another.
CREATE FUNCTION payouts_order_cap() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE paid bigint; taken bigint;
BEGIN
    IF NEW.status = 'failed' THEN
        RETURN NEW;
    END IF;
    SELECT amount_paid INTO paid FROM orders WHERE id = NEW.order_id FOR UPDATE;
    SELECT coalesce(sum(amount), 0) INTO taken FROM payouts
     WHERE order_id = NEW.order_id AND status <> 'failed' AND id <> NEW.id;
    IF taken + NEW.amount > paid THEN
        RAISE EXCEPTION 'payouts of order % would exceed its amount paid', NEW.order_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payouts_order_cap';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payouts_order_cap BEFORE INSERT OR UPDATE ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_order_cap();

-- A settled or failed payout is final.
CREATE FUNCTION payouts_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('settled', 'failed') AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'payout % is % and cannot change', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payouts_final';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payouts_final BEFORE UPDATE ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_final();

-- The balance is the sum of its lines; lines are only ever added.
CREATE TABLE balance_ledger (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account    text NOT NULL,
    amount     bigint NOT NULL CHECK (amount <> 0),   -- credit > 0, debit < 0
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    kind       text NOT NULL CHECK (kind IN ('refund_credit', 'spend', 'adjustment')),
    refund_id  bigint REFERENCES refund_requests (id),
    payout_id  bigint UNIQUE REFERENCES payouts (id),  -- one credit per payout
    memo       text NOT NULL DEFAULT '' CHECK (length(memo) <= 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX balance_ledger_account ON balance_ledger (account, id);

CREATE FUNCTION balance_ledger_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'balance_ledger is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER balance_ledger_no_change BEFORE UPDATE OR DELETE ON balance_ledger
    FOR EACH ROW EXECUTE FUNCTION balance_ledger_refuse();
CREATE TRIGGER balance_ledger_no_truncate BEFORE TRUNCATE ON balance_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION balance_ledger_refuse();

GRANT SELECT, INSERT, UPDATE ON payouts TO refundd_app;
GRANT SELECT, INSERT ON balance_ledger TO refundd_app;
