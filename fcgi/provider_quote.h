/* provider_quote.h -- what the provider should give back to the reseller
 * (DESIGN.md §8): the reseller's own purchase upstream, under the
 * provider's rules, evaluated by THE SAME engine as the customer's quote
 * (policy_quote in policy.c). One engine, two input mappings: this module
 * only maps the purchase onto struct order_facts and the provider policy
 * onto struct refund_policy, calls policy_quote, and adds what the engine
 * does not know of -- the part paid with provider vouchers, which the
 * seeds' providers do not give back.
 *
 * Mapping (why each field is what it is):
 *   amount_paid  = upstream_cost - upstream_voucher, unless vouchers come
 *                  back: the provider returns cash it was paid, never its
 *                  own coupons; so every cut (used time, fee) applies to
 *                  the cash part only.
 *   paid_at      = upstream_paid_at: the provider's window runs from the
 *                  reseller's payment, not the customer's (seed 001: "从支
 *                  付成功那一刻起").
 *   period, in_use, service_status, billing mode: the order's (the
 *                  reseller resells the very instance it bought).
 *   quantity, used_quantity: upstream_quantity / upstream_used_quantity
 *                  when billing sent them, else the order's (bonus units
 *                  are the reseller's own gift: the provider knows none).
 *   status paid, promo false, no third-party cost, no monthly limit: those
 *                  are the reseller's rules towards its customer.
 *   handling_fee_bps = the provider's fee; already_refunded = what earlier
 *                  claims on the order already expect back.
 * Pure: no I/O, no allocation. */
#ifndef REFUNDD_PROVIDER_QUOTE_H
#define REFUNDD_PROVIDER_QUOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

struct provider_policy {
	char                     provider[POLICY_CODE_SIZE];
	char                     product_type[POLICY_CODE_SIZE];
	int                      version;          /* >= 1; claims name it */
	bool                     refundable;
	enum policy_window       window_rule;      /* full, unused_units, service_in_progress */
	int                      window_days;      /* from upstream_paid_at */
	bool                     window_requires_unused;
	enum policy_after_window after_window;     /* none, prorata_time, prorata_usage */
	int                      fee_bps;          /* kept by the provider on partial refunds */
	bool                     vouchers_refundable;
};

struct upstream_purchase {
	int64_t cost;           /* minor units the reseller paid, vouchers included */
	int64_t voucher;        /* the part paid with provider vouchers, <= cost */
	int64_t paid_at;        /* unix s */
	bool    has_quantity;   /* billing sent upstream_quantity */
	int64_t quantity;
	bool    has_used;       /* billing sent upstream_used_quantity */
	int64_t used_quantity;
};

/* Extra breakdown lines and reasons of the provider side, beyond the
 * engine's. */
#define PROVIDER_LINE_UPSTREAM_COST  "upstream_cost"
#define PROVIDER_LINE_VOUCHER        "voucher_not_refunded"
#define PROVIDER_REASON_VOUCHER      "voucher_not_refunded"

struct provider_quote {
	struct quote q;            /* the engine's answer on the mapped inputs */
	int64_t      expected;     /* what the provider should return now (q.amount
	                              when eligible, else 0) */
	int64_t      voucher_kept; /* voucher part not returned (0 if returned) */
	int64_t      cost;         /* upstream_cost */
};

/* The two mappings, exposed for the tests. */
enum policy_err provider_map_order(const struct order_facts *order,
                                   const struct upstream_purchase *up,
                                   const struct provider_policy *pp,
                                   struct order_facts *out);
enum policy_err provider_map_policy(const struct provider_policy *pp,
                                    const char *product_type,
                                    struct refund_policy *out);
/* The expected recovery now. already_recovered: what earlier claims on the
 * same order expect (capped at the cash paid). */
enum policy_err provider_quote(const struct order_facts *order,
                               const struct upstream_purchase *up,
                               const struct provider_policy *pp,
                               int64_t already_recovered, int64_t now,
                               struct provider_quote *out);
enum policy_err provider_policy_validate(const struct provider_policy *pp);

#endif
