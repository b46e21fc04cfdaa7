/* test_calendar.c -- calendar.c in real zones from /usr/share/zoneinfo
 * (Asia/Shanghai, and Europe/Berlin, America/New_York, Australia/Sydney for
 * DST): civil arithmetic, local time both ways, business days with China's
 * 2026 holidays and make-up working days, month bounds at local month
 * edges, calendar days.
 *
 * calendar.c answers in the process zone, so every case first sets TZ with
 * localzone_set (the production path; this program is single-threaded).
 * Expected instants are written as RFC 3339 strings with their offset and
 * converted with timegm(), not with the code under test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "localzone.h"

#define HOUR 3600
#define DAY  86400

/* ---- fixtures ------------------------------------------------------------ */

enum test_zone { SHANGHAI, BERLIN, NEW_YORK, SYDNEY, TEST_ZONE__MAX };

static const char *const zone_names[TEST_ZONE__MAX] = {
	"Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Sydney",
};

/* Makes z the process zone for the calendar calls that follow. */
static void use_zone(enum test_zone z)
{
	char err[256];

	if (localzone_set(zone_names[z], err, sizeof err) != 0)
		fail_msg("cannot use %s: %s (is tzdata installed?)", zone_names[z], err);
}

static int reset_zone(void **state)
{
	(void)state;
	unsetenv("TZ");
	tzset();
	return 0;
}

/* "2026-09-30T10:00:00+08:00" or "...Z" to Unix seconds, via timegm. */
static int64_t at(const char *text)
{
	struct tm tm;
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 1, n = 0;
	char tail[8] = "";

	memset(&tm, 0, sizeof tm);
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6)
		fail_msg("bad test instant %s", text);
	snprintf(tail, sizeof tail, "%s", text + n);
	if (strcmp(tail, "Z") != 0 && sscanf(tail, "%*[+-]%2d:%2d", &oh, &om) != 2)
		fail_msg("bad test offset in %s", text);
	if (tail[0] == '-')
		sign = -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) - sign * (oh * HOUR + om * 60);
}

static int64_t day_of(int y, int m, int d)
{
	int64_t day_number;

	if (calendar_date(y, m, d, &day_number) != CAL_OK)
		fail_msg("bad test date %d-%d-%d", y, m, d);
	return day_number;
}

/* China 2026, as published by the State Council General Office in November
 * 2025 (放假调休): holidays and the weekend days worked in exchange. Test
 * data for realistic cases; production reads the table from the database. */
struct ymd_kind {
	int y, m, d;
	enum calendar_day_kind kind;
};

#define H CALENDAR_HOLIDAY
#define W CALENDAR_WORKDAY

static const struct ymd_kind china_2026[] = {
	{ 2026, 1, 1, H }, { 2026, 1, 2, H }, { 2026, 1, 3, H }, { 2026, 1, 4, W },
	{ 2026, 2, 14, W }, { 2026, 2, 15, H }, { 2026, 2, 16, H }, { 2026, 2, 17, H },
	{ 2026, 2, 18, H }, { 2026, 2, 19, H }, { 2026, 2, 20, H }, { 2026, 2, 21, H },
	{ 2026, 2, 22, H }, { 2026, 2, 23, H }, { 2026, 2, 28, W },
	{ 2026, 4, 4, H }, { 2026, 4, 5, H }, { 2026, 4, 6, H },
	{ 2026, 5, 1, H }, { 2026, 5, 2, H }, { 2026, 5, 3, H }, { 2026, 5, 4, H },
	{ 2026, 5, 5, H }, { 2026, 5, 9, W },
	{ 2026, 6, 19, H }, { 2026, 6, 20, H }, { 2026, 6, 21, H },
	{ 2026, 9, 20, W }, { 2026, 9, 25, H }, { 2026, 9, 26, H }, { 2026, 9, 27, H },
	{ 2026, 10, 1, H }, { 2026, 10, 2, H }, { 2026, 10, 3, H }, { 2026, 10, 4, H },
	{ 2026, 10, 5, H }, { 2026, 10, 6, H }, { 2026, 10, 7, H }, { 2026, 10, 10, W },
};

/* Two Sundays of Berlin's 2026 clock changes made working days, so that a
 * business day lands in the gap and in the overlap. */
static const struct ymd_kind berlin_sundays[] = {
	{ 2026, 3, 29, W }, { 2026, 10, 25, W },
};

enum table_id { NO_TABLE, CHINA_2026, BERLIN_SUNDAYS, TABLE__MAX };

static struct calendar_day table_days[TABLE__MAX][64];
static struct calendar_holidays tables[TABLE__MAX];

static void build_table(enum table_id id, const struct ymd_kind *src, size_t n)
{
	size_t i;

	assert_true(n <= sizeof table_days[id] / sizeof table_days[id][0]);
	for (i = 0; i < n; i++) {
		table_days[id][i].day_number = day_of(src[i].y, src[i].m, src[i].d);
		table_days[id][i].kind = src[i].kind;
	}
	tables[id].days = table_days[id];
	tables[id].count = n;
}

static const struct calendar_holidays *table(enum table_id id)
{
	if (id == NO_TABLE)
		return NULL;
	if (tables[id].days == NULL) {
		build_table(CHINA_2026, china_2026, sizeof china_2026 / sizeof china_2026[0]);
		build_table(BERLIN_SUNDAYS, berlin_sundays,
		            sizeof berlin_sundays / sizeof berlin_sundays[0]);
	}
	return &tables[id];
}

/* ---- civil arithmetic ---------------------------------------------------- */

struct civil_case {
	int y, m, d;
	int64_t day_number;
	int weekday;
};

static const struct civil_case civil_cases[] = {
	{ 1970, 1, 1, 0, 4 }, { 1969, 12, 31, -1, 3 }, { 2000, 3, 1, 11017, 3 },
	{ 2024, 2, 29, 19782, 4 }, { 2026, 10, 1, 20727, 4 }, { 1, 1, 1, -719162, 1 },
	{ 9999, 12, 31, 2932896, 5 }, { 1600, 2, 29, -135081, 2 }, { 1900, 3, 1, -25508, 4 },
};

static void test_civil_known_dates(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof civil_cases / sizeof civil_cases[0]; i++) {
		const struct civil_case *c = &civil_cases[i];
		int64_t y;
		int m, d;

		assert_int_equal(calendar_days_from_civil(c->y, c->m, c->d), c->day_number);
		calendar_civil_from_days(c->day_number, &y, &m, &d);
		if (y != c->y || m != c->m || d != c->d)
			fail_msg("%lld: %lld-%d-%d, want %d-%d-%d", (long long)c->day_number,
			         (long long)y, m, d, c->y, c->m, c->d);
		assert_int_equal(calendar_weekday(c->day_number), c->weekday);
	}
}

/* The civil date after y-m-d, by counting, not by the code under test. */
static void next_date(int64_t *y, int *m, int *d)
{
	if (*d < calendar_days_in_month(*y, *m)) {
		(*d)++;
	} else if (*m < 12) {
		(*m)++;
		*d = 1;
	} else {
		(*y)++;
		*m = 1;
		*d = 1;
	}
}

/* Consecutive day numbers are consecutive dates, from year 0 to 10000. */
static void test_civil_every_day(void **state)
{
	int64_t day, y, want_y = 0;
	int m, d, want_m = 1, want_d = 1;

	(void)state;
	for (day = -719528; day <= 2933262; day++) {    /* 0000-01-01 .. 10000-12-31 */
		calendar_civil_from_days(day, &y, &m, &d);
		if (y != want_y || m != want_m || d != want_d)
			fail_msg("day %lld is %lld-%d-%d, want %lld-%d-%d", (long long)day,
			         (long long)y, m, d, (long long)want_y, want_m, want_d);
		if (calendar_days_from_civil(y, m, d) != day)
			fail_msg("round trip fails at %lld", (long long)day);
		next_date(&want_y, &want_m, &want_d);
	}
	assert_int_equal(want_y, 10001);
}

/* Leap years by the Gregorian rule. */
static void test_leap_years(void **state)
{
	(void)state;
	assert_true(calendar_is_leap_year(2024));
	assert_true(calendar_is_leap_year(2000));
	assert_true(calendar_is_leap_year(0));
	assert_false(calendar_is_leap_year(1900));
	assert_false(calendar_is_leap_year(2026));
	assert_int_equal(calendar_days_in_month(2028, 2), 29);
	assert_int_equal(calendar_days_in_month(2100, 2), 28);
}

struct date_case {
	const char *text;
	enum calendar_err want;
	int64_t day_number;
};

static const struct date_case date_cases[] = {
	{ "2026-10-01", CAL_OK, 20727 }, { "2024-02-29", CAL_OK, 19782 },
	{ "0001-01-01", CAL_OK, -719162 }, { "9999-12-31", CAL_OK, 2932896 },
	{ "2026-02-29", CAL_ERR_DATE, 0 }, { "2100-02-29", CAL_ERR_DATE, 0 },
	{ "2026-04-31", CAL_ERR_DATE, 0 }, { "2026-13-01", CAL_ERR_DATE, 0 },
	{ "2026-00-10", CAL_ERR_DATE, 0 }, { "2026-01-00", CAL_ERR_DATE, 0 },
	{ "0000-01-01", CAL_ERR_DATE, 0 }, { "2026-1-01", CAL_ERR_DATE, 0 },
	{ "2026-10-01T", CAL_ERR_DATE, 0 }, { "2026/10/01", CAL_ERR_DATE, 0 },
	{ " 2026-10-1", CAL_ERR_DATE, 0 }, { "+026-10-01", CAL_ERR_DATE, 0 },
	{ "", CAL_ERR_DATE, 0 }, { "2026-10-0a", CAL_ERR_DATE, 0 },
};

static void test_parse_date(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof date_cases / sizeof date_cases[0]; i++) {
		const struct date_case *c = &date_cases[i];
		int64_t day_number = -42;
		enum calendar_err rc = calendar_parse_date(c->text, &day_number);

		if (rc != c->want)
			fail_msg("\"%s\": %s", c->text, calendar_strerror(rc));
		if (rc == CAL_OK)
			assert_int_equal(day_number, c->day_number);
		else
			assert_int_equal(day_number, -42);
	}
	assert_int_equal(calendar_parse_date(NULL, NULL), CAL_ERR_ARG);
	assert_int_equal(calendar_date(2026, 1, 1, NULL), CAL_ERR_ARG);
	assert_int_equal(calendar_days_in_month(2026, 13), 0);
}

static void test_day_kind_names(void **state)
{
	enum calendar_day_kind kind = CALENDAR_DAY_KIND__MAX;

	(void)state;
	assert_true(calendar_day_kind_parse("holiday", &kind));
	assert_int_equal(kind, CALENDAR_HOLIDAY);
	assert_true(calendar_day_kind_parse("workday", &kind));
	assert_int_equal(kind, CALENDAR_WORKDAY);
	assert_false(calendar_day_kind_parse("Holiday", &kind));
	assert_false(calendar_day_kind_parse("", &kind));
	assert_false(calendar_day_kind_parse(NULL, &kind));
	assert_int_equal(kind, CALENDAR_WORKDAY);
	assert_null(calendar_day_kind_name(CALENDAR_DAY_KIND__MAX));
}

/* ---- local time ------------------------------------------------------------ */

struct local_case {
	enum test_zone zone;
	const char *instant;
	int64_t y;
	int m, d, hh, mm, ss, weekday;
	int32_t offset;
};

static const struct local_case local_cases[] = {
	{ SHANGHAI, "2026-09-30T16:00:00Z", 2026, 10, 1, 0, 0, 0, 4, 8 * HOUR },
	{ SHANGHAI, "2026-09-30T15:59:59Z", 2026, 9, 30, 23, 59, 59, 3, 8 * HOUR },
	{ SHANGHAI, "1969-12-31T16:00:00Z", 1970, 1, 1, 0, 0, 0, 4, 8 * HOUR },
	{ SHANGHAI, "1988-07-01T00:00:00Z", 1988, 7, 1, 9, 0, 0, 5, 9 * HOUR },
	{ BERLIN, "2026-03-29T00:59:59Z", 2026, 3, 29, 1, 59, 59, 0, HOUR },
	{ BERLIN, "2026-03-29T01:00:00Z", 2026, 3, 29, 3, 0, 0, 0, 2 * HOUR },
	{ BERLIN, "2026-10-25T00:30:00Z", 2026, 10, 25, 2, 30, 0, 0, 2 * HOUR },
	{ BERLIN, "2026-10-25T01:30:00Z", 2026, 10, 25, 2, 30, 0, 0, HOUR },
	{ NEW_YORK, "2027-01-01T04:59:59Z", 2026, 12, 31, 23, 59, 59, 4, -5 * HOUR },
	{ SYDNEY, "2026-12-31T13:00:00Z", 2027, 1, 1, 0, 0, 0, 5, 11 * HOUR },
	{ SHANGHAI, "0001-01-01T00:00:00Z", 1, 1, 1, 8, 5, 43, 1, 29143 },   /* LMT */
};

static void test_to_local(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof local_cases / sizeof local_cases[0]; i++) {
		const struct local_case *c = &local_cases[i];
		struct calendar_local l;

		use_zone(c->zone);
		assert_int_equal(calendar_to_local(at(c->instant), &l), CAL_OK);
		if (l.year != c->y || l.month != c->m || l.day != c->d || l.hour != c->hh ||
		    l.minute != c->mm || l.second != c->ss || l.weekday != c->weekday ||
		    l.utc_offset != c->offset)
			fail_msg("%s in %s: %lld-%02d-%02d %02d:%02d:%02d wd %d off %d", c->instant,
			         zone_names[c->zone], (long long)l.year, l.month, l.day, l.hour,
			         l.minute, l.second, l.weekday, l.utc_offset);
		assert_int_equal(l.second_of_day, c->hh * HOUR + c->mm * 60 + c->ss);
		assert_int_equal(l.day_number, calendar_days_from_civil(c->y, c->m, c->d));
	}
}

/* calendar.c takes only the UTC offset from glibc; the date, time of day and
 * weekday come from its own civil arithmetic and must agree with glibc's. */
static void check_against_localtime(enum test_zone z, int64_t t)
{
	time_t tt = (time_t)t;
	struct calendar_local l;
	struct tm tm;

	assert_non_null(localtime_r(&tt, &tm));
	assert_int_equal(calendar_to_local(t, &l), CAL_OK);
	if (l.year != tm.tm_year + 1900 || l.month != tm.tm_mon + 1 || l.day != tm.tm_mday ||
	    l.hour != tm.tm_hour || l.minute != tm.tm_min || l.second != tm.tm_sec ||
	    l.weekday != tm.tm_wday || l.utc_offset != tm.tm_gmtoff)
		fail_msg("%s at %lld differs from localtime_r", zone_names[z], (long long)t);
}

/* From year 1 to 9999 in steps of 400 days and 3599 s, and densely from
 * 1902 to 2100. */
static void test_to_local_matches_glibc(void **state)
{
	int z;

	(void)state;
	for (z = 0; z < TEST_ZONE__MAX; z++) {
		int64_t t;

		use_zone((enum test_zone)z);
		for (t = CALENDAR_MIN_UTC; t <= CALENDAR_MAX_UTC; t += 400 * DAY + 3599)
			check_against_localtime((enum test_zone)z, t);
		for (t = -2145916800; t < INT64_C(4102444800); t += 99 * HOUR + 59 * 60 + 59)
			check_against_localtime((enum test_zone)z, t);
	}
}

struct from_local_case {
	enum test_zone zone;
	int y, m, d;
	int32_t second_of_day;
	const char *want;
	const char *why;
};

static const struct from_local_case from_local_cases[] = {
	{ SHANGHAI, 2026, 10, 1, 0, "2026-10-01T00:00:00+08:00", "midnight" },
	{ SHANGHAI, 2026, 9, 30, DAY - 1, "2026-09-30T23:59:59+08:00", "last second" },
	{ BERLIN, 2026, 3, 29, 2 * HOUR + 1800, "2026-03-29T03:30:00+02:00",
	  "02:30 does not exist: moved forward by the gap" },
	{ BERLIN, 2026, 3, 29, 2 * HOUR, "2026-03-29T03:00:00+02:00", "gap start" },
	{ BERLIN, 2026, 3, 29, 3 * HOUR, "2026-03-29T03:00:00+02:00", "after the gap" },
	{ BERLIN, 2026, 3, 29, 2 * HOUR - 1, "2026-03-29T01:59:59+01:00", "before the gap" },
	{ BERLIN, 2026, 10, 25, 2 * HOUR + 1800, "2026-10-25T02:30:00+02:00",
	  "02:30 exists twice: the earlier (CEST)" },
	{ BERLIN, 2026, 10, 25, 3 * HOUR, "2026-10-25T03:00:00+01:00", "after the overlap" },
	{ NEW_YORK, 2026, 3, 8, 2 * HOUR + 1800, "2026-03-08T03:30:00-04:00", "gap" },
	{ NEW_YORK, 2026, 11, 1, HOUR + 1800, "2026-11-01T01:30:00-04:00", "overlap, EDT" },
	{ SYDNEY, 2026, 10, 4, 2 * HOUR + 1800, "2026-10-04T03:30:00+11:00", "gap" },
	{ SYDNEY, 2026, 4, 5, 2 * HOUR + 1800, "2026-04-05T02:30:00+11:00", "overlap, AEDT" },
};

static void test_from_local(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof from_local_cases / sizeof from_local_cases[0]; i++) {
		const struct from_local_case *c = &from_local_cases[i];
		int64_t got = 0;

		use_zone(c->zone);
		assert_int_equal(calendar_from_local(day_of(c->y, c->m, c->d), c->second_of_day,
		                                     &got), CAL_OK);
		if (got != at(c->want))
			fail_msg("%s %d-%d-%d +%d (%s): %lld, want %s", zone_names[c->zone], c->y,
			         c->m, c->d, c->second_of_day, c->why, (long long)got, c->want);
	}
	assert_int_equal(calendar_from_local(0, -1, &(int64_t){ 0 }), CAL_ERR_ARG);
	assert_int_equal(calendar_from_local(0, DAY, &(int64_t){ 0 }), CAL_ERR_ARG);
	assert_int_equal(calendar_from_local(INT64_MAX, 0, &(int64_t){ 0 }), CAL_ERR_RANGE);
}

/* Reading the wall clock back gives the same reading, and never a later
 * instant (the second pass through an overlap maps to the first). */
static void test_local_round_trip(void **state)
{
	int z;

	(void)state;
	for (z = 0; z < TEST_ZONE__MAX; z++) {
		int64_t t;

		use_zone((enum test_zone)z);
		for (t = at("2025-01-01T00:00:00Z"); t < at("2028-01-01T00:00:00Z"); t += 17999) {
			struct calendar_local l, back;
			int64_t r;

			assert_int_equal(calendar_to_local(t, &l), CAL_OK);
			assert_int_equal(calendar_from_local(l.day_number, l.second_of_day, &r), CAL_OK);
			assert_int_equal(calendar_to_local(r, &back), CAL_OK);
			if (r > t || back.day_number != l.day_number ||
			    back.second_of_day != l.second_of_day)
				fail_msg("%s: %lld -> %lld", zone_names[z], (long long)t, (long long)r);
		}
	}
}

/* ---- business days --------------------------------------------------------- */

struct business_case {
	enum test_zone zone;
	enum table_id  table;
	const char    *start;
	int            n;
	const char    *want;
	const char    *why;
};

static const struct business_case business_cases[] = {
	{ SHANGHAI, CHINA_2026, "2026-09-04T15:00:00+08:00", 1, "2026-09-07T15:00:00+08:00",
	  "Friday + 1 skips the weekend" },
	{ SHANGHAI, CHINA_2026, "2026-09-04T15:00:00+08:00", 5, "2026-09-11T15:00:00+08:00",
	  "a working week" },
	{ SHANGHAI, CHINA_2026, "2026-09-03T09:30:15+08:00", 0, "2026-09-03T09:30:15+08:00",
	  "n = 0 on a business day: start itself" },
	{ SHANGHAI, CHINA_2026, "2026-09-05T10:00:00+08:00", 0, "2026-09-07T00:00:00+08:00",
	  "n = 0 on Saturday: when the office opens" },
	{ SHANGHAI, CHINA_2026, "2026-09-05T10:00:00+08:00", 1, "2026-09-08T00:00:00+08:00",
	  "Saturday + 1: all of Monday" },
	{ SHANGHAI, CHINA_2026, "2026-09-04T17:00:00Z", 1, "2026-09-08T00:00:00+08:00",
	  "Friday in UTC but Saturday 01:00 in Shanghai: the local date counts" },
	{ SHANGHAI, CHINA_2026, "2026-09-24T11:00:00+08:00", 1, "2026-09-28T11:00:00+08:00",
	  "Mid-Autumn Festival Friday is a holiday" },
	{ SHANGHAI, CHINA_2026, "2026-09-18T16:00:00+08:00", 1, "2026-09-20T16:00:00+08:00",
	  "Sunday 2026-09-20 is a make-up working day" },
	{ SHANGHAI, CHINA_2026, "2026-09-19T15:00:00+08:00", 1, "2026-09-21T00:00:00+08:00",
	  "Saturday before the make-up Sunday: the clock starts on Sunday" },
	{ SHANGHAI, CHINA_2026, "2026-09-30T10:00:00+08:00", 1, "2026-10-08T10:00:00+08:00",
	  "National Day week" },
	{ SHANGHAI, CHINA_2026, "2026-09-30T10:00:00+08:00", 3, "2026-10-10T10:00:00+08:00",
	  "National Day week, then make-up Saturday 2026-10-10" },
	{ SHANGHAI, NO_TABLE, "2026-09-30T10:00:00+08:00", 3, "2026-10-05T10:00:00+08:00",
	  "the same without the holiday table" },
	{ SHANGHAI, CHINA_2026, "2026-10-02T14:00:00+08:00", 1, "2026-10-09T00:00:00+08:00",
	  "sent during the holiday: clock starts 2026-10-08" },
	{ SHANGHAI, CHINA_2026, "2026-10-02T14:00:00+08:00", 3, "2026-10-12T00:00:00+08:00",
	  "sent during the holiday, 3 days: Oct 9, Sat Oct 10, Mon Oct 12" },
	{ SHANGHAI, CHINA_2026, "2026-02-13T10:00:00+08:00", 1, "2026-02-14T10:00:00+08:00",
	  "Spring Festival: make-up Saturday before it" },
	{ SHANGHAI, CHINA_2026, "2026-02-13T10:00:00+08:00", 2, "2026-02-24T10:00:00+08:00",
	  "Spring Festival: nine days off" },
	{ SHANGHAI, CHINA_2026, "2025-12-31T18:00:00+08:00", 1, "2026-01-04T18:00:00+08:00",
	  "New Year: Jan 1-3 off, Sunday Jan 4 worked" },
	{ SHANGHAI, CHINA_2026, "2026-04-30T09:00:00+08:00", 3, "2026-05-08T09:00:00+08:00",
	  "Labour Day: May 1-5 off, May 6, 7, 8" },
	{ BERLIN, NO_TABLE, "2026-03-27T10:00:00+01:00", 1, "2026-03-30T10:00:00+02:00",
	  "across spring forward: same wall clock, 71 hours" },
	{ BERLIN, NO_TABLE, "2026-10-23T10:00:00+02:00", 1, "2026-10-26T10:00:00+01:00",
	  "across fall back: same wall clock, 73 hours" },
	{ BERLIN, BERLIN_SUNDAYS, "2026-03-27T02:30:00+01:00", 1, "2026-03-29T03:30:00+02:00",
	  "lands in the gap: moved forward" },
	{ BERLIN, BERLIN_SUNDAYS, "2026-10-25T02:30:00+01:00", 0, "2026-10-25T02:30:00+01:00",
	  "n = 0 in the second pass of the overlap: start itself, not the first pass" },
	{ BERLIN, BERLIN_SUNDAYS, "2026-10-23T02:30:00+02:00", 1, "2026-10-25T02:30:00+02:00",
	  "lands in the overlap: the earlier instant" },
};

static void test_business_days(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof business_cases / sizeof business_cases[0]; i++) {
		const struct business_case *c = &business_cases[i];
		int64_t got = 0;
		enum calendar_err rc;

		use_zone(c->zone);
		rc = calendar_add_business_days(table(c->table), at(c->start), c->n, &got);

		if (rc != CAL_OK || got != at(c->want))
			fail_msg("%s + %d (%s): %s %lld, want %s", c->start, c->n, c->why,
			         calendar_strerror(rc), (long long)got, c->want);
	}
}

/* Over two months around National Day, every 37 minutes: the answer is never
 * before start, never earlier than for an earlier start, lands on a business
 * day, and exactly n business days follow the anchor day. */
static void check_business_properties(const struct calendar_holidays *h, int n)
{
	int64_t t, prev = INT64_MIN;

	use_zone(SHANGHAI);
	for (t = at("2026-09-01T00:00:00Z"); t < at("2026-11-01T00:00:00Z"); t += 37 * 60) {
		struct calendar_local s, e;
		int64_t due, day;
		int count = 0;

		assert_int_equal(calendar_add_business_days(h, t, n, &due), CAL_OK);
		assert_true(due >= t && due >= prev);
		prev = due;
		assert_int_equal(calendar_to_local(t, &s), CAL_OK);
		assert_int_equal(calendar_to_local(due, &e), CAL_OK);
		assert_true(calendar_is_business_day(h, e.day_number));
		for (day = s.day_number + 1; day <= e.day_number; day++)
			count += calendar_is_business_day(h, day);
		/* Started on a non-business day: the anchor day itself is counted. */
		if (count != n + !calendar_is_business_day(h, s.day_number))
			fail_msg("n = %d from %lld: %d business days", n, (long long)t, count);
	}
}

static void test_business_day_properties(void **state)
{
	int n;

	(void)state;
	for (n = 0; n <= 4; n++)
		check_business_properties(table(CHINA_2026), n);
}

struct business_error_case {
	const char *start;
	int n;
	const struct calendar_day *days;
	size_t count;
	enum calendar_err want;
};

static const struct calendar_day unsorted[] = { { 20727, H }, { 20726, H } };
static const struct calendar_day duplicate[] = { { 20727, H }, { 20727, W } };
static const struct calendar_day bad_kind[] = { { 20727, CALENDAR_DAY_KIND__MAX } };

static const struct business_error_case business_errors[] = {
	{ "2026-09-30T10:00:00Z", -1, NULL, 0, CAL_ERR_RANGE },
	{ "2026-09-30T10:00:00Z", CALENDAR_MAX_BUSINESS_DAYS + 1, NULL, 0, CAL_ERR_RANGE },
	{ "9999-12-30T10:00:00Z", 5, NULL, 0, CAL_ERR_RANGE },
	{ "2026-09-30T10:00:00Z", 1, unsorted, 2, CAL_ERR_HOLIDAYS },
	{ "2026-09-30T10:00:00Z", 1, duplicate, 2, CAL_ERR_HOLIDAYS },
	{ "2026-09-30T10:00:00Z", 1, bad_kind, 1, CAL_ERR_HOLIDAYS },
	{ "2026-09-30T10:00:00Z", 1, NULL, 3, CAL_ERR_ARG },
	{ "2026-09-30T10:00:00Z", CALENDAR_MAX_BUSINESS_DAYS, NULL, 0, CAL_OK },
};

static void test_business_day_errors(void **state)
{
	size_t i;

	(void)state;
	use_zone(SHANGHAI);
	for (i = 0; i < sizeof business_errors / sizeof business_errors[0]; i++) {
		const struct business_error_case *c = &business_errors[i];
		struct calendar_holidays h = { c->days, c->count };
		int64_t out = 7;
		enum calendar_err rc = calendar_add_business_days(&h, at(c->start), c->n, &out);

		if (rc != c->want)
			fail_msg("case %zu: %s, want %s", i, calendar_strerror(rc),
			         calendar_strerror(c->want));
		if (rc != CAL_OK)
			assert_int_equal(out, 7);
	}
	assert_int_equal(calendar_add_business_days(NULL, 0, 1, NULL), CAL_ERR_ARG);
	assert_int_equal(calendar_add_business_days(NULL, CALENDAR_MAX_UTC + 1, 1, &(int64_t){ 0 }),
	                 CAL_ERR_RANGE);
}

struct is_business_case {
	int y, m, d;
	bool want;
	const char *why;
};

static const struct is_business_case is_business_cases[] = {
	{ 2026, 9, 30, true, "Wednesday" }, { 2026, 10, 1, false, "National Day (Thursday)" },
	{ 2026, 10, 3, false, "holiday on a Saturday" }, { 2026, 10, 10, true, "make-up Saturday" },
	{ 2026, 9, 20, true, "make-up Sunday" }, { 2026, 10, 11, false, "ordinary Sunday" },
	{ 2026, 10, 17, false, "ordinary Saturday" }, { 2026, 10, 8, true, "Thursday after" },
};

static void test_is_business_day(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(calendar_holidays_check(table(CHINA_2026)), CAL_OK);
	assert_int_equal(calendar_holidays_check(NULL), CAL_OK);
	for (i = 0; i < sizeof is_business_cases / sizeof is_business_cases[0]; i++) {
		const struct is_business_case *c = &is_business_cases[i];

		if (calendar_is_business_day(table(CHINA_2026), day_of(c->y, c->m, c->d)) != c->want)
			fail_msg("%d-%02d-%02d (%s)", c->y, c->m, c->d, c->why);
	}
	assert_false(calendar_is_business_day(NULL, day_of(2026, 10, 10)));
	assert_true(calendar_is_business_day(NULL, day_of(2026, 10, 1)));
}

/* ---- month bounds and plain days --------------------------------------------- */

struct month_case {
	enum test_zone zone;
	const char *instant;
	const char *start, *end;
};

static const struct month_case month_cases[] = {
	{ SHANGHAI, "2026-10-31T16:00:00Z", "2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00" },
	{ SHANGHAI, "2026-10-31T15:59:59Z", "2026-10-01T00:00:00+08:00", "2026-11-01T00:00:00+08:00" },
	{ SHANGHAI, "2026-09-30T16:00:00Z", "2026-10-01T00:00:00+08:00", "2026-11-01T00:00:00+08:00" },
	{ SHANGHAI, "2026-12-31T16:00:00Z", "2027-01-01T00:00:00+08:00", "2027-02-01T00:00:00+08:00" },
	{ SHANGHAI, "2026-12-31T15:59:59Z", "2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00" },
	{ SHANGHAI, "2028-02-15T00:00:00Z", "2028-02-01T00:00:00+08:00", "2028-03-01T00:00:00+08:00" },
	{ BERLIN, "2026-03-15T12:00:00Z", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00" },
	{ BERLIN, "2026-03-31T22:00:00Z", "2026-04-01T00:00:00+02:00", "2026-05-01T00:00:00+02:00" },
	{ BERLIN, "2026-10-31T22:59:59Z", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00" },
	{ NEW_YORK, "2026-11-01T03:59:59Z", "2026-10-01T00:00:00-04:00", "2026-11-01T00:00:00-04:00" },
	{ SYDNEY, "2026-09-30T14:00:00Z", "2026-10-01T00:00:00+10:00", "2026-11-01T00:00:00+11:00" },
};

static void test_month_bounds(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof month_cases / sizeof month_cases[0]; i++) {
		const struct month_case *c = &month_cases[i];
		int64_t start = 0, end = 0;

		use_zone(c->zone);
		assert_int_equal(calendar_month_bounds(at(c->instant), &start, &end), CAL_OK);
		if (start != at(c->start) || end != at(c->end))
			fail_msg("%s in %s: [%lld, %lld), want [%s, %s)", c->instant,
			         zone_names[c->zone], (long long)start, (long long)end, c->start, c->end);
		assert_true(start <= at(c->instant) && at(c->instant) < end);
	}
	/* December 9999 ends inside the range in Shanghai (16:00Z), after it in
	 * New York (05:00Z on 10000-01-01). */
	use_zone(SHANGHAI);
	assert_int_equal(calendar_month_bounds(at("9999-12-15T00:00:00Z"),
	                                       &(int64_t){ 0 }, &(int64_t){ 0 }), CAL_OK);
	use_zone(NEW_YORK);
	assert_int_equal(calendar_month_bounds(at("9999-12-15T00:00:00Z"),
	                                       &(int64_t){ 0 }, &(int64_t){ 0 }), CAL_ERR_RANGE);
	assert_int_equal(calendar_month_bounds(0, NULL, &(int64_t){ 0 }), CAL_ERR_ARG);
}

struct add_days_case {
	enum test_zone zone;
	const char *start;
	int n;
	const char *want;
};

static const struct add_days_case add_days_cases[] = {
	{ SHANGHAI, "2026-09-28T20:15:00+08:00", 5, "2026-10-03T20:15:00+08:00" },
	{ SHANGHAI, "2026-09-28T20:15:00+08:00", 0, "2026-09-28T20:15:00+08:00" },
	{ SHANGHAI, "2026-03-01T10:00:00+08:00", -1, "2026-02-28T10:00:00+08:00" },
	{ SHANGHAI, "2028-02-28T10:00:00+08:00", 30, "2028-03-29T10:00:00+08:00" },
	{ BERLIN, "2026-03-27T10:00:00+01:00", 5, "2026-04-01T10:00:00+02:00" },
	{ BERLIN, "2026-03-28T02:30:00+01:00", 1, "2026-03-29T03:30:00+02:00" },
	{ BERLIN, "2026-10-30T10:00:00+01:00", -7, "2026-10-23T10:00:00+02:00" },
};

static void test_add_days(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof add_days_cases / sizeof add_days_cases[0]; i++) {
		const struct add_days_case *c = &add_days_cases[i];
		int64_t got = 0;

		use_zone(c->zone);
		assert_int_equal(calendar_add_days(at(c->start), c->n, &got), CAL_OK);
		if (got != at(c->want))
			fail_msg("%s %+d: %lld, want %s", c->start, c->n, (long long)got, c->want);
	}
	use_zone(SHANGHAI);
	assert_int_equal(calendar_add_days(at("9999-12-30T00:00:00Z"), 2, &(int64_t){ 0 }),
	                 CAL_ERR_RANGE);
	assert_int_equal(calendar_add_days(0, 4000000, &(int64_t){ 0 }), CAL_ERR_RANGE);
	assert_int_equal(calendar_add_days(0, 1, NULL), CAL_ERR_ARG);
}

static void test_range_and_strerror(void **state)
{
	struct calendar_local l;
	int e;

	(void)state;
	use_zone(SHANGHAI);
	assert_int_equal(calendar_to_local(CALENDAR_MIN_UTC - 1, &l), CAL_ERR_RANGE);
	assert_int_equal(calendar_to_local(CALENDAR_MAX_UTC + 1, &l), CAL_ERR_RANGE);
	assert_int_equal(calendar_to_local(INT64_MIN, &l), CAL_ERR_RANGE);
	assert_int_equal(calendar_to_local(0, NULL), CAL_ERR_ARG);
	for (e = 0; e <= CAL_ERR__MAX; e++)
		assert_non_null(calendar_strerror((enum calendar_err)e));
	assert_string_equal(calendar_strerror(CAL_ERR_HOLIDAYS),
	                    "holiday table not strictly ascending or has a bad kind");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil_known_dates),
		cmocka_unit_test(test_civil_every_day),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test(test_day_kind_names),
		cmocka_unit_test(test_to_local),
		cmocka_unit_test(test_to_local_matches_glibc),
		cmocka_unit_test(test_from_local),
		cmocka_unit_test(test_local_round_trip),
		cmocka_unit_test(test_business_days),
		cmocka_unit_test(test_business_day_properties),
		cmocka_unit_test(test_business_day_errors),
		cmocka_unit_test(test_is_business_day),
		cmocka_unit_test(test_month_bounds),
		cmocka_unit_test(test_add_days),
		cmocka_unit_test(test_range_and_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, reset_zone);
}
