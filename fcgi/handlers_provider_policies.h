/* handlers_provider_policies.h -- GET/PUT /api/v1/provider-policies[/{provider}/{product_type}]
 * (admin): the providers' refund rules, versioned (DESIGN.md §8). */
#ifndef REFUNDD_HANDLERS_PROVIDER_POLICIES_H
#define REFUNDD_HANDLERS_PROVIDER_POLICIES_H

#include "app.h"

enum app_err handle_provider_policies_list(struct app_ctx *c);
enum app_err handle_provider_policy_get(struct app_ctx *c);
enum app_err handle_provider_policy_put(struct app_ctx *c);

#endif
