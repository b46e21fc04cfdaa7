/* provider_figures.c -- see provider_figures.h. */
#include "provider_figures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "quote.h"

static json_t *line(const char *label, int64_t amount, int64_t units)
{
	return json_pack("{s:s, s:I, s:I}", "label", label, "amount", (json_int_t)amount,
	                 "units", (json_int_t)units);
}

/* The engine's lines add up to its amount starting from the cash paid;
 * with a voucher kept, the cash is shown as the cost minus the voucher so
 * that the lines still add up to the expected amount. */
json_t *provider_breakdown_json(const struct provider_quote *pq)
{
	json_t *lines = json_array();

	for (size_t i = 0; i < pq->q.n_lines; i++) {
		const struct quote_line *l = &pq->q.lines[i];
		if (l->label == POLICY_LINE_PAID && pq->voucher_kept > 0) {
			json_array_append_new(lines, line(PROVIDER_LINE_UPSTREAM_COST, pq->cost, 0));
			json_array_append_new(lines, line(PROVIDER_LINE_VOUCHER, -pq->voucher_kept, 0));
			continue;
		}
		json_array_append_new(lines, line(l->label == POLICY_LINE_PAID ? PROVIDER_LINE_UPSTREAM_COST
		                                  : policy_line_name(l->label), l->amount, l->units));
	}
	return lines;
}

json_t *provider_reasons_json(const struct provider_quote *pq, bool has_policy)
{
	json_t *reasons = json_array();

	if (!has_policy) {
		json_array_append_new(reasons, json_string("no_provider_policy"));
		return reasons;
	}
	for (size_t i = 0; i < pq->q.n_reasons; i++)
		json_array_append_new(reasons, json_string(policy_reason_name(pq->q.reasons[i])));
	if (pq->voucher_kept > 0)
		json_array_append_new(reasons, json_string(PROVIDER_REASON_VOUCHER));
	return reasons;
}

/* Today's expected recovery; without a provider policy nothing is known
 * to come back (expected 0, reason no_provider_policy). */
static enum claims_err compute(const struct order_facts *order, const struct claim_inputs *in,
                               int64_t now, struct provider_quote *pq)
{
	memset(pq, 0, sizeof *pq);
	if (!in->has_policy)
		return CLAIMS_OK;
	return provider_quote(order, &in->up, &in->policy, in->already_recovered, now, pq) == POLICY_OK
	       ? CLAIMS_OK : CLAIMS_UNREADABLE;
}

static json_t *figures(const struct claim_inputs *in, int version, int64_t expected,
                       int64_t customer_amount, json_t *breakdown, json_t *reasons, json_t *claim)
{
	char text[MONEY_FORMAT_SIZE];

	if (money_format(expected - customer_amount, in->currency, text, sizeof text) != MONEY_OK)
		text[0] = '\0';
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:s, s:o, s:o, s:o}",
		"provider", in->provider, "upstream_ref", in->upstream_ref, "currency", in->currency,
		"policy_version", version > 0 ? json_integer(version) : json_null(),
		"expected_recovery", (json_int_t)expected, "customer_amount", (json_int_t)customer_amount,
		"margin", (json_int_t)(expected - customer_amount), "margin_text", text,
		"breakdown", breakdown, "reasons", reasons, "claim", claim ? claim : json_null());
}

/* A claim's frozen figures (its expected amount, breakdown and reasons). */
static json_t *frozen(const struct claim_inputs *in, json_t *claim, int64_t customer_amount)
{
	json_t *v = json_object_get(claim, "policy_version");
	return figures(in, json_is_integer(v) ? (int)json_integer_value(v) : 0,
	               json_integer_value(json_object_get(claim, "expected_amount")), customer_amount,
	               json_incref(json_object_get(claim, "breakdown")),
	               json_incref(json_object_get(claim, "reasons")), claim);
}

enum claims_err provider_figures_for(struct app_ctx *c, const struct order_facts *order,
                                     const char *order_id, const char *refund_id,
                                     int64_t customer_amount, json_t **out)
{
	struct claim_inputs in;
	struct provider_quote pq;
	char *claim_text = NULL;
	enum claims_err err;

	*out = json_null();
	if ((err = claims_inputs_load(c, order_id, refund_id, &in)) != CLAIMS_OK || !in.has_upstream)
		return err;
	if (refund_id && (err = claims_of_refund(c, refund_id, &claim_text)) != CLAIMS_OK)
		return err;
	if (claim_text) {
		json_t *claim = json_loads(claim_text, 0, NULL);
		free(claim_text);
		if (claim == NULL)
			return CLAIMS_NOMEM;
		*out = frozen(&in, claim, customer_amount);
		return CLAIMS_OK;
	}
	if ((err = compute(order, &in, c->now, &pq)) != CLAIMS_OK)
		return err;
	*out = figures(&in, in.has_policy ? in.policy.version : 0, pq.expected, customer_amount,
	               provider_breakdown_json(&pq), provider_reasons_json(&pq, in.has_policy), NULL);
	return *out ? CLAIMS_OK : CLAIMS_NOMEM;
}

static enum claims_err open_with(struct app_ctx *c, const struct claim_inputs *in,
                                 const struct provider_quote *pq, const char *refund_id,
                                 int64_t customer_amount)
{
	json_t *bj = provider_breakdown_json(pq), *rj = provider_reasons_json(pq, in->has_policy);
	char *breakdown = json_dumps(bj, JSON_COMPACT), *reasons = json_dumps(rj, JSON_COMPACT);
	char *after = NULL, id[24] = "";
	struct claim_new n = { refund_id, pq->expected, customer_amount,
	                       in->has_policy ? in->policy.version : 0, breakdown, reasons };
	enum claims_err err = CLAIMS_NOMEM;

	if (breakdown && reasons)
		err = claims_open(c, in, &n, &after, id, sizeof id);
	/* An audit failure is the database's: the handler asks db_last_error. */
	if (err == CLAIMS_OK && after &&
	    audit_record(c, "provider_claim.open", "provider_claim", id, NULL, after) != ERR_NONE)
		err = CLAIMS_DB;
	json_decref(bj);
	json_decref(rj);
	free(breakdown);
	free(reasons);
	free(after);
	return err;
}

enum claims_err provider_claim_open(struct app_ctx *c, const char *refund_id,
                                    const char *order_id, int64_t customer_amount)
{
	struct claim_inputs in;
	struct quote_inputs qin;
	struct provider_quote pq;
	enum claims_err err;
	enum quote_err qerr;

	if ((err = claims_inputs_load(c, order_id, refund_id, &in)) != CLAIMS_OK || !in.has_upstream)
		return err;
	if ((qerr = quote_load(c, order_id, false, &qin)) != QUOTE_OK)
		return qerr == QUOTE_DB ? CLAIMS_DB : CLAIMS_UNREADABLE;
	if ((err = compute(&qin.order, &in, c->now, &pq)) != CLAIMS_OK)
		return err;
	return open_with(c, &in, &pq, refund_id, customer_amount);
}
