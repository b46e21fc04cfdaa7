/* refunds.c -- see refunds.h. */
#include "refunds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static const struct db_stmt q_lock = { "refunds_lock",
	"SELECT (to_jsonb(r) - '{quote,quote_inputs}'::text[])::text, r.id, r.account, r.order_id, r.status, r.quoted_amount,"
	" r.payout_method, coalesce(r.approved_amount, 0), coalesce(r.approved_method, r.payout_method),"
	" coalesce(r.first_approver, ''), r.appealed, p.second_approval_over, p.auto_approve_max,"
	" r.quote->>'decision' = 'full' AND r.quote->>'rule' = 'window_full',"
	" (CASE WHEN r.quote->'payout_methods' ? 'original_route' THEN 1 ELSE 0 END)"
	" + (CASE WHEN r.quote->'payout_methods' ? 'balance' THEN 2 ELSE 0 END),"
	" (SELECT count(*) FROM payouts f WHERE f.refund_id = r.id AND f.status = 'failed'),"
	" p.limits_currency, r.currency, o.status IN ('cancelled', 'unpaid')"
	" FROM refund_requests r JOIN refund_policies p"
	"   ON p.product_type = r.product_type AND p.version = r.policy_version"
	" JOIN orders o ON o.id = r.order_id"
	" WHERE r.id = $1::bigint AND ($2::text IS NULL OR r.account = $2) FOR UPDATE OF r, o" };

static const struct db_stmt q_update = { "refunds_update",
	"UPDATE refund_requests SET status = $2,"
	" assignee = coalesce($4, assignee),"
	" approved_amount = coalesce($5::bigint, approved_amount),"
	" approved_method = coalesce($6, approved_method),"
	" first_approver = coalesce($7, first_approver),"
	" second_approver = CASE WHEN $12::boolean THEN $8 ELSE coalesce($8, second_approver) END,"
	" decision_note = CASE WHEN $12::boolean THEN $9 ELSE coalesce($9, decision_note) END,"
	" second_approval_note = CASE WHEN $12::boolean THEN NULL"
	"   ELSE coalesce($13, second_approval_note) END,"
	" reject_reason = CASE WHEN $12::boolean THEN $10 ELSE coalesce($10, reject_reason) END,"
	" appealed = appealed OR $11::boolean,"
	" decided_at = CASE WHEN $2 IN ('approved', 'rejected', 'awaiting_confirmation',"
	"   'awaiting_second_approval') THEN now() ELSE decided_at END,"
	" updated_at = now()"
	" WHERE id = $1::bigint AND status = $3"
	" RETURNING (to_jsonb(refund_requests) - '{quote,quote_inputs}'::text[])::text" };

static const struct db_stmt q_message = { "refunds_message",
	"INSERT INTO refund_messages (refund_id, author, author_role, body)"
	" VALUES ($1::bigint, current_setting('refundd.sub'), current_setting('refundd.role'), $2)" };

static const struct db_stmt q_detail = { "refunds_detail", REFUNDS_DETAIL_SQL("$1", "$2", "$3") };

/* The policy's approval limits as they hold for the request's currency
 * (policy.c policy_limits_for: none in a currency they were not set in). */
static void read_limits(const PGresult *r, struct refund_row *row)
{
	struct refund_policy p = { .auto_approve_max = db_int(r, 0, 12),
	                           .second_approval_over = db_int(r, 0, 11) };
	struct policy_limits l;

	db_copy(p.limits_currency, sizeof p.limits_currency, r, 0, 16);
	l = policy_limits_for(&p, db_text(r, 0, 17));
	row->auto_approve_max = l.auto_approve_max;
	row->second_approval_over = l.second_approval_over;
}

static int read_row(const PGresult *r, struct refund_row *row)
{
	db_copy(row->id, sizeof row->id, r, 0, 1);
	db_copy(row->account, sizeof row->account, r, 0, 2);
	db_copy(row->order_id, sizeof row->order_id, r, 0, 3);
	db_copy(row->first_approver, sizeof row->first_approver, r, 0, 9);
	row->quoted_amount = db_int(r, 0, 5);
	row->approved_amount = db_int(r, 0, 7);
	row->appealed = db_bool(r, 0, 10);
	read_limits(r, row);
	row->quote_full_in_window = db_bool(r, 0, 13);
	row->offered_methods = (unsigned)db_int(r, 0, 14);
	row->failed_payouts = (int)db_int(r, 0, 15);
	row->order_voided = db_bool(r, 0, 18);
	row->before = strdup(db_text(r, 0, 0));
	if (row->before == NULL || !refund_state_parse(db_text(r, 0, 4), &row->state) ||
	    !refund_payout_method_parse(db_text(r, 0, 6), &row->method) ||
	    !refund_payout_method_parse(db_text(r, 0, 8), &row->approved_method))
		return -1;
	return 0;
}

static enum refunds_err lock_result(const PGresult *res, struct refund_row *row)
{
	if (PQntuples(res) == 0)
		return REFUNDS_NOT_FOUND;
	return read_row(res, row) == 0 ? REFUNDS_OK : REFUNDS_UNREADABLE;
}

enum refunds_err refunds_lock(struct app_ctx *c, const char *id, struct refund_row *row)
{
	const char *params[2] = { id, app_owner_filter(c) };
	PGresult *res = NULL;
	enum refunds_err err;

	memset(row, 0, sizeof *row);
	if (!app_decimal_id(id))
		return REFUNDS_NOT_FOUND;
	if (db_exec(c->db, &q_lock, 2, params, &res) != ERR_NONE)
		return REFUNDS_DB;
	err = lock_result(res, row);
	PQclear(res);
	return err;
}

enum refunds_err refunds_begin_locked(struct app_ctx *c, const char *id, struct refund_row *row)
{
	struct db_identity who = app_identity(c);
	const char *params[2] = { id, app_owner_filter(c) };
	struct db_step step = { &q_lock, 2, params, NULL };
	enum refunds_err err;

	memset(row, 0, sizeof *row);
	if (!app_decimal_id(id))
		return REFUNDS_NOT_FOUND;
	if (db_begin_with(c->db, &who, &step, 1) != ERR_NONE)
		return REFUNDS_DB;
	err = lock_result(step.res, row);
	PQclear(step.res);
	return err;
}

void refunds_row_free(struct refund_row *row)
{
	free(row->before);
	row->before = NULL;
}

enum refunds_err refunds_update(struct app_ctx *c, const struct refund_row *row,
                                const struct refund_change *ch, char **after)
{
	const char *params[13] = { row->id, refund_state_name(ch->next),
		refund_state_name(row->state), ch->assignee, ch->approved_amount,
		ch->approved_method, ch->first_approver, ch->second_approver,
		ch->decision_note, ch->reject_reason, ch->appealed ? "true" : "false",
		ch->fresh_decision ? "true" : "false", ch->second_approval_note };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_update, 13, params, &res);

	*after = NULL;
	if (err == ERR_CONFLICT && strcmp(db_constraint(c->db), "refund_requests_order_cap") == 0)
		return REFUNDS_ORDER_CAP;
	if (err == ERR_CONFLICT && strcmp(db_constraint(c->db), "refund_requests_one_open") == 0)
		return REFUNDS_OPEN_EXISTS;
	if (err != ERR_NONE)
		return REFUNDS_DB;
	/* The row is locked, so the state cannot have moved; a miss is a bug. */
	if (PQntuples(res) == 1)
		*after = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *after ? REFUNDS_OK : REFUNDS_MOVED;
}

enum refunds_err refunds_add_message(struct app_ctx *c, const char *refund_id, const char *body)
{
	const char *params[2] = { refund_id, body };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_message, 2, params, &res);

	PQclear(res);
	return err == ERR_NONE ? REFUNDS_OK : REFUNDS_DB;
}

struct db_step refunds_detail_step(struct app_ctx *c, const char *id, const char *params[3])
{
	params[0] = id;
	params[1] = app_owner_filter(c);
	params[2] = c->who.role == AUTH_ROLE_CUSTOMER ? "false" : "true";
	return (struct db_step){ &q_detail, 3, params, NULL };
}

enum refunds_err refunds_detail_read(const PGresult *res, char **out, bool *upstream)
{
	*out = NULL;
	if (PQntuples(res) == 0)
		return REFUNDS_NOT_FOUND;
	if ((*out = strdup(PQgetvalue(res, 0, 0))) == NULL)
		return REFUNDS_NOMEM;
	if (upstream != NULL)
		*upstream = db_bool(res, 0, 1);
	return REFUNDS_OK;
}

enum refunds_err refunds_detail(struct app_ctx *c, const char *id, char **out, bool *upstream)
{
	const char *params[3];
	struct db_step step = refunds_detail_step(c, id, params);
	PGresult *res = NULL;
	enum refunds_err err;

	*out = NULL;
	if (!app_decimal_id(id))
		return REFUNDS_NOT_FOUND;
	if (db_exec(c->db, step.st, step.nparams, step.params, &res) != ERR_NONE)
		return REFUNDS_DB;
	err = refunds_detail_read(res, out, upstream);
	PQclear(res);
	return err;
}
