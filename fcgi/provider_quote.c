/* provider_quote.c -- see provider_quote.h: the provider side mapped onto
 * the one policy engine. Pure. */
#include "provider_quote.h"

#include <string.h>

static bool code_ok(const char *s, size_t size)
{
	return s[0] != '\0' && memchr(s, '\0', size) != NULL;
}

enum policy_err provider_policy_validate(const struct provider_policy *pp)
{
	if (pp == NULL || !code_ok(pp->provider, sizeof pp->provider) ||
	    !code_ok(pp->product_type, sizeof pp->product_type) || pp->version < 1)
		return POLICY_INVALID_POLICY;
	/* negotiate is the reseller's own rule towards its customers; a
	 * provider's rule is a number, or nothing. */
	if (pp->after_window == POLICY_AFTER_NEGOTIATE ||
	    (unsigned)pp->after_window >= POLICY_AFTER__MAX)
		return POLICY_INVALID_POLICY;
	if (pp->fee_bps < 0 || pp->fee_bps > MONEY_BPS_WHOLE)
		return POLICY_INVALID_POLICY;
	return POLICY_OK;
}

enum policy_err provider_map_policy(const struct provider_policy *pp,
                                    const char *product_type,
                                    struct refund_policy *out)
{
	struct refund_policy p;

	if (provider_policy_validate(pp) != POLICY_OK)
		return POLICY_INVALID_POLICY;
	memset(&p, 0, sizeof p);
	memcpy(p.product_type, product_type, strnlen(product_type, sizeof p.product_type - 1));
	p.version = pp->version;
	p.refundable = pp->refundable;
	p.window_rule = pp->window_rule;
	p.window_days = pp->window_days;
	p.window_requires_unused = pp->window_requires_unused;
	p.after_window = pp->after_window;
	p.handling_fee_bps = pp->fee_bps;
	p.deduct_third_party = false;
	p.promo_refundable = true;
	p.monthly_limit = 0;
	/* The provider pays back the way it was paid; the engine wants a set. */
	p.payout_methods = PAYOUT_BIT(PAYOUT_ORIGINAL_ROUTE);
	p.payout_default = PAYOUT_ORIGINAL_ROUTE;
	p.payout_methods_after_window = PAYOUT_BIT(PAYOUT_ORIGINAL_ROUTE);
	p.payout_default_after_window = PAYOUT_ORIGINAL_ROUTE;
	if (policy_validate(&p) != POLICY_OK)
		return POLICY_INVALID_POLICY;
	*out = p;
	return POLICY_OK;
}

enum policy_err provider_map_order(const struct order_facts *order,
                                   const struct upstream_purchase *up,
                                   const struct provider_policy *pp,
                                   struct order_facts *out)
{
	struct order_facts o;

	if (order == NULL || up == NULL || pp == NULL || up->cost < 0 || up->voucher < 0 ||
	    up->voucher > up->cost || (up->has_quantity && up->quantity < 0) ||
	    (up->has_used && up->used_quantity < 0))
		return POLICY_INVALID_ORDER;
	o = *order;
	o.status = ORDER_STATUS_PAID;
	o.amount_paid = pp->vouchers_refundable ? up->cost : up->cost - up->voucher;
	o.paid_at = up->paid_at;
	if (up->has_quantity) {
		o.quantity = up->quantity;
		o.bonus_quantity = 0;
	}
	if (up->has_used)
		o.used_quantity = up->used_quantity;
	o.promo = false;
	o.third_party_cost = 0;
	if (order_facts_validate(&o) != POLICY_OK)
		return POLICY_INVALID_ORDER;
	*out = o;
	return POLICY_OK;
}

enum policy_err provider_quote(const struct order_facts *order,
                               const struct upstream_purchase *up,
                               const struct provider_policy *pp,
                               int64_t already_recovered, int64_t now,
                               struct provider_quote *out)
{
	struct order_facts o;
	struct refund_policy p;
	struct provider_quote pq;
	enum policy_err err;

	if ((err = provider_map_order(order, up, pp, &o)) != POLICY_OK ||
	    (err = provider_map_policy(pp, order->product_type, &p)) != POLICY_OK)
		return err;
	if (already_recovered < 0)
		return POLICY_INVALID_ARGUMENT;
	if (already_recovered > o.amount_paid)
		already_recovered = o.amount_paid;
	memset(&pq, 0, sizeof pq);
	if ((err = policy_quote(&o, &p, already_recovered, 0, now, &pq.q)) != POLICY_OK)
		return err;
	pq.expected = pq.q.eligible ? pq.q.amount : 0;
	pq.voucher_kept = pp->vouchers_refundable ? 0 : up->voucher;
	pq.cost = up->cost;
	*out = pq;
	return POLICY_OK;
}
