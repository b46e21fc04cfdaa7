/* handlers_refunds.h -- submitting and reading refund requests, the staff
 * queue and notifications. */
#ifndef REFUNDD_HANDLERS_REFUNDS_H
#define REFUNDD_HANDLERS_REFUNDS_H

#include "app.h"

enum app_err handle_refund_submit(struct app_ctx *c);
enum app_err handle_refunds_list(struct app_ctx *c);
enum app_err handle_refund_get(struct app_ctx *c);
enum app_err handle_queue(struct app_ctx *c);
enum app_err handle_notifications(struct app_ctx *c);

#endif
