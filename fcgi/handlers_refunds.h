/* handlers_refunds.h -- submitting and reading refund requests, the staff
 * queue and notifications. */
#ifndef REFUNDD_HANDLERS_REFUNDS_H
#define REFUNDD_HANDLERS_REFUNDS_H

#include "app.h"
#include "refunds.h"

enum app_err handle_refund_submit(struct app_ctx *c);
enum app_err handle_refunds_list(struct app_ctx *c);
enum app_err handle_refund_get(struct app_ctx *c);
enum app_err handle_queue(struct app_ctx *c);
enum app_err handle_notifications(struct app_ctx *c);

/* Shared by the handlers that act on a request (review, payouts).
 * The request's detail as the reply (refunds_detail). */
enum app_err     refund_reply(struct app_ctx *c, const char *id, int status);
/* The same from the result of refunds_detail_step, run in the change's
 * own transaction (audit_write_then). */
enum app_err     refund_reply_from(struct app_ctx *c, const PGresult *res, const char *id,
                                   int status);
/* The state machine's role for the caller: AUTH_ROLE_x is
 * REFUND_ROLE_BIT(REFUND_ROLE_x), so it is the bit's position. */
enum refund_role refund_role(const struct app_ctx *c);
/* Answers a refusal of the state machine: its status and code, and the
 * current state; 404 (revealing nothing) for another account's request. */
enum app_err     refund_refuse(struct app_ctx *c, enum refund_refusal r,
                               const struct refund_row *row);

#endif
