/* provider_figures.h -- the margin staff see before approving (DESIGN.md
 * §8): what the provider should return for the order now, next to what the
 * customer gets, and the claim that approval opens. Glue between the SQL
 * module (claims.c), the customer order facts (quote.c) and the pure
 * provider mapping (provider_quote.c); renders JSON, never answers HTTP.
 * Customers never get these figures: the callers ask for them only for
 * staff roles. */
#ifndef REFUNDD_PROVIDER_FIGURES_H
#define REFUNDD_PROVIDER_FIGURES_H

#include <jansson.h>
#include "app.h"
#include "claims.h"
#include "policy.h"

/* The figures for order (its customer facts) with customer_amount going
 * back to the customer: {provider, upstream_ref, currency, policy_version,
 * expected_recovery, customer_amount, margin, breakdown, reasons, claim}.
 * refund_id (may be NULL): a refund whose claim, if opened, shows its
 * frozen figures instead of today's. *out is JSON null when the order has
 * no upstream purchase. */
enum claims_err provider_figures_for(struct app_ctx *c, const struct order_facts *order,
                                     const char *order_id, const char *refund_id,
                                     int64_t customer_amount, json_t **out);

/* Opens the claim of an approved refund whose order was bought upstream,
 * in the caller's transaction, with its audit event. No upstream purchase,
 * or a claim already open: nothing happens. */
enum claims_err provider_claim_open(struct app_ctx *c, const char *refund_id,
                                    const char *order_id, int64_t customer_amount);

/* Pure rendering, exposed for tests: breakdown lines (the engine's, with
 * the voucher shown) and reasons (the engine's codes and ours). */
json_t *provider_breakdown_json(const struct provider_quote *pq);
json_t *provider_reasons_json(const struct provider_quote *pq, bool has_policy);

#endif
