-- 015_audit_seal_by_queue.sql -- the sealer reads its batch through the
-- queue's primary key, whatever the statistics say.
--
-- 007 joined audit_unsealed to audit_events and then took the first
-- max_batch rows: with stale statistics PostgreSQL planned that join as a
-- scan of all of audit_events, and a round cost 8.5 ms on a trail of 40 000
-- events (tests/bench/README.md), growing with the trail. Now the batch is
-- the first max_batch queue rows (an index range), their events are read
-- by primary key, and exactly the queue rows that were read are removed
-- (never one that committed in between: this function's statements each
-- see a new snapshot). A queue row whose event is gone (a superuser's
-- delete) is removed with its batch, as before; verify reports the gap.
CREATE OR REPLACE FUNCTION audit_seal(max_batch integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    pos    bigint;
    prev   bytea;
    picked bigint[];
    e      audit_events;
    h      bytea;
    n      integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(7270001);
    SELECT array_agg(q.event_id ORDER BY q.event_id) INTO picked
      FROM (SELECT u.event_id FROM audit_unsealed u ORDER BY u.event_id LIMIT max_batch) q;
    IF picked IS NULL THEN
        RETURN 0;
    END IF;
    SELECT c.position, c.hash INTO pos, prev FROM audit_chain c ORDER BY c.position DESC LIMIT 1;
    pos := coalesce(pos, 0);
    prev := coalesce(prev, '\x'::bytea);
    FOR e IN SELECT a.* FROM audit_events a WHERE a.id = ANY (picked) ORDER BY a.id LOOP
        pos := pos + 1;
        h := sha256(prev || audit_canonical(e));
        INSERT INTO audit_chain (position, event_id, prev_hash, hash) VALUES (pos, e.id, prev, h);
        prev := h;
        n := n + 1;
    END LOOP;
    DELETE FROM audit_unsealed u WHERE u.event_id = ANY (picked);
    RETURN n;
END $$;
