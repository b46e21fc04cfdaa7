/* handlers_payouts.c -- POST /api/v1/refunds/{id}/payout (finance),
 * GET /api/v1/payouts (finance; Accept: text/csv exports pending payouts
 * and marks them sent), POST /api/v1/payouts/{id}/settle|fail (system,
 * finance), GET /api/v1/balance (customer).
 *
 * Exactly one successful payout per refund: the refund row is locked and
 * must be `approved` (the state machine), a unique partial index allows
 * one payout that has not failed, and a trigger caps an order's payouts at
 * what it paid. A balance payout credits the ledger and settles at once,
 * in the same transaction as the state change and its audit events. */
#include "handlers_payouts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "problems.h"
#include "audit.h"
#include "csv.h"
#include "log.h"
#include "money.h"
#include "handlers_refunds.h"
#include "refunds.h"
#include "workdays.h"

#define PAYOUT_JSON "to_jsonb(p)::text"

static const struct db_stmt q_order = { "payouts_order",
	"SELECT payment_method, currency,"
	" (SELECT r.quote->'payout_methods' ? $2 FROM refund_requests r WHERE r.id = $3::bigint)"
	" FROM orders WHERE id = $1" };
/* The instruction copies where the money goes (payment_ref, and the
 * product named on it) from the order as it is now: a later order sync
 * must not change an instruction (sql/017_payout_destination.sql). */
static const struct db_stmt q_insert = { "payouts_insert",
	"INSERT INTO payouts AS p (refund_id, order_id, account, method, channel, amount, currency,"
	" status, expected_at, expected_latest_at, payment_ref, product_name)"
	" SELECT $1::bigint, $2, $3, $4, $5, $6::bigint, $7, 'pending', to_timestamp($8::bigint),"
	" to_timestamp($9::bigint), o.payment_ref, o.product_name FROM orders o WHERE o.id = $2"
	" RETURNING p.id::text, " PAYOUT_JSON };
static const struct db_stmt q_lock = { "payouts_lock",
	"SELECT p.id::text, p.refund_id::text, p.status, " PAYOUT_JSON ", p.account, p.amount,"
	" p.currency, p.channel FROM payouts p WHERE p.id = $1::bigint FOR UPDATE" };
static const struct db_stmt q_settle = { "payouts_settle",
	"UPDATE payouts p SET status = 'settled', settled_at = now(), updated_at = now(),"
	" channel_ref = coalesce($2, channel_ref) WHERE p.id = $1::bigint RETURNING " PAYOUT_JSON };
static const struct db_stmt q_fail = { "payouts_fail",
	"UPDATE payouts p SET status = 'failed', failure_reason = $2, updated_at = now()"
	" WHERE p.id = $1::bigint RETURNING " PAYOUT_JSON };
/* The refund's payout that has not failed (payouts_one_live: at most one),
 * locked: a late settlement decides by it. */
static const struct db_stmt q_live = { "payouts_live",
	"SELECT p.id::text, p.status, " PAYOUT_JSON " FROM payouts p"
	" WHERE p.refund_id = $1::bigint AND p.status <> 'failed' FOR UPDATE" };
static const struct db_stmt q_credit = { "payouts_credit",
	"INSERT INTO balance_ledger (account, amount, currency, kind, refund_id, payout_id, memo)"
	" VALUES ($1, $2::bigint, $3, 'refund_credit', $4::bigint, $5::bigint, $6)" };
/* Newest first, like the refund requests: what finance just did is on top. */
static const struct db_stmt q_list = { "payouts_list",
	"SELECT " PAYOUT_JSON ", p.id FROM payouts p WHERE ($1::text IS NULL OR p.status = $1)"
	" AND ($2::bigint IS NULL OR p.id < $2::bigint) ORDER BY p.id DESC LIMIT $3::int + 1" };
/* The export takes what is pending on a payment channel and marks it sent,
 * in one statement, so two finance clerks exporting at once never send
 * the same instruction twice. Column 10: the payout as sent, for its
 * audit event. */
#define EXPORT_COLUMNS \
	"p.id::text, p.refund_id::text, p.order_id, p.account, p.product_name, p.channel," \
	" coalesce(p.payment_ref, ''), p.amount, p.currency," \
	" to_char(p.expected_latest_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
static const struct db_stmt q_export = { "payouts_export",
	"UPDATE payouts p SET status = 'sent', sent_at = now(), updated_at = now()"
	" WHERE p.status = 'pending' AND p.channel <> 'balance'"
	" RETURNING " EXPORT_COLUMNS ", " PAYOUT_JSON };
/* The same rows again for instructions already sent and not yet answered
 * by the channel: a download that got lost can be fetched again, and
 * nothing changes. */
static const struct db_stmt q_reexport = { "payouts_reexport",
	"SELECT " EXPORT_COLUMNS " FROM payouts p"
	" WHERE p.status = 'sent' AND p.channel <> 'balance' ORDER BY p.id" };
static const struct db_stmt q_balance = { "payouts_balance",
	"SELECT jsonb_build_object('balances', (SELECT coalesce(jsonb_agg(jsonb_build_object("
	" 'currency', currency, 'amount', total) ORDER BY currency), '[]') FROM (SELECT currency,"
	" sum(amount)::bigint AS total FROM balance_ledger WHERE account = $1 GROUP BY currency) t),"
	" 'lines', (SELECT coalesce(jsonb_agg(to_jsonb(l) - 'account' ORDER BY l.id DESC), '[]')"
	" FROM (SELECT * FROM balance_ledger WHERE account = $1 ORDER BY id DESC LIMIT 100) l))::text" };

/* How long each channel takes, in business days: earliest and latest. */
static const struct { const char *channel; int earliest, latest; } arrival[] = {
	{ "balance", 0, 0 }, { "alipay", 1, 1 }, { "wechat", 1, 1 },
	{ "bank_transfer", 1, 3 }, { "card", 3, 7 },
};

/* holidays: the result of workdays_step from c->now, read once for both
 * ends of the window. */
static enum app_err expected_arrival(struct app_ctx *c, const PGresult *holidays,
                                     const char *channel, char *earliest, char *latest)
{
	for (size_t i = 0; i < sizeof arrival / sizeof arrival[0]; i++) {
		if (strcmp(arrival[i].channel, channel) != 0)
			continue;
		/* 0 days is "at once", even on a holiday: workdays_add_with would move
		 * a start on a day off to the next business morning. */
		int64_t a = c->now, b = c->now;
		enum app_err err = ERR_NONE;
		if (arrival[i].earliest > 0)
			err = workdays_fail(c, workdays_add_with(holidays, c->now, arrival[i].earliest, &a));
		if (err == ERR_NONE && arrival[i].latest > 0)
			err = workdays_fail(c, workdays_add_with(holidays, c->now, arrival[i].latest, &b));
		snprintf(earliest, 24, "%lld", (long long)a);
		snprintf(latest, 24, "%lld", (long long)b);
		return err;
	}
	return app_fail(c, ERR_INTERNAL, NULL, "unknown payment channel %s", channel);
}

/* The audit event of a step whose recording rides in the caller's next
 * round trip: before is owned here, after is the row's (row->before). */
struct step_event {
	char  action[48];
	char *before;
};

/* Moves the locked refund along one payout edge; its audit event is left
 * in *ev for the caller to record (step_event_of). */
static enum app_err step_update(struct app_ctx *c, struct refund_row *row, enum refund_action action,
                                enum refund_role role, const char *method, struct step_event *ev)
{
	struct refund_facts f = { .state = row->state, .actor_sub = c->who.sub };
	struct refund_outcome out;
	struct refund_change ch = { .approved_method = method };
	char *after = NULL;
	enum app_err err;
	enum refund_refusal r = refund_transition(&f, action, role, &out);

	if (r != REFUND_OK)
		return refund_refuse(c, r, row);
	ch.next = out.next;
	if ((err = refund_fail(c, refunds_update(c, row, &ch, &after), row->id)) != ERR_NONE)
		return err;
	snprintf(ev->action, sizeof ev->action, "refund.%s", refund_action_name(action));
	free(ev->before);
	ev->before = row->before;
	row->before = after;   /* the next step starts from here */
	row->state = out.next;
	return ERR_NONE;
}

static struct audit_event step_event_of(const struct step_event *ev, const struct refund_row *row)
{
	return (struct audit_event){ ev->action, "refund", row->id, ev->before, row->before };
}

/* step_update and its audit event at once. */
static enum app_err step(struct app_ctx *c, struct refund_row *row, enum refund_action action,
                         enum refund_role role, const char *method)
{
	struct step_event ev = { "", NULL };
	enum app_err err = step_update(c, row, action, role, method, &ev);

	if (err == ERR_NONE) {
		struct audit_event e = step_event_of(&ev, row);
		err = audit_record(c, e.action, e.entity, e.entity_id, e.before, e.after);
	}
	free(ev.before);
	return err;
}

/* Credits the balance and settles a balance payout, then the refund is paid. */
static enum app_err settle_to_balance(struct app_ctx *c, struct refund_row *row,
                                      const char *payout_id, const char *amount,
                                      const char *currency)
{
	const char *credit[6] = { row->account, amount, currency, row->id, payout_id,
	                          "refund" };
	const char *settle[2] = { payout_id, NULL };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_credit, 6, credit, &res);

	PQclear(res);
	res = NULL;
	if (err == ERR_NONE)
		err = db_exec(c->db, &q_settle, 2, settle, &res);
	if (err == ERR_NONE)
		err = audit_record(c, "payout.settle", "payout", payout_id, NULL, PQgetvalue(res, 0, 0));
	PQclear(res);
	if (err != ERR_NONE)
		return c->problem.err ? c->problem.err : app_fail(c, err, NULL, "could not credit the balance");
	return step(c, row, REFUND_ACTION_PAYOUT_SETTLED, REFUND_ROLE_FINANCE, NULL);
}

/* The payout's row: method, channel and expected arrival. The start
 * step's audit event, the order and the holidays go in one round trip.
 * *created: the insert's id and JSON, whose audit event the caller
 * records with the commit; NULL when it is recorded already (a balance
 * payout, settled here). */
static enum app_err create_payout(struct app_ctx *c, struct refund_row *row, const char *method,
                                  const struct audit_event *start, char *payout_id,
                                  PGresult **created)
{
	char amount[24], earliest[24], latest[24], channel[16], currency[4], day[24];
	const char *p_order[3] = { row->order_id, method, row->id }, *ep[5], *dp[1];
	struct db_step reads[3] = { audit_step(start, ep), { &q_order, 3, p_order, NULL },
	                            workdays_step(c->now, day, dp) };
	PGresult *res = NULL;
	enum app_err err = db_pipeline(c->db, reads, 3);

	*created = NULL;
	if (err != ERR_NONE) {
		db_steps_clear(reads, 3);
		return app_fail(c, err, NULL, "could not load the order");
	}
	if (!db_bool(reads[1].res, 0, 2)) {
		db_steps_clear(reads, 3);
		return app_fail(c, ERR_VALIDATION, "payout_method_not_allowed",
		                "the policy does not offer %s for this refund", method);
	}
	snprintf(channel, sizeof channel, "%s", strcmp(method, "balance") == 0 ? "balance"
	                                        : PQgetvalue(reads[1].res, 0, 0));
	snprintf(currency, sizeof currency, "%s", PQgetvalue(reads[1].res, 0, 1));
	snprintf(amount, sizeof amount, "%lld", (long long)row->approved_amount);
	err = expected_arrival(c, reads[2].res, channel, earliest, latest);
	db_steps_clear(reads, 3);
	if (err != ERR_NONE)
		return err;
	const char *p[9] = { row->id, row->order_id, row->account, method, channel, amount,
	                     currency, earliest, latest };
	if ((err = db_exec(c->db, &q_insert, 9, p, &res)) != ERR_NONE) {
		const char *cons = db_constraint(c->db);
		return app_fail(c, err, strcmp(cons, "payouts_one_live") == 0 ? "payout_exists" :
		                strcmp(cons, "payouts_order_cap") == 0 ? "exceeds_order_cap" : NULL,
		                "the payout was refused (%s)", cons[0] ? cons : "database");
	}
	snprintf(payout_id, 24, "%s", PQgetvalue(res, 0, 0));
	if (strcmp(channel, "balance") != 0) {
		*created = res;
		return ERR_NONE;
	}
	err = audit_record(c, "payout.create", "payout", payout_id, NULL, PQgetvalue(res, 0, 1));
	PQclear(res);
	return err == ERR_NONE ? settle_to_balance(c, row, payout_id, amount, currency) : err;
}

/* The method: the body's payout_method (switching, e.g. to the balance
 * after the original route failed) or the approved one. */
static enum app_err payout_method(struct app_ctx *c, const struct refund_row *row,
                                  const char **method)
{
	static const char *const names[] = { "original_route", "balance", NULL };
	static const struct field_spec fields[] = {
		{ "payout_method", FIELD_ENUM, false, false, 0, 32, names },
	};
	FIELD_TABLE(fields);
	struct field_value v[1];
	enum app_err err;

	*method = refund_payout_method_name(row->approved_method);
	if (c->body == NULL)
		return ERR_NONE;
	if ((err = app_body(c, fields, 1, v)) != ERR_NONE)
		return err;
	if (v[0].present)
		*method = v[0].str;
	return ERR_NONE;
}

enum app_err handle_refund_payout(struct app_ctx *c)
{
	struct refund_row row;
	struct step_event started = { "", NULL };
	PGresult *created = NULL;
	const char *method;
	char payout_id[24] = "";
	enum app_err err;

	if ((err = refund_fail(c, refunds_begin_locked(c, app_param(c, 0), &row),
	                       app_param(c, 0))) != ERR_NONE ||
	    (err = payout_method(c, &row, &method)) != ERR_NONE)
		goto out;
	bool switched = strcmp(method, refund_payout_method_name(row.approved_method)) != 0;
	/* The customer confirmed a method (at submission or after an approval
	 * that changed it); finance switches only after that route failed
	 * (DESIGN.md §3: "payout failed -> approved (retry, or switch to balance)").
	 * A refund that is not approved is the state machine's refusal. */
	if (switched && row.failed_payouts == 0 && row.state == REFUND_STATE_APPROVED) {
		err = app_fail_with(c, ERR_CONFLICT, "method_switch_needs_failed_payout",
		                    json_pack("{s:s}", "payout_method",
		                              refund_payout_method_name(row.approved_method)),
		                    "pay by the confirmed method; switch only after it failed");
		goto out;
	}
	if ((err = step_update(c, &row, REFUND_ACTION_PAYOUT_START, REFUND_ROLE_FINANCE,
	                       switched ? method : NULL, &started)) != ERR_NONE)
		goto out;
	struct audit_event start = step_event_of(&started, &row);
	if ((err = create_payout(c, &row, method, &start, payout_id, &created)) != ERR_NONE)
		goto out;
	struct audit_event made = { "payout.create", "payout", payout_id, NULL,
	                            created ? PQgetvalue(created, 0, 1) : NULL };
	struct audit_notice n = { row.account, row.id, row.state == REFUND_STATE_PAID
	                          ? "refund.paid" : "refund.paying", NULL };
	const char *dp[3];
	struct db_step reply = refunds_detail_step(c, row.id, dp);
	if ((err = audit_write_then(c, created ? &made : NULL, &n, &reply, true)) == ERR_NONE)
		err = refund_reply_from(c, reply.res, row.id, 201);
	PQclear(reply.res);
out:
	PQclear(created);
	free(started.before);
	refunds_row_free(&row);
	return c->problem.err ? c->problem.err : err;
}

/* The opposite answer to a final payout: 409. A "settled" for a failed
 * payout that settle_late could not take (the refund was paid again, or a
 * retry is with the channel) means the customer is, or will be, paid
 * twice: nothing final changes, but the answer is kept in the audit trail
 * (committed) and the log, for finance to recover the money. */
static enum app_err refuse_final(struct app_ctx *c, const PGresult *p, bool settled,
                                 const char *channel_ref)
{
	const char *id = PQgetvalue(p, 0, 0), *status = PQgetvalue(p, 0, 2);

	if (settled && strcmp(status, "failed") == 0) {
		json_t *late = json_pack("{s:s, s:s, s:s?}", "status", "failed", "late_answer",
		                         "settled", "channel_ref", channel_ref);
		char *after = late ? json_dumps(late, JSON_COMPACT) : NULL, msg[128];
		enum app_err err = after == NULL ? ERR_INTERNAL
		      : audit_record(c, "payout.settle_after_fail", "payout", id, PQgetvalue(p, 0, 3), after);
		if (err == ERR_NONE)
			err = db_commit(c->db);
		json_decref(late);
		free(after);
		snprintf(msg, sizeof msg, "payout %s: the channel settled it after it failed,"
		         " and its refund was paid again since", id);
		log_event("warn", "payout_settle_after_fail", msg);
		if (err != ERR_NONE)
			return c->problem.err ? c->problem.err : app_fail(c, err, NULL, "could not record the answer");
		return app_fail_with(c, ERR_CONFLICT, "payout_final", json_pack("{s:s}", "state", status),
		                     "this payout failed and its refund has been paid again since:"
		                     " recorded for finance to recover the second payment");
	}
	return app_fail_with(c, ERR_CONFLICT, "payout_final", json_pack("{s:s}", "state", status),
	                     "this payout is already final");
}

/* The channel's answer applied to a payout (p: its locked row) and to its
 * locked refund, with both events and the customer's notice, committed;
 * *res: the payout as it is now. */
static enum app_err apply_answer(struct app_ctx *c, struct refund_row *row, const PGresult *p,
                                 bool settled, const char *text, PGresult **res)
{
	const char *id = PQgetvalue(p, 0, 0);
	const char *params[2] = { id, text };
	enum app_err err;

	if ((err = db_exec(c->db, settled ? &q_settle : &q_fail, 2, params, res)) != ERR_NONE ||
	    (err = audit_record(c, settled ? "payout.settle" : "payout.fail", "payout", id,
	                        PQgetvalue(p, 0, 3), PQgetvalue(*res, 0, 0))) != ERR_NONE ||
	    (err = step(c, row, settled ? REFUND_ACTION_PAYOUT_SETTLED : REFUND_ACTION_PAYOUT_FAILED,
	                refund_role(c), NULL)) != ERR_NONE ||
	    (err = audit_notify(c, row->account, row->id,
	                        settled ? "refund.paid" : "refund.payout_failed", NULL)) != ERR_NONE)
		return err;
	return db_commit(c->db);
}

/* Fails the refund's retry that is still pending (not yet exported, so no
 * channel has it): the payout that failed was paid after all. */
static enum app_err supersede_retry(struct app_ctx *c, struct refund_row *row,
                                    const PGresult *live, const char *late_id)
{
	char reason[96];
	PGresult *res = NULL;
	enum app_err err;

	snprintf(reason, sizeof reason, "superseded: payout %s was settled by the channel after it failed",
	         late_id);
	const char *params[2] = { PQgetvalue(live, 0, 0), reason };
	if ((err = db_exec(c->db, &q_fail, 2, params, &res)) == ERR_NONE &&
	    (err = audit_record(c, "payout.fail", "payout", params[0], PQgetvalue(live, 0, 2),
	                        PQgetvalue(res, 0, 0))) == ERR_NONE)
		err = step(c, row, REFUND_ACTION_PAYOUT_FAILED, refund_role(c), NULL);
	PQclear(res);
	return err;
}

/* A "settled" for a payout that failed: the channel paid after all. While
 * nothing else has paid the refund (it is back in approved, or its retry
 * is still pending and is failed here as superseded) the channel's word
 * wins: the payout becomes settled (sql/020) and the refund paid, in one
 * transaction, so finance cannot pay it a second time. Otherwise
 * refuse_final. */
static enum app_err settle_late(struct app_ctx *c, const PGresult *p, const char *channel_ref)
{
	const char *id = PQgetvalue(p, 0, 0), *refund_id = PQgetvalue(p, 0, 1);
	struct refund_row row = { 0 };
	PGresult *live = NULL, *res = NULL;
	enum app_err err;

	if ((err = refund_fail(c, refunds_lock(c, refund_id, &row), refund_id)) != ERR_NONE)
		goto out;
	if ((err = db_exec(c->db, &q_live, 1, &refund_id, &live)) != ERR_NONE) {
		err = app_fail(c, err, NULL, "could not read the refund's payouts");
		goto out;
	}
	bool retry_pending = PQntuples(live) == 1 && strcmp(PQgetvalue(live, 0, 1), "pending") == 0;
	if (!(row.state == REFUND_STATE_APPROVED && PQntuples(live) == 0) &&
	    !(row.state == REFUND_STATE_PAYING && retry_pending)) {
		err = refuse_final(c, p, true, channel_ref);
		goto out;
	}
	if ((retry_pending && (err = supersede_retry(c, &row, live, id)) != ERR_NONE) ||
	    (err = apply_answer(c, &row, p, true, channel_ref, &res)) != ERR_NONE)
		goto out;
	char msg[128];
	snprintf(msg, sizeof msg, "payout %s: the channel settled it after it failed; refund %s is paid",
	         id, row.id);
	log_event("warn", "payout_settled_after_fail", msg);
	err = app_reply(c, 200, json_loads(PQgetvalue(res, 0, 0), 0, NULL));
out:
	PQclear(live);
	PQclear(res);
	refunds_row_free(&row);
	return c->problem.err ? c->problem.err : err;
}

/* The channel's answer for a payout. The same answer again (a callback
 * delivered twice) returns the payout unchanged: no second credit, no
 * second event. The opposite answer to a final payout is 409. Finance may
 * fail a payout only while it is pending: once exported, the instruction
 * is with the channel, and a failure declared here while the channel pays
 * would let a retry pay the refund twice. */
static enum app_err channel_result(struct app_ctx *c, bool settled, const char *text)
{
	struct db_identity who = app_identity(c);
	struct refund_row row = { 0 };
	const char *want = settled ? "settled" : "failed";
	PGresult *p = NULL, *res = NULL;
	const char *id = app_param(c, 0);
	enum app_err err;

	/* Canonical decimal only: "0012" must not be a second name for 12. */
	if (!app_decimal_id(id))
		return app_fail(c, ERR_NOT_FOUND, "payout_not_found", "no payout %s", id);
	const char *params[2] = { id, text };
	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = db_exec(c->db, &q_lock, 1, params, &p)) != ERR_NONE || PQntuples(p) == 0) {
		err = app_fail(c, err ? err : ERR_NOT_FOUND, "payout_not_found", "no payout %s", id);
		goto out;
	}
	if (strcmp(PQgetvalue(p, 0, 2), want) == 0) {
		err = app_reply(c, 200, json_loads(PQgetvalue(p, 0, 3), 0, NULL));
		goto out;
	}
	if (settled && strcmp(PQgetvalue(p, 0, 2), "failed") == 0) {
		err = settle_late(c, p, text);
		goto out;
	}
	if (strcmp(PQgetvalue(p, 0, 2), "settled") == 0 || strcmp(PQgetvalue(p, 0, 2), "failed") == 0) {
		err = refuse_final(c, p, settled, text);
		goto out;
	}
	if (!settled && c->who.role == AUTH_ROLE_FINANCE && strcmp(PQgetvalue(p, 0, 2), "sent") == 0) {
		err = app_fail_with(c, ERR_CONFLICT, "payout_sent", json_pack("{s:s}", "state", "sent"),
		                    "the instruction is with the payment channel: only its answer can fail it");
		goto out;
	}
	if ((err = refund_fail(c, refunds_lock(c, PQgetvalue(p, 0, 1), &row), PQgetvalue(p, 0, 1))) != ERR_NONE ||
	    (err = apply_answer(c, &row, p, settled, text, &res)) != ERR_NONE)
		goto out;
	err = app_reply(c, 200, json_loads(PQgetvalue(res, 0, 0), 0, NULL));
out:
	PQclear(p);
	PQclear(res);
	refunds_row_free(&row);
	return c->problem.err ? c->problem.err : err;
}

enum app_err handle_payout_settle(struct app_ctx *c)
{
	static const struct field_spec fields[] = {
		{ "channel_ref", FIELD_STRING, false, false, 0, 128, NULL },
	};
	FIELD_TABLE(fields);
	struct field_value v[1] = { { 0 } };
	enum app_err err = c->body ? app_body(c, fields, 1, v) : ERR_NONE;

	return err != ERR_NONE ? err : channel_result(c, true, v[0].present ? v[0].str : NULL);
}

enum app_err handle_payout_fail(struct app_ctx *c)
{
	static const struct field_spec fields[] = {
		{ "reason", FIELD_STRING, true, false, 1, 500, NULL },
	};
	FIELD_TABLE(fields);
	struct field_value v[1];
	enum app_err err = app_body(c, fields, 1, v);

	return err != ERR_NONE ? err : channel_result(c, false, v[0].str);
}

/* The download's event: {count, payout_ids}. */
static enum app_err export_event(struct app_ctx *c, bool again, const PGresult *res)
{
	json_t *ids = json_array(), *after;
	char *text;
	enum app_err err = ERR_INTERNAL;

	for (int r = 0; ids && r < PQntuples(res); r++)
		json_array_append_new(ids, json_integer(db_int(res, r, 0)));
	after = ids ? json_pack("{s:i, s:o}", "count", PQntuples(res), "payout_ids", ids) : NULL;
	if ((text = after ? json_dumps(after, JSON_COMPACT) : NULL) != NULL)
		err = audit_record(c, again ? "payout.reexport" : "payout.export", "payouts", "export",
		                   NULL, text);
	json_decref(after);
	free(text);
	return err;
}

/* again: re-export what was sent (read-only) instead of exporting what is
 * pending and marking it sent. */
static enum app_err export_csv(struct app_ctx *c, bool again)
{
	static const char *const head[] = { "payout_id", "refund_id", "order_id", "account",
		"product_name", "channel", "payment_ref", "amount", "currency", "expected_by" };
	struct db_identity who = app_identity(c);
	struct csv_buf b = { 0 };
	PGresult *res = NULL;
	char amount[48];
	enum app_err err;

	for (int i = 0; i < 10; i++)
		csv_field(&b, head[i], i == 0);
	csv_end_row(&b);
	if ((err = db_begin(c->db, &who)) != ERR_NONE ||
	    (err = db_exec(c->db, again ? &q_reexport : &q_export, 0, NULL, &res)) != ERR_NONE)
		goto out;
	for (int r = 0; r < PQntuples(res); r++) {
		for (int col = 0; col < 10; col++) {
			const char *v = PQgetvalue(res, r, col);
			if (col == 7 && money_format(db_int(res, r, 7), PQgetvalue(res, r, 8), amount,
			                             sizeof amount) == MONEY_OK)
				v = amount;
			csv_field(&b, v, col == 0);
		}
		csv_end_row(&b);
	}
	/* Each payout that went out has its own event (its trail shows when it
	 * was sent); the download itself is recorded with the ids it held. */
	if ((again || (err = audit_record_rows(c, "payout.sent", "payout", res, 0, 10)) == ERR_NONE) &&
	    (err = export_event(c, again, res)) == ERR_NONE)
		err = db_commit(c->db);
out:
	PQclear(res);
	if (err != ERR_NONE || b.failed) {
		free(b.data);
		return c->problem.err ? c->problem.err : app_fail(c, err ? err : ERR_INTERNAL, NULL,
		                                                  "could not export payouts");
	}
	http_add_header(c->resp, "Content-Disposition", "attachment; filename=\"payouts.csv\"");
	http_respond_text(c->resp, 200, "text/csv; charset=utf-8", b.data, b.len);
	return ERR_NONE;
}

enum app_err handle_payouts_list(struct app_ctx *c)
{
	static const char *const statuses[] = { "pending", "sent", "settled", "failed", NULL };
	static const struct field_spec status_spec = { "status", FIELD_ENUM, false, false, 0, 16, statuses };
	char cursor[80], status[24], limit_text[8];
	struct field_value v;
	const char *params[3] = { 0 };
	PGresult *res = NULL;
	int limit;
	enum app_err err;

	int found = http_query_param(c->req->query, "status", status, sizeof status);
	if (found < 0 || (found && validate_text(status, &status_spec, &v) != VALIDATE_OK))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_filter", "status: pending, sent, settled or failed");
	if (http_accepts_csv(c->req->accept)) {
		if (found && strcmp(status, "sent") != 0)
			return app_fail(c, ERR_BAD_REQUEST, "invalid_filter",
			                "CSV: no status (export pending, mark sent) or status=sent (again)");
		return export_csv(c, found);
	}
	if ((err = app_id_cursor(c, &limit, cursor, sizeof cursor, &params[1])) != ERR_NONE)
		return err;
	snprintf(limit_text, sizeof limit_text, "%d", limit);
	params[0] = found ? status : NULL;
	params[2] = limit_text;
	if ((err = db_exec(c->db, &q_list, 3, params, &res)) != ERR_NONE)
		return app_fail(c, err, NULL, "could not list payouts");
	err = app_page_reply(c, res, limit);
	PQclear(res);
	return err;
}

enum app_err handle_balance(struct app_ctx *c)
{
	const char *params[1] = { c->who.sub };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_balance, 1, params, &res);

	if (err != ERR_NONE)
		return app_fail(c, err, NULL, "could not read the balance");
	err = app_reply_row(c, res, NULL, "balance");
	PQclear(res);
	return err;
}
