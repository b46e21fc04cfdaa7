/* handlers_webhooks.h -- the admin's view of webhook deliveries: list the
 * attempts, send one again. */
#ifndef REFUNDD_HANDLERS_WEBHOOKS_H
#define REFUNDD_HANDLERS_WEBHOOKS_H

#include "app.h"

enum app_err handle_webhook_deliveries(struct app_ctx *c);
enum app_err handle_webhook_retry(struct app_ctx *c);

#endif
