/* workdays.c -- see workdays.h. Loads the holidays near the start date on
 * every call: the table is small, and a change by an admin applies to the
 * very next request without any cache to invalidate. */
#include "workdays.h"

#include <stdio.h>

#include "calendar.h"

#define WORKDAYS_MAX_ROWS 1200 /* three years of holidays, generously */

static const struct db_stmt q_holidays = { "workdays_holidays",
	"SELECT (day - DATE '1970-01-01')::bigint, kind FROM holidays"
	" WHERE day >= to_timestamp($1::bigint)::date - 1"
	"   AND day <= to_timestamp($1::bigint)::date + 3 * 366 ORDER BY day LIMIT 1200" };

struct db_step workdays_step(int64_t start, char start_text[24], const char *params[1])
{
	snprintf(start_text, 24, "%lld", (long long)start);
	params[0] = start_text;
	return (struct db_step){ &q_holidays, 1, params, NULL };
}

enum workdays_err workdays_add_with(const PGresult *res, int64_t start, int n, int64_t *out)
{
	struct calendar_day days[WORKDAYS_MAX_ROWS];
	int rows = PQntuples(res);

	if (rows > WORKDAYS_MAX_ROWS)   /* the query's LIMIT */
		rows = WORKDAYS_MAX_ROWS;
	for (int i = 0; i < rows; i++) {
		days[i].day_number = db_int(res, i, 0);
		calendar_day_kind_parse(db_text(res, i, 1), &days[i].kind);
	}
	struct calendar_holidays holidays = { days, (size_t)rows };
	if (calendar_add_business_days(&holidays, start, n, out) != CAL_OK)
		return WORKDAYS_RANGE;
	return WORKDAYS_OK;
}
