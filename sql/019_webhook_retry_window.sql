-- 019_webhook_retry_window.sql -- an admin's retry starts the back-off
-- afresh.
--
-- The sender's delay grows with the delivery's attempts; after an admin's
-- retry (POST /webhooks/deliveries/{id}/retry) it counted the attempts
-- before the retry too, so the first failure after it waited the cap (an
-- hour) instead of the base (a second). attempts stays the lifetime count
-- shown to admins; the back-off counts attempts - attempts_before_retry.
ALTER TABLE webhook_deliveries
    ADD COLUMN attempts_before_retry integer NOT NULL DEFAULT 0 CHECK (attempts_before_retry >= 0);
