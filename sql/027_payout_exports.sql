-- 027_payout_exports.sql -- each payout export has a number, kept
-- on the payouts it sent.
--
-- A lost download is fetched again (GET /payouts?status=sent) and that file
-- goes to the channel. It held every instruction sent and not yet answered,
-- of every export; a card payout takes up to 7 business days, so an
-- earlier export's instructions, still with the channel, went to it a
-- second time with the lost ones. The re-download is now one export's:
-- the last one, or the one named (?export=N, handlers_payouts.c).
CREATE SEQUENCE payout_exports_id_seq;
ALTER TABLE payouts ADD COLUMN export_id bigint CHECK (export_id > 0);
CREATE INDEX payouts_export ON payouts (export_id) WHERE export_id IS NOT NULL;
GRANT USAGE ON SEQUENCE payout_exports_id_seq TO refundd_app;

-- Payouts sent before: the rows of one export share its transaction's
-- now() as sent_at, so each sent_at is one export. Final payouts are
-- otherwise immutable (payouts_final); it sleeps for this one statement,
-- which changes nothing else (the cap triggers do not fire on it).
ALTER TABLE payouts DISABLE TRIGGER payouts_final;
UPDATE payouts p SET export_id = b.n
  FROM (SELECT id, dense_rank() OVER (ORDER BY sent_at) AS n
          FROM payouts WHERE sent_at IS NOT NULL) b
 WHERE b.id = p.id;
ALTER TABLE payouts ENABLE TRIGGER payouts_final;
SELECT setval('payout_exports_id_seq', coalesce((SELECT max(export_id) FROM payouts), 0) + 1, false);
