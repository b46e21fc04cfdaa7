/* handlers_claims.c -- the reseller's claims at its providers (DESIGN.md
 * §8): GET /api/v1/provider-claims (finance; JSON page, or with Accept:
 * text/csv the list to file at the provider), POST .../{id}/filed,
 * POST .../statements?provider= (a provider's refund statement closes
 * claims), GET /api/v1/reports/margin. Every change writes its audit event
 * in the same transaction. */
#include "handlers_claims.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "claims.h"
#include "csv.h"
#include "problems.h"
#include "statement.h"

static const char *const claim_states[] = { "to_file", "filed", "recovered",
	"partially_recovered", "refused", NULL };

static bool wants_csv(const struct app_ctx *c)
{
	return http_accepts_csv(c->req->accept);
}

static enum app_err reply_csv(struct app_ctx *c, struct csv_buf *b, const char *name)
{
	char disposition[96];

	if (b->failed) {
		free(b->data);
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	}
	snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", name);
	http_add_header(c->resp, "Content-Disposition", disposition);
	http_respond_text(c->resp, 200, "text/csv; charset=utf-8", b->data, b->len);
	return ERR_NONE;
}

static void money_field(struct csv_buf *b, long long amount, const char *currency)
{
	char text[MONEY_FORMAT_SIZE];

	if (money_format(amount, currency, text, sizeof text) != MONEY_OK)
		snprintf(text, sizeof text, "%lld", amount);
	csv_field(b, text, 0);
}

/* The list to file at the provider: every claim still to_file. Fields go
 * through csv_field, which neutralises formulas like the payout export. */
static enum app_err filing_csv(struct app_ctx *c, const char *provider)
{
	static const char *const head[] = { "claim_id", "refund_id", "order_id", "provider",
		"product_type", "upstream_ref", "expected_amount", "currency", "policy_version",
		"opened_at" };
	struct csv_buf b = { 0 };
	PGresult *res = NULL;
	enum app_err err = claims_fail(c, claims_to_file(c, provider, &res), "list");

	if (err != ERR_NONE)
		return err;
	for (int i = 0; i < 10; i++)
		csv_field(&b, head[i], i == 0);
	csv_end_row(&b);
	for (int r = 0; r < PQntuples(res); r++) {
		for (int col = 0; col < 10; col++) {
			if (col == 6)
				money_field(&b, db_int(res, r, 6), PQgetvalue(res, r, 7));
			else
				csv_field(&b, PQgetvalue(res, r, col), col == 0);
		}
		csv_end_row(&b);
	}
	PQclear(res);
	return reply_csv(c, &b, "provider-claims.csv");
}

enum app_err handle_claims_list(struct app_ctx *c)
{
	static const struct field_spec specs[] = {
		{ "status", FIELD_ENUM, false, false, 0, 32, claim_states },
		{ "provider", FIELD_CODE, false, false, 1, 31, NULL },
	};
	FIELD_TABLE(specs);
	char bufs[2][40], cursor[80];
	const char *status, *provider, *after;
	PGresult *res = NULL;
	int limit;
	enum app_err err;

	if ((err = app_query_filter(c, &specs[0], bufs[0], sizeof bufs[0], &status)) != ERR_NONE ||
	    (err = app_query_filter(c, &specs[1], bufs[1], sizeof bufs[1], &provider)) != ERR_NONE)
		return err;
	if (wants_csv(c)) {
		if ((err = app_csv_no_paging(c)) != ERR_NONE)
			return err;
		if (status && strcmp(status, "to_file") != 0)
			return app_fail(c, ERR_BAD_REQUEST, "invalid_filter",
			                "CSV: the claims to file (no status, or status=to_file)");
		return filing_csv(c, provider);
	}
	if ((err = app_id_cursor(c, &limit, cursor, sizeof cursor, &after)) != ERR_NONE ||
	    (err = claims_fail(c, claims_list(c, status, provider, after, limit, &res), "list")) != ERR_NONE)
		return err;
	err = app_page_reply(c, res, limit);
	PQclear(res);
	return err;
}

enum app_err handle_claim_filed(struct app_ctx *c)
{
	static const struct field_spec fields[] = {
		{ "claim_ref", FIELD_ID, true, false, 1, 128, NULL },
	};
	FIELD_TABLE(fields);
	struct field_value v[1];
	struct db_identity who = app_identity(c);
	char *before = NULL, *after = NULL;
	enum app_err err = app_body(c, fields, 1, v);

	if (err != ERR_NONE)
		return err;
	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = claims_fail(c, claims_mark_filed(c, app_param(c, 0), v[0].str, &before, &after),
	                       app_param(c, 0))) != ERR_NONE)
		goto out;
	struct audit_event e = { "provider_claim.filed", "provider_claim", app_param(c, 0), before, after };
	if ((err = audit_write(c, &e, NULL, true)) != ERR_NONE) {
		err = app_fail(c, err, NULL, "could not save");
		goto out;
	}
	err = app_reply(c, 200, json_loads(after, 0, NULL));
out:
	free(before);
	free(after);
	return err;
}

/* ---- statements ---- */

struct import {
	const char      *provider;
	const char      *currency;
	char             sha[65];
	struct claim_statement key;   /* provider, currency, sha: one import (sql/018) */
	struct statement st;
	json_t          *matched, *mismatch, *unknown, *duplicate, *invalid;
	char            *closed;      /* "id,id,..." of the claims closed */
	size_t           closed_len;
};

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	for (size_t i = 0; i < n && i < 32; i++)
		snprintf(out + (2 * i), 3, "%02x", md[i]);
}

static const char *close_status(int64_t amount, int64_t expected)
{
	return amount == 0 ? "refused" : amount < expected ? "partially_recovered" : "recovered";
}

static int remember_closed(struct import *im, const char *id)
{
	size_t n = strlen(id) + 2;
	char *grown = realloc(im->closed, im->closed_len + n);

	if (grown == NULL)
		return -1;
	im->closed = grown;
	im->closed_len += (size_t)snprintf(grown + im->closed_len, n, "%s%s",
	                                   im->closed_len ? "," : "", id);
	return 0;
}

/* A line that names an open claim closes it, with its audit event. */
static enum app_err close_claim(struct app_ctx *c, struct import *im,
                                const struct statement_line *l, struct claim_match *m)
{
	const char *status = close_status(l->amount, m->expected);
	char *after = NULL, action[48];
	enum app_err err;

	if ((err = claims_fail(c, claims_close(c, m->id, status, l, &after), m->id)) != ERR_NONE)
		return err;
	snprintf(action, sizeof action, "provider_claim.%s", status);
	err = audit_record(c, action, "provider_claim", m->id, m->before, after);
	free(after);
	if (err != ERR_NONE || remember_closed(im, m->id) != 0)
		return app_fail(c, err ? err : ERR_INTERNAL, NULL, "could not close claim %s", m->id);
	json_array_append_new(im->matched, json_pack("{s:i, s:s, s:I, s:s, s:I, s:I, s:I}",
		"line", l->line, "ref", l->ref, "claim_id", (json_int_t)m->id_num, "status", status,
		"expected", (json_int_t)m->expected, "actual", (json_int_t)l->amount, "fee", (json_int_t)l->fee));
	if (l->amount != m->expected)
		json_array_append_new(im->mismatch, json_pack("{s:i, s:s, s:I, s:I, s:I}",
			"line", l->line, "ref", l->ref, "claim_id", (json_int_t)m->id_num,
			"expected", (json_int_t)m->expected, "actual", (json_int_t)l->amount));
	return ERR_NONE;
}

static json_t *ref_item(const struct statement_line *l)
{
	return json_pack("{s:i, s:s}", "line", l->line, "ref", l->ref);
}

static json_t *duplicate_item(const struct statement_line *l, int64_t claim_id)
{
	return json_pack("{s:i, s:s, s:I}", "line", l->line, "ref", l->ref, "claim_id", (json_int_t)claim_id);
}

/* A line an earlier import applied (an overlapping statement) is a
 * duplicate, even when another claim of its reference is still open:
 * closing that one would count the money twice. Otherwise the line closes
 * an open claim of its reference (claims_match says which). */
static enum app_err apply_line(struct app_ctx *c, struct import *im, const struct statement_line *l)
{
	struct claim_match m;
	int64_t seen = 0;
	enum app_err err;

	if (l->err != STATEMENT_LINE_OK) {
		json_array_append_new(im->invalid, json_pack("{s:i, s:s}", "line", l->line,
		                                             "reason", statement_line_err_code(l->err)));
		return ERR_NONE;
	}
	if ((err = claims_fail(c, claims_line_seen(c, im->provider, im->currency, l, &seen), l->ref)) != ERR_NONE)
		return err;
	if (seen > 0) {
		json_array_append_new(im->duplicate, duplicate_item(l, seen));
		return ERR_NONE;
	}
	if ((err = claims_fail(c, claims_match(c, im->provider, im->currency, l, &m), l->ref)) != ERR_NONE)
		return err;
	if (!m.found)
		json_array_append_new(im->unknown, ref_item(l));
	else if (!m.open)   /* closed already: by an earlier line or statement */
		json_array_append_new(im->duplicate, duplicate_item(l, m.id_num));
	else if (strcmp(m.currency, im->currency) != 0)
		json_array_append_new(im->invalid, json_pack("{s:i, s:s}", "line", l->line,
		                                             "reason", "currency_mismatch"));
	else
		err = close_claim(c, im, l, &m);
	free(m.before);
	return err;
}

static json_t *import_result(const struct import *im)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:O, s:O, s:O, s:O, s:O}",
		"provider", im->provider, "currency", im->currency, "sha256", im->sha,
		"lines", (int)im->st.n, "matched", im->matched, "amount_mismatch", im->mismatch,
		"unknown_ref", im->unknown, "duplicate", im->duplicate, "invalid", im->invalid);
}

/* Lines, the statement row, the link of the closed claims, the import's
 * own audit event: one transaction, committed by the caller. */
static enum app_err apply_all(struct app_ctx *c, struct import *im, char **text)
{
	char id[24] = "";
	enum app_err err = ERR_NONE;
	json_t *result;

	for (size_t i = 0; i < im->st.n && err == ERR_NONE; i++)
		err = apply_line(c, im, &im->st.lines[i]);
	if (err != ERR_NONE)
		return err;
	result = import_result(im);
	*text = result ? json_dumps(result, JSON_COMPACT) : NULL;
	json_decref(result);
	if (*text == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	if ((err = claims_fail(c, claims_statement_add(c, &im->key, *text, id, sizeof id),
	                       "statement")) != ERR_NONE ||
	    (im->closed && (err = claims_fail(c, claims_statement_link(c, id, im->closed),
	                                      "statement")) != ERR_NONE))
		return err;
	if ((err = audit_record(c, "provider_statement.import", "provider_statement", id, NULL,
	                        *text)) != ERR_NONE)
		return app_fail(c, err, NULL, "could not record the import");
	return ERR_NONE;
}

/* A file that cannot be read as a whole changes nothing: 422 with why and where. */
static enum app_err read_statement(struct app_ctx *c, struct import *im)
{
	struct statement_columns cols;
	enum statement_err e;

	if (statement_columns_parse(config_statement_columns(c->cfg, im->provider), &cols) != STATEMENT_OK)
		return app_fail(c, ERR_INTERNAL, NULL, "statement_columns of %s not understood", im->provider);
	e = statement_parse(c->req->body ? c->req->body : "", c->req->body_len, &cols, im->currency, &im->st);
	if (e == STATEMENT_OK)
		return ERR_NONE;
	if (e == STATEMENT_NOMEM || e == STATEMENT_BAD_COLUMNS)
		return app_fail(c, ERR_INTERNAL, NULL, "could not read the statement");
	/* The codes are statement_err_code()'s, spelled out here so that the
	 * spec check (tests/api/sources.mjs) sees them. */
	return app_fail_with(c, ERR_VALIDATION,
	                     e == STATEMENT_NOT_UTF8 ? "statement_not_utf8" :
	                     e == STATEMENT_NOT_TEXT ? "statement_not_text" :
	                     e == STATEMENT_SYNTAX ? "statement_syntax" :
	                     e == STATEMENT_NO_HEADER ? "statement_empty" :
	                     e == STATEMENT_MISSING_COLUMN ? "statement_missing_column" :
	                     "statement_too_many_lines",
	                     json_pack("{s:i, s:s}", "line", im->st.error_line, "column", im->st.missing),
	                     "the statement cannot be read; nothing was imported");
}

static enum app_err import_params(struct app_ctx *c, struct import *im, char *prov, char *cur)
{
	static const struct field_spec prov_spec = { "provider", FIELD_CODE, true, false, 1, 31, NULL };
	struct field_value v;
	int exponent;
	int found = http_query_param(c->req->query, "provider", prov, 40);

	if (found <= 0 || validate_text(prov, &prov_spec, &v) != VALIDATE_OK)
		return app_fail(c, ERR_BAD_REQUEST, "invalid_provider", "give ?provider= ([a-z0-9_]{1,31})");
	found = http_query_param(c->req->query, "currency", cur, 8);
	if (found == 0)
		snprintf(cur, 8, "CNY");
	if (found < 0 || money_currency_exponent(cur, &exponent) != MONEY_OK)
		return app_fail(c, ERR_BAD_REQUEST, "invalid_currency", "currency: an ISO 4217 code refundd knows");
	if (!http_is_csv_type(c->req->content_type)) {
		app_fail(c, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, "send the statement as text/csv (UTF-8)");
		c->problem.title = "Content-Type must be text/csv";   /* not the JSON routes' type */
		return ERR_UNSUPPORTED_MEDIA_TYPE;
	}
	im->provider = prov;
	im->currency = cur;
	return ERR_NONE;
}

static enum app_err import(struct app_ctx *c, struct import *im)
{
	struct db_identity who = app_identity(c);
	char *seen = NULL, *text = NULL;
	enum app_err err;

	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = claims_fail(c, claims_statement_seen(c, &im->key, &seen), "statement")) != ERR_NONE)
		return err;
	if (seen) {   /* the same file in the same currency again: its first result, nothing changes */
		db_rollback(c->db);
		http_add_header(c->resp, "Idempotent-Replayed", "true");
		err = app_reply(c, 200, json_loads(seen, 0, NULL));
		free(seen);
		return err;
	}
	if ((err = apply_all(c, im, &text)) == ERR_NONE && (err = db_commit(c->db)) != ERR_NONE)
		err = app_fail(c, err, NULL, "could not save the import");
	if (err == ERR_NONE)
		err = app_reply(c, 201, json_loads(text, 0, NULL));
	free(text);
	return err;
}

enum app_err handle_statement_import(struct app_ctx *c)
{
	struct import im = { 0 };
	char prov[40], cur[8];
	enum app_err err;

	if ((err = import_params(c, &im, prov, cur)) != ERR_NONE ||
	    (err = read_statement(c, &im)) != ERR_NONE)
		goto out;
	sha256_hex(c->req->body ? c->req->body : "", c->req->body_len, im.sha);
	im.key = (struct claim_statement){ im.provider, im.currency, im.sha };
	im.matched = json_array(), im.mismatch = json_array(), im.unknown = json_array();
	im.duplicate = json_array(), im.invalid = json_array();
	err = import(c, &im);
out:
	json_decref(im.matched);
	json_decref(im.mismatch);
	json_decref(im.unknown);
	json_decref(im.duplicate);
	json_decref(im.invalid);
	free(im.closed);
	statement_free(&im.st);
	return c->problem.err ? c->problem.err : err;
}

/* ---- the margin report ---- */

/* The key and the currency, then the figures: a row per (key, currency). */
#define MARGIN_COLUMNS 8
static const char *const report_columns[MARGIN_COLUMNS] = { "key", "currency",
	"customer_refunds_paid", "expected_recovery", "actual_recovery", "fees", "net_loss",
	"open_claims" };

static enum app_err report_date(struct app_ctx *c, const char *name, const char *fallback, char *buf)
{
	char probe[40];
	int64_t t;
	int found = http_query_param(c->req->query, name, buf, 16);

	if (found == 0)
		snprintf(buf, 16, "%s", fallback);
	snprintf(probe, sizeof probe, "%sT00:00:00Z", found >= 0 ? buf : "");
	if (found < 0 || strlen(buf) != 10 || validate_parse_time(probe, &t) != 0)
		return app_fail_with(c, ERR_BAD_REQUEST, "invalid_filter", json_pack("{s:s}", "field", name),
		                     "from and to are dates YYYY-MM-DD");
	return ERR_NONE;
}

static json_t *report_json(PGresult *res)
{
	json_t *items = json_array();

	for (int r = 0; r < PQntuples(res); r++) {
		json_t *row = json_pack("{s:s, s:s}", "key", PQgetvalue(res, r, 0),
		                        "currency", PQgetvalue(res, r, 1));
		for (int col = 2; col < MARGIN_COLUMNS; col++)
			json_object_set_new(row, report_columns[col], json_integer(db_int(res, r, col)));
		json_array_append_new(items, row);
	}
	return json_pack("{s:o}", "items", items);
}

/* Amounts as integer minor units, like the JSON, with the row's currency
 * beside them: each row is one currency (the query groups by it), so a
 * spreadsheet filtered on that column sums exactly; summing the whole
 * column would add yen to fen. */
static enum app_err report_csv(struct app_ctx *c, PGresult *res)
{
	struct csv_buf b = { 0 };

	for (int i = 0; i < MARGIN_COLUMNS; i++)
		csv_field(&b, report_columns[i], i == 0);
	csv_end_row(&b);
	for (int r = 0; r < PQntuples(res); r++) {
		csv_field(&b, PQgetvalue(res, r, 0), 1);
		csv_field(&b, PQgetvalue(res, r, 1), 0);
		for (int col = 2; col < MARGIN_COLUMNS; col++)
			csv_int(&b, db_int(res, r, col), 0);
		csv_end_row(&b);
	}
	return reply_csv(c, &b, "margin.csv");
}

enum app_err handle_margin_report(struct app_ctx *c)
{
	static const char *const groups[] = { "provider", "product_type", "month", NULL };
	static const struct field_spec group_spec = { "group", FIELD_ENUM, false, false, 0, 16, groups };
	char from[16], to[16], gbuf[24];
	const char *group;
	PGresult *res = NULL;
	enum app_err err;

	if ((err = report_date(c, "from", "1970-01-01", from)) != ERR_NONE ||
	    (err = report_date(c, "to", "9999-12-30", to)) != ERR_NONE)
		return err;
	/* Both days included: from after to is a mistake, not an empty period
	 * (the refunds report says so too). YYYY-MM-DD compares as text. */
	if (strcmp(from, to) > 0)
		return app_fail_with(c, ERR_VALIDATION, "invalid_range", json_pack("{s:s}", "field", "from"),
		                     "from must not be after to");
	if ((err = app_query_filter(c, &group_spec, gbuf, sizeof gbuf, &group)) != ERR_NONE ||
	    (err = claims_fail(c, claims_margin_report(c, from, to, group ? group : "provider", &res),
	                       "report")) != ERR_NONE)
		return err;
	err = wants_csv(c) ? report_csv(c, res) : app_reply(c, 200, report_json(res));
	PQclear(res);
	return err;
}
