/* handlers_reports.c -- GET /api/v1/reports/refunds?from=&to=&group=
 * (supervisor, finance, admin): how refunds go, a row per reason, product
 * type, provider, rule version, reviewer, week or month and currency
 * (reports.c has the one statement and the definitions). Accept: text/csv gives the same rows
 * as CSV, formula-neutralised by csv.c. */
#include "handlers_reports.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "reports.h"

#define REPORT_DEFAULT_DAYS 90
/* Two years and a day: this year against the last, and no more. */
#define REPORT_MAX_SECONDS  (732 * INT64_C(86400))

struct report_request {
	enum report_group group;
	int64_t           from, to;
};

/* An RFC 3339 query value; absent leaves *out alone. */
static enum app_err time_param(struct app_ctx *c, const char *name, int64_t *out)
{
	char buf[64];
	int found = http_query_param(c->req->query, name, buf, sizeof buf);

	if (found == 0)
		return ERR_NONE;
	if (found < 0 || validate_parse_time(buf, out) != 0)
		return app_fail_with(c, ERR_BAD_REQUEST, "invalid_filter",
		                     json_pack("{s:s}", "field", name),
		                     "an RFC 3339 time, e.g. 2026-12-01T00:00:00Z");
	return ERR_NONE;
}

static enum app_err parse(struct app_ctx *c, struct report_request *r)
{
	static const char *const groups[] = { "reason_code", "product_type", "provider",
		"policy_version", "assignee", "week", "month", NULL };
	static const struct field_spec group_spec = { "group", FIELD_ENUM, false, false, 0, 32, groups };
	char buf[40];
	const char *group;
	int64_t to = c->now + 1, from = INT64_MIN;   /* + 1: this very second counts */
	enum app_err err;

	if ((err = app_query_filter(c, &group_spec, buf, sizeof buf, &group)) != ERR_NONE ||
	    (err = time_param(c, "to", &to)) != ERR_NONE ||
	    (err = time_param(c, "from", &from)) != ERR_NONE)
		return err;
	r->group = REPORT_REASON_CODE;
	if (group != NULL)
		report_group_parse(group, &r->group);
	r->to = to;
	r->from = from == INT64_MIN ? to - REPORT_DEFAULT_DAYS * INT64_C(86400) : from;
	if (r->from >= r->to || r->to - r->from > REPORT_MAX_SECONDS)
		return app_fail_with(c, ERR_VALIDATION, "invalid_range",
		                     json_pack("{s:s}", "field", r->from >= r->to ? "from" : "to"),
		                     "the range must have from before to, at most 732 days apart");
	return ERR_NONE;
}

static enum app_err reply_json(struct app_ctx *c, const struct report_request *r,
                               const PGresult *res)
{
	json_t *items = json_array();
	char from[32], to[32];

	for (int i = 0; i < PQntuples(res); i++) {
		json_t *row = json_loads(PQgetvalue(res, i, 0), 0, NULL);
		if (row == NULL) {
			json_decref(items);
			return app_fail(c, ERR_INTERNAL, NULL, "report row not understood");
		}
		json_array_append_new(items, row);
	}
	validate_format_time(r->from, from, sizeof from);
	validate_format_time(r->to, to, sizeof to);
	return app_reply(c, 200, json_pack("{s:s, s:s, s:s, s:o}", "group",
	                                   report_group_name(r->group), "from", from, "to", to,
	                                   "items", items));
}

static enum app_err reply_csv(struct app_ctx *c, const PGresult *res)
{
	struct csv_buf b = { 0 };

	for (int col = 0; col < REPORT_COLUMNS; col++)
		csv_field(&b, report_columns[col], col == 0);
	csv_end_row(&b);
	for (int i = 0; i < PQntuples(res); i++) {
		for (int col = 0; col < REPORT_COLUMNS; col++)
			csv_field(&b, PQgetvalue(res, i, col + 1), col == 0);
		csv_end_row(&b);
	}
	if (b.failed) {
		free(b.data);
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	}
	http_add_header(c->resp, "Content-Disposition", "attachment; filename=\"refunds-report.csv\"");
	http_respond_text(c->resp, 200, "text/csv; charset=utf-8", b.data, b.len);  /* owns it */
	return ERR_NONE;
}

enum app_err handle_report_refunds(struct app_ctx *c)
{
	struct report_request r;
	PGresult *res = NULL;
	enum app_err err;
	bool csv = http_accepts_csv(c->req->accept);

	if ((err = parse(c, &r)) != ERR_NONE)
		return err;
	if (reports_refunds(c->db, r.group, r.from, r.to, c->cfg->timezone, &res) != REPORTS_OK) {
		err = db_last_error(c->db);
		return app_fail(c, err != ERR_NONE ? err : ERR_INTERNAL, NULL, "could not compute the report");
	}
	err = csv ? reply_csv(c, res) : reply_json(c, &r, res);
	PQclear(res);
	return err;
}
