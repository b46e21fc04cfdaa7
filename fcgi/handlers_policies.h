/* handlers_policies.h -- refund policies (versioned) and the holiday table. */
#ifndef REFUNDD_HANDLERS_POLICIES_H
#define REFUNDD_HANDLERS_POLICIES_H

#include "app.h"

enum app_err handle_policies_list(struct app_ctx *c);
enum app_err handle_policy_get(struct app_ctx *c);
enum app_err handle_policy_put(struct app_ctx *c);
enum app_err handle_holidays_get(struct app_ctx *c);
enum app_err handle_holidays_put(struct app_ctx *c);

#endif
