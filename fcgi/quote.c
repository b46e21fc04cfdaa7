/* quote.c -- see quote.h. The SQL that gathers a quote's inputs lives here
 * and nowhere else. */
#include "quote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* Columns, in order: order facts 0..18, policy 19..36, sums 37..38, the
 * open request 39.
 * "Requests this month" counts the account's requests for the same product
 * type since the start of the calendar month in the reseller's time zone
 * ($3), withdrawn ones excepted: seeds 001/002 allow one refund request
 * per account per month. Per product type because monthly_limit is a field
 * of each product type's policy and the seeds state it for cloud servers:
 * counting every product would let a refund of an API credit pack use up
 * the month's cloud-server request, which no seed says. */
#define QUOTE_INPUTS_SQL \
	"SELECT o.account, o.product_type, o.status, o.billing_mode, o.amount_paid, o.currency," \
	" coalesce(extract(epoch FROM o.paid_at), 0)::bigint," \
	" coalesce(extract(epoch FROM o.period_start), 0)::bigint," \
	" coalesce(extract(epoch FROM o.period_end), 0)::bigint," \
	" o.quantity, o.bonus_quantity, o.used_quantity, o.in_use," \
	" coalesce(o.service_status, 'none'), o.promo, o.third_party_cost, o.payment_method," \
	" o.id, p.product_type IS NOT NULL," \
	" p.version, p.refundable, p.window_rule, p.window_days, p.window_requires_unused," \
	" p.after_window, p.handling_fee_bps, p.deduct_third_party, p.promo_refundable," \
	" p.monthly_limit, array_to_string(p.payout_methods, ','), p.payout_default," \
	" array_to_string(p.payout_methods_after_window, ','), p.payout_default_after_window," \
	" p.review_sla_days, p.auto_approve_max, p.second_approval_over, p.product_type," \
	" refund_committed(o.id, NULL) + (SELECT coalesce(sum(r.quoted_amount), 0) FROM refund_requests r" \
	"   WHERE r.order_id = o.id AND r.status IN ('submitted', 'in_review', 'needs_info'," \
	"   'awaiting_second_approval', 'appealed'))," \
	" (SELECT count(*) FROM refund_requests r WHERE r.account = o.account" \
	"   AND r.product_type = o.product_type AND r.status <> 'withdrawn'" \
	"   AND r.created_at >= date_trunc('month', now() AT TIME ZONE $3) AT TIME ZONE $3)," \
	" (SELECT r.id FROM refund_requests r WHERE r.order_id = o.id" \
	"   AND r.status NOT IN ('paid', 'rejected', 'withdrawn'))," \
	" p.limits_currency" \
	" FROM orders o LEFT JOIN LATERAL (SELECT * FROM refund_policies p" \
	"   WHERE p.product_type = o.product_type ORDER BY p.version DESC LIMIT 1) p ON true" \
	" WHERE o.id = $1 AND ($2::text IS NULL OR o.account = $2)"

static const struct db_stmt q_inputs = { "quote_inputs", QUOTE_INPUTS_SQL };
/* Locks the order row: requests for one order are created one at a time. */
static const struct db_stmt q_inputs_locked = { "quote_inputs_locked",
	QUOTE_INPUTS_SQL " FOR UPDATE OF o" };

static unsigned payout_mask(const char *list)
{
	unsigned mask = 0;
	if (strstr(list, "original_route")) mask |= PAYOUT_BIT(PAYOUT_ORIGINAL_ROUTE);
	if (strstr(list, "balance")) mask |= PAYOUT_BIT(PAYOUT_BALANCE);
	return mask;
}

/* The order's facts are 15 columns from first on, in this order: product
 * type, status, billing mode, amount paid, currency, paid at, period start,
 * period end, quantity, bonus quantity, used quantity, in use, service
 * status, promo, third-party cost (instants as unix seconds). */
bool quote_read_order_facts(const PGresult *r, int first, struct order_facts *o)
{
	db_copy(o->product_type, sizeof o->product_type, r, 0, first);
	db_copy(o->currency, sizeof o->currency, r, 0, first + 4);
	o->amount_paid = db_int(r, 0, first + 3);
	o->paid_at = db_int(r, 0, first + 5);
	o->period_start = db_int(r, 0, first + 6);
	o->period_end = db_int(r, 0, first + 7);
	o->quantity = db_int(r, 0, first + 8);
	o->bonus_quantity = db_int(r, 0, first + 9);
	o->used_quantity = db_int(r, 0, first + 10);
	o->in_use = db_bool(r, 0, first + 11);
	o->promo = db_bool(r, 0, first + 13);
	o->third_party_cost = db_int(r, 0, first + 14);
	return order_status_parse(db_text(r, 0, first + 1), &o->status) == POLICY_OK &&
	       order_billing_parse(db_text(r, 0, first + 2), &o->billing_mode) == POLICY_OK &&
	       order_service_parse(db_text(r, 0, first + 12), &o->service_status) == POLICY_OK;
}

static int read_order(const PGresult *r, struct quote_inputs *in)
{
	db_copy(in->account, sizeof in->account, r, 0, 0);
	db_copy(in->payment_method, sizeof in->payment_method, r, 0, 16);
	db_copy(in->order_id, sizeof in->order_id, r, 0, 17);
	return quote_read_order_facts(r, 1, &in->order) ? 0 : -1;
}

static int read_policy(const PGresult *r, struct refund_policy *p)
{
	db_copy(p->product_type, sizeof p->product_type, r, 0, 36);
	p->version = (int)db_int(r, 0, 19);
	p->refundable = db_bool(r, 0, 20);
	p->window_days = (int)db_int(r, 0, 22);
	p->window_requires_unused = db_bool(r, 0, 23);
	p->handling_fee_bps = (int)db_int(r, 0, 25);
	p->deduct_third_party = db_bool(r, 0, 26);
	p->promo_refundable = db_bool(r, 0, 27);
	p->monthly_limit = (int)db_int(r, 0, 28);
	p->payout_methods = payout_mask(db_text(r, 0, 29));
	p->payout_methods_after_window = payout_mask(db_text(r, 0, 31));
	p->review_sla_days = (int)db_int(r, 0, 33);
	p->auto_approve_max = db_int(r, 0, 34);
	p->second_approval_over = db_int(r, 0, 35);
	db_copy(p->limits_currency, sizeof p->limits_currency, r, 0, 40);
	if (policy_window_parse(db_text(r, 0, 21), &p->window_rule) != POLICY_OK ||
	    policy_after_window_parse(db_text(r, 0, 24), &p->after_window) != POLICY_OK ||
	    payout_method_parse(db_text(r, 0, 30), &p->payout_default) != POLICY_OK ||
	    payout_method_parse(db_text(r, 0, 32), &p->payout_default_after_window) != POLICY_OK)
		return -1;
	return 0;
}

struct db_step quote_step(struct app_ctx *c, const char *order_id, bool lock,
                          const char *params[3])
{
	params[0] = order_id;
	params[1] = app_owner_filter(c);
	params[2] = c->cfg->timezone;
	return (struct db_step){ lock ? &q_inputs_locked : &q_inputs, 3, params, NULL };
}

enum quote_err quote_read(const PGresult *res, struct quote_inputs *in)
{
	memset(in, 0, sizeof *in);
	if (PQntuples(res) == 0)
		return QUOTE_NOT_FOUND;
	in->has_policy = db_bool(res, 0, 18);
	in->already_refunded = db_int(res, 0, 37);
	in->requests_this_month = (int)db_int(res, 0, 38);
	in->open_request_id = db_int(res, 0, 39);
	if (read_order(res, in) != 0 || (in->has_policy && read_policy(res, &in->policy) != 0))
		return QUOTE_UNREADABLE;
	/* Open requests count at their quoted amount, and billing may since
	 * have lowered what the order paid below that (sql/005 guards only
	 * what is approved): then nothing is left to refund, which the engine
	 * answers as nothing_left; it refuses more refunded than paid. */
	if (in->already_refunded > in->order.amount_paid)
		in->already_refunded = in->order.amount_paid;
	return QUOTE_OK;
}

enum quote_err quote_load(struct app_ctx *c, const char *order_id, bool lock,
                          struct quote_inputs *in)
{
	const char *params[3];
	struct db_step step = quote_step(c, order_id, lock, params);
	PGresult *res = NULL;
	enum quote_err err;

	memset(in, 0, sizeof *in);
	if (db_exec(c->db, step.st, step.nparams, step.params, &res) != ERR_NONE)
		return QUOTE_DB;
	err = quote_read(res, in);
	PQclear(res);
	return err;
}

enum quote_err quote_compute(const struct quote_inputs *in, int64_t now, struct quote *q)
{
	if (!in->has_policy)
		return QUOTE_NO_POLICY;
	if (in->policy.window_rule == POLICY_WINDOW_SERVICE &&
	    in->order.service_status == ORDER_SERVICE_NONE)
		return QUOTE_NO_SERVICE_STATUS;
	if (policy_quote(&in->order, &in->policy, in->already_refunded,
	                 in->requests_this_month, now, q) != POLICY_OK)
		return QUOTE_ENGINE;
	return QUOTE_OK;
}

static json_t *payout_list(unsigned mask)
{
	json_t *list = json_array();
	for (int m = 0; m < PAYOUT__MAX; m++)
		if (mask & PAYOUT_BIT(m))
			json_array_append_new(list, json_string(payout_method_name((enum payout_method)m)));
	return list;
}

static json_t *breakdown_json(const struct quote *q)
{
	json_t *lines = json_array();
	for (size_t i = 0; i < q->n_lines; i++)
		json_array_append_new(lines, json_pack("{s:s, s:I, s:I}",
			"label", policy_line_name(q->lines[i].label),
			"amount", (json_int_t)q->lines[i].amount,
			"units", (json_int_t)q->lines[i].units));
	return lines;
}

static json_t *remedy_json(enum policy_remedy r)
{
	if (r == POLICY_REMEDY_NONE)
		return json_null();
	return json_pack("{s:s, s:s, s:s}", "code", policy_remedy_name(r),
	                 "zh-CN", policy_remedy_text(r, POLICY_LANG_ZH_CN),
	                 "en", policy_remedy_text(r, POLICY_LANG_EN));
}

json_t *quote_to_json(const struct quote *q, const struct quote_inputs *in)
{
	json_t *reasons = json_array();
	char ends[32], amount_text[48];

	for (size_t i = 0; i < q->n_reasons; i++)
		json_array_append_new(reasons, json_string(policy_reason_name(q->reasons[i])));
	if (money_format(q->amount, q->currency, amount_text, sizeof amount_text) != MONEY_OK)
		amount_text[0] = '\0';
	validate_format_time(q->window_ends_at, ends, sizeof ends);
	return json_pack("{s:s, s:b, s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:i}",
		"order_id", in->order_id, "eligible", q->eligible,
		"decision", policy_decision_name(q->decision),
		"amount", (json_int_t)q->amount, "amount_text", amount_text,
		"currency", q->currency, "rule", policy_rule_name(q->rule),
		"breakdown", breakdown_json(q), "reasons", reasons,
		"remedy", remedy_json(q->remedy),
		"window_ends_at", q->has_window ? json_string(ends) : json_null(),
		"payout_methods", payout_list(q->payout_methods),
		"payout_default", payout_method_name(q->payout_default),
		"policy_version", q->policy_version);
}
