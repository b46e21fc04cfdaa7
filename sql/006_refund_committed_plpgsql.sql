-- 006_refund_committed_plpgsql.sql -- the same sum as in 003, as PL/pgSQL.
-- A LANGUAGE sql function with an aggregate is not inlined, and its body was
-- planned again on every call: most of a quote's database time
-- (tests/bench/README.md). PL/pgSQL caches the plan for the session.
CREATE OR REPLACE FUNCTION refund_committed(p_order text, p_except bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(sum(approved_amount), 0)::bigint FROM refund_requests
             WHERE order_id = p_order AND id <> coalesce(p_except, -1)
               AND status IN ('awaiting_confirmation', 'approved', 'paying', 'paid'));
END $$;
