/* handlers_policies.c -- GET /api/v1/policies[/{product_type}] (staff),
 * PUT /api/v1/policies/{product_type} (admin: adds a version, never edits
 * one), GET/PUT /api/v1/holidays. A policy is validated by the policy
 * engine's own validator before it is stored, so the engine can never be
 * handed a policy it does not accept. */
#include "handlers_policies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "policy.h"
#include "policy_input.h"

#define POLICY_JSON \
	"(to_jsonb(p) - 'created_at' || jsonb_build_object('created_at', p.created_at))::text"

static const struct db_stmt q_current = { "policies_current",
	"SELECT DISTINCT ON (product_type) " POLICY_JSON ", product_type FROM refund_policies p"
	" ORDER BY product_type, version DESC" };
static const struct db_stmt q_one = { "policies_one",
	"SELECT " POLICY_JSON " FROM refund_policies p WHERE product_type = $1"
	" AND ($2::int IS NULL OR version = $2::int) ORDER BY version DESC LIMIT 1" };
static const struct db_stmt q_versions = { "policies_versions",
	"SELECT coalesce(jsonb_agg(jsonb_build_object('version', version, 'created_by',"
	" created_by, 'created_at', created_at, 'note', note) ORDER BY version DESC), '[]')::text"
	" FROM refund_policies WHERE product_type = $1" };
static const struct db_stmt q_insert = { "policies_insert",
	"INSERT INTO refund_policies AS p (product_type, version, refundable, window_rule, window_days,"
	" window_requires_unused, after_window, handling_fee_bps, deduct_third_party,"
	" promo_refundable, monthly_limit, payout_methods, payout_default,"
	" payout_methods_after_window, payout_default_after_window, review_sla_days,"
	" auto_approve_max, second_approval_over, note, created_by, limits_currency)"
	" SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
	" string_to_array($11, ','), $12, string_to_array($13, ','), $14, $15, $16, $17, $18,"
	" current_setting('refundd.sub'), $19 FROM refund_policies WHERE product_type = $1"
	" RETURNING " POLICY_JSON };
/* The latest version when it already says what the PUT says, its note
 * included: a PUT sent again (a client's retry after a timeout, or nginx's,
 * which may resend an idempotent method to the other instance) adds no
 * second version. Same parameters as q_insert. */
static const struct db_stmt q_same = { "policies_same",
	"SELECT " POLICY_JSON " FROM (SELECT * FROM refund_policies WHERE product_type = $1"
	"   ORDER BY version DESC LIMIT 1) p"
	" WHERE (p.refundable, p.window_rule, p.window_days, p.window_requires_unused, p.after_window,"
	" p.handling_fee_bps, p.deduct_third_party, p.promo_refundable, p.monthly_limit,"
	" p.payout_methods, p.payout_default, p.payout_methods_after_window,"
	" p.payout_default_after_window, p.review_sla_days, p.auto_approve_max,"
	" p.second_approval_over, p.note, p.limits_currency) IS NOT DISTINCT FROM"
	" ($2::boolean, $3::text, $4::int, $5::boolean, $6::text, $7::int, $8::boolean, $9::boolean,"
	" $10::int, string_to_array($11, ','), $12::text, string_to_array($13, ','), $14::text,"
	" $15::int, $16::bigint, $17::bigint, $18::text, $19::text)" };
static const struct db_stmt q_lock_type = { "policies_lock_type",
	"SELECT pg_advisory_xact_lock(hashtext('refund_policies:' || $1))" };

enum app_err handle_policies_list(struct app_ctx *c)
{
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_current, 0, NULL, &res);

	if (err != ERR_NONE)
		return app_fail(c, err, NULL, "could not list policies");
	err = app_page_reply(c, res, PQntuples(res));
	PQclear(res);
	return err;
}

enum app_err handle_policy_get(struct app_ctx *c)
{
	static const struct field_spec version_spec = { "version", FIELD_INT, false, false, 1, 1000000, NULL };
	char version[16];
	struct field_value v;
	PGresult *res = NULL, *versions = NULL;
	enum app_err err;
	int found = http_query_param(c->req->query, "version", version, sizeof version);

	if (found < 0 || (found && validate_text(version, &version_spec, &v) != VALIDATE_OK))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_version", "version must be a positive integer");
	const char *params[2] = { app_param(c, 0), found ? version : NULL };
	if ((err = db_exec(c->db, &q_one, 2, params, &res)) != ERR_NONE ||
	    (err = db_exec(c->db, &q_versions, 1, params, &versions)) != ERR_NONE) {
		err = app_fail(c, err, NULL, "could not load the policy");
		goto out;
	}
	if (PQntuples(res) == 0) {
		err = app_fail(c, ERR_NOT_FOUND, "policy_not_found", "no such policy or version");
		goto out;
	}
	json_t *body = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	json_object_set_new(body, "versions", json_loads(PQgetvalue(versions, 0, 0), 0, NULL));
	err = app_reply(c, 200, body);
out:
	PQclear(res);
	PQclear(versions);
	return err;
}

static const char *flag(int64_t b) { return b ? "true" : "false"; }

enum app_err handle_policy_put(struct app_ctx *c)
{
	struct policy_text t;
	struct refund_policy p;
	struct db_identity who = app_identity(c);
	char nums[6][24];
	PGresult *res = NULL;
	enum app_err err;

	if ((err = policy_input_type(c, app_param(c, 0))) != ERR_NONE ||
	    (err = policy_input_parse(c, c->body, app_param(c, 0), &p, &t)) != ERR_NONE)
		return err;
	snprintf(nums[0], 24, "%d", p.window_days);
	snprintf(nums[1], 24, "%d", p.handling_fee_bps);
	snprintf(nums[2], 24, "%d", p.monthly_limit);
	snprintf(nums[3], 24, "%d", p.review_sla_days);
	snprintf(nums[4], 24, "%lld", (long long)p.auto_approve_max);
	snprintf(nums[5], 24, "%lld", (long long)p.second_approval_over);
	const char *params[19] = { app_param(c, 0), flag(p.refundable),
		policy_window_name(p.window_rule), nums[0], flag(p.window_requires_unused),
		policy_after_window_name(p.after_window), nums[1],
		flag(p.deduct_third_party), flag(p.promo_refundable), nums[2], t.methods,
		payout_method_name(p.payout_default), t.methods_after,
		payout_method_name(p.payout_default_after_window), nums[3],
		nums[4], nums[5], t.note, p.limits_currency };
	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	/* Two admins saving at once get versions n+1 and n+2, not a clash. */
	if ((err = db_exec(c->db, &q_lock_type, 1, params, &res)) != ERR_NONE)
		goto fail;
	PQclear(res);
	res = NULL;
	if ((err = db_exec(c->db, &q_same, 19, params, &res)) != ERR_NONE)
		goto fail;
	if (PQntuples(res) == 1) {   /* nothing new: the current version, 200 */
		err = app_reply(c, 200, json_loads(PQgetvalue(res, 0, 0), 0, NULL));
		PQclear(res);
		return err;
	}
	PQclear(res);
	res = NULL;
	if ((err = db_exec(c->db, &q_insert, 19, params, &res)) != ERR_NONE ||
	    (err = audit_record(c, "policy.version", "refund_policy", app_param(c, 0), NULL,
	                        PQgetvalue(res, 0, 0))) != ERR_NONE ||
	    (err = db_commit(c->db)) != ERR_NONE)
		goto fail;
	err = app_reply(c, 201, json_loads(PQgetvalue(res, 0, 0), 0, NULL));
	PQclear(res);
	return err;
fail:
	PQclear(res);
	return c->problem.err ? c->problem.err : app_fail(c, err, NULL, "could not save the policy");
}

static const struct db_stmt q_holidays = { "holidays_list",
	"SELECT coalesce(jsonb_agg(to_jsonb(h) ORDER BY day), '[]')::text FROM holidays h"
	" WHERE $1::int IS NULL OR extract(year FROM day) = $1::int" };
/* Both answer the year's calendar as {year, days}: the audit event's
 * before (what was deleted) and after (what was stored). */
#define CALENDAR_OF(rows, year) \
	" SELECT jsonb_build_object('year', " year "::int, 'days', coalesce(jsonb_agg(" \
	"   jsonb_build_object('day', d.day, 'kind', d.kind, 'name', d.name) ORDER BY d.day), '[]'))::text" \
	" FROM " rows " d"
static const struct db_stmt q_holidays_clear = { "holidays_clear",
	"WITH gone AS (DELETE FROM holidays WHERE extract(year FROM day) = $1::int"
	" RETURNING day, kind, name)" CALENDAR_OF("gone", "$1") };
static const struct db_stmt q_holidays_insert = { "holidays_insert",
	"WITH kept AS (INSERT INTO holidays (day, kind, name) SELECT x.day, x.kind, x.name"
	" FROM jsonb_to_recordset($2::jsonb) AS x(day date, kind text, name text)"
	" RETURNING day, kind, name)" CALENDAR_OF("kept", "$1") };

static enum app_err reply_holidays(struct app_ctx *c, const char *year, int status)
{
	const char *params[1] = { year };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_holidays, 1, params, &res);

	if (err != ERR_NONE)
		return app_fail(c, err, NULL, "could not load holidays");
	json_t *items = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return app_reply(c, status, json_pack("{s:o}", "items", items));
}

enum app_err handle_holidays_get(struct app_ctx *c)
{
	static const struct field_spec year_spec = { "year", FIELD_INT, false, false, 1970, 9999, NULL };
	char year[16];
	struct field_value v;
	int found = http_query_param(c->req->query, "year", year, sizeof year);

	if (found < 0 || (found && validate_text(year, &year_spec, &v) != VALIDATE_OK))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_year", "year must be 1970..9999");
	return reply_holidays(c, found ? year : NULL, 200);
}

enum day_field { DF_DAY, DF_KIND, DF_NAME, DF__MAX };
static const char *const day_kinds[] = { "holiday", "workday", NULL };
static const struct field_spec day_fields[DF__MAX] = {
	[DF_DAY]  = { "day", FIELD_STRING, true, false, 10, 10, NULL },
	[DF_KIND] = { "kind", FIELD_ENUM, true, false, 0, 16, day_kinds },
	[DF_NAME] = { "name", FIELD_STRING, true, false, 1, 100, NULL },
};
FIELD_TABLE(day_fields);

/* "YYYY-MM-DD" of the given year, a real date. */
static int valid_day(const char *day, int64_t year)
{
	char stamp[32];
	int64_t t;
	snprintf(stamp, sizeof stamp, "%sT00:00:00Z", day);
	return validate_parse_time(stamp, &t) == 0 && strtoll(day, NULL, 10) == year;
}

static enum app_err check_days(struct app_ctx *c, json_t *days, int64_t year)
{
	size_t i;
	json_t *d;
	struct field_value dv[DF__MAX];
	struct validate_error verr;

	if (json_array_size(days) > 400)
		return app_fail(c, ERR_VALIDATION, "too_many_days", "at most 400 days a year");
	json_array_foreach(days, i, d) {
		if (validate_object(d, day_fields, DF__MAX, dv, &verr) != VALIDATE_OK)
			return app_fail_with(c, ERR_VALIDATION, validate_err_code(verr.err),
			                     json_pack("{s:s, s:i}", "field", verr.field, "index", (int)i),
			                     "invalid day entry");
		if (!valid_day(dv[DF_DAY].str, year))
			return app_fail_with(c, ERR_VALIDATION, "invalid_day",
			                     json_pack("{s:s, s:i}", "field", "day", "index", (int)i),
			                     "day must be a YYYY-MM-DD date in the given year");
	}
	return ERR_NONE;
}

enum hol_field { HF_YEAR, HF_DAYS, HF__MAX };
static const struct field_spec holiday_fields[HF__MAX] = {
	[HF_YEAR] = { "year", FIELD_INT, true, false, 1970, 9999, NULL },
	[HF_DAYS] = { "days", FIELD_ARRAY, true, false, 0, 0, NULL },
};
FIELD_TABLE(holiday_fields);

/* Replaces one year's calendar: the reseller publishes it once a year
 * (China's State Council announces holidays and make-up days together). */
enum app_err handle_holidays_put(struct app_ctx *c)
{
	struct field_value v[HF__MAX];
	struct db_identity who = app_identity(c);
	char year[16], *days = NULL;
	PGresult *before = NULL, *after = NULL;
	enum app_err err;

	if ((err = app_body(c, holiday_fields, HF__MAX, v)) != ERR_NONE ||
	    (err = check_days(c, v[HF_DAYS].json, v[HF_YEAR].num)) != ERR_NONE)
		return err;
	snprintf(year, sizeof year, "%lld", (long long)v[HF_YEAR].num);
	days = json_dumps(v[HF_DAYS].json, JSON_COMPACT);
	const char *p_days[2] = { year, days };
	if ((err = db_begin(c->db, &who)) != ERR_NONE) {
		free(days);
		return app_fail(c, err, NULL, "database unavailable");
	}
	if ((err = db_exec(c->db, &q_holidays_clear, 1, p_days, &before)) == ERR_NONE)
		err = db_exec(c->db, &q_holidays_insert, 2, p_days, &after);
	if (err == ERR_CONFLICT)
		err = app_fail(c, ERR_VALIDATION, "duplicate_day", "a day is listed twice");
	else if (err == ERR_NONE && (err = audit_record(c, "holidays.replace", "holidays", year,
	                                                PQgetvalue(before, 0, 0),
	                                                PQgetvalue(after, 0, 0))) == ERR_NONE)
		err = db_commit(c->db);
	PQclear(before);
	PQclear(after);
	free(days);
	if (err != ERR_NONE)
		return c->problem.err ? c->problem.err : app_fail(c, err, NULL, "could not save holidays");
	return reply_holidays(c, year, 200);
}
