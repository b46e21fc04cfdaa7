/* refunds.h -- the refund request as stored: locking a request for a
 * transition, storing the transition, reading it back as JSON. All SQL
 * about refund_requests and refund_messages lives in refunds.c. Functions
 * return what happened as an enum refunds_err; the handlers turn that into
 * an HTTP problem (handlers_refunds.h refund_fail), never this file. */
#ifndef REFUNDD_REFUNDS_H
#define REFUNDD_REFUNDS_H

#include "app.h"
#include "refund_state.h"

enum refunds_err {
	REFUNDS_OK = 0,
	REFUNDS_NOT_FOUND,     /* no such request, or another account's (a customer) */
	REFUNDS_ORDER_CAP,     /* more than the order has left to refund */
	REFUNDS_OPEN_EXISTS,   /* another request for the order is open */
	REFUNDS_UNREADABLE,    /* a stored value refundd does not understand */
	REFUNDS_MOVED,         /* the state changed under the row lock: a bug */
	REFUNDS_NOMEM,
	REFUNDS_DB             /* the database failed: db_last_error() says how */
};

/* A request locked FOR UPDATE inside the caller's transaction. */
struct refund_row {
	char                      id[24];
	char                      account[128];
	char                      order_id[80];
	enum refund_state         state;
	int64_t                   quoted_amount;
	enum refund_payout_method method;          /* as submitted */
	int64_t                   approved_amount; /* 0 when none yet */
	enum refund_payout_method approved_method;
	char                      first_approver[128];
	bool                      appealed;
	int64_t                   second_approval_over;
	int64_t                   auto_approve_max;
	bool                      quote_full_in_window;
	unsigned                  offered_methods; /* bit (1 << method): what the quote offered */
	int                       failed_payouts;
	char                     *before;          /* the row as JSON text (owned) */
};

/* What a transition writes besides the new state. NULL / false: unchanged. */
struct refund_change {
	enum refund_state next;
	const char       *assignee;
	const char       *approved_amount;   /* decimal text */
	const char       *approved_method;
	const char       *first_approver;
	const char       *second_approver;
	const char       *decision_note;
	const char       *reject_reason;
	bool              appealed;
	/* A new decision (a first approval, a rejection): the earlier
	 * decision's second approver, note and reject reason are replaced,
	 * not kept, even by NULL. Its history stays in the audit trail. */
	bool              fresh_decision;
};

/* Locks request id. A customer may lock only their own (REFUNDS_NOT_FOUND
 * otherwise, as for an id that is not a canonical decimal). */
enum refunds_err refunds_lock(struct app_ctx *c, const char *id, struct refund_row *row);
/* BEGIN, the caller's identity and refunds_lock in one round trip: the
 * start of every transition. */
enum refunds_err refunds_begin_locked(struct app_ctx *c, const char *id, struct refund_row *row);
void             refunds_row_free(struct refund_row *row);
/* Stores the change if the state is still row->state; *after gets the
 * new row's JSON text (free()). */
enum refunds_err refunds_update(struct app_ctx *c, const struct refund_row *row,
                                const struct refund_change *ch, char **after);
enum refunds_err refunds_add_message(struct app_ctx *c, const char *refund_id, const char *body);
/* The request with its order, messages and timeline as JSON text (free()).
 * For staff it carries "provider_figures": null, which the handler fills in
 * when *upstream says the order has an upstream purchase (may be NULL). */
enum refunds_err refunds_detail(struct app_ctx *c, const char *id, char **out, bool *upstream);
/* refunds_detail in two halves, for a pipeline (audit_write_then): the
 * step (params must live until it ran; id must be a decimal id, as one
 * just stored is), then the text from its result. */
struct db_step   refunds_detail_step(struct app_ctx *c, const char *id, const char *params[3]);
enum refunds_err refunds_detail_read(const PGresult *res, char **out, bool *upstream);

#endif
