-- 018_statement_currency.sql -- a statement's currency is part of what
-- identifies an import.
--
-- The amounts of a statement are read in the currency finance gives with
-- ?currency= (default CNY), and a line only closes a claim of that
-- currency. Keyed on (provider, sha256) alone, the same file sent again
-- with the right currency after a wrong one answered the wrong import's
-- result and could never close its claims. Now (provider, currency,
-- sha256) is one import: the same bytes in another currency are read anew
-- (their claims of the first currency are then duplicates or mismatches,
-- never closed twice), and only the same file in the same currency is
-- replayed.
ALTER TABLE provider_statements
    ADD COLUMN currency text CHECK (currency ~ '^[A-Z]{3}$');
-- Every stored result names the currency it was read in.
UPDATE provider_statements SET currency = coalesce(result->>'currency', 'CNY');
ALTER TABLE provider_statements
    ALTER COLUMN currency SET NOT NULL,
    DROP CONSTRAINT provider_statements_provider_sha256_key,
    ADD CONSTRAINT provider_statements_file UNIQUE (provider, currency, sha256);
