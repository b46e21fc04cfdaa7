/* policy_input.h -- a refund policy as an admin sends it (the body of PUT
 * /api/v1/policies/{type}, the "policy" of POST .../simulate): the field
 * table, then the engine's own validator, so a draft that is simulated is
 * checked exactly as the same draft would be when published, with the
 * same problems. */
#ifndef REFUNDD_POLICY_INPUT_H
#define REFUNDD_POLICY_INPUT_H

#include "app.h"
#include "policy.h"

/* The parts of a policy stored as text. */
struct policy_text {
	char        methods[64];        /* "original_route,balance" */
	char        methods_after[64];
	const char *note;               /* points into the JSON; "" when absent */
};

/* 422 invalid_product_type unless [a-z0-9_]{1,31}. */
enum app_err policy_input_type(struct app_ctx *c, const char *product_type);
/* obj against the field table and policy_validate(); 422 with the field
 * named (unknown_field, missing_field, wrong_type, out_of_range, ...),
 * invalid_payout_methods or invalid_policy. p->version is 1. */
enum app_err policy_input_parse(struct app_ctx *c, const json_t *obj, const char *product_type,
                                struct refund_policy *p, struct policy_text *t);

#endif
