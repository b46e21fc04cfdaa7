-- 024_claim_statement_lines.sql -- which statement line closed a claim.
--
-- A statement line names a reference (upstream_ref or claim_ref), and the
-- renewals of one instance are orders with the same upstream_ref, so two
-- claims can share it. Matched on the reference alone, a later statement
-- that repeats a line an earlier import applied (a month's export, then
-- the quarter's) closed the next open claim of that reference with the
-- same money: a recovery counted twice. The line's own identity --
-- reference, amount, fee, day, in the claim's currency -- is kept on the
-- claim it closed, so handlers_claims.c can tell a repeated line from a
-- new one (see statement_line.occurrence in fcgi/statement.h).
ALTER TABLE provider_claims
    ADD COLUMN statement_ref  text,
    ADD COLUMN statement_date date;

-- Claims closed before: the reference of the line that closed each, from
-- the stored result of its import. Their day is unknown (NULL), which
-- handlers read as "any day": an old line repeated is still a duplicate.
UPDATE provider_claims k SET statement_ref = m->>'ref'
  FROM provider_statements s, jsonb_array_elements(s.result->'matched') m
 WHERE k.statement_id = s.id AND (m->>'claim_id')::bigint = k.id;

ALTER TABLE provider_claims ADD CONSTRAINT provider_claims_statement_line
    CHECK (statement_ref IS NULL OR recovered_amount IS NOT NULL);
CREATE INDEX provider_claims_statement_ref ON provider_claims (provider, statement_ref)
    WHERE statement_ref IS NOT NULL;
