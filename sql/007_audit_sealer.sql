-- 007_audit_sealer.sql -- the audit chain without a global lock.
--
-- Until now every audited transaction took advisory lock 7270001 in a
-- BEFORE INSERT trigger and held it through its commit, so that the chain
-- followed commit order: all writes of the whole system ran one at a time
-- (430-480 per second whatever the thread count, tests/bench/README.md).
--
-- Now writers only insert their event and a row in audit_unsealed (two index
-- inserts, no shared row, no lock). One sealer per database (refundd's sealer
-- thread holding session advisory lock 7270002; fcgi/sealer.c) links
-- committed events into audit_chain in batches: position, prev_hash,
-- hash = sha256(prev_hash || audit_canonical(event)) -- the formula of 003,
-- so the chain built so far is carried over as it is. Every N seconds the
-- sealer signs the chain head (Ed25519, key from a file) into
-- audit_checkpoints, which can be copied out and anchored elsewhere.
--
-- audit_verify() proves: every chain row links to the one before and hashes
-- its event; every event older than the grace period is in the chain; no
-- checkpoint points past the end of the chain or at another hash (a dropped
-- tail). refundd checks the checkpoint signatures (handlers_audit.c).

-- 1. The chain as its own insert-only table; the events keep their data only.
CREATE TABLE audit_chain (
    position  bigint PRIMARY KEY CHECK (position > 0),
    event_id  bigint NOT NULL UNIQUE,
    prev_hash bytea NOT NULL,
    hash      bytea NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The migrated chain keeps its links: position follows the old id order.
INSERT INTO audit_chain (position, event_id, prev_hash, hash, sealed_at)
SELECT row_number() OVER (ORDER BY id), id, prev_hash, hash, at FROM audit_events;

DROP TRIGGER audit_events_link ON audit_events;
DROP FUNCTION audit_events_link();
DROP FUNCTION audit_verify();
ALTER TABLE audit_events DROP COLUMN prev_hash, DROP COLUMN hash;
ALTER TABLE audit_events ALTER COLUMN id SET DEFAULT nextval('audit_events_id_seq');
ALTER TABLE audit_events ALTER COLUMN at SET DEFAULT clock_timestamp();
ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id;

-- 2. What is still to seal. Writers add their event id in the same
-- statement as the event (fcgi/audit.c); only the sealer removes rows, and
-- only inside audit_seal(). verify does not trust this table: an event
-- missing from both the chain and here is still found as unsealed.
CREATE TABLE audit_unsealed (
    event_id bigint PRIMARY KEY
);

CREATE FUNCTION audit_chain_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_chain_no_change BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_refuse();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_refuse();

-- 3. Sealing: links up to max_batch committed events, oldest id first.
-- The transaction lock 7270001 keeps two sealers (the elected thread and an
-- admin's on-demand checkpoint) from forking the chain; writers never take it.
CREATE FUNCTION audit_seal(max_batch integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    pos  bigint;
    prev bytea;
    e    audit_events;
    h    bytea;
    ids  bigint[] := '{}';
BEGIN
    PERFORM pg_advisory_xact_lock(7270001);
    SELECT c.position, c.hash INTO pos, prev FROM audit_chain c ORDER BY c.position DESC LIMIT 1;
    pos := coalesce(pos, 0);
    prev := coalesce(prev, '\x'::bytea);
    FOR e IN SELECT a.* FROM audit_unsealed u JOIN audit_events a ON a.id = u.event_id
             ORDER BY u.event_id LIMIT max_batch LOOP
        pos := pos + 1;
        h := sha256(prev || audit_canonical(e));
        INSERT INTO audit_chain (position, event_id, prev_hash, hash) VALUES (pos, e.id, prev, h);
        prev := h;
        ids := ids || e.id;
    END LOOP;
    -- Queue rows whose event is gone (a superuser's delete) are dropped
    -- too, or they would be retried for ever; verify reports the gap.
    DELETE FROM audit_unsealed u WHERE u.event_id = ANY (ids)
        OR (u.event_id <= coalesce(ids[array_upper(ids, 1)], 0)
            AND NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.id = u.event_id));
    RETURN coalesce(array_length(ids, 1), 0);
END $$;

-- 4. Signed checkpoints. The message refundd signs is
--   "refundd-audit-checkpoint/v1 <position> <hex head hash> <unix seconds>"
-- (fcgi/audit_sign.c), with the public key stored next to the signature so
-- a copy of a row is enough to check it elsewhere.
CREATE TABLE audit_checkpoints (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position   bigint NOT NULL,
    head_hash  bytea NOT NULL,
    signed_at  timestamptz NOT NULL,
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    signature  bytea NOT NULL CHECK (length(signature) = 64),
    requested_by text NOT NULL DEFAULT 'sealer'
);
CREATE INDEX audit_checkpoints_position ON audit_checkpoints (position);
CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_chain_refuse();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_refuse();

-- The app may only add a checkpoint for a head that really is in the chain.
CREATE FUNCTION audit_checkpoint_add(p_position bigint, p_hash bytea, p_unix bigint,
                                     p_key bytea, p_sig bytea, p_by text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    new_id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_chain WHERE position = p_position AND hash = p_hash) THEN
        RAISE EXCEPTION 'no chain position % with that hash', p_position
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    INSERT INTO audit_checkpoints (position, head_hash, signed_at, public_key, signature, requested_by)
    VALUES (p_position, p_hash, to_timestamp(p_unix), p_key, p_sig, p_by)
    RETURNING id INTO new_id;
    RETURN new_id;
END $$;

-- 5. The proof, without the signatures (refundd checks those).
CREATE FUNCTION audit_verify(grace interval DEFAULT interval '5 seconds',
    OUT ok boolean, OUT checked bigint, OUT first_bad_position bigint,
    OUT first_bad_id bigint, OUT unsealed bigint, OUT first_unsealed_id bigint,
    OUT bad_checkpoint_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r    record;
    prev bytea := '\x'::bytea;
BEGIN
    ok := true; checked := 0;
    FOR r IN SELECT c.position, c.event_id, c.prev_hash, c.hash, e AS ev, e.id IS NOT NULL AS found
             FROM audit_chain c LEFT JOIN audit_events e ON e.id = c.event_id
             ORDER BY c.position LOOP
        checked := checked + 1;
        IF r.position <> checked OR r.prev_hash <> prev OR NOT r.found
           OR r.hash <> sha256(prev || audit_canonical(r.ev)) THEN
            ok := false; first_bad_position := r.position; first_bad_id := r.event_id;
            EXIT;
        END IF;
        prev := r.hash;
    END LOOP;
    SELECT count(*), min(e.id) INTO unsealed, first_unsealed_id FROM audit_events e
     WHERE e.at < now() - grace
       AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id);
    IF unsealed > 0 THEN ok := false; END IF;
    SELECT k.id INTO bad_checkpoint_id FROM audit_checkpoints k
     WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.position = k.position AND c.hash = k.head_hash)
     ORDER BY k.id LIMIT 1;
    IF bad_checkpoint_id IS NOT NULL THEN ok := false; END IF;
END $$;

REVOKE ALL ON FUNCTION audit_seal(integer), audit_checkpoint_add(bigint, bytea, bigint, bytea, bytea, text),
    audit_verify(interval) FROM PUBLIC;
GRANT SELECT ON audit_chain, audit_checkpoints TO refundd_app;
GRANT INSERT ON audit_unsealed TO refundd_app;
GRANT USAGE ON SEQUENCE audit_events_id_seq TO refundd_app;
GRANT EXECUTE ON FUNCTION audit_seal(integer) TO refundd_app;
GRANT EXECUTE ON FUNCTION audit_checkpoint_add(bigint, bytea, bigint, bytea, bytea, text) TO refundd_app;
GRANT EXECUTE ON FUNCTION audit_verify(interval) TO refundd_app;
