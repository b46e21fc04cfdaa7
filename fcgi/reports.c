/* reports.c -- see reports.h. */
#include "reports.h"

#include <stdio.h>
#include <string.h>

static const char *const group_names[REPORT_GROUP__MAX] = {
	[REPORT_REASON_CODE] = "reason_code", [REPORT_PRODUCT_TYPE] = "product_type",
	[REPORT_PROVIDER] = "provider", [REPORT_POLICY_VERSION] = "policy_version",
	[REPORT_ASSIGNEE] = "assignee", [REPORT_WEEK] = "week", [REPORT_MONTH] = "month",
};

const char *const report_columns[REPORT_COLUMNS] = { "key", "currency", "submitted", "approved",
	"rejected", "withdrawn", "paid", "amount_requested", "amount_approved", "amount_paid",
	"approval_rate", "first_decision_hours_p50", "first_decision_hours_p90",
	"within_sla_share" };

const char *report_group_name(enum report_group g)
{
	return g < REPORT_GROUP__MAX ? group_names[g] : NULL;
}

int report_group_parse(const char *s, enum report_group *out)
{
	for (int g = 0; s && g < REPORT_GROUP__MAX; g++)
		if (strcmp(group_names[g], s) == 0) {
			*out = (enum report_group)g;
			return 0;
		}
	return -1;
}

/* One statement for every grouping ($3 picks the key), served by
 * refund_requests_created (sql/012): the range on created_at. "approved"
 * counts the requests whose money was granted (approved, paying, paid);
 * approval_rate = approved / (approved + rejected). The SLA share: decided
 * by due_at, out of those decided plus those still open past due_at (an
 * overdue open request is a miss already). A request withdrawn undecided
 * was open until its withdrawal (updated_at: withdrawn is final), so it is
 * a miss only when withdrawn after due_at; before, nothing was late.
 * Business hours: sql/013. A row
 * is a key and a currency: the amounts are minor units of that currency,
 * and two currencies never add up (so the counts and rates split too). */
static const struct db_stmt q_refunds = { "reports_refunds",
	"WITH r AS (SELECT CASE $3"
	"   WHEN 'reason_code' THEN r.reason_code WHEN 'product_type' THEN r.product_type"
	"   WHEN 'provider' THEN r.provider"
	"   WHEN 'policy_version' THEN r.product_type || ':' || r.policy_version"
	"   WHEN 'assignee' THEN r.assignee"
	"   WHEN 'week' THEN to_char(r.created_at AT TIME ZONE $4, 'IYYY-\"W\"IW')"
	"   WHEN 'month' THEN to_char(r.created_at AT TIME ZONE $4, 'YYYY-MM') END AS key,"
	"  r.currency, r.status, r.quoted_amount, coalesce(r.approved_amount, 0) AS approved_amount,"
	"  r.due_at, r.first_decided_at, r.updated_at,"
	"  CASE WHEN r.first_decided_at IS NOT NULL"
	"   THEN business_hours(r.created_at, r.first_decided_at, $4) END AS hours"
	"  FROM refund_requests r"
	"  WHERE r.created_at >= to_timestamp($1::bigint) AND r.created_at < to_timestamp($2::bigint)),"
	" g AS (SELECT key, currency, count(*) AS submitted,"
	"  count(*) FILTER (WHERE status IN ('approved', 'paying', 'paid')) AS approved,"
	"  count(*) FILTER (WHERE status = 'rejected') AS rejected,"
	"  count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,"
	"  count(*) FILTER (WHERE status = 'paid') AS paid,"
	"  sum(quoted_amount)::bigint AS amount_requested,"
	"  coalesce(sum(approved_amount) FILTER (WHERE status IN ('approved', 'paying', 'paid')), 0)::bigint"
	"   AS amount_approved,"
	"  coalesce(sum(approved_amount) FILTER (WHERE status = 'paid'), 0)::bigint AS amount_paid,"
	"  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hours)::numeric, 2) AS p50,"
	"  round(percentile_cont(0.9) WITHIN GROUP (ORDER BY hours)::numeric, 2) AS p90,"
	"  count(*) FILTER (WHERE first_decided_at <= due_at) AS in_sla,"
	"  count(*) FILTER (WHERE first_decided_at IS NOT NULL"
	"   OR due_at < CASE status WHEN 'withdrawn' THEN updated_at ELSE now() END) AS sla_due"
	"  FROM r GROUP BY key, currency)"
	" SELECT jsonb_build_object('key', key, 'currency', currency, 'submitted', submitted, 'approved', approved,"
	"  'rejected', rejected, 'withdrawn', withdrawn, 'paid', paid,"
	"  'amount_requested', amount_requested, 'amount_approved', amount_approved,"
	"  'amount_paid', amount_paid,"
	"  'approval_rate', round(approved::numeric / nullif(approved + rejected, 0), 4),"
	"  'first_decision_hours_p50', p50, 'first_decision_hours_p90', p90,"
	"  'within_sla_share', round(in_sla::numeric / nullif(sla_due, 0), 4))::text,"
	"  coalesce(key, ''), currency, submitted, approved, rejected, withdrawn, paid, amount_requested,"
	"  amount_approved, amount_paid,"
	"  coalesce(round(approved::numeric / nullif(approved + rejected, 0), 4)::text, ''),"
	"  coalesce(p50::text, ''), coalesce(p90::text, ''),"
	"  coalesce(round(in_sla::numeric / nullif(sla_due, 0), 4)::text, '')"
	" FROM g ORDER BY key NULLS LAST, currency" };

enum reports_err reports_refunds(struct db *db, enum report_group group, int64_t from,
                                 int64_t to, const char *tz, PGresult **out)
{
	char f[24], t[24];
	const char *params[4] = { f, t, report_group_name(group), tz };

	snprintf(f, sizeof f, "%lld", (long long)from);
	snprintf(t, sizeof t, "%lld", (long long)to);
	return db_exec(db, &q_refunds, 4, params, out) == ERR_NONE ? REPORTS_OK : REPORTS_DB;
}
