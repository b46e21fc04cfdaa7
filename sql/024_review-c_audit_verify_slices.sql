-- 024: the proof of the audit trail in slices.
--
-- audit_verify() (sql/007) walked the whole chain in one statement, about
-- 10 us an event: past a few hundred thousand events it outlasted refundd's
-- statement_timeout (db.statement_timeout_ms, 5 s), and GET
-- /api/v1/audit/verify answered 503 db_timeout from then on, for ever. Now
-- refundd walks the chain a slice at a time (audit_verify_slice, each call
-- its own short statement, all of them in one REPEATABLE READ transaction,
-- so one snapshot as before) and then asks audit_verify_rest for what is
-- not the chain (events left unsealed, checkpoints that are not in it).
-- audit_verify() keeps its answer: it is the same two, for psql.

-- Up to p_limit chain rows after position p_after, the first of which must
-- link to p_prev. checked counts the rows looked at, the bad one included
-- (as 007 did); last_hash is the hash to hand to the next slice.
CREATE FUNCTION audit_verify_slice(p_after bigint, p_prev bytea, p_limit integer,
    OUT checked bigint, OUT last_hash bytea, OUT first_bad_position bigint,
    OUT first_bad_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
BEGIN
    checked := 0;
    last_hash := p_prev;
    FOR r IN SELECT c.position, c.event_id, c.prev_hash, c.hash, e AS ev, e.id IS NOT NULL AS found
             FROM audit_chain c LEFT JOIN audit_events e ON e.id = c.event_id
             WHERE c.position > p_after ORDER BY c.position LIMIT p_limit LOOP
        checked := checked + 1;
        IF r.position <> p_after + checked OR r.prev_hash <> last_hash OR NOT r.found
           OR r.hash <> sha256(last_hash || audit_canonical(r.ev)) THEN
            first_bad_position := r.position; first_bad_id := r.event_id;
            RETURN;
        END IF;
        last_hash := r.hash;
    END LOOP;
END $$;

-- Everything of the proof but the chain's own links.
CREATE FUNCTION audit_verify_rest(grace interval DEFAULT interval '5 seconds',
    OUT unsealed bigint, OUT first_unsealed_id bigint, OUT bad_checkpoint_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    SELECT count(*), min(e.id) INTO unsealed, first_unsealed_id FROM audit_events e
     WHERE e.at < now() - grace
       AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id);
    SELECT k.id INTO bad_checkpoint_id FROM audit_checkpoints k
     WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.position = k.position AND c.hash = k.head_hash)
     ORDER BY k.id LIMIT 1;
END $$;

-- The whole proof in one call, as before (psql, the tests' tampering).
CREATE OR REPLACE FUNCTION audit_verify(grace interval DEFAULT interval '5 seconds',
    OUT ok boolean, OUT checked bigint, OUT first_bad_position bigint,
    OUT first_bad_id bigint, OUT unsealed bigint, OUT first_unsealed_id bigint,
    OUT bad_checkpoint_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s record;
    prev bytea := '\x'::bytea;
BEGIN
    checked := 0;
    LOOP
        s := audit_verify_slice(checked, prev, 10000);
        checked := checked + s.checked;
        first_bad_position := s.first_bad_position;
        first_bad_id := s.first_bad_id;
        prev := s.last_hash;
        EXIT WHEN s.checked < 10000 OR s.first_bad_position IS NOT NULL;
    END LOOP;
    SELECT r.unsealed, r.first_unsealed_id, r.bad_checkpoint_id
      INTO unsealed, first_unsealed_id, bad_checkpoint_id FROM audit_verify_rest(grace) r;
    ok := first_bad_position IS NULL AND unsealed = 0 AND bad_checkpoint_id IS NULL;
END $$;

REVOKE ALL ON FUNCTION audit_verify_slice(bigint, bytea, integer), audit_verify_rest(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_verify_slice(bigint, bytea, integer) TO refundd_app;
GRANT EXECUTE ON FUNCTION audit_verify_rest(interval) TO refundd_app;
