/* app.c -- small helpers every handler uses to answer. */
#include "app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idempotency.h"

enum app_err app_fail(struct app_ctx *c, enum app_err err, const char *code,
                      const char *fmt, ...)
{
	va_list ap;

	c->problem.err = err;
	c->problem.code = code;
	va_start(ap, fmt);
	vsnprintf(c->problem.detail, sizeof c->problem.detail, fmt, ap);
	va_end(ap);
	return err;
}

enum app_err app_fail_with(struct app_ctx *c, enum app_err err, const char *code,
                           json_t *extra, const char *detail)
{
	json_decref(c->problem.extra);
	c->problem.extra = extra;
	return app_fail(c, err, code, "%s", detail);
}

enum app_err app_reply(struct app_ctx *c, int status, json_t *body)
{
	if (http_respond_json(c->resp, status, body) != 0)
		return app_fail(c, ERR_INTERNAL, NULL, "could not encode the response");
	return ERR_NONE;
}

struct db_identity app_identity(const struct app_ctx *c)
{
	struct db_identity who = {
		c->who.sub, auth_role_name(c->who.role), c->req->request_id,
		c->req->remote_addr ? c->req->remote_addr : "",
	};
	return who;
}

const char *app_param(const struct app_ctx *c, int i)
{
	return i < c->match->nparams ? c->match->params[i] : "";
}

const char *app_owner_filter(const struct app_ctx *c)
{
	return c->who.role == AUTH_ROLE_CUSTOMER ? c->who.sub : NULL;
}

bool app_decimal_id(const char *id)
{
	size_t n = strlen(id);
	return n > 0 && n <= 18 && id[0] != '0' && strspn(id, "0123456789") == n;
}

enum app_err app_page_params(struct app_ctx *c, int *limit, char *cursor, size_t len)
{
	static const struct field_spec limit_spec = { "limit", FIELD_INT, false, false, 1, 100, NULL };
	static const struct field_spec cursor_spec = { "cursor", FIELD_ID, false, false, 0, 64, NULL };
	char buf[128];
	struct field_value v;

	*limit = 20;
	cursor[0] = '\0';
	int found = http_query_param(c->req->query, "limit", buf, sizeof buf);
	if (found < 0 || (found && validate_text(buf, &limit_spec, &v) != VALIDATE_OK))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_limit", "limit must be 1..100");
	if (found)
		*limit = (int)v.num;
	found = http_query_param(c->req->query, "cursor", buf, sizeof buf);
	if (found < 0 || (found && validate_text(buf, &cursor_spec, &v) != VALIDATE_OK))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_cursor", "cursor is not valid");
	if (found)
		snprintf(cursor, len, "%s", buf);
	return ERR_NONE;
}

/* The next cursor as a JSON value: a string, or null on the last page. */
static char *page_cursor(PGresult *res, int n, int limit)
{
	if (n <= limit)
		return strdup("null");
	json_t *cursor = json_string(PQgetvalue(res, limit - 1, 1));
	char *text = cursor ? json_dumps(cursor, JSON_ENCODE_ANY) : NULL;
	json_decref(cursor);
	return text;
}

/* Column 0 of each row is a JSON text PostgreSQL made (to_jsonb(...)::text),
 * so the rows are spliced into the page as they are: parsing and printing
 * them again was most of refundd's CPU for a list (tests/bench/README.md). */
enum app_err app_page_reply(struct app_ctx *c, PGresult *res, int limit)
{
	static const char head[] = "{\"items\":[", tail[] = "],\"next_cursor\":";
	int n = PQntuples(res);
	int shown = n > limit ? limit : n;
	char *cursor = page_cursor(res, n, limit), *body = NULL, *p;
	size_t len = sizeof head + sizeof tail + 2;

	for (int i = 0; i < shown; i++) {
		if (PQgetisnull(res, i, 0) || PQgetlength(res, i, 0) == 0) {
			free(cursor);
			return app_fail(c, ERR_INTERNAL, NULL, "stored row not understood");
		}
		len += (size_t)PQgetlength(res, i, 0) + 1;
	}
	if (cursor == NULL || (body = malloc(len + strlen(cursor))) == NULL) {
		free(cursor);
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	}
	p = body + sprintf(body, "%s", head);
	for (int i = 0; i < shown; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0));
		p += PQgetlength(res, i, 0);
	}
	p += sprintf(p, "%s%s}", tail, cursor);
	free(cursor);
	http_respond_text(c->resp, 200, "application/json", body, (size_t)(p - body));
	return ERR_NONE;
}

enum app_err app_reply_row(struct app_ctx *c, PGresult *res, const char *code,
                           const char *what)
{
	json_t *item;

	if (PQntuples(res) == 0)
		return app_fail(c, ERR_NOT_FOUND, code, "no such %s", what);
	item = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	if (item == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "stored row not understood");
	return app_reply(c, 200, item);
}

enum app_err app_body(struct app_ctx *c, const struct field_spec *specs, size_t n,
                      struct field_value *out)
{
	struct validate_error verr;

	if (validate_object(c->body, specs, n, out, &verr) == VALIDATE_OK)
		return ERR_NONE;
	return app_fail_with(c, ERR_VALIDATION, validate_err_code(verr.err),
	                     json_pack("{s:s}", "field", verr.field),
	                     verr.field[0] ? verr.field : "body");
}

/* A query filter: absent -> NULL; present -> validated text in buf. */
enum app_err app_query_filter(struct app_ctx *c, const struct field_spec *spec, char *buf,
                              size_t len, const char **out)
{
	struct field_value v;
	int found = http_query_param(c->req->query, spec->name, buf, len);

	*out = NULL;
	if (found == 0)
		return ERR_NONE;
	if (found < 0 || validate_text(buf, spec, &v) != VALIDATE_OK)
		return app_fail_with(c, ERR_BAD_REQUEST, "invalid_filter",
		                     json_pack("{s:s}", "field", spec->name), "invalid query parameter");
	*out = buf;
	return ERR_NONE;
}

/* Runs a list statement whose last parameter is the limit. */
static const struct db_stmt q_begin_read_only = { "app_begin_read_only", "BEGIN READ ONLY" };
static const struct db_stmt q_generic_plans = { "app_generic_plans",
	"SELECT set_config('plan_cache_mode', 'force_generic_plan', true)" };

/* steps: a pipeline whose step at is the list statement, with params (n
 * of them, the last one the limit, filled here). */
static enum app_err list_page(struct app_ctx *c, struct db_step *steps, int count, int at,
                              const char **params, int n, int limit)
{
	char limit_text[8];
	enum app_err err;

	snprintf(limit_text, sizeof limit_text, "%d", limit);
	params[n - 1] = limit_text;
	if ((err = db_pipeline(c->db, steps, count)) != ERR_NONE)
		err = app_fail(c, err, NULL, "could not read the list");
	else
		err = app_page_reply(c, steps[at].res, limit);
	db_steps_clear(steps, count);
	return err;
}

enum app_err app_list(struct app_ctx *c, const struct db_stmt *st, int n,
                      const char **params, int limit)
{
	struct db_step step = { st, n, params, NULL };
	return list_page(c, &step, 1, 0, params, n, limit);
}

enum app_err app_list_generic(struct app_ctx *c, const struct db_stmt *st, int n,
                              const char **params, int limit)
{
	struct db_step steps[4] = { { &q_begin_read_only, 0, NULL, NULL },
		{ &q_generic_plans, 0, NULL, NULL }, { st, n, params, NULL },
		{ &db_stmt_commit, 0, NULL, NULL } };
	return list_page(c, steps, 4, 2, params, n, limit);
}

/* A CSV answer is the whole list: a limit or cursor would be ignored, and
 * the payout export marks what it sends, so a caller asking for one page
 * would have every pending payout marked sent. Refused before anything. */
enum app_err app_csv_no_paging(struct app_ctx *c)
{
	static const char *const names[] = { "limit", "cursor" };
	char buf[8];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (http_query_param(c->req->query, names[i], buf, sizeof buf) != 0)
			return app_fail_with(c, ERR_BAD_REQUEST, "invalid_filter",
			                     json_pack("{s:s}", "field", names[i]),
			                     "a CSV answer is the whole list: no limit or cursor");
	return ERR_NONE;
}

/* Cursors of id-ordered lists are the last id. */
enum app_err app_id_cursor(struct app_ctx *c, int *limit, char *cursor, size_t len,
                           const char **out)
{
	enum app_err err = app_page_params(c, limit, cursor, len);
	size_t n = strlen(cursor);

	*out = n ? cursor : NULL;
	if (err == ERR_NONE && n && (n > 18 || strspn(cursor, "0123456789") != n))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_cursor", "cursor is not valid");
	return err;
}

enum app_err app_idempotency_key(struct app_ctx *c, bool required, const char **key)
{
	const char *k = c->req->idempotency_key;
	size_t n = k ? strlen(k) : 0;

	*key = n ? k : NULL;
	if (c->req->idempotency_key_repeated)
		return app_fail_with(c, ERR_BAD_REQUEST, "repeated_header",
		                     json_pack("{s:s}", "header", "Idempotency-Key"),
		                     "send one Idempotency-Key header, not several");
	if (n == 0 && required)
		return app_fail(c, ERR_BAD_REQUEST, "idempotency_key_required",
		                "send an Idempotency-Key header (e.g. a UUID)");
	if (n > 128 || strspn(k ? k : "", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                      "0123456789-_.:") != n)
		return app_fail(c, ERR_BAD_REQUEST, "invalid_idempotency_key",
		                "Idempotency-Key: up to 128 letters, digits, '-', '_', '.', ':'");
	return ERR_NONE;
}

int app_idempotency_replay(struct app_ctx *c, const PGresult *res)
{
	const char *response = NULL;
	int status = 0;

	switch (idem_read(res, &status, &response)) {
	case IDEM_NEW:
		return 0;
	case IDEM_REUSED:
		app_fail(c, ERR_VALIDATION, "idempotency_key_reused",
		         "this Idempotency-Key was used with another request");
		return -1;
	case IDEM_REPLAY:
		break;
	}
	app_reply(c, status, json_loads(response, 0, NULL));
	http_add_header(c->resp, "Idempotent-Replayed", "true");
	return 1;
}

int app_idempotency_answered(struct app_ctx *c, const char *key, const char *request_text)
{
	const char *params[3];
	struct db_step find = idem_find_step(c->who.sub, key, request_text, params);
	int r;

	if (key == NULL)
		return 0;
	if (db_pipeline(c->db, &find, 1) != ERR_NONE) {
		db_steps_clear(&find, 1);
		app_fail(c, db_last_error(c->db), NULL, "could not check the Idempotency-Key");
		return -1;
	}
	r = app_idempotency_replay(c, find.res);
	db_steps_clear(&find, 1);
	return r;
}
