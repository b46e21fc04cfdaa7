/* frozen.c -- see frozen.h. */
#include "frozen.h"

#include "validate.h"

/* null for the engine's 0 ("no such time"), RFC 3339 otherwise. */
static json_t *time_json(int64_t t)
{
	char buf[32];

	if (t == 0)
		return json_null();
	validate_format_time(t, buf, sizeof buf);
	return json_string(buf);
}

static json_t *order_json(const struct order_facts *o)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:b, s:s,"
	                 " s:b, s:I}",
		"product_type", o->product_type, "status", order_status_name(o->status),
		"billing_mode", order_billing_name(o->billing_mode),
		"amount_paid", (json_int_t)o->amount_paid, "currency", o->currency,
		"paid_at", time_json(o->paid_at), "period_start", time_json(o->period_start),
		"period_end", time_json(o->period_end), "quantity", (json_int_t)o->quantity,
		"bonus_quantity", (json_int_t)o->bonus_quantity,
		"used_quantity", (json_int_t)o->used_quantity, "in_use", o->in_use,
		"service_status", order_service_name(o->service_status), "promo", o->promo,
		"third_party_cost", (json_int_t)o->third_party_cost);
}

json_t *frozen_to_json(const struct frozen_inputs *in)
{
	json_t *order = order_json(&in->order);

	if (order == NULL)
		return NULL;
	return json_pack("{s:b, s:o, s:I, s:i, s:o}", "reconstructed", in->reconstructed,
	                 "quoted_at", time_json(in->quoted_at),
	                 "already_refunded", (json_int_t)in->already_refunded,
	                 "requests_this_month", in->requests_this_month, "order", order);
}

enum policy_err frozen_quote(const struct frozen_inputs *in, const struct refund_policy *policy,
                             struct quote *out)
{
	return policy_quote(&in->order, policy, in->already_refunded, in->requests_this_month,
	                    in->quoted_at, out);
}
