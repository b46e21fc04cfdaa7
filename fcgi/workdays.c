/* workdays.c -- see workdays.h. Loads the holidays near the start date on
 * every call: the table is small, and a change by an admin applies to the
 * very next request without any cache to invalidate. */
#include "workdays.h"

#include "calendar.h"

#define WORKDAYS_MAX_ROWS 1200 /* three years of holidays, generously */

static const struct db_stmt q_holidays = { "workdays_holidays",
	"SELECT (day - DATE '1970-01-01')::bigint, kind FROM holidays"
	" WHERE day >= to_timestamp($1::bigint)::date - 1"
	"   AND day <= to_timestamp($1::bigint)::date + 3 * 366 ORDER BY day LIMIT 1200" };

enum workdays_err workdays_add(struct app_ctx *c, int64_t start, int n, int64_t *out)
{
	struct calendar_day days[WORKDAYS_MAX_ROWS];
	char start_text[24];
	const char *params[1] = { start_text };
	PGresult *res = NULL;
	int rows;

	snprintf(start_text, sizeof start_text, "%lld", (long long)start);
	if (db_exec(c->db, &q_holidays, 1, params, &res) != ERR_NONE)
		return WORKDAYS_DB;
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		days[i].day_number = db_int(res, i, 0);
		calendar_day_kind_parse(db_text(res, i, 1), &days[i].kind);
	}
	PQclear(res);
	struct calendar_holidays holidays = { days, (size_t)rows };
	if (calendar_add_business_days(&holidays, start, n, out) != CAL_OK)
		return WORKDAYS_RANGE;
	return WORKDAYS_OK;
}
