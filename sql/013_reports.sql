-- 013_reports.sql -- what GET /api/v1/reports/refunds needs (DESIGN.md §8,
-- "Reports"): when each request was first decided, and business hours.
--
-- decided_at moves with every decision (a second approval, an appeal's
-- answer), so the time to the *first* decision needs a column of its own:
-- set once, by the database, whichever code path decides (an automatic
-- approval at submission decides at once).

ALTER TABLE refund_requests ADD COLUMN first_decided_at timestamptz;

-- Older requests: the first decision in their audit trail, else decided_at.
UPDATE refund_requests r SET first_decided_at = coalesce(
    (SELECT min(e.at) FROM audit_events e WHERE e.entity = 'refund' AND e.entity_id = r.id::text
        AND e.after->>'status' IN ('approved', 'rejected', 'awaiting_confirmation',
                                   'awaiting_second_approval')),
    r.decided_at)
WHERE r.first_decided_at IS NULL;

CREATE FUNCTION refund_requests_first_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.first_decided_at IS NULL AND NEW.status IN ('approved', 'rejected',
            'awaiting_confirmation', 'awaiting_second_approval') THEN
        NEW.first_decided_at := coalesce(NEW.decided_at, now());
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refund_requests_first_decision BEFORE INSERT OR UPDATE ON refund_requests
    FOR EACH ROW EXECUTE FUNCTION refund_requests_first_decision();

-- Hours between two instants that fall on working days of the reseller's
-- calendar in time zone tz: Monday to Friday unless a holiday, and the
-- make-up working days on weekends (the holidays table, as workdays.c
-- reads it). Whole working days count 24 hours: the SLA (review_sla_days)
-- is counted in business days, not office hours.
CREATE FUNCTION business_hours(p_from timestamptz, p_to timestamptz, p_tz text) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(extract(epoch FROM
               least(p_to, (d.day + interval '1 day') AT TIME ZONE p_tz)
             - greatest(p_from, d.day AT TIME ZONE p_tz))), 0) / 3600
      FROM generate_series(date_trunc('day', p_from AT TIME ZONE p_tz),
                           date_trunc('day', p_to AT TIME ZONE p_tz), interval '1 day') AS d(day)
      LEFT JOIN holidays h ON h.day = d.day::date
     WHERE p_to > p_from
       AND CASE h.kind WHEN 'workday' THEN true WHEN 'holiday' THEN false
                       ELSE extract(isodow FROM d.day) < 6 END
$$;
