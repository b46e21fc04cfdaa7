/* handlers_refunds.c -- POST /api/v1/refunds and the read side: GET
 * /api/v1/refunds[/{id}], GET /api/v1/queue, GET /api/v1/notifications,
 * GET /api/v1/audit[/verify].
 *
 * Submitting: the amount is never taken from the client. The server
 * quotes the order now, under a lock on the order row; the client sends
 * the amount it was shown (expected_amount) and gets 409 quote_changed
 * with the new quote when they differ. Idempotency-Key: the same key and
 * body give the first answer again; the key is locked first so that two
 * identical submissions racing each other cannot both create a request. */
#include "handlers_refunds.h"

#include "money.h"
#include "problems.h"
#include "provider_figures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "frozen.h"
#include "idempotency.h"
#include "quote.h"
#include "refunds.h"
#include "workdays.h"

/* One submission per account at a time: the Idempotency-Key check and the
 * monthly limit ("one request a month") both count what this account
 * already has, so two racing submissions must not both see zero. */
static const struct db_stmt q_account_lock = { "refunds_account_lock",
	"SELECT pg_advisory_xact_lock(hashtext('refund-submissions:' || $1))" };
static const struct db_stmt q_insert = { "refunds_insert",
	"INSERT INTO refund_requests (order_id, account, product_type, provider, status,"
	" reason_code, reason_text, payout_method, quote, quoted_amount, currency, policy_version,"
	" approved_amount, approved_method, first_approver, due_at, quote_inputs)"
	" SELECT o.id, o.account, o.product_type, o.provider, $2, $3, $4, $5, $6::jsonb,"
	" $7::bigint, o.currency, $8::int, $9::bigint, $10, $11, to_timestamp($12::bigint),"
	" jsonb_set($13::jsonb, '{order,items}', (SELECT coalesce(jsonb_agg(jsonb_build_object("
	"   'item_no', i.item_no, 'name', i.name, 'status', i.status, 'amount', i.amount)"
	"   ORDER BY i.item_no), '[]') FROM order_items i WHERE i.order_id = o.id))"
	" FROM orders o WHERE o.id = $1 RETURNING id::text, to_jsonb(refund_requests)::text" };

static const char *const reason_codes[] = { "changed_mind", "bought_by_mistake",
	"not_as_described", "service_problem", "duplicate_purchase", "other", NULL };
static const char *const payout_names[] = { "original_route", "balance", NULL };

enum submit_field { SF_ORDER_ID, SF_REASON_CODE, SF_REASON_TEXT, SF_PAYOUT_METHOD,
                    SF_EXPECTED_AMOUNT, SF__MAX };
static const struct field_spec submit_fields[SF__MAX] = {
	[SF_ORDER_ID]        = { "order_id", FIELD_ID, true, false, 1, 64, NULL },
	[SF_REASON_CODE]     = { "reason_code", FIELD_ENUM, true, false, 0, 40, reason_codes },
	[SF_REASON_TEXT]     = { "reason_text", FIELD_STRING, false, false, 0, 2000, NULL },
	[SF_PAYOUT_METHOD]   = { "payout_method", FIELD_ENUM, true, false, 0, 32, payout_names },
	[SF_EXPECTED_AMOUNT] = { "expected_amount", FIELD_INT, false, true, 0, MONEY_AMOUNT_MAX, NULL },
};
FIELD_TABLE(submit_fields);

struct submission {
	const char        *key;          /* Idempotency-Key */
	char              *canonical;    /* the body, keys sorted: what the key is bound to */
	struct field_value v[SF__MAX];
	struct quote_inputs in;
	struct quote       q;
	bool               auto_approve;
	int64_t            due_at;
};

static json_t *quote_extra(const struct submission *s)
{
	return json_pack("{s:o}", "quote", quote_to_json(&s->q, &s->in));
}

/* The quote now decides: eligible, the amount the customer saw, the method.
 * inputs, holidays: the quote's inputs (order row locked) and the holiday
 * calendar, read in the transaction's first round trip. */
static enum app_err judge(struct app_ctx *c, struct submission *s, const PGresult *inputs,
                          const PGresult *holidays)
{
	enum payout_method m;
	enum app_err err;

	const char *order_id = s->v[SF_ORDER_ID].str;
	if ((err = quote_fail(c, quote_read(inputs, &s->in), order_id, &s->in)) != ERR_NONE ||
	    (err = quote_fail(c, quote_compute(&s->in, c->now, &s->q), order_id, &s->in)) != ERR_NONE)
		return err;
	/* Checked before eligibility: the open request's own amount makes the
	 * quote say nothing_left, which would hide the real reason. */
	if (s->in.open_request_id != 0)
		return app_fail_with(c, ERR_CONFLICT, "open_request_exists",
		                     json_pack("{s:I}", "refund_id", (json_int_t)s->in.open_request_id),
		                     "this order already has an open refund request");
	if (!s->q.eligible)
		return app_fail_with(c, ERR_VALIDATION, "not_eligible", quote_extra(s),
		                     "this order cannot be refunded now; see quote.reasons");
	if (s->v[SF_EXPECTED_AMOUNT].present && s->v[SF_EXPECTED_AMOUNT].num != s->q.amount)
		return app_fail_with(c, ERR_CONFLICT, "quote_changed", quote_extra(s),
		                     "the refund amount has changed since it was shown; confirm the new quote");
	payout_method_parse(s->v[SF_PAYOUT_METHOD].str, &m);
	if (!(s->q.payout_methods & PAYOUT_BIT(m)))
		return app_fail_with(c, ERR_VALIDATION, "payout_method_not_allowed", quote_extra(s),
		                     "this payout method is not offered for this refund");
	s->auto_approve = policy_auto_approvable(&s->in.policy, s->in.order.currency, &s->q) &&
	                  !policy_needs_second_approval(&s->in.policy, s->in.order.currency,
	                                                s->q.amount);
	return workdays_fail(c, workdays_add_with(holidays, c->now, s->in.policy.review_sla_days,
	                                          &s->due_at));
}

/* What the quote was computed from, frozen beside it (sql/012): the
 * items are added by the INSERT itself, under the same order lock. */
static char *frozen_text(const struct submission *s, int64_t now)
{
	struct frozen_inputs f = { s->in.order, s->in.already_refunded,
	                           s->in.requests_this_month, now, false };
	json_t *j = frozen_to_json(&f);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return text;
}

/* The insert; then the audit event, the notice, the answer stored with the
 * Idempotency-Key and COMMIT in one round trip. *answer: that statement's
 * result (PQclear it), the answer in its one row. */
static enum app_err insert_request(struct app_ctx *c, struct submission *s, char *id, size_t len,
                                   PGresult **answer)
{
	json_t *qj = quote_to_json(&s->q, &s->in);
	char *quote = json_dumps(qj, JSON_COMPACT);
	char *inputs = frozen_text(s, c->now);
	char amount[24], version[16], due[24];
	const char *approved = s->auto_approve ? amount : NULL;
	PGresult *res = NULL;

	json_decref(qj);
	snprintf(amount, sizeof amount, "%lld", (long long)s->q.amount);
	snprintf(version, sizeof version, "%d", s->q.policy_version);
	snprintf(due, sizeof due, "%lld", (long long)s->due_at);
	const char *params[13] = { s->in.order_id, s->auto_approve ? "approved" : "submitted",
		s->v[SF_REASON_CODE].str, s->v[SF_REASON_TEXT].present ? s->v[SF_REASON_TEXT].str : "",
		s->v[SF_PAYOUT_METHOD].str, quote, amount, version, approved,
		s->auto_approve ? s->v[SF_PAYOUT_METHOD].str : NULL,
		s->auto_approve ? "system:auto-approve" : NULL, due, inputs };
	enum app_err err = quote && inputs ? db_exec(c->db, &q_insert, 13, params, &res) : ERR_INTERNAL;
	free(quote);
	free(inputs);
	if (err == ERR_CONFLICT && strcmp(db_constraint(c->db), "refund_requests_one_open") == 0)
		return app_fail(c, ERR_CONFLICT, "open_request_exists",
		                "this order already has an open refund request");
	if (err != ERR_NONE)
		return app_fail(c, err, NULL, "could not store the refund request");
	snprintf(id, len, "%s", PQgetvalue(res, 0, 0));
	struct audit_event e = { s->auto_approve ? "refund.submit_auto_approved" : "refund.submit",
	                         "refund", id, NULL, PQgetvalue(res, 0, 1) };
	struct audit_notice n = { c->who.sub, id, s->auto_approve ? "refund.approved"
	                                                          : "refund.submitted", NULL };
	const char *ap[7];
	struct db_step store = idem_keep_detail_step(c, id, s->key, s->canonical, "201", ap);
	/* An automatic approval is an approval: it opens the provider claim,
	 * after the event and before the answer. */
	if (!s->auto_approve)
		err = audit_write_then(c, &e, &n, &store, true);
	else if ((err = audit_write(c, &e, &n, false)) == ERR_NONE &&
	         (err = claims_fail(c, provider_claim_open(c, id, s->in.order_id, s->q.amount),
	                            id)) == ERR_NONE)
		err = audit_write_then(c, NULL, NULL, &store, true);
	PQclear(res);
	*answer = store.res;
	if (err == ERR_NONE && PQntuples(store.res) != 1)
		err = app_fail(c, ERR_INTERNAL, NULL, "refund request %s was not stored", id);
	return err;
}

/* Round trips (3): BEGIN + identity + account lock + key lookup + the
 * quote's inputs + the holidays (tests/bench/README.md: the reads do not
 * depend on each other's results; on a replay the last two go unused);
 * the insert; audit event + notice + the answer stored with the key +
 * COMMIT (insert_request). */
static enum app_err submit(struct app_ctx *c, struct submission *s)
{
	struct db_identity who = app_identity(c);
	char id[24], start[24];
	PGresult *answer = NULL;
	const char *keyp[1] = { c->who.sub }, *idemp[3], *quotep[3], *dayp[1];
	struct db_step first[4] = { { &q_account_lock, 1, keyp, NULL },
		idem_find_step(c->who.sub, s->key, s->canonical, idemp),
		quote_step(c, s->v[SF_ORDER_ID].str, true, quotep), workdays_step(c->now, start, dayp) };
	enum app_err err;
	int replayed;

	if ((err = db_begin_with(c->db, &who, first, 4)) != ERR_NONE)
		return app_fail(c, err, NULL, "could not check the Idempotency-Key");
	replayed = app_idempotency_replay(c, first[1].res);
	if (replayed == 0)
		err = judge(c, s, first[2].res, first[3].res);
	db_steps_clear(first, 4);
	if (replayed != 0)
		return replayed > 0 ? ERR_NONE : c->problem.err;
	if (err == ERR_NONE)
		err = insert_request(c, s, id, sizeof id, &answer);
	if (err != ERR_NONE) {
		PQclear(answer);
		return c->problem.err ? c->problem.err : app_fail(c, err, NULL, "could not save the refund request");
	}
	char *text = strdup(PQgetvalue(answer, 0, 0));
	PQclear(answer);
	if (text == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	http_respond_text(c->resp, 201, "application/json", text, strlen(text));
	return ERR_NONE;
}

enum app_err handle_refund_submit(struct app_ctx *c)
{
	struct submission s = { .key = NULL };
	enum app_err err;

	if ((err = app_idempotency_key(c, true, &s.key)) != ERR_NONE ||
	    (err = app_body(c, submit_fields, SF__MAX, s.v)) != ERR_NONE)
		return err;
	s.canonical = json_dumps(c->body, JSON_COMPACT | JSON_SORT_KEYS);
	if (s.canonical == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	err = submit(c, &s);
	free(s.canonical);
	return err;
}

/* ---- the read side ---- */

static const struct db_stmt q_list = { "refunds_list",
	"SELECT (to_jsonb(r) - '{quote,quote_inputs}'::text[])::text, r.id FROM refund_requests r"
	" WHERE ($1::text IS NULL OR r.account = $1) AND ($2::text IS NULL OR r.status = $2)"
	" AND ($3::bigint IS NULL OR r.id < $3::bigint) ORDER BY r.id DESC LIMIT $4::int + 1" };

/* Served by the partial index refund_requests_queue (due_at, id): the
 * status list below is the index's predicate, word for word. The item is
 * the request without its quote, plus overdue; the columns are named
 * (row_to_json, not to_jsonb(r) - 'quote'), which halves the query's cost
 * (tests/bench/README.md): a new column of refund_requests goes here too. */
#define QUEUE_SELECT \
	"SELECT row_to_json(q)::text, ((extract(epoch FROM q.due_at) * 1000000)::bigint)::text || ':' || q.id" \
	" FROM (SELECT r.id, r.order_id, r.account, r.product_type, r.provider, r.status, r.reason_code," \
	"   r.reason_text, r.payout_method, r.quoted_amount, r.currency, r.policy_version," \
	"   r.approved_amount, r.approved_method, r.first_approver, r.second_approver, r.decision_note," \
	"   r.second_approval_note," \
	"   r.reject_reason, r.assignee, r.appealed, r.due_at, r.created_at, r.updated_at, r.decided_at," \
	"   r.first_decided_at, r.due_at < now() AS overdue FROM refund_requests r" \
	" WHERE r.status IN ('submitted', 'in_review', 'needs_info', 'awaiting_second_approval', 'appealed')"
#define QUEUE_AFTER(due, id) \
	" AND (r.due_at, r.id) > (timestamptz 'epoch' + " due "::bigint * interval '1 microsecond', " id "::bigint)"
#define QUEUE_PAGE(limit) \
	" ORDER BY r.due_at, r.id LIMIT " limit "::int + 1) q ORDER BY q.due_at, q.id"

static const struct db_stmt q_queue = { "refunds_queue",
	QUEUE_SELECT
	" AND ($1::text IS NULL OR r.status = $1) AND ($2::text IS NULL OR r.provider = $2)"
	" AND ($3::text IS NULL OR r.product_type = $3)"
	" AND ($4::text IS NULL OR ($4 = '' AND r.assignee IS NULL) OR r.assignee = $4)"
	" AND ($5::boolean IS NULL OR (r.due_at < now()) = $5::boolean)"
	" AND ($6::bigint IS NULL OR (r.due_at, r.id) >"
	"   (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::bigint))"
	QUEUE_PAGE("$8") };
/* The queue as staff open it and page through it, without filters. With
 * "$1 IS NULL OR ..." in it PostgreSQL plans the statement above again on
 * every call (a custom plan: its generic plan looks dearer), which cost as
 * much as running it (pg_stat_statements, tests/bench/README.md); these two
 * have nothing to specialise and run with the generic plan
 * (app_list_generic; tests/api/review.test.mjs checks it uses the index). */
static const struct db_stmt q_queue_first = { "refunds_queue_first",
	QUEUE_SELECT QUEUE_PAGE("$1") };
static const struct db_stmt q_queue_next = { "refunds_queue_next",
	QUEUE_SELECT QUEUE_AFTER("$1", "$2") QUEUE_PAGE("$3") };

static const struct db_stmt q_notifications = { "refunds_notifications",
	"SELECT jsonb_build_object('id', n.id, 'kind', n.kind, 'refund_id', n.refund_id,"
	" 'payload', n.payload, 'created_at', n.created_at)::text, n.id FROM notifications n"
	" WHERE n.account = $1 AND n.channel = 'in_app' AND ($2::bigint IS NULL OR n.id < $2::bigint)"
	" ORDER BY n.id DESC LIMIT $3::int + 1" };

static const char *const refund_states[] = { "submitted", "in_review", "needs_info",
	"awaiting_second_approval", "awaiting_confirmation", "approved", "paying", "paid",
	"rejected", "appealed", "withdrawn", NULL };
static const char *const queue_states[] = { "submitted", "in_review", "needs_info",
	"awaiting_second_approval", "appealed", NULL };
static const char *const assignee_values[] = { "me", "none", NULL };
static const char *const bool_values[] = { "true", "false", NULL };

enum app_err handle_refunds_list(struct app_ctx *c)
{
	static const struct field_spec status_spec = { "status", FIELD_ENUM, false, false, 0, 32, refund_states };
	char cursor[80], status[40];
	const char *params[4] = { app_owner_filter(c) };
	int limit;
	enum app_err err;

	if ((err = app_id_cursor(c, &limit, cursor, sizeof cursor, &params[2])) != ERR_NONE ||
	    (err = app_query_filter(c, &status_spec, status, sizeof status, &params[1])) != ERR_NONE)
		return err;
	return app_list(c, &q_list, 4, params, limit);
}

enum app_err handle_refund_get(struct app_ctx *c)
{
	return refund_reply(c, app_param(c, 0), 200);
}

/* due_at and id from "<microseconds since 1970>:<id>": microseconds, so a
 * due_at with a fraction of a second pages exactly (timestamptz keeps µs). */
#define QUEUE_CURSOR_MAX_US "253402300799999999" /* 9999-12-31T23:59:59.999999Z */

static enum app_err queue_cursor(struct app_ctx *c, const char *cursor, char *due, char *id)
{
	const char *colon = strchr(cursor, ':');
	size_t n = colon ? (size_t)(colon - cursor) : 0;
	size_t max = sizeof QUEUE_CURSOR_MAX_US - 1;

	if (colon == NULL || n == 0 || n > max || strspn(cursor, "0123456789") != n ||
	    (n == max && strncmp(cursor, QUEUE_CURSOR_MAX_US, n) > 0) ||
	    strlen(colon + 1) == 0 || strlen(colon + 1) > 18 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_cursor", "cursor is not valid");
	memcpy(due, cursor, n);
	due[n] = '\0';
	memcpy(id, colon + 1, strlen(colon + 1) + 1);   /* at most 18 digits, checked above */
	return ERR_NONE;
}

enum app_err handle_queue(struct app_ctx *c)
{
	static const struct field_spec specs[] = {
		{ "status", FIELD_ENUM, false, false, 0, 32, queue_states },
		{ "provider", FIELD_CODE, false, false, 1, 31, NULL },
		{ "product_type", FIELD_CODE, false, false, 1, 31, NULL },
		{ "assignee", FIELD_ENUM, false, false, 0, 8, assignee_values },
		{ "overdue", FIELD_ENUM, false, false, 0, 8, bool_values },
	};
	FIELD_TABLE(specs);
	char bufs[5][40], cursor[80], due[24], id[24];
	const char *params[8] = { 0 }, *values[5], *assignee;
	int limit;
	enum app_err err;

	for (int i = 0; i < 5; i++)
		if ((err = app_query_filter(c, &specs[i], bufs[i], sizeof bufs[i], &values[i])) != ERR_NONE)
			return err;
	if ((err = app_page_params(c, &limit, cursor, sizeof cursor)) != ERR_NONE ||
	    (cursor[0] && (err = queue_cursor(c, cursor, due, id)) != ERR_NONE))
		return err;
	assignee = values[3] == NULL ? NULL : strcmp(values[3], "me") == 0 ? c->who.sub : "";
	params[0] = values[0], params[1] = values[1], params[2] = values[2];
	params[3] = assignee;
	params[4] = values[4];   /* "true": overdue only, "false": not overdue, NULL: both */
	params[5] = cursor[0] ? due : NULL;
	params[6] = cursor[0] ? id : NULL;
	if (values[0] || values[1] || values[2] || values[3] || values[4])
		return app_list(c, &q_queue, 8, params, limit);
	if (cursor[0])
		return app_list_generic(c, &q_queue_next, 3, &params[5], limit);
	return app_list_generic(c, &q_queue_first, 1, &params[5], limit);
}

enum app_err handle_notifications(struct app_ctx *c)
{
	char cursor[80];
	const char *params[3] = { c->who.sub };
	int limit;
	enum app_err err = app_id_cursor(c, &limit, cursor, sizeof cursor, &params[1]);

	return err != ERR_NONE ? err : app_list(c, &q_notifications, 3, params, limit);
}

/* Staff see the provider side of the request (DESIGN.md §8) as
 * provider_figures (the request's own "provider" member is the provider's
 * code): the claim's frozen figures once approved, today's before. The
 * customer gets the approved amount, else the quoted one. */
static enum app_err add_provider_figures(struct app_ctx *c, json_t *detail)
{
	struct quote_inputs in;
	json_t *figures = NULL, *approved = json_object_get(detail, "approved_amount");
	const char *order_id = json_string_value(json_object_get(detail, "order_id"));
	char id[24];
	int64_t amount = json_is_integer(approved) ? json_integer_value(approved)
	                 : json_integer_value(json_object_get(detail, "quoted_amount"));
	enum app_err err;

	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(detail, "id")));
	if (order_id == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "refund request %s without an order", id);
	if ((err = quote_fail(c, quote_load(c, order_id, false, &in), order_id, &in)) != ERR_NONE ||
	    (err = claims_fail(c, provider_figures_for(c, &in.order, order_id, id, amount, &figures),
	                       id)) != ERR_NONE)
		return err;
	json_object_set_new(detail, "provider_figures", figures);
	return ERR_NONE;
}

/* The detail as staff see it: parsed once more to add the figures. */
static enum app_err reply_with_figures(struct app_ctx *c, char *text, int status)
{
	json_t *detail = json_loads(text, 0, NULL);
	enum app_err err;

	free(text);
	if (detail == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	if ((err = add_provider_figures(c, detail)) != ERR_NONE) {
		json_decref(detail);
		return err;
	}
	return app_reply(c, status, detail);
}

/* The detail is JSON PostgreSQL made: answered as it is, not parsed and
 * printed again (tests/bench/README.md), unless staff are to see the
 * provider figures of an upstream purchase. */
static enum app_err reply_detail(struct app_ctx *c, enum refunds_err e, const char *id,
                                 char *text, bool upstream, int status)
{
	if (e != REFUNDS_OK) {
		free(text);
		return refund_fail(c, e, id);
	}
	/* Without an upstream purchase the figures stay null (the query says
	 * so already): no second load, no second parse. */
	if (c->who.role != AUTH_ROLE_CUSTOMER && upstream)
		return reply_with_figures(c, text, status);
	http_respond_text(c->resp, status, "application/json", text, strlen(text));
	return ERR_NONE;
}

enum app_err refund_reply(struct app_ctx *c, const char *id, int status)
{
	char *text = NULL;
	bool upstream = false;
	enum refunds_err e = refunds_detail(c, id, &text, &upstream);

	return reply_detail(c, e, id, text, upstream, status);
}

enum app_err refund_reply_from(struct app_ctx *c, const PGresult *res, const char *id, int status)
{
	char *text = NULL;
	bool upstream = false;
	enum refunds_err e = refunds_detail_read(res, &text, &upstream);

	return reply_detail(c, e, id, text, upstream, status);
}

enum refund_role refund_role(const struct app_ctx *c)
{
	int r = 0;
	while (r < REFUND_ROLE__MAX && !(c->who.role & REFUND_ROLE_BIT(r)))
		r++;
	return (enum refund_role)r;
}

enum app_err refund_refuse(struct app_ctx *c, enum refund_refusal r, const struct refund_row *row)
{
	int status = refund_refusal_http_status(r);
	enum app_err err = status == 403 ? ERR_FORBIDDEN : status == 404 ? ERR_NOT_FOUND :
	                   status == 409 ? ERR_CONFLICT : status == 422 ? ERR_VALIDATION : ERR_INTERNAL;

	if (err == ERR_NOT_FOUND)   /* reveal nothing about another account's request */
		return app_fail(c, err, "refund_not_found", "no refund request %s", row->id);
	return app_fail_with(c, err, refund_refusal_code(r),
	                     json_pack("{s:s}", "state", refund_state_name(row->state)),
	                     refund_refusal_text(r));
}
