/* handlers_simulate.h -- POST /api/v1/policies/{product_type}/simulate. */
#ifndef REFUNDD_HANDLERS_SIMULATE_H
#define REFUNDD_HANDLERS_SIMULATE_H

#include "app.h"

enum app_err handle_policy_simulate(struct app_ctx *c);

#endif
