/* handlers_payouts.h -- paying approved refunds, settling payouts, the
 * finance export, and the customer's balance. */
#ifndef REFUNDD_HANDLERS_PAYOUTS_H
#define REFUNDD_HANDLERS_PAYOUTS_H

#include "app.h"

enum app_err handle_refund_payout(struct app_ctx *c);
enum app_err handle_payouts_list(struct app_ctx *c);
enum app_err handle_payout_settle(struct app_ctx *c);
enum app_err handle_payout_fail(struct app_ctx *c);
enum app_err handle_balance(struct app_ctx *c);

#endif
