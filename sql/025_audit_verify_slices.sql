-- 025: the proof of the audit trail in slices.
--
-- audit_verify() (sql/007) walked the whole chain in one statement, about
-- 10 us an event: past a few hundred thousand events it outlasted refundd's
-- statement_timeout (db.statement_timeout_ms, 5 s), and GET
-- /api/v1/audit/verify answered 503 db_timeout from then on, for ever. Now
-- refundd walks the chain a slice at a time (audit_verify_slice, each call
-- its own short statement, all of them in one REPEATABLE READ transaction,
-- so one snapshot as before), then the events (audit_verify_unsealed) and
-- the checkpoints (audit_verify_checkpoints) the same way: every statement
-- of the proof reads a bounded slice. audit_verify() keeps its answer, from
-- the same functions, for psql.

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

-- Up to p_limit events after id p_after: how many of them are unsealed.
-- An event is unsealed when it is not in the chain and either older than
-- the grace period or not in the sealer's queue either: refundd queues
-- every event in the statement that writes it and the sealer unqueues it
-- in the transaction that links it, so in one snapshot an event in neither
-- will never be sealed, whatever its own time says (007 looked at the time
-- only: an event slipped in with a time ahead passed until that time came).
CREATE FUNCTION audit_verify_unsealed(p_after bigint, p_limit integer, grace interval,
    OUT looked bigint, OUT last_id bigint, OUT unsealed bigint, OUT first_unsealed_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT count(*), max(s.id), count(*) FILTER (WHERE s.lost), min(s.id) FILTER (WHERE s.lost)
      FROM (SELECT e.id,
                   NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)
                   AND (e.at < now() - grace
                        OR NOT EXISTS (SELECT 1 FROM audit_unsealed u WHERE u.event_id = e.id)) AS lost
              FROM (SELECT a.id, a.at FROM audit_events a WHERE a.id > p_after
                    ORDER BY a.id LIMIT p_limit) e) s
$$;

-- A slice of the checkpoints, each with whether the chain still holds its
-- head (refundd checks the signatures).
CREATE FUNCTION audit_verify_checkpoints(p_after bigint, p_limit integer)
RETURNS TABLE (checkpoint_id bigint, at_position bigint, head_hex text, unix_s bigint, key_hex text,
               sig_hex text, in_chain boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT k.id, k.position, encode(k.head_hash, 'hex'), extract(epoch FROM k.signed_at)::bigint,
           encode(k.public_key, 'hex'), encode(k.signature, 'hex'), c.hash IS NOT DISTINCT FROM k.head_hash
      FROM audit_checkpoints k LEFT JOIN audit_chain c ON c.position = k.position
     WHERE k.id > p_after ORDER BY k.id LIMIT p_limit
$$;

-- The whole proof in one call, as before (psql, the tests' tampering).
CREATE OR REPLACE FUNCTION audit_verify(grace interval DEFAULT interval '5 seconds',
    OUT ok boolean, OUT checked bigint, OUT first_bad_position bigint,
    OUT first_bad_id bigint, OUT unsealed bigint, OUT first_unsealed_id bigint,
    OUT bad_checkpoint_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s record;
    u record;
    after_id bigint := 0;
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
    unsealed := 0;
    LOOP
        SELECT * INTO u FROM audit_verify_unsealed(after_id, 10000, grace);
        unsealed := unsealed + u.unsealed;
        after_id := u.last_id;
        first_unsealed_id := coalesce(first_unsealed_id, u.first_unsealed_id);
        EXIT WHEN u.looked < 10000;
    END LOOP;
    SELECT min(k.checkpoint_id) INTO bad_checkpoint_id FROM audit_verify_checkpoints(0, NULL) k
     WHERE NOT k.in_chain;
    ok := first_bad_position IS NULL AND unsealed = 0 AND bad_checkpoint_id IS NULL;
END $$;

REVOKE ALL ON FUNCTION audit_verify_slice(bigint, bytea, integer),
    audit_verify_unsealed(bigint, integer, interval), audit_verify_checkpoints(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_verify_slice(bigint, bytea, integer) TO refundd_app;
GRANT EXECUTE ON FUNCTION audit_verify_unsealed(bigint, integer, interval) TO refundd_app;
GRANT EXECUTE ON FUNCTION audit_verify_checkpoints(bigint, integer) TO refundd_app;
