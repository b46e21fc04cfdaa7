-- 014_write_path_triggers.sql -- the row triggers of refund_requests run
-- only when they have something to do (tests/bench/README.md, "The write
-- path, measured again").
--
-- Both are PL/pgSQL and fired for every INSERT and UPDATE: a submission, a
-- note, an assignment, each step of a payout. A WHEN condition is checked by
-- the executor itself, without entering PL/pgSQL, so the rows they would
-- leave alone no longer pay for the call.

-- The cap (003): an amount enters the order's committed sum only when a
-- request becomes approved-or-later or its approved amount changes. A row
-- that stays committed with the same amount (approved -> paying -> paid, an
-- assignee or a note written on an approved request) leaves the sum as it
-- was, and that sum was checked, under the order's row lock, when the
-- amount entered it; amount_paid cannot shrink below it either
-- (orders_keep_refunds_covered, 005). Inserts keep the full check.
DROP TRIGGER refund_requests_cap ON refund_requests;
CREATE TRIGGER refund_requests_cap BEFORE INSERT ON refund_requests
    FOR EACH ROW
    WHEN (NEW.approved_amount IS NOT NULL
          AND NEW.status IN ('awaiting_confirmation', 'approved', 'paying', 'paid'))
    EXECUTE FUNCTION refund_requests_cap();
CREATE TRIGGER refund_requests_cap_update BEFORE UPDATE ON refund_requests
    FOR EACH ROW
    WHEN (NEW.approved_amount IS NOT NULL
          AND NEW.status IN ('awaiting_confirmation', 'approved', 'paying', 'paid')
          AND (OLD.status NOT IN ('awaiting_confirmation', 'approved', 'paying', 'paid')
               OR OLD.approved_amount IS DISTINCT FROM NEW.approved_amount
               OR OLD.order_id IS DISTINCT FROM NEW.order_id))
    EXECUTE FUNCTION refund_requests_cap();

-- The first decision (013) is set once: nothing to do once it is set, or
-- while the request is undecided.
DROP TRIGGER refund_requests_first_decision ON refund_requests;
CREATE TRIGGER refund_requests_first_decision BEFORE INSERT OR UPDATE ON refund_requests
    FOR EACH ROW
    WHEN (NEW.first_decided_at IS NULL AND NEW.status IN ('approved', 'rejected',
          'awaiting_confirmation', 'awaiting_second_approval'))
    EXECUTE FUNCTION refund_requests_first_decision();

-- One index fewer to keep up on every insert and every status change (a
-- status change is never a HOT update: status is in the predicates of
-- refund_requests_one_open and refund_requests_queue, so each one adds an
-- entry to every index of the table). The simulation's range of one
-- product type is served by refund_requests_created (012), the reports'
-- index, with the product type as a filter.
DROP INDEX refund_requests_type_created;
