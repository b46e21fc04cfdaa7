/* payouts.h -- payout instructions and the balance ledger, as stored
 * (sql/004, 017, 020): making a refund's payout, crediting the balance,
 * the channel's answer, the CSV export that marks instructions sent, the
 * list and the customer's balance. All SQL about payouts and
 * balance_ledger lives in payouts.c; functions return an enum payouts_err
 * and never answer HTTP (handlers_payouts.c does, through problems.c).
 *
 * Calls that change a row run inside the caller's transaction: the refund
 * it belongs to is locked first (refunds_begin_locked, refunds_lock), so a
 * payout is never changed without its refund. */
#ifndef REFUNDD_PAYOUTS_H
#define REFUNDD_PAYOUTS_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"

enum payouts_err {
	PAYOUTS_OK = 0,
	PAYOUTS_NOT_FOUND,     /* no such payout (or the refund has none live) */
	PAYOUTS_EXISTS,        /* the refund has a payout that has not failed */
	PAYOUTS_ORDER_CAP,     /* the order's payouts would exceed what it paid */
	PAYOUTS_NOMEM,
	PAYOUTS_DB             /* the database failed: db_last_error() says how */
};

/* A payout row, locked FOR UPDATE. */
struct payout {
	char  id[24];
	char  refund_id[24];
	char  status[16];      /* pending, sent, settled, failed */
	char *json;            /* the row as JSON text; payout_free frees it */
};
void payout_free(struct payout *p);

/* Where a refund's payout would go: the order's payment method (the
 * channel of original_route) and currency, and whether the refund's quote
 * offers method. Sent as a step so the caller pipelines it with others
 * (params: 3 slots that live until it ran); payouts_route_read reads it. */
struct payout_route {
	char payment_method[16];
	char currency[4];
	bool offered;
};
struct db_step payouts_route_step(const char *order_id, const char *method,
                                  const char *refund_id, const char *params[3]);
void payouts_route_read(const PGresult *res, struct payout_route *out);

/* A payout about to be made: pending, with its arrival window (unix s).
 * Where the money goes (payment_ref, product name) is copied from the
 * order as it is now: a later order sync must not change an instruction. */
struct payout_new {
	const char *refund_id;
	const char *order_id;
	const char *account;
	const char *method;     /* original_route or balance */
	const char *channel;    /* balance, alipay, wechat, bank_transfer, card */
	int64_t     amount;
	const char *currency;
	int64_t     expected_at;
	int64_t     expected_latest_at;
};
/* id: the new payout's id (24 bytes); *json: its row (free()). */
enum payouts_err payouts_insert(struct app_ctx *c, const struct payout_new *n, char *id,
                                char **json);
/* A line crediting the refund to the account's balance. */
enum payouts_err payouts_credit_balance(struct app_ctx *c, const char *account, int64_t amount,
                                        const char *currency, const char *refund_id,
                                        const char *payout_id);
/* The channel's answer: settled (text: its reference, may be NULL) or
 * failed (text: the reason). *json: the payout as it is now (free()). */
enum payouts_err payouts_answer(struct app_ctx *c, const char *id, bool settled,
                                const char *text, char **json);
/* The refund a payout belongs to (it never changes), unlocked: a caller
 * about to change the payout locks that refund first, then the payout,
 * the order every path takes (a payout is made under its refund's lock). */
enum payouts_err payouts_refund_of(struct app_ctx *c, const char *id, char refund_id[24]);
/* Locks a payout by id (canonical decimal). */
enum payouts_err payouts_lock(struct app_ctx *c, const char *id, struct payout *out);
/* Locks the refund's payout that has not failed (at most one:
 * payouts_one_live); PAYOUTS_NOT_FOUND when there is none. */
enum payouts_err payouts_live(struct app_ctx *c, const char *refund_id, struct payout *out);

/* One page of payouts, newest first: column 0 JSON, column 1 the cursor.
 * status and cursor: NULL for any (or the first page); limit as text. */
enum payouts_err payouts_list(struct app_ctx *c, const char *status, const char *cursor,
                              const char *limit, PGresult **page);
/* The payment instructions for the channels. Columns,
 * PAYOUTS_EXPORT_COLUMNS of them: payout id, refund id, order id, account,
 * product name, channel, payment ref, amount (minor units), currency,
 * expected by (UTC, ISO 8601); then the export number. */
#define PAYOUTS_EXPORT_COLUMNS 10
#define PAYOUTS_EXPORT_ID_COLUMN PAYOUTS_EXPORT_COLUMNS
#define PAYOUTS_EXPORT_JSON_COLUMN (PAYOUTS_EXPORT_COLUMNS + 1)
/* The channels an export sends on, and the arrival window (unix s) of
 * each, in this order: the money leaves with the export, so a payout that
 * waited for it is expected its channel's business days from then. */
#define PAYOUTS_EXPORT_CHANNELS 4
extern const char *const payouts_export_channels[PAYOUTS_EXPORT_CHANNELS];
struct payouts_window { int64_t earliest, latest; };
/* The pending instructions, marked sent under a new export number with
 * the arrival window of their channel, in one statement so that two clerks
 * exporting at once never send one twice. One more column: the payout as
 * sent (JSON), for its audit event. */
enum payouts_err payouts_export(struct app_ctx *c,
                                const struct payouts_window arrival[PAYOUTS_EXPORT_CHANNELS],
                                PGresult **rows);
/* One export's instructions sent and not yet answered, again, read only:
 * export_id's (decimal text), or the last export's when NULL; never
 * another export's, which the channel has already. */
enum payouts_err payouts_reexport(struct app_ctx *c, const char *export_id, PGresult **rows);
/* The account's balance per currency and its newest 100 lines, as one row
 * of one column of JSON. */
enum payouts_err payouts_balance(struct app_ctx *c, const char *account, PGresult **res);

#endif
