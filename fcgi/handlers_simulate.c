/* handlers_simulate.c -- POST /api/v1/policies/{product_type}/simulate
 * (admin, supervisor): {"policy": {...the fields of PUT...}, "from", "to"}
 * runs the draft over every request of the product type submitted in
 * [from, to) (default: the 90 days before now), each at the instant of its
 * own quote with its frozen inputs, and answers the summary, the amounts per
 * currency, the counts and amounts by decision and currency, and a keyset
 * page (?limit=, ?cursor=) of the requests whose quote would change. The draft is checked exactly as PUT checks it
 * (policy_input.c); nothing is written (a READ ONLY transaction). */
#include "handlers_simulate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_input.h"
#include "simulations.h"

#define SIM_DEFAULT_DAYS 90
/* A year and a day: a quarter is the usual question, a year the longest
 * one that still answers in about a second on 2 cores. */
#define SIM_MAX_SECONDS  (366 * INT64_C(86400))

enum sim_field { SF_POLICY, SF_FROM, SF_TO, SF__MAX };
static const struct field_spec sim_fields[SF__MAX] = {
	[SF_POLICY] = { "policy", FIELD_OBJECT, true, false, 0, 0, NULL },
	[SF_FROM]   = { "from", FIELD_TIME, false, true, 0, 0, NULL },
	[SF_TO]     = { "to", FIELD_TIME, false, true, 0, 0, NULL },
};
FIELD_TABLE(sim_fields);

struct sim_request {
	struct refund_policy draft;
	struct policy_text   text;
	int64_t              from, to, after_id;
	int                  limit;
};

static enum app_err parse(struct app_ctx *c, struct sim_request *r)
{
	struct field_value v[SF__MAX];
	char cursor[80];
	const char *after;
	enum app_err err;

	if ((err = policy_input_type(c, app_param(c, 0))) != ERR_NONE ||
	    (err = app_id_cursor(c, &r->limit, cursor, sizeof cursor, &after)) != ERR_NONE ||
	    (err = app_body(c, sim_fields, SF__MAX, v)) != ERR_NONE ||
	    (err = policy_input_parse(c, v[SF_POLICY].json, app_param(c, 0), &r->draft,
	                              &r->text)) != ERR_NONE)
		return err;
	r->after_id = after ? strtoll(after, NULL, 10) : 0;
	/* now is whole seconds: + 1 so a request of this very second counts. */
	r->to = v[SF_TO].present ? v[SF_TO].num : c->now + 1;
	r->from = v[SF_FROM].present ? v[SF_FROM].num : r->to - SIM_DEFAULT_DAYS * INT64_C(86400);
	if (r->from >= r->to || r->to - r->from > SIM_MAX_SECONDS)
		return app_fail_with(c, ERR_VALIDATION, "invalid_range",
		                     json_pack("{s:s}", "field", r->from >= r->to ? "from" : "to"),
		                     "the range must have from before to, at most 366 days apart");
	return ERR_NONE;
}

static json_t *before_json(const struct sim_before *b)
{
	return json_pack("{s:b, s:s, s:I, s:i}", "eligible", b->eligible,
	                 "decision", policy_decision_name(b->decision),
	                 "amount", (json_int_t)b->amount, "policy_version", b->policy_version);
}

static json_t *after_json(const struct quote *q)
{
	json_t *reasons = json_array();

	for (size_t i = 0; i < q->n_reasons; i++)
		json_array_append_new(reasons, json_string(policy_reason_name(q->reasons[i])));
	return json_pack("{s:b, s:s, s:I, s:s, s:o}", "eligible", q->eligible,
	                 "decision", policy_decision_name(q->decision),
	                 "amount", (json_int_t)(q->eligible ? q->amount : 0),
	                 "rule", policy_rule_name(q->rule), "reasons", reasons);
}

/* Counts of requests add up across currencies; money does not (D3): the
 * amounts are in by_currency and by_decision, a row per currency. */
static json_t *summary_json(const struct sim_summary *m)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}",
		"requests", (json_int_t)m->requests, "skipped", (json_int_t)m->skipped,
		"changed", (json_int_t)m->changed, "newly_refused", (json_int_t)m->newly_refused,
		"newly_eligible", (json_int_t)m->newly_eligible);
}

static json_t *by_currency_json(const struct sim_summary *m)
{
	json_t *list = json_array();

	for (int i = 0; i < m->n_money; i++) {
		const struct sim_money *s = &m->money[i];
		json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:I, s:I}",
			"currency", s->currency, "requests", (json_int_t)s->requests,
			"amount_before", (json_int_t)s->amount_before,
			"amount_after", (json_int_t)s->amount_after,
			"delta", (json_int_t)(s->amount_after - s->amount_before)));
	}
	return list;
}

/* A row per (decision, currency): every decision of each currency seen. */
static json_t *by_decision_json(const struct sim_summary *m)
{
	json_t *list = json_array();

	for (int i = 0; i < m->n_money; i++)
		for (int d = 0; d < POLICY_DECISION__MAX; d++) {
			const struct sim_money *s = &m->money[i];
			json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}",
				"decision", policy_decision_name((enum policy_decision)d),
				"currency", s->currency,
				"before", (json_int_t)s->count_before[d], "after", (json_int_t)s->count_after[d],
				"amount_before", (json_int_t)s->amount_before_by[d],
				"amount_after", (json_int_t)s->amount_after_by[d]));
		}
	return list;
}

static enum app_err answer(struct app_ctx *c, const struct sim_request *r,
                           const struct sim_state *s)
{
	json_t *items = json_array();
	int shown = s->n_items > s->limit ? s->limit : s->n_items;
	char from[32], to[32], next[24];

	for (int i = 0; i < shown; i++)
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:o, s:o}",
			"refund_id", (json_int_t)s->items[i].refund_id, "order_id", s->items[i].order_id,
			"currency", s->items[i].currency,
			"before", before_json(&s->items[i].before), "after", after_json(&s->items[i].after)));
	snprintf(next, sizeof next, "%lld", shown ? (long long)s->items[shown - 1].refund_id : 0LL);
	validate_format_time(r->from, from, sizeof from);
	validate_format_time(r->to, to, sizeof to);
	return app_reply(c, 200, json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
		"product_type", app_param(c, 0), "draft_version", r->draft.version,
		"from", from, "to", to, "summary", summary_json(&s->sum),
		"by_currency", by_currency_json(&s->sum),
		"by_decision", by_decision_json(&s->sum), "items", items,
		"next_cursor", s->n_items > s->limit ? json_string(next) : json_null()));
}

/* How the database failed; never "no error" for a failure. */
static enum app_err db_failure(const struct app_ctx *c)
{
	enum app_err e = db_last_error(c->db);
	return e != ERR_NONE ? e : ERR_INTERNAL;
}

/* READ ONLY, the current version (404 without a policy), the scan; then
 * ROLLBACK: there is nothing to keep. */
static enum app_err simulate(struct app_ctx *c, struct sim_request *r, struct sim_state *s)
{
	struct db_identity who = app_identity(c);
	enum app_err err = ERR_NONE;
	int current = 0;

	switch (simulations_begin(c->db, &who, app_param(c, 0), &current)) {
	case SIMULATIONS_OK:
		break;
	case SIMULATIONS_NO_POLICY:
		return app_fail(c, ERR_NOT_FOUND, "policy_not_found", "no policy for this product type");
	default:
		return app_fail(c, db_failure(c), NULL, "database unavailable");
	}
	r->draft.version = current + 1;
	sim_init(s, &r->draft, r->after_id, r->limit);
	if (simulations_run(c->db, app_param(c, 0), r->from, r->to, s) != SIMULATIONS_OK)
		err = app_fail(c, db_failure(c), NULL, "could not read the requests");
	db_rollback(c->db);
	return err;
}

enum app_err handle_policy_simulate(struct app_ctx *c)
{
	struct sim_request r;
	struct sim_state *s = NULL;
	enum app_err err;

	memset(&r, 0, sizeof r);
	if ((err = parse(c, &r)) != ERR_NONE)
		return err;
	/* ~45 KiB: the heap, not a worker thread's stack. */
	if ((s = calloc(1, sizeof *s)) == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	if ((err = simulate(c, &r, s)) == ERR_NONE)
		err = answer(c, &r, s);
	free(s);
	return err;
}
