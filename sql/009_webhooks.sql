-- 009_webhooks.sql -- signed webhooks to the reseller's portal (DESIGN.md §8).
-- Every outbox event (one per customer-visible change: the in-app row of
-- notifications) gets one delivery row, written by a trigger in the same
-- transaction, so an event and its delivery commit or vanish together
-- whichever code path wrote the notice. Senders (fcgi/webhook_sender.c, one
-- thread per `refundd serve` with webhook.url set) claim ready rows with
-- FOR UPDATE SKIP LOCKED and hold the row lock through the HTTP POST: two
-- processes never send one delivery at the same time.

CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         bigint NOT NULL UNIQUE REFERENCES notifications (id),
    refund_id        bigint REFERENCES refund_requests (id),
    type             text NOT NULL,
    data             jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- pending: not tried yet (or asked again); retrying: failed at least
    -- once, next_attempt_at says when; delivered: a 2xx came back;
    -- failed: given up (webhook.give_up after the first attempt).
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    first_attempt_at timestamptz,          -- start of the give-up window
    last_attempt_at  timestamptz,
    last_status_code integer,              -- HTTP status; NULL: no answer
    last_error       text,
    delivered_at     timestamptz,
    manual_retries   integer NOT NULL DEFAULT 0
);
-- The senders' claim: open rows by id, and "an earlier open row of the
-- same refund" (in order per refund).
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (id)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX webhook_deliveries_open_refund ON webhook_deliveries (refund_id, id)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, id);

-- The event a portal receives is {id, type, created_at, data}; data is the
-- notice's payload with the refund and the account it concerns.
CREATE FUNCTION webhook_enqueue() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO webhook_deliveries (event_id, refund_id, type, data, created_at)
    VALUES (NEW.id, NEW.refund_id, NEW.kind,
            NEW.payload || jsonb_build_object('refund_id', NEW.refund_id,
                                              'account', NEW.account),
            NEW.created_at);
    RETURN NULL;
END $$;

CREATE TRIGGER notifications_webhook AFTER INSERT ON notifications
    FOR EACH ROW WHEN (NEW.channel = 'in_app') EXECUTE FUNCTION webhook_enqueue();

GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO refundd_app;
