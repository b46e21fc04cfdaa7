/* calendar.c -- local dates, business days and month bounds in the process
 * time zone (TZ, set once at start-up by localzone.c). The only libc time
 * zone call is localtime_r, for the UTC offset at an instant; everything
 * else is integer arithmetic, so it is thread-safe and the tests can pin
 * every answer by setting TZ. */
#include "calendar.h"

#include <string.h>
#include <time.h>

#define SECS_PER_DAY 86400
/* add_days may walk the whole supported range (10,000 years) but no further. */
#define CALENDAR_MAX_DAYS_STEP 3660000

/* ---- civil arithmetic ------------------------------------------------------
 * H. Hinnant, "chrono-Compatible Low-Level Date Algorithms": eras of 400
 * years starting on March 1 so the leap day is the last day of the year. */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t calendar_days_from_civil(int64_t year, int month, int day)
{
	int64_t y = year - (month <= 2);
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void calendar_civil_from_days(int64_t day_number, int64_t *year, int *month, int *day)
{
	int64_t z = day_number + 719468, era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

int calendar_weekday(int64_t day_number)
{
	int64_t w = (day_number + 4) % 7;    /* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w);
}

bool calendar_is_leap_year(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int calendar_days_in_month(int64_t year, int month)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	return (month == 2 && calendar_is_leap_year(year)) ? 29 : len[month - 1];
}

enum calendar_err calendar_date(int64_t year, int month, int day, int64_t *day_number)
{
	if (day_number == NULL)
		return CAL_ERR_ARG;
	if (year < 1 || year > 9999 || month < 1 || month > 12 ||
	    day < 1 || day > calendar_days_in_month(year, month))
		return CAL_ERR_DATE;
	*day_number = calendar_days_from_civil(year, month, day);
	return CAL_OK;
}

/* n decimal digits at text, nothing else. */
static bool fixed_digits(const char *text, int n, int *out)
{
	int i, value = 0;

	for (i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (text[i] - '0');
	}
	*out = value;
	return true;
}

enum calendar_err calendar_parse_date(const char *text, int64_t *day_number)
{
	int y, m, d;

	if (text == NULL || day_number == NULL)
		return CAL_ERR_ARG;
	if (strnlen(text, 11) != 10 || text[4] != '-' || text[7] != '-' ||
	    !fixed_digits(text, 4, &y) || !fixed_digits(text + 5, 2, &m) ||
	    !fixed_digits(text + 8, 2, &d))
		return CAL_ERR_DATE;
	return calendar_date(y, m, d, day_number);
}

const char *calendar_day_kind_name(enum calendar_day_kind kind)
{
	switch (kind) {
	case CALENDAR_HOLIDAY: return "holiday";
	case CALENDAR_WORKDAY: return "workday";
	case CALENDAR_DAY_KIND__MAX: break;
	}
	return NULL;
}

bool calendar_day_kind_parse(const char *name, enum calendar_day_kind *out)
{
	int k;

	for (k = 0; name != NULL && k < CALENDAR_DAY_KIND__MAX; k++) {
		if (strcmp(name, calendar_day_kind_name((enum calendar_day_kind)k)) == 0) {
			*out = (enum calendar_day_kind)k;
			return true;
		}
	}
	return false;
}

/* ---- zone conversions --------------------------------------------------- */

static bool utc_in_range(int64_t utc)
{
	return utc >= CALENDAR_MIN_UTC && utc <= CALENDAR_MAX_UTC;
}

/* The offset east of UTC in effect at utc. localtime_r fails only when the
 * year overflows an int, far outside the supported range. */
static bool offset_at(int64_t utc, int32_t *offset)
{
	time_t t = (time_t)utc;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return false;
	*offset = (int32_t)tm.tm_gmtoff;
	return true;
}

enum calendar_err calendar_to_local(int64_t utc, struct calendar_local *out)
{
	int64_t local, days;
	int32_t offset;

	if (out == NULL)
		return CAL_ERR_ARG;
	if (!utc_in_range(utc) || !offset_at(utc, &offset))
		return CAL_ERR_RANGE;
	memset(out, 0, sizeof *out);
	out->utc_offset = offset;
	local = utc + offset;
	days = floor_div(local, SECS_PER_DAY);
	out->day_number = days;
	out->second_of_day = (int32_t)(local - days * SECS_PER_DAY);
	calendar_civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = out->second_of_day / 3600;
	out->minute = out->second_of_day / 60 % 60;
	out->second = out->second_of_day % 60;
	out->weekday = calendar_weekday(days);
	return CAL_OK;
}

/* The offsets a day either side of the reading bracket any single
 * transition near it (offsets are under 26 h; zones do not change twice
 * within two days). An offset fits when the zone really uses it at
 * utc = local - offset. Not mktime: what it does with a reading in a gap
 * or an overlap (tm_isdst = -1) is unspecified, and here it is pinned. */
static bool local_to_utc(int64_t local, int64_t *utc)
{
	int32_t before, after, at_before, at_after;
	bool before_fits, after_fits;

	if (!offset_at(local - SECS_PER_DAY, &before) || !offset_at(local + SECS_PER_DAY, &after) ||
	    !offset_at(local - before, &at_before) || !offset_at(local - after, &at_after))
		return false;
	before_fits = at_before == before;
	after_fits = at_after == after;
	if (before_fits && after_fits)     /* overlap (or no change): the earlier */
		*utc = local - (before > after ? before : after);
	else if (after_fits)
		*utc = local - after;
	else
		/* before fits alone, or neither (a gap): reading the wall clock with
		 * the offset from before the gap lands as far past it as the reading
		 * was into it. */
		*utc = local - before;
	return true;
}

enum calendar_err calendar_from_local(int64_t day_number, int32_t second_of_day, int64_t *utc)
{
	int64_t result;

	if (utc == NULL)
		return CAL_ERR_ARG;
	if (second_of_day < 0 || second_of_day >= SECS_PER_DAY)
		return CAL_ERR_ARG;
	/* The bound keeps day_number * 86400 far from overflow. */
	if (day_number < CALENDAR_MIN_UTC / SECS_PER_DAY - 2 ||
	    day_number > CALENDAR_MAX_UTC / SECS_PER_DAY + 2)
		return CAL_ERR_RANGE;
	if (!local_to_utc(day_number * SECS_PER_DAY + second_of_day, &result) ||
	    !utc_in_range(result))
		return CAL_ERR_RANGE;
	*utc = result;
	return CAL_OK;
}

/* ---- business days ------------------------------------------------------ */

enum calendar_err calendar_holidays_check(const struct calendar_holidays *holidays)
{
	size_t i;

	if (holidays == NULL || holidays->count == 0)
		return CAL_OK;
	if (holidays->days == NULL)
		return CAL_ERR_ARG;
	for (i = 0; i < holidays->count; i++) {
		if ((unsigned)holidays->days[i].kind >= CALENDAR_DAY_KIND__MAX)
			return CAL_ERR_HOLIDAYS;
		if (i > 0 && holidays->days[i].day_number <= holidays->days[i - 1].day_number)
			return CAL_ERR_HOLIDAYS;
	}
	return CAL_OK;
}

/* The table entry for day_number, or NULL. */
static const struct calendar_day *find_day(const struct calendar_holidays *holidays,
                                           int64_t day_number)
{
	size_t lo = 0, hi;

	if (holidays == NULL)
		return NULL;
	hi = holidays->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (holidays->days[mid].day_number == day_number)
			return &holidays->days[mid];
		if (holidays->days[mid].day_number < day_number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool calendar_is_business_day(const struct calendar_holidays *holidays, int64_t day_number)
{
	const struct calendar_day *entry = find_day(holidays, day_number);
	int weekday;

	if (entry != NULL)
		return entry->kind == CALENDAR_WORKDAY;
	weekday = calendar_weekday(day_number);
	return weekday != 0 && weekday != 6;
}

/* Terminates: the table is finite, so past its last entry every week has
 * five business days. */
static int64_t next_business_day(const struct calendar_holidays *holidays, int64_t day_number)
{
	do
		day_number++;
	while (!calendar_is_business_day(holidays, day_number));
	return day_number;
}

enum calendar_err calendar_add_business_days(const struct calendar_holidays *holidays,
                                             int64_t start, int n, int64_t *out)
{
	struct calendar_local local;
	int64_t day;
	int32_t time_of_day;
	enum calendar_err rc;
	int i;

	if (out == NULL)
		return CAL_ERR_ARG;
	if (n < 0 || n > CALENDAR_MAX_BUSINESS_DAYS)
		return CAL_ERR_RANGE;
	if ((rc = calendar_holidays_check(holidays)) != CAL_OK ||
	    (rc = calendar_to_local(start, &local)) != CAL_OK)
		return rc;
	day = local.day_number;
	time_of_day = local.second_of_day;
	if (calendar_is_business_day(holidays, day) && n == 0) {
		/* Not through calendar_from_local: in a fall-back overlap it would
		 * answer the earlier of the two instants that read the same. */
		*out = start;
		return CAL_OK;
	}
	if (!calendar_is_business_day(holidays, day)) {
		day = next_business_day(holidays, day);   /* the office opens */
		time_of_day = 0;
	}
	for (i = 0; i < n; i++)
		day = next_business_day(holidays, day);
	return calendar_from_local(day, time_of_day, out);
}

/* ---- plain days and months ---------------------------------------------- */

enum calendar_err calendar_add_days(int64_t start, int n, int64_t *out)
{
	struct calendar_local local;
	enum calendar_err rc;

	if (out == NULL)
		return CAL_ERR_ARG;
	if (n < -CALENDAR_MAX_DAYS_STEP || n > CALENDAR_MAX_DAYS_STEP)
		return CAL_ERR_RANGE;
	rc = calendar_to_local(start, &local);
	if (rc != CAL_OK)
		return rc;
	return calendar_from_local(local.day_number + n, local.second_of_day, out);
}

enum calendar_err calendar_month_bounds(int64_t instant, int64_t *start, int64_t *end)
{
	struct calendar_local local;
	int64_t first, next, s, e;
	enum calendar_err rc;

	if (start == NULL || end == NULL)
		return CAL_ERR_ARG;
	rc = calendar_to_local(instant, &local);
	if (rc != CAL_OK)
		return rc;
	first = calendar_days_from_civil(local.year, local.month, 1);
	next = first + calendar_days_in_month(local.year, local.month);
	if ((rc = calendar_from_local(first, 0, &s)) != CAL_OK ||
	    (rc = calendar_from_local(next, 0, &e)) != CAL_OK)
		return rc;
	*start = s;
	*end = e;
	return CAL_OK;
}

const char *calendar_strerror(enum calendar_err e)
{
	static const char *const text[CAL_ERR__MAX] = {
		[CAL_OK] = "ok",
		[CAL_ERR_ARG] = "invalid argument",
		[CAL_ERR_RANGE] = "date out of the supported range",
		[CAL_ERR_DATE] = "invalid date",
		[CAL_ERR_HOLIDAYS] = "holiday table not strictly ascending or has a bad kind",
	};

	return ((unsigned)e < CAL_ERR__MAX && text[e]) ? text[e] : "unknown error";
}
