/* frozen.h -- the inputs a quote was computed from (DESIGN.md §8, "Frozen
 * inputs and simulation"): the order's facts at that instant, what was
 * already refunded, the account's requests that month, and the instant.
 * Each refund request stores them (refund_requests.quote_inputs, see
 * sql/012_frozen_inputs.sql for the JSON layout) beside its quote, so
 * policy_quote() with the same policy gives the same quote again, and a
 * draft policy can be tried on them (simulate.h). Pure: no I/O. */
#ifndef REFUNDD_FROZEN_H
#define REFUNDD_FROZEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

struct frozen_inputs {
	struct order_facts order;
	int64_t            already_refunded;
	int                requests_this_month;
	int64_t            quoted_at;      /* unix s: the engine's "now" */
	bool               reconstructed;  /* rebuilt after the fact (sql/012) */
};

/* The stored JSON, without the order's items (the INSERT adds them from
 * order_items under the same lock). NULL when out of memory. */
json_t *frozen_to_json(const struct frozen_inputs *in);

/* The quote again, from the frozen inputs under policy (any version, or a
 * draft), at the instant it was first made. */
enum policy_err frozen_quote(const struct frozen_inputs *in, const struct refund_policy *policy,
                             struct quote *out);

#endif
