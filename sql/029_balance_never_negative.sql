-- 029_balance_never_negative.sql -- no balance goes below zero,
-- whatever writes the ledger.
--
-- The ledger (004) takes debits (kinds spend and adjustment, amount < 0)
-- from any writer with INSERT, the application role included, and nothing
-- checked them against the balance. A debit now needs the account's
-- balance in its currency to cover it. Debits of one account and currency
-- queue on a transaction advisory lock taken before the sum is read, so
-- two that each fit cannot both pass; the sum is read after the lock, in a
-- statement of its own, and so sees every debit committed before. Credits
-- only raise a balance and take no lock.
CREATE FUNCTION balance_ledger_not_negative() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE have bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('balance_ledger:' || NEW.account || ':' || NEW.currency, 0));
    SELECT coalesce(sum(amount), 0) INTO have FROM balance_ledger
     WHERE account = NEW.account AND currency = NEW.currency;
    IF have + NEW.amount < 0 THEN
        RAISE EXCEPTION 'balance of % in % would go below zero (% + %)', NEW.account, NEW.currency, have, NEW.amount
            USING ERRCODE = 'check_violation', CONSTRAINT = 'balance_ledger_not_negative';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER balance_ledger_not_negative BEFORE INSERT ON balance_ledger
    FOR EACH ROW WHEN (NEW.amount < 0) EXECUTE FUNCTION balance_ledger_not_negative();
