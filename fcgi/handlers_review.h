/* handlers_review.h -- every transition of a refund request after it was
 * submitted: the staff's claim, request-info, approve, reject; the
 * customer's withdraw, reply, appeal, confirm, decline. */
#ifndef REFUNDD_HANDLERS_REVIEW_H
#define REFUNDD_HANDLERS_REVIEW_H

#include "app.h"

enum app_err handle_refund_claim(struct app_ctx *c);
enum app_err handle_refund_request_info(struct app_ctx *c);
enum app_err handle_refund_approve(struct app_ctx *c);
enum app_err handle_refund_reject(struct app_ctx *c);
enum app_err handle_refund_withdraw(struct app_ctx *c);
enum app_err handle_refund_appeal(struct app_ctx *c);
enum app_err handle_refund_confirm(struct app_ctx *c);
enum app_err handle_refund_decline(struct app_ctx *c);
enum app_err handle_refund_message(struct app_ctx *c);

#endif
