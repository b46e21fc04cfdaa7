/* quote.h -- the policy engine's answer for one stored order: loads the
 * order, its product type's current policy, what is already refunded or
 * being refunded and the account's requests this month, in one statement,
 * then calls policy_quote() and renders the result as JSON. */
#ifndef REFUNDD_QUOTE_H
#define REFUNDD_QUOTE_H

#include <jansson.h>
#include "app.h"
#include "policy.h"

struct quote_inputs {
	char                 order_id[80];
	char                 account[128];
	char                 payment_method[16];
	struct order_facts   order;
	struct refund_policy policy;
	bool                 has_policy;
	int64_t              already_refunded;
	int                  requests_this_month;
	int64_t              open_request_id;   /* 0: none open */
};

/* Loads the inputs of the order's quote. lock: SELECT ... FOR UPDATE on
 * the order row (inside a transaction, when a request is about to be
 * created from it). ERR_NOT_FOUND when there is no such order, or it
 * belongs to another account and the caller is a customer. */
enum app_err quote_load(struct app_ctx *c, const char *order_id, bool lock,
                        struct quote_inputs *in);
/* quote_load in two halves, for a caller that sends the statement in a
 * pipeline with others (db_begin_with): the step (params: 3 slots that
 * must live until it ran), then its result read into *in. */
struct db_step quote_step(struct app_ctx *c, const char *order_id, bool lock,
                          const char *params[3]);
enum app_err   quote_read(struct app_ctx *c, const char *order_id, const PGresult *res,
                          struct quote_inputs *in);
/* Runs the engine on loaded inputs. ERR_VALIDATION (code
 * no_policy) when the product type has no policy. */
enum app_err quote_compute(struct app_ctx *c, const struct quote_inputs *in,
                           struct quote *q);
json_t *quote_to_json(const struct quote *q, const struct quote_inputs *in);

#endif
