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

/* The whole request as the customer and staff see it (attachments: their
 * metadata only; the bytes are a download of their own), as a SELECT of two
 * columns, body (the JSON text) and upstream (the order has an upstream
 * purchase), for the request id, visible to owner (NULL: staff), with
 * "provider_figures": null when staff is true; each argument a parameter
 * such as "$1". expected_arrival_from and expected_arrival: when the money
 * of the live (not failed) payout should arrive, earliest and latest
 * (DESIGN.md §3: the channel's business days from the payout, computed when
 * it was made and again when the export sent it; balance: at once); null
 * before a payout. The payouts and the
 * live one's arrival window come from one scan: each subquery is an index
 * scan and a plan node to start per call. Here so that a statement that
 * stores the answer (handlers_refunds.c, the Idempotency-Key) reads it in
 * the same statement; refunds.c runs it on its own. */
#define REFUNDS_DETAIL_SQL(id, owner, staff) \
	"SELECT (to_jsonb(r) || jsonb_build_object(" \
	" 'order', jsonb_build_object('id', o.id, 'product_name', o.product_name," \
	"   'product_type', o.product_type, 'provider', o.provider, 'amount_paid', o.amount_paid," \
	"   'currency', o.currency, 'payment_method', o.payment_method, 'paid_at', o.paid_at)," \
	" 'messages', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'author', m.author," \
	"   'author_role', m.author_role, 'body', m.body, 'created_at', m.created_at) ORDER BY m.id), '[]')" \
	"   FROM refund_messages m WHERE m.refund_id = r.id)," \
	" 'timeline', (SELECT coalesce(jsonb_agg(jsonb_build_object('at', e.at, 'actor', e.actor," \
	"   'role', e.actor_role, 'action', e.action, 'from', e.before->>'status'," \
	"   'to', e.after->>'status') ORDER BY e.id), '[]')" \
	"   FROM audit_events e WHERE e.entity = 'refund' AND e.entity_id = r.id::text)," \
	" 'payouts', pay.list," \
	" 'attachments', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'name', a.name," \
	"   'content_type', a.content_type, 'size', a.size, 'sha256', a.sha256," \
	"   'created_at', a.created_at) ORDER BY a.id), '[]')" \
	"   FROM refund_attachments a WHERE a.refund_id = r.id)," \
	" 'overdue', r.due_at < now() AND r.status IN ('submitted', 'in_review', 'needs_info'," \
	"   'awaiting_second_approval', 'appealed')," \
	" 'expected_arrival_from', pay.live_from, 'expected_arrival', pay.live_to" \
	" ) || CASE WHEN " staff "::boolean THEN jsonb_build_object('provider_figures', NULL::jsonb)" \
	"      ELSE '{}'::jsonb END)::text AS body," \
	" o.upstream_ref IS NOT NULL AS upstream" \
	" FROM refund_requests r JOIN orders o ON o.id = r.order_id" \
	" CROSS JOIN LATERAL (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.id), '[]') AS list," \
	"   (array_agg(p.expected_at ORDER BY p.id DESC) FILTER (WHERE p.status <> 'failed'))[1] AS live_from," \
	"   (array_agg(p.expected_latest_at ORDER BY p.id DESC) FILTER (WHERE p.status <> 'failed'))[1]" \
	"     AS live_to" \
	"   FROM payouts p WHERE p.refund_id = r.id) pay" \
	" WHERE r.id = " id "::bigint AND (" owner "::text IS NULL OR r.account = " owner ")"

/* A request locked FOR UPDATE inside the caller's transaction, with its
 * order: billing's change of the order's status waits for the transition,
 * and the transition sees the status billing committed last (order_voided;
 * sql/021's trigger checks the other way round). */
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
	bool                      order_voided;    /* billing: cancelled or unpaid now */
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
	const char       *second_approval_note;
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
