/* quote.h -- the policy engine's answer for one stored order: loads the
 * order, its product type's current policy, what is already refunded or
 * being refunded and the account's requests this month, in one statement,
 * then calls policy_quote() and renders the result as JSON. Errors come
 * back as enum quote_err; handlers_orders.c quote_fail makes them problems. */
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

enum quote_err {
	QUOTE_OK = 0,
	QUOTE_NOT_FOUND,     /* no such order, or another account's (a customer) */
	QUOTE_NO_POLICY,     /* the product type has no refund policy */
	QUOTE_NO_SERVICE_STATUS, /* the policy's window is the service's status, and
	                            billing sent the order without one */
	QUOTE_UNREADABLE,    /* a stored order or policy refundd does not understand */
	QUOTE_ENGINE,        /* policy_quote refused its inputs: a bug */
	QUOTE_DB             /* the database failed: db_last_error() says how */
};

/* Loads the inputs of the order's quote. lock: SELECT ... FOR UPDATE on
 * the order row (inside a transaction, when a request is about to be
 * created from it). */
enum quote_err quote_load(struct app_ctx *c, const char *order_id, bool lock,
                          struct quote_inputs *in);
/* quote_load in two halves, for a caller that sends the statement in a
 * pipeline with others (db_begin_with): the step (params: 3 slots that
 * must live until it ran), then its result read into *in. */
struct db_step quote_step(struct app_ctx *c, const char *order_id, bool lock,
                          const char *params[3]);
enum quote_err quote_read(const PGresult *res, struct quote_inputs *in);
/* Row 0's order facts from column first on, in QUOTE_INPUTS_SQL's order
 * (quote.c); the simulation reads the frozen ones the same way. false: a
 * status, billing mode or service status refundd does not know. */
bool quote_read_order_facts(const PGresult *r, int first, struct order_facts *o);
/* Runs the engine on loaded inputs at instant now. */
enum quote_err quote_compute(const struct quote_inputs *in, int64_t now, struct quote *q);
json_t *quote_to_json(const struct quote *q, const struct quote_inputs *in);

#endif
