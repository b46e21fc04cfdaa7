-- 003_refunds_audit.sql -- refund requests, their messages, the
-- tamper-evident audit trail, the notification outbox and idempotency keys.

CREATE TABLE refund_requests (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id         text NOT NULL REFERENCES orders (id),
    account          text NOT NULL,
    product_type     text NOT NULL,
    provider         text NOT NULL,
    status           text NOT NULL CHECK (status IN ('submitted', 'in_review', 'needs_info',
                         'awaiting_second_approval', 'awaiting_confirmation', 'approved',
                         'paying', 'paid', 'rejected', 'appealed', 'withdrawn')),
    reason_code      text NOT NULL CHECK (reason_code ~ '^[a-z_]{1,40}$'),
    reason_text      text NOT NULL DEFAULT '' CHECK (length(reason_text) <= 2000),
    payout_method    text NOT NULL CHECK (payout_method IN ('original_route', 'balance')),
    quote            jsonb NOT NULL,            -- the quote as submitted
    quoted_amount    bigint NOT NULL CHECK (quoted_amount >= 0),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    policy_version   integer NOT NULL,
    approved_amount  bigint CHECK (approved_amount >= 0),
    approved_method  text CHECK (approved_method IN ('original_route', 'balance')),
    first_approver   text,
    second_approver  text,
    decision_note    text CHECK (length(decision_note) <= 2000),
    reject_reason    text CHECK (reject_reason IN ('policy_ineligible', 'insufficient_information',
                         'abuse_suspected', 'duplicate_request', 'other')),
    assignee         text,
    appealed         boolean NOT NULL DEFAULT false,
    due_at           timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    CHECK (second_approver IS NULL OR second_approver <> first_approver)
);
-- One open request per order at a time (closed: paid, rejected, withdrawn).
CREATE UNIQUE INDEX refund_requests_one_open ON refund_requests (order_id)
    WHERE status NOT IN ('paid', 'rejected', 'withdrawn');
-- The staff queue: open requests by due date, then id (keyset pagination).
CREATE INDEX refund_requests_queue ON refund_requests (due_at, id)
    WHERE status IN ('submitted', 'in_review', 'needs_info', 'awaiting_second_approval', 'appealed');
CREATE INDEX refund_requests_account ON refund_requests (account, id);
CREATE INDEX refund_requests_account_month ON refund_requests (account, product_type, created_at);

-- What an order has refunded or is refunding: approved money that is not
-- yet paid counts, so two requests can never promise the same money twice.
CREATE FUNCTION refund_committed(p_order text, p_except bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(approved_amount), 0)::bigint FROM refund_requests
     WHERE order_id = p_order AND id <> coalesce(p_except, -1)
       AND status IN ('awaiting_confirmation', 'approved', 'paying', 'paid')
$$;

-- The database's own guard on the cap: an approved amount above what the
-- order still has to refund is refused, whatever the C code computed. The
-- order row is locked so two approvals of one order queue up here.
CREATE FUNCTION refund_requests_cap() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE paid bigint;
BEGIN
    IF NEW.approved_amount IS NULL
       OR NEW.status NOT IN ('awaiting_confirmation', 'approved', 'paying', 'paid') THEN
        RETURN NEW;
    END IF;
    SELECT amount_paid INTO paid FROM orders WHERE id = NEW.order_id FOR UPDATE;
    IF refund_committed(NEW.order_id, NEW.id) + NEW.approved_amount > paid THEN
        RAISE EXCEPTION 'refund of order % would exceed its amount paid', NEW.order_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refund_requests_order_cap';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refund_requests_cap BEFORE INSERT OR UPDATE ON refund_requests
    FOR EACH ROW EXECUTE FUNCTION refund_requests_cap();

CREATE TABLE refund_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refund_id   bigint NOT NULL REFERENCES refund_requests (id),
    author      text NOT NULL,
    author_role text NOT NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refund_messages_refund ON refund_messages (refund_id, id);

-- The audit trail: append-only and hash-chained.
-- hash = sha256(prev_hash || canonical row). Writers take one transaction
-- advisory lock before linking, and the id is drawn after the lock, so the
-- chain follows commit order and concurrent writers cannot fork it.
CREATE SEQUENCE audit_events_id_seq;
CREATE TABLE audit_events (
    id          bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    actor_role  text NOT NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    before      jsonb,
    after       jsonb,
    request_id  text NOT NULL DEFAULT '',
    client_addr text NOT NULL DEFAULT '',
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id, id);

CREATE FUNCTION audit_canonical(e audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(concat_ws(chr(31), e.id::text,
        to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor, e.actor_role, e.action, e.entity, e.entity_id,
        coalesce(e.before::text, 'null'), coalesce(e.after::text, 'null'),
        e.request_id, e.client_addr), 'UTF8')
$$;

CREATE FUNCTION audit_events_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7270001);
    NEW.id := nextval('audit_events_id_seq');
    NEW.at := clock_timestamp();
    NEW.prev_hash := coalesce((SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1),
                              '\x'::bytea);
    NEW.hash := sha256(NEW.prev_hash || audit_canonical(NEW));
    RETURN NEW;
END $$;
CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_link();

CREATE FUNCTION audit_events_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse();

-- Walks the chain: ok, rows checked, and the first row that does not match.
CREATE FUNCTION audit_verify(OUT ok boolean, OUT checked bigint, OUT first_bad_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    e audit_events;
    prev bytea := '\x'::bytea;
BEGIN
    ok := true; checked := 0; first_bad_id := NULL;
    FOR e IN SELECT * FROM audit_events ORDER BY id LOOP
        checked := checked + 1;
        IF e.prev_hash <> prev OR e.hash <> sha256(prev || audit_canonical(e)) THEN
            ok := false; first_bad_id := e.id;
            RETURN;
        END IF;
        prev := e.hash;
    END LOOP;
END $$;

-- The outbox: one row per customer-visible change, read in-app and sent
-- by a mailer (sent_at) for channel 'email'.
CREATE TABLE notifications (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account    text NOT NULL,
    channel    text NOT NULL CHECK (channel IN ('in_app', 'email')),
    refund_id  bigint REFERENCES refund_requests (id),
    kind       text NOT NULL,
    payload    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX notifications_account ON notifications (account, id);

-- Idempotency-Key: the same key and body give the first response again.
CREATE TABLE idempotency_keys (
    account      text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    request_hash text NOT NULL,
    status       integer NOT NULL,
    response     text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, key)
);

GRANT SELECT, INSERT, UPDATE ON refund_requests TO refundd_app;
GRANT SELECT, INSERT ON refund_messages TO refundd_app;
GRANT SELECT, INSERT ON audit_events TO refundd_app;       -- never UPDATE or DELETE
GRANT SELECT, INSERT, UPDATE ON notifications TO refundd_app;
GRANT SELECT, INSERT ON idempotency_keys TO refundd_app;
GRANT EXECUTE ON FUNCTION audit_verify() TO refundd_app;
