/* refunds.h -- the refund request as stored: locking a request for a
 * transition, storing the transition, reading it back as JSON. All SQL
 * about refund_requests and refund_messages lives in refunds.c. */
#ifndef REFUNDD_REFUNDS_H
#define REFUNDD_REFUNDS_H

#include "app.h"
#include "refund_state.h"

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

/* Locks request id. A customer may lock only their own (404 otherwise). */
enum app_err refunds_lock(struct app_ctx *c, const char *id, struct refund_row *row);
void         refunds_row_free(struct refund_row *row);
/* Stores the change if the state is still row->state; *after gets the
 * new row's JSON text (free()). Maps the order cap to 409 exceeds_order_cap. */
enum app_err refunds_update(struct app_ctx *c, const struct refund_row *row,
                            const struct refund_change *ch, char **after);
enum app_err refunds_add_message(struct app_ctx *c, const char *refund_id, const char *body);
/* The request with its order, messages and timeline as JSON text (free()). */
enum app_err refunds_detail(struct app_ctx *c, const char *id, char **out);
/* The same, as the reply. */
enum app_err refunds_reply(struct app_ctx *c, const char *id, int status);

/* The state machine's role for the caller: AUTH_ROLE_x is
 * REFUND_ROLE_BIT(REFUND_ROLE_x), so it is the bit's position. */
enum refund_role refunds_role_of(const struct app_ctx *c);
/* Answers a refusal of the state machine: its status and code, and the
 * current state; 404 (revealing nothing) for another account's request. */
enum app_err     refunds_refuse(struct app_ctx *c, enum refund_refusal r,
                                const struct refund_row *row);

#endif
