/* handlers_review.c -- one shape for every transition (DESIGN.md §3):
 * parse the body -> begin -> lock the request -> ask the state machine
 * (refund_state.c) -> store the new state -> audit event -> outbox row
 * -> commit -> answer with the request. A refusal changes nothing. Two
 * concurrent calls on one request queue on its row lock; the second sees
 * the first one's state and is refused with 409 and that state. */
#include "handlers_review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "problems.h"
#include "audit.h"
#include "idempotency.h"
#include "handlers_refunds.h"
#include "refunds.h"
#include "provider_figures.h"

struct action_input {
	enum refund_action        action;
	bool                      has_amount;
	int64_t                   amount;
	bool                      has_method;
	enum refund_payout_method method;
	const char               *note;          /* decision note */
	const char               *reject_reason;
	const char               *message;       /* also stored as a message */
	const char               *notify;        /* outbox kind, NULL: none */
	int                       reply_status;  /* 0: 200 */
	const char               *idem_key;      /* Idempotency-Key, NULL: none */
	const char               *idem_text;     /* the request it is bound to */
};

static struct refund_facts facts_of(const struct app_ctx *c, const struct refund_row *row,
                                    const struct action_input *in)
{
	bool second = row->state == REFUND_STATE_AWAITING_SECOND_APPROVAL;
	struct refund_facts f = {
		.state = row->state,
		.quoted_amount = row->quoted_amount,
		.submitted_method = row->method,
		.approve_amount = second ? row->approved_amount
		                         : (in->has_amount ? in->amount : row->quoted_amount),
		.approve_method = second ? row->approved_method
		                         : (in->has_method ? in->method : row->method),
		.has_note = (in->note && in->note[0]) || (in->message && in->message[0]),
		.second_approval_over = row->second_approval_over,
		.auto_approve_max = row->auto_approve_max,
		.quote_full_in_window = row->quote_full_in_window,
		.first_approver_sub = row->first_approver,
		.actor_sub = c->who.sub,
		.appeal_used = row->appealed,
		.actor_is_owner = strcmp(row->account, c->who.sub) == 0,
		.order_voided = row->order_voided,
	};
	return f;
}

static void change_of(const struct app_ctx *c, const struct refund_row *row,
                      const struct action_input *in, const struct refund_facts *f,
                      const struct refund_outcome *out, struct refund_change *ch, char *amount)
{
	memset(ch, 0, sizeof *ch);
	ch->next = out->next;
	ch->appealed = out->consumes_appeal;
	if (in->action == REFUND_ACTION_CLAIM)
		ch->assignee = c->who.sub;
	if (in->action == REFUND_ACTION_REJECT) {
		ch->fresh_decision = true;
		ch->reject_reason = in->reject_reason;
		ch->decision_note = in->note;
	}
	if (in->action != REFUND_ACTION_APPROVE)
		return;
	if (row->state == REFUND_STATE_AWAITING_SECOND_APPROVAL) {
		/* beside the first approver's note, which the customer may be reading */
		ch->second_approver = c->who.sub;
		ch->second_approval_note = in->note;
		return;
	}
	ch->fresh_decision = true;
	ch->decision_note = in->note;
	snprintf(amount, 24, "%lld", (long long)f->approve_amount);
	ch->approved_amount = amount;
	ch->approved_method = refund_payout_method_name(f->approve_method);
	ch->first_approver = c->who.sub;
}

/* The message, then the audit event, the notice, the answer and the
 * commit in one round trip (audit_write_then); the answer is sent once
 * the commit succeeded. */
static enum app_err record_and_commit(struct app_ctx *c, const struct refund_row *row,
                                      const struct action_input *in, const char *notify,
                                      const char *after)
{
	char action[48], status[8];
	const char *dp[7];
	int code = in->reply_status ? in->reply_status : 200;
	enum app_err err = ERR_NONE;

	snprintf(status, sizeof status, "%d", code);
	/* The answer is the request as it is now; with a key it is kept with
	 * the key by the same statement. */
	struct db_step reply = in->idem_key
		? idem_keep_detail_step(c, row->id, in->idem_key, in->idem_text, status, dp)
		: refunds_detail_step(c, row->id, dp);

	snprintf(action, sizeof action, "refund.%s", refund_action_name(in->action));
	if (in->message && in->message[0])
		err = refund_fail(c, refunds_add_message(c, row->id, in->message), row->id);
	struct audit_event e = { action, "refund", row->id, row->before, after };
	struct audit_notice n = { row->account, row->id, notify, NULL };
	if (err == ERR_NONE)
		err = audit_write_then(c, &e, notify ? &n : NULL, &reply, true);
	if (err == ERR_NONE)
		err = refund_reply_from(c, reply.res, row->id, code);
	PQclear(reply.res);
	return err;
}

/* A refund that becomes approved (at once, after the second approval, the
 * customer's confirmation or an appeal) opens its provider claim in the
 * same transaction (DESIGN.md §8); a retry after a failed payout finds the
 * claim already open. */
static enum app_err open_claim(struct app_ctx *c, const struct refund_row *row,
                               const struct refund_outcome *out, const char *after)
{
	json_t *stored;
	int64_t amount;

	if (out->next != REFUND_STATE_APPROVED)
		return ERR_NONE;
	/* The amount as stored: a confirmation carries none of its own. */
	if ((stored = json_loads(after, 0, NULL)) == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	amount = json_integer_value(json_object_get(stored, "approved_amount"));
	json_decref(stored);
	return claims_fail(c, provider_claim_open(c, row->id, row->order_id, amount), row->id);
}

/* The notice names where the request went: declining a second offer
 * (the appeal already used) ends the request, and the customer is told
 * it was rejected, not that it was appealed. */
static const char *notice_kind(const struct action_input *in, const struct refund_outcome *out)
{
	if (in->action == REFUND_ACTION_DECLINE && out->next == REFUND_STATE_REJECTED)
		return "refund.rejected";
	return in->notify;
}

/* A second approval confirms the first one: an amount or method in its
 * body that differs would otherwise be dropped without a word. */
static bool changes_first_approval(const struct refund_row *row, const struct action_input *in)
{
	return row->state == REFUND_STATE_AWAITING_SECOND_APPROVAL &&
	       ((in->has_amount && in->amount != row->approved_amount) ||
	        (in->has_method && in->method != row->approved_method));
}

/* The state machine's answer, and what only the handler knows. An approval
 * may change the method (the customer then confirms it), but only to one
 * the policy offered for this refund; a note cannot help there, so that is
 * what a staffer hears first. */
static enum app_err refusal(struct app_ctx *c, const struct refund_row *row,
                            const struct action_input *in, const struct refund_facts *f,
                            enum refund_refusal r)
{
	bool approve = in->action == REFUND_ACTION_APPROVE;

	if (approve && (r == REFUND_OK || r == REFUND_ERR_NOTE_REQUIRED) &&
	    !(row->offered_methods & (1u << f->approve_method)))
		return app_fail(c, ERR_VALIDATION, "payout_method_not_allowed",
		                "the policy does not offer %s for this refund",
		                refund_payout_method_name(f->approve_method));
	if (r != REFUND_OK)
		return refund_refuse(c, r, row);
	if (approve && changes_first_approval(row, in))
		return app_fail(c, ERR_VALIDATION, "second_approval_changes_terms",
		                "the second approval confirms the first approver's amount and method;"
		                " reject the request to change them");
	return ERR_NONE;
}

static enum app_err run_action(struct app_ctx *c, const struct action_input *in)
{
	struct refund_row row;
	struct refund_outcome out;
	struct refund_change ch;
	char amount[24], *after = NULL;
	enum app_err err;

	/* A keyed request sent again finds its first answer here, under the
	 * row lock: a retry that waited for its original sees it committed. */
	if ((err = refund_fail(c, refunds_begin_locked(c, app_param(c, 0), &row),
	                       app_param(c, 0))) != ERR_NONE ||
	    app_idempotency_answered(c, in->idem_key, in->idem_text) != 0)
		goto out;
	struct refund_facts f = facts_of(c, &row, in);
	enum refund_refusal r = refund_transition(&f, in->action, refund_role(c), &out);
	if ((err = refusal(c, &row, in, &f, r)) != ERR_NONE)
		goto out;
	change_of(c, &row, in, &f, &out, &ch, amount);
	if ((err = refund_fail(c, refunds_update(c, &row, &ch, &after), row.id)) != ERR_NONE ||
	    (err = open_claim(c, &row, &out, after)) != ERR_NONE ||
	    (err = record_and_commit(c, &row, in, notice_kind(in, &out), after)) != ERR_NONE)
		goto out;
out:
	free(after);
	refunds_row_free(&row);
	return c->problem.err ? c->problem.err : err;
}

static const char *const payout_names[] = { "original_route", "balance", NULL };
static const char *const reject_reasons[] = { "policy_ineligible", "insufficient_information",
	"abuse_suspected", "duplicate_request", "other", NULL };

enum app_err handle_refund_claim(struct app_ctx *c)
{
	struct action_input in = { .action = REFUND_ACTION_CLAIM, .notify = "refund.in_review" };
	return run_action(c, &in);
}

enum app_err handle_refund_request_info(struct app_ctx *c)
{
	static const struct field_spec fields[] = {
		{ "message", FIELD_STRING, true, false, 1, 4000, NULL },
	};
	FIELD_TABLE(fields);
	struct field_value v[1];
	enum app_err err = app_body(c, fields, 1, v);
	struct action_input in = { .action = REFUND_ACTION_REQUEST_INFO,
	                           .notify = "refund.needs_info" };

	if (err != ERR_NONE)
		return err;
	in.message = v[0].str;
	return run_action(c, &in);
}

enum app_err handle_refund_approve(struct app_ctx *c)
{
	static const struct field_spec fields[] = {
		{ "amount", FIELD_INT, false, false, 1, MONEY_AMOUNT_MAX, NULL },
		{ "payout_method", FIELD_ENUM, false, false, 0, 32, payout_names },
		{ "note", FIELD_STRING, false, false, 0, 2000, NULL },
	};
	FIELD_TABLE(fields);
	struct field_value v[3];
	enum app_err err = app_body(c, fields, 3, v);
	struct action_input in = { .action = REFUND_ACTION_APPROVE, .notify = "refund.decided" };

	if (err != ERR_NONE)
		return err;
	in.has_amount = v[0].present;
	in.amount = v[0].num;
	in.has_method = v[1].present && refund_payout_method_parse(v[1].str, &in.method);
	in.note = v[2].present ? v[2].str : NULL;
	return run_action(c, &in);
}

enum app_err handle_refund_reject(struct app_ctx *c)
{
	static const struct field_spec fields[] = {
		{ "reason_code", FIELD_ENUM, true, false, 0, 32, reject_reasons },
		{ "note", FIELD_STRING, false, false, 0, 2000, NULL },
	};
	FIELD_TABLE(fields);
	struct field_value v[2];
	enum app_err err = app_body(c, fields, 2, v);
	struct action_input in = { .action = REFUND_ACTION_REJECT, .notify = "refund.rejected" };

	if (err != ERR_NONE)
		return err;
	in.reject_reason = v[0].str;
	in.note = v[1].present ? v[1].str : NULL;
	return run_action(c, &in);
}

enum app_err handle_refund_withdraw(struct app_ctx *c)
{
	struct action_input in = { .action = REFUND_ACTION_WITHDRAW, .notify = "refund.withdrawn" };
	return run_action(c, &in);
}

enum app_err handle_refund_appeal(struct app_ctx *c)
{
	static const struct field_spec fields[] = {
		{ "message", FIELD_STRING, false, false, 0, 4000, NULL },
	};
	FIELD_TABLE(fields);
	struct field_value v[1];
	enum app_err err = app_body(c, fields, 1, v);
	struct action_input in = { .action = REFUND_ACTION_APPEAL, .notify = "refund.appealed" };

	if (err != ERR_NONE)
		return err;
	in.message = v[0].present ? v[0].str : NULL;
	return run_action(c, &in);
}

enum app_err handle_refund_confirm(struct app_ctx *c)
{
	struct action_input in = { .action = REFUND_ACTION_CONFIRM, .notify = "refund.approved" };
	return run_action(c, &in);
}

enum app_err handle_refund_decline(struct app_ctx *c)
{
	struct action_input in = { .action = REFUND_ACTION_DECLINE, .notify = "refund.appealed" };
	return run_action(c, &in);
}

/* The message as an Idempotency-Key binds it: the refund and the body.
 * NULL when out of memory. */
static char *message_request_text(struct app_ctx *c)
{
	static const char head[] = "POST /api/v1/refunds/%s/messages\n%s";
	char *body = json_dumps(c->body, JSON_COMPACT | JSON_SORT_KEYS), *text = NULL;
	size_t len = body ? sizeof head + strlen(app_param(c, 0)) + strlen(body) : 0;

	if (body != NULL && (text = malloc(len)) != NULL)
		snprintf(text, len, head, app_param(c, 0), body);
	free(body);
	return text;
}

/* A message on an open request, with its event (and the customer's notice
 * when staff wrote it), committed with the answer read in the same round
 * trip (and kept with the Idempotency-Key when there is one). */
static enum app_err add_message(struct app_ctx *c, const struct refund_row *row,
                                const char *body, const char *key, const char *text)
{
	const char *dp[7];
	struct db_step reply = key ? idem_keep_detail_step(c, row->id, key, text, "201", dp)
	                           : refunds_detail_step(c, row->id, dp);
	struct audit_event e = { "refund.message", "refund", row->id, NULL, NULL };
	struct audit_notice n = { row->account, row->id, "refund.message", NULL };
	enum app_err err = refund_fail(c, refunds_add_message(c, row->id, body), row->id);

	if (err == ERR_NONE)
		err = audit_write_then(c, &e, c->who.role != AUTH_ROLE_CUSTOMER ? &n : NULL, &reply, true);
	if (err == ERR_NONE)
		err = refund_reply_from(c, reply.res, row->id, 201);
	PQclear(reply.res);
	return c->problem.err ? c->problem.err : err;
}

/* A message on the request. A customer's answer to needs_info is the
 * customer_reply transition and returns the request to in_review; any
 * other message leaves the state alone. With a key, the lookup is made
 * under the row lock of the transaction that adds the message (run_action
 * makes its own for the reply). */
enum app_err handle_refund_message(struct app_ctx *c)
{
	static const struct field_spec fields[] = {
		{ "body", FIELD_STRING, true, false, 1, 4000, NULL },
	};
	FIELD_TABLE(fields);
	struct field_value v[1];
	struct refund_row row = { 0 };
	const char *key;
	char *text = NULL;
	int answered = 0;
	enum app_err err;

	if ((err = app_idempotency_key(c, false, &key)) != ERR_NONE ||
	    (err = app_body(c, fields, 1, v)) != ERR_NONE)
		return err;
	if (key != NULL && (text = message_request_text(c)) == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	if ((err = refund_fail(c, refunds_begin_locked(c, app_param(c, 0), &row), app_param(c, 0))) != ERR_NONE)
		goto out;
	if (c->who.role == AUTH_ROLE_CUSTOMER && row.state == REFUND_STATE_NEEDS_INFO) {
		db_rollback(c->db);
		/* 201 like any other message: a message was created. */
		struct action_input in = { .action = REFUND_ACTION_CUSTOMER_REPLY, .message = v[0].str,
		                           .notify = "refund.in_review", .reply_status = 201,
		                           .idem_key = key, .idem_text = text };
		err = run_action(c, &in);
	} else if ((answered = app_idempotency_answered(c, key, text)) == 0)
		err = add_message(c, &row, v[0].str, key, text);
out:
	refunds_row_free(&row);
	free(text);
	if (answered != 0)
		return answered > 0 ? ERR_NONE : c->problem.err;
	return c->problem.err ? c->problem.err : err;
}
