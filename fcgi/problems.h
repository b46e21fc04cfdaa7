/* problems.h -- the error values of the SQL modules (refunds.c, quote.c,
 * workdays.c, claims.c, payouts.c) turned into RFC 9457 problems, in one
 * place: the SQL modules say what happened, only handlers answer HTTP.
 * Each returns ERR_NONE for its module's OK value, else the problem's
 * error kind (the answer is then recorded in c->problem). */
#ifndef REFUNDD_PROBLEMS_H
#define REFUNDD_PROBLEMS_H

#include "app.h"
#include "claims.h"
#include "payouts.h"
#include "quote.h"
#include "refunds.h"
#include "workdays.h"

/* id names the refund request in the detail. */
enum app_err refund_fail(struct app_ctx *c, enum refunds_err e, const char *id);
/* in: the loaded inputs (the product type for no_policy); order_id for 404. */
enum app_err quote_fail(struct app_ctx *c, enum quote_err e, const char *order_id,
                        const struct quote_inputs *in);
enum app_err workdays_fail(struct app_ctx *c, enum workdays_err e);
/* id names the claim (or order) in the detail. */
enum app_err claims_fail(struct app_ctx *c, enum claims_err e, const char *id);
/* id names the payout (the refund request for PAYOUTS_EXISTS). */
enum app_err payouts_fail(struct app_ctx *c, enum payouts_err e, const char *id);

#endif
