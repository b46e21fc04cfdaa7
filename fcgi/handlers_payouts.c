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
#include "payouts.h"
#include "handlers_refunds.h"
#include "refunds.h"
#include "workdays.h"

/* How long each channel takes, in business days: earliest and latest. */
static const struct { const char *channel; int earliest, latest; } arrival[] = {
	{ "balance", 0, 0 }, { "alipay", 1, 1 }, { "wechat", 1, 1 },
	{ "bank_transfer", 1, 3 }, { "card", 3, 7 },
};

/* holidays: the result of workdays_step from c->now, read once for both
 * ends of the window. */
static enum app_err expected_arrival(struct app_ctx *c, const PGresult *holidays,
                                     const char *channel, int64_t *earliest, int64_t *latest)
{
	for (size_t i = 0; i < sizeof arrival / sizeof arrival[0]; i++) {
		if (strcmp(arrival[i].channel, channel) != 0)
			continue;
		/* 0 days is "at once", even on a holiday: workdays_add_with would move
		 * a start on a day off to the next business morning. */
		enum app_err err = ERR_NONE;
		*earliest = *latest = c->now;
		if (arrival[i].earliest > 0)
			err = workdays_fail(c, workdays_add_with(holidays, c->now, arrival[i].earliest, earliest));
		if (err == ERR_NONE && arrival[i].latest > 0)
			err = workdays_fail(c, workdays_add_with(holidays, c->now, arrival[i].latest, latest));
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
	struct refund_facts f = { .state = row->state, .actor_sub = c->who.sub,
	                          .order_voided = row->order_voided };
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
                                      const char *payout_id, const char *currency)
{
	char *after = NULL;
	enum payouts_err e = payouts_credit_balance(c, row->account, row->approved_amount,
	                                            currency, row->id, payout_id);
	enum app_err err;

	if (e == PAYOUTS_OK)
		e = payouts_answer(c, payout_id, true, NULL, &after);
	if ((err = payouts_fail(c, e, payout_id)) == ERR_NONE)
		err = audit_record(c, "payout.settle", "payout", payout_id, NULL, after);
	free(after);
	return err != ERR_NONE ? err
	                       : step(c, row, REFUND_ACTION_PAYOUT_SETTLED, REFUND_ROLE_FINANCE, NULL);
}

/* The payout's row: method, channel and expected arrival. The start
 * step's audit event, the order and the holidays go in one round trip.
 * *created: the new payout's JSON, whose audit event the caller records
 * with the commit; NULL when it is recorded already (a balance payout,
 * settled here). */
static enum app_err create_payout(struct app_ctx *c, struct refund_row *row, const char *method,
                                  const struct audit_event *start, char *payout_id,
                                  char **created)
{
	char channel[16], day[24];
	const char *rp[3], *ep[5], *dp[1];
	struct db_step reads[3] = { audit_step(start, ep),
	                            payouts_route_step(row->order_id, method, row->id, rp),
	                            workdays_step(c->now, day, dp) };
	struct payout_route route;
	struct payout_new n = { row->id, row->order_id, row->account, method, channel,
	                        row->approved_amount, route.currency, 0, 0 };
	enum app_err err = db_pipeline(c->db, reads, 3);

	*created = NULL;
	if (err != ERR_NONE) {
		db_steps_clear(reads, 3);
		return app_fail(c, err, NULL, "could not load the order");
	}
	payouts_route_read(reads[1].res, &route);
	if (!route.offered) {
		db_steps_clear(reads, 3);
		return app_fail(c, ERR_VALIDATION, "payout_method_not_allowed",
		                "the policy does not offer %s for this refund", method);
	}
	snprintf(channel, sizeof channel, "%s", strcmp(method, "balance") == 0 ? "balance"
	                                        : route.payment_method);
	err = expected_arrival(c, reads[2].res, channel, &n.expected_at, &n.expected_latest_at);
	db_steps_clear(reads, 3);
	if (err != ERR_NONE ||
	    (err = payouts_fail(c, payouts_insert(c, &n, payout_id, created), row->id)) != ERR_NONE)
		return err;
	if (strcmp(channel, "balance") != 0)
		return ERR_NONE;
	err = audit_record(c, "payout.create", "payout", payout_id, NULL, *created);
	free(*created);
	*created = NULL;
	return err == ERR_NONE ? settle_to_balance(c, row, payout_id, route.currency) : err;
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
	char *created = NULL;
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
	struct audit_event made = { "payout.create", "payout", payout_id, NULL, created };
	struct audit_notice n = { row.account, row.id, row.state == REFUND_STATE_PAID
	                          ? "refund.paid" : "refund.paying", NULL };
	const char *dp[3];
	struct db_step reply = refunds_detail_step(c, row.id, dp);
	if ((err = audit_write_then(c, created ? &made : NULL, &n, &reply, true)) == ERR_NONE)
		err = refund_reply_from(c, reply.res, row.id, 201);
	PQclear(reply.res);
out:
	free(created);
	free(started.before);
	refunds_row_free(&row);
	return c->problem.err ? c->problem.err : err;
}

/* The opposite answer to a final payout: 409. A "settled" for a failed
 * payout that settle_late could not take (the refund was paid again, or a
 * retry is with the channel) means the customer is, or will be, paid
 * twice: nothing final changes, but the answer is kept in the audit trail
 * (committed) and the log, for finance to recover the money. */
static enum app_err refuse_final(struct app_ctx *c, const struct payout *p, bool settled,
                                 const char *channel_ref)
{
	if (settled && strcmp(p->status, "failed") == 0) {
		json_t *late = json_pack("{s:s, s:s, s:s?}", "status", "failed", "late_answer",
		                         "settled", "channel_ref", channel_ref);
		char *after = late ? json_dumps(late, JSON_COMPACT) : NULL, msg[128];
		enum app_err err = after == NULL ? ERR_INTERNAL
		      : audit_record(c, "payout.settle_after_fail", "payout", p->id, p->json, after);
		if (err == ERR_NONE)
			err = db_commit(c->db);
		json_decref(late);
		free(after);
		snprintf(msg, sizeof msg, "payout %s: the channel settled it after it failed,"
		         " and its refund was paid again since", p->id);
		log_event("warn", "payout_settle_after_fail", msg);
		if (err != ERR_NONE)
			return c->problem.err ? c->problem.err : app_fail(c, err, NULL, "could not record the answer");
		return app_fail_with(c, ERR_CONFLICT, "payout_final", json_pack("{s:s}", "state", p->status),
		                     "this payout failed and its refund has been paid again since:"
		                     " recorded for finance to recover the second payment");
	}
	return app_fail_with(c, ERR_CONFLICT, "payout_final", json_pack("{s:s}", "state", p->status),
	                     "this payout is already final");
}

/* The channel's answer applied to a payout (p: its locked row) and to its
 * locked refund, with both events and the customer's notice, committed;
 * *after: the payout as it is now (free()). */
static enum app_err apply_answer(struct app_ctx *c, struct refund_row *row, const struct payout *p,
                                 bool settled, const char *text, char **after)
{
	enum app_err err;

	if ((err = payouts_fail(c, payouts_answer(c, p->id, settled, text, after), p->id)) != ERR_NONE ||
	    (err = audit_record(c, settled ? "payout.settle" : "payout.fail", "payout", p->id,
	                        p->json, *after)) != ERR_NONE ||
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
                                    const struct payout *live, const char *late_id)
{
	char reason[96], *after = NULL;
	enum app_err err;

	snprintf(reason, sizeof reason, "superseded: payout %s was settled by the channel after it failed",
	         late_id);
	if ((err = payouts_fail(c, payouts_answer(c, live->id, false, reason, &after),
	                        live->id)) == ERR_NONE &&
	    (err = audit_record(c, "payout.fail", "payout", live->id, live->json, after)) == ERR_NONE)
		err = step(c, row, REFUND_ACTION_PAYOUT_FAILED, refund_role(c), NULL);
	free(after);
	return err;
}

/* A "settled" for a payout that failed: the channel paid after all. While
 * nothing else has paid the refund (it is back in approved, or its retry
 * is still pending and is failed here as superseded) the channel's word
 * wins: the payout becomes settled (sql/020) and the refund paid, in one
 * transaction, so finance cannot pay it a second time. Otherwise
 * refuse_final. row: the payout's refund, locked before it. */
static enum app_err settle_late(struct app_ctx *c, struct refund_row *row, const struct payout *p,
                                const char *channel_ref)
{
	struct payout live = { 0 };
	char *after = NULL;
	enum payouts_err found = payouts_live(c, p->refund_id, &live);
	enum app_err err = ERR_NONE;

	if (found != PAYOUTS_NOT_FOUND && (err = payouts_fail(c, found, p->refund_id)) != ERR_NONE)
		goto out;
	bool retry_pending = found == PAYOUTS_OK && strcmp(live.status, "pending") == 0;
	if (!(row->state == REFUND_STATE_APPROVED && found == PAYOUTS_NOT_FOUND) &&
	    !(row->state == REFUND_STATE_PAYING && retry_pending)) {
		err = refuse_final(c, p, true, channel_ref);
		goto out;
	}
	if ((retry_pending && (err = supersede_retry(c, row, &live, p->id)) != ERR_NONE) ||
	    (err = apply_answer(c, row, p, true, channel_ref, &after)) != ERR_NONE)
		goto out;
	char msg[128];
	snprintf(msg, sizeof msg, "payout %s: the channel settled it after it failed; refund %s is paid",
	         p->id, row->id);
	log_event("warn", "payout_settled_after_fail", msg);
	err = app_reply(c, 200, json_loads(after, 0, NULL));
out:
	free(after);
	payout_free(&live);
	return c->problem.err ? c->problem.err : err;
}

/* Locks the payout's refund (with its order), then the payout: the order
 * of every path that makes or changes payouts. A payout locked first
 * deadlocked with a late "settled", which holds the refund and then locks
 * the refund's retry. */
static enum app_err lock_payout(struct app_ctx *c, const char *id, struct refund_row *row,
                                struct payout *p)
{
	char refund_id[24];
	enum app_err err;

	if ((err = payouts_fail(c, payouts_refund_of(c, id, refund_id), id)) != ERR_NONE ||
	    (err = refund_fail(c, refunds_lock(c, refund_id, row), refund_id)) != ERR_NONE)
		return err;
	return payouts_fail(c, payouts_lock(c, id, p), id);
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
	struct payout p = { 0 };
	char *after = NULL;
	const char *id = app_param(c, 0);
	enum app_err err;

	/* Canonical decimal only: "0012" must not be a second name for 12. */
	if (!app_decimal_id(id))
		return payouts_fail(c, PAYOUTS_NOT_FOUND, id);
	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = lock_payout(c, id, &row, &p)) != ERR_NONE)
		goto out;
	bool final = strcmp(p.status, "settled") == 0 || strcmp(p.status, "failed") == 0;
	if (strcmp(p.status, settled ? "settled" : "failed") == 0)
		err = app_reply(c, 200, json_loads(p.json, 0, NULL));
	else if (settled && strcmp(p.status, "failed") == 0)
		err = settle_late(c, &row, &p, text);
	else if (final)
		err = refuse_final(c, &p, settled, text);
	else if (!settled && c->who.role == AUTH_ROLE_FINANCE && strcmp(p.status, "sent") == 0)
		err = app_fail_with(c, ERR_CONFLICT, "payout_sent", json_pack("{s:s}", "state", "sent"),
		                    "the instruction is with the payment channel: only its answer can fail it");
	else if ((err = apply_answer(c, &row, &p, settled, text, &after)) == ERR_NONE)
		err = app_reply(c, 200, json_loads(after, 0, NULL));
out:
	free(after);
	payout_free(&p);
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

/* The download's event: {count, payout_ids, export_id} (the export made,
 * or the one downloaded again; null when that held nothing still sent). */
static enum app_err export_event(struct app_ctx *c, bool again, const PGresult *res)
{
	json_t *ids = json_array(), *after;
	char *text;
	enum app_err err = ERR_INTERNAL;
	json_t *number = PQntuples(res) > 0 ? json_integer(db_int(res, 0, PAYOUTS_EXPORT_ID_COLUMN))
	                                    : json_null();

	for (int r = 0; ids && r < PQntuples(res); r++)
		json_array_append_new(ids, json_integer(db_int(res, r, 0)));
	after = ids ? json_pack("{s:i, s:o, s:o}", "count", PQntuples(res), "payout_ids", ids,
	                        "export_id", number) : NULL;
	if ((text = after ? json_dumps(after, JSON_COMPACT) : NULL) != NULL)
		err = audit_record(c, again ? "payout.reexport" : "payout.export", "payouts", "export",
		                   NULL, text);
	json_decref(after);
	free(text);
	return err;
}

/* The pending instructions, marked sent; each is expected its channel's
 * business days from now, when the money leaves. */
static enum app_err export_pending(struct app_ctx *c, PGresult **rows)
{
	struct payouts_window windows[PAYOUTS_EXPORT_CHANNELS];
	char day[24];
	const char *dp[1];
	struct db_step holidays = workdays_step(c->now, day, dp);
	enum app_err err = db_pipeline(c->db, &holidays, 1);

	if (err != ERR_NONE) {
		db_steps_clear(&holidays, 1);
		return app_fail(c, err, NULL, "could not read the holidays");
	}
	for (int i = 0; err == ERR_NONE && i < PAYOUTS_EXPORT_CHANNELS; i++)
		err = expected_arrival(c, holidays.res, payouts_export_channels[i],
		                       &windows[i].earliest, &windows[i].latest);
	db_steps_clear(&holidays, 1);
	return err != ERR_NONE ? err : payouts_fail(c, payouts_export(c, windows, rows), "export");
}

/* again: download one export again (export_id, or the last one when NULL;
 * read-only) instead of exporting what is pending and marking it sent. */
static enum app_err export_csv(struct app_ctx *c, bool again, const char *export_id)
{
	static const char *const head[PAYOUTS_EXPORT_COLUMNS] = { "payout_id", "refund_id", "order_id", "account",
		"product_name", "channel", "payment_ref", "amount", "currency", "expected_by" };
	struct db_identity who = app_identity(c);
	struct csv_buf b = { 0 };
	PGresult *res = NULL;
	char amount[48];
	enum app_err err;

	for (int i = 0; i < PAYOUTS_EXPORT_COLUMNS; i++)
		csv_field(&b, head[i], i == 0);
	csv_end_row(&b);
	if ((err = db_begin(c->db, &who)) != ERR_NONE ||
	    (err = again ? payouts_fail(c, payouts_reexport(c, export_id, &res), "export")
	                 : export_pending(c, &res)) != ERR_NONE)
		goto out;
	for (int r = 0; r < PQntuples(res); r++) {
		for (int col = 0; col < PAYOUTS_EXPORT_COLUMNS; col++) {
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
	if ((again || (err = audit_record_rows(c, "payout.sent", "payout", res, 0,
	                                       PAYOUTS_EXPORT_JSON_COLUMN)) == ERR_NONE) &&
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

/* The CSV answers: no status exports what is pending; status=sent (and
 * optionally export, an export's number) downloads one export again. */
static enum app_err payouts_csv(struct app_ctx *c, int found, const char *status)
{
	char number[32];
	int has_export = http_query_param(c->req->query, "export", number, sizeof number);
	enum app_err err = app_csv_no_paging(c);

	if (err != ERR_NONE)
		return err;
	if ((found && strcmp(status, "sent") != 0) || (has_export && !found) || has_export < 0 ||
	    (has_export && !app_decimal_id(number)))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_filter",
		                "CSV: no status (export pending, mark sent) or status=sent (the last"
		                " export again), with export=N for export N");
	return export_csv(c, found, has_export ? number : NULL);
}

enum app_err handle_payouts_list(struct app_ctx *c)
{
	static const char *const statuses[] = { "pending", "sent", "settled", "failed", NULL };
	static const struct field_spec status_spec = { "status", FIELD_ENUM, false, false, 0, 16, statuses };
	char cursor[80], status[24], limit_text[8], number[32];
	struct field_value v;
	const char *params[3] = { 0 };
	PGresult *res = NULL;
	int limit;
	enum app_err err;

	int found = http_query_param(c->req->query, "status", status, sizeof status);
	if (found < 0 || (found && validate_text(status, &status_spec, &v) != VALIDATE_OK))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_filter", "status: pending, sent, settled or failed");
	if (http_accepts_csv(c->req->accept))
		return payouts_csv(c, found, status);
	if (http_query_param(c->req->query, "export", number, sizeof number) != 0)
		return app_fail(c, ERR_BAD_REQUEST, "invalid_filter", "export: with Accept: text/csv only");
	if ((err = app_id_cursor(c, &limit, cursor, sizeof cursor, &params[1])) != ERR_NONE)
		return err;
	snprintf(limit_text, sizeof limit_text, "%d", limit);
	params[0] = found ? status : NULL;
	params[2] = limit_text;
	if ((err = payouts_fail(c, payouts_list(c, params[0], params[1], params[2], &res), "list")) != ERR_NONE)
		return err;
	err = app_page_reply(c, res, limit);
	PQclear(res);
	return err;
}

enum app_err handle_balance(struct app_ctx *c)
{
	PGresult *res = NULL;
	enum app_err err = payouts_fail(c, payouts_balance(c, c->who.sub, &res), "balance");

	if (err != ERR_NONE)
		return err;
	err = app_reply_row(c, res, NULL, "balance");
	PQclear(res);
	return err;
}
