/* test_tzfile.c -- tzfile.c against the real zoneinfo database and against
 * hand-built TZif bytes: names refused, missing zones, offsets either side
 * of DST changes, the POSIX footer rule, malformed files.
 *
 * glibc's localtime_r is used here (and only here) as an independent
 * oracle; the module itself never touches TZ. Needs tzdata installed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tzfile.h"

#define HOUR 3600

static void load_or_fail(struct tz_zone *zone, const char *name)
{
	char err[256] = "";

	if (tz_load(zone, name, err, sizeof err) != TZ_OK)
		fail_msg("cannot load %s: %s (is tzdata installed?)", name, err);
}

/* ---- names ------------------------------------------------------------- */

static const char *const bad_names[] = {
	"", "/etc/passwd", "../etc/passwd", "Asia/../../etc/passwd", "Asia/..",
	"..", ".", "./UTC", "Asia/.Shanghai", "Asia//Shanghai", "Asia/", "/",
	"Asia/Shang hai", "Asia/Shanghai\n", "Asia\\Shanghai", "Europe/Berlin;rm",
	"Asia/Shanghai%00", "UTC\x7f", "\xe4\xb8\x8a\xe6\xb5\xb7", "Europe/Berlin.tab",
	"A234567890123456789012345678901234567890123456789012345678901234", /* 64 */
};

static const char *const good_names[] = {
	"Asia/Shanghai", "Europe/Berlin", "UTC", "Etc/GMT+5", "Etc/GMT-14",
	"America/Argentina/Buenos_Aires", "America/Port-au-Prince",
	"A23456789012345678901234567890123456789012345678901234567890123", /* 63 */
};

static void test_bad_names_refused(void **state)
{
	struct tz_zone zone;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		err[0] = '\0';
		if (tz_name_check(bad_names[i]) != TZ_ERR_NAME)
			fail_msg("name #%zu accepted by tz_name_check", i);
		if (tz_load(&zone, bad_names[i], err, sizeof err) != TZ_ERR_NAME)
			fail_msg("name #%zu accepted by tz_load", i);
		assert_int_equal(zone.transition_count, 0);
		assert_null(zone.transition_at);
		assert_non_null(strstr(err, "invalid time zone name"));
		tz_free(&zone);
	}
	assert_int_equal(tz_name_check(NULL), TZ_ERR_ARG);
}

static void test_good_names_pass_check(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good_names / sizeof good_names[0]; i++)
		if (tz_name_check(good_names[i]) != TZ_OK)
			fail_msg("%s refused", good_names[i]);
}

/* ---- missing zones ------------------------------------------------------- */

struct missing_case {
	const char *name;
	enum tz_err want;
	const char *err_has;
};

static const struct missing_case missing_cases[] = {
	{ "Mars/Olympus_Mons", TZ_ERR_NOT_FOUND, "unknown time zone \"Mars/Olympus_Mons\"" },
	{ "Asia/Shanghai/Pudong", TZ_ERR_NOT_FOUND, "unknown time zone" },   /* ENOTDIR */
	{ "Asia", TZ_ERR_NOT_FOUND, "is not a zone file" },                 /* a directory */
};

static void test_missing_zone(void **state)
{
	struct tz_zone zone;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof missing_cases / sizeof missing_cases[0]; i++) {
		const struct missing_case *c = &missing_cases[i];

		err[0] = '\0';
		assert_int_equal(tz_load(&zone, c->name, err, sizeof err), c->want);
		if (strstr(err, c->err_has) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", c->name, err, c->err_has);
		assert_int_equal(zone.transition_count, 0);
		tz_free(&zone);
	}
}

static void test_load_arguments(void **state)
{
	struct tz_zone zone;

	(void)state;
	assert_int_equal(tz_load(NULL, "UTC", NULL, 0), TZ_ERR_ARG);
	assert_int_equal(tz_load(&zone, NULL, NULL, 0), TZ_ERR_ARG);
	assert_int_equal(tz_load_dir(&zone, NULL, "UTC", NULL, 0), TZ_ERR_ARG);
	/* A NULL error buffer is allowed. */
	assert_int_equal(tz_load(&zone, "Nowhere/Land", NULL, 0), TZ_ERR_NOT_FOUND);
	tz_free(&zone);
	tz_free(NULL);
}

/* A file in a zoneinfo directory that is not a TZif file. */
static void test_not_a_zone_file(void **state)
{
	char dir[] = "/tmp/test_tzfile.XXXXXX", path[128], err[256] = "";
	struct tz_zone zone;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/Junk", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a time zone file, it is just long enough to be read\n", f);
	fclose(f);
	assert_int_equal(tz_load_dir(&zone, dir, "Junk", err, sizeof err), TZ_ERR_FORMAT);
	assert_non_null(strstr(err, "TZif"));
	f = fopen(path, "w");     /* now empty */
	assert_non_null(f);
	fclose(f);
	assert_int_equal(tz_load_dir(&zone, dir, "Junk", err, sizeof err), TZ_ERR_FORMAT);
	unlink(path);
	rmdir(dir);
}

/* ---- offsets from the real database ------------------------------------------ */

struct offset_case {
	const char *zone;
	int64_t     utc;
	int32_t     offset;
	const char *what;
};

static const struct offset_case offset_cases[] = {
	{ "Europe/Berlin", 1774746000 - 1, 1 * HOUR, "2026-03-29 00:59:59Z, last second of CET" },
	{ "Europe/Berlin", 1774746000, 2 * HOUR, "2026-03-29 01:00:00Z, first second of CEST" },
	{ "Europe/Berlin", 1792890000 - 1, 2 * HOUR, "2026-10-25 00:59:59Z, last second of CEST" },
	{ "Europe/Berlin", 1792890000, 1 * HOUR, "2026-10-25 01:00:00Z, back to CET" },
	{ "Europe/Berlin", 2224713600, 2 * HOUR, "2040-07-01, from the footer rule" },
	{ "Europe/Berlin", 2208988800, 1 * HOUR, "2040-01-01, from the footer rule" },
	{ "Europe/Berlin", -2524521600, 3208, "1890, local mean time before 1893" },
	{ "America/New_York", 1772953200 - 1, -5 * HOUR, "2026-03-08 06:59:59Z EST" },
	{ "America/New_York", 1772953200, -4 * HOUR, "2026-03-08 07:00:00Z EDT" },
	{ "America/New_York", 1793512800 - 1, -4 * HOUR, "2026-11-01 05:59:59Z EDT" },
	{ "America/New_York", 1793512800, -5 * HOUR, "2026-11-01 06:00:00Z EST" },
	{ "Australia/Sydney", 1775318400 - 1, 11 * HOUR, "2026-04-04 15:59:59Z AEDT" },
	{ "Australia/Sydney", 1775318400, 10 * HOUR, "2026-04-04 16:00:00Z AEST" },
	{ "Australia/Sydney", 1791043200 - 1, 10 * HOUR, "2026-10-03 15:59:59Z AEST" },
	{ "Australia/Sydney", 1791043200, 11 * HOUR, "2026-10-03 16:00:00Z AEDT" },
	{ "Asia/Shanghai", 577216800 - 1, 8 * HOUR, "1988-04-16 17:59:59Z CST" },
	{ "Asia/Shanghai", 577216800, 9 * HOUR, "1988-04-16 18:00:00Z CDT (China had DST 1986-91)" },
	{ "Asia/Shanghai", 589914000 - 1, 9 * HOUR, "1988-09-10 16:59:59Z CDT" },
	{ "Asia/Shanghai", 589914000, 8 * HOUR, "1988-09-10 17:00:00Z CST" },
	{ "Asia/Shanghai", 1774746000, 8 * HOUR, "2026, no DST" },
	{ "Asia/Shanghai", 2224713600, 8 * HOUR, "2040, footer CST-8" },
	{ "Asia/Kolkata", 1774746000, 19800, "2026, +05:30" },
	{ "UTC", 1774746000, 0, "UTC" },
};

static void test_offsets_either_side_of_changes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof offset_cases / sizeof offset_cases[0]; i++) {
		const struct offset_case *c = &offset_cases[i];
		struct tz_zone zone;
		int32_t got;

		load_or_fail(&zone, c->zone);
		got = tz_offset_at(&zone, c->utc);
		tz_free(&zone);
		if (got != c->offset)
			fail_msg("%s %s: offset %d, want %d", c->zone, c->what, got, c->offset);
	}
}

/* Every few hours over two centuries, against glibc's reading of the same
 * files: catches off-by-one searches and footer rule slips in any zone. */
static const char *const oracle_zones[] = {
	"Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Sydney",
	"America/Sao_Paulo", "Pacific/Auckland", "Europe/London", "America/Nuuk",
	"Asia/Tehran", "Africa/Casablanca", "Pacific/Apia", "Asia/Kolkata",
	"Europe/Dublin", "Pacific/Chatham", "Australia/Lord_Howe",
};

static int32_t glibc_offset(int64_t utc)
{
	time_t t = (time_t)utc;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		fail_msg("localtime_r failed");
	return (int32_t)tm.tm_gmtoff;
}

static void check_instant(const struct tz_zone *zone, int64_t t)
{
	int32_t want = glibc_offset(t), got = tz_offset_at(zone, t);

	if (got != want)
		fail_msg("%s at %lld: offset %d, glibc %d", zone->name, (long long)t, got, want);
}

static void check_zone_against_glibc(const char *name)
{
	struct tz_zone zone;
	int64_t t;
	size_t i;

	load_or_fail(&zone, name);
	setenv("TZ", name, 1);
	tzset();
	/* 1902..2099 with a step that drifts through every time of day */
	for (t = -2145916800; t < INT64_C(4102444800); t += 251 * HOUR + 13 * 60 + 7)
		check_instant(&zone, t);
	/* and exactly either side of every listed transition */
	for (i = 0; i < zone.transition_count; i++) {
		if (zone.transition_at[i] < -2145916800)
			continue;
		check_instant(&zone, zone.transition_at[i] - 1);
		check_instant(&zone, zone.transition_at[i]);
	}
	tz_free(&zone);
}

static void test_offsets_match_glibc(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof oracle_zones / sizeof oracle_zones[0]; i++)
		check_zone_against_glibc(oracle_zones[i]);
	unsetenv("TZ");
}

/* A zone that has only the footer rule (as a "slim" file would after its last
 * listed transition) must agree with the full file. */
static void test_footer_alone_matches_file(void **state)
{
	static const char *const zones[] = { "Europe/Berlin", "America/New_York", "Australia/Sydney" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		struct tz_zone file, rule_only;
		int64_t t;

		load_or_fail(&file, zones[i]);
		assert_true(file.rule.present);
		memset(&rule_only, 0, sizeof rule_only);
		rule_only.rule = file.rule;
		for (t = 1262304000; t < 2114380800; t += 7 * HOUR + 1)   /* 2010 .. 2037 */
			if (tz_offset_at(&file, t) != tz_offset_at(&rule_only, t))
				fail_msg("%s at %lld: footer alone disagrees", zones[i], (long long)t);
		tz_free(&file);
	}
}

/* ---- POSIX TZ strings ------------------------------------------------------- */

struct posix_case {
	const char *text;
	enum tz_err want;
	bool        present, has_dst;
	int32_t     std_offset, dst_offset;
	struct tz_rule_date start, end;
};

#define MWD(m, w, d, t) { TZ_RULE_MONTH_WEEK, 0, m, w, d, t }
#define JUL1(n, t)      { TZ_RULE_JULIAN_1, n, 0, 0, 0, t }
#define JUL0(n, t)      { TZ_RULE_JULIAN_0, n, 0, 0, 0, t }
#define BAD(s)          { s, TZ_ERR_FORMAT, false, false, 0, 0, MWD(0, 0, 0, 0), MWD(0, 0, 0, 0) }

static const struct posix_case posix_cases[] = {
	{ "", TZ_OK, false, false, 0, 0, MWD(0, 0, 0, 0), MWD(0, 0, 0, 0) },
	{ "CST-8", TZ_OK, true, false, 8 * HOUR, 0, MWD(0, 0, 0, 0), MWD(0, 0, 0, 0) },
	{ "UTC0", TZ_OK, true, false, 0, 0, MWD(0, 0, 0, 0), MWD(0, 0, 0, 0) },
	{ "<+0530>-5:30", TZ_OK, true, false, 19800, 0, MWD(0, 0, 0, 0), MWD(0, 0, 0, 0) },
	{ "<-03>3", TZ_OK, true, false, -3 * HOUR, 0, MWD(0, 0, 0, 0), MWD(0, 0, 0, 0) },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", TZ_OK, true, true, HOUR, 2 * HOUR,
	  MWD(3, 5, 0, 2 * HOUR), MWD(10, 5, 0, 3 * HOUR) },
	{ "EST5EDT,M3.2.0,M11.1.0", TZ_OK, true, true, -5 * HOUR, -4 * HOUR,
	  MWD(3, 2, 0, 2 * HOUR), MWD(11, 1, 0, 2 * HOUR) },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", TZ_OK, true, true, 10 * HOUR, 11 * HOUR,
	  MWD(10, 1, 0, 2 * HOUR), MWD(4, 1, 0, 3 * HOUR) },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", TZ_OK, true, true, -2 * HOUR, -1 * HOUR,
	  MWD(3, 5, 0, -1 * HOUR), MWD(10, 5, 0, 0) },
	{ "IST-2IDT,M3.4.4/26,M10.5.0", TZ_OK, true, true, 2 * HOUR, 3 * HOUR,
	  MWD(3, 4, 4, 26 * HOUR), MWD(10, 5, 0, 2 * HOUR) },
	{ "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", TZ_OK, true, true, 45900, 49500,
	  MWD(9, 5, 0, 9900), MWD(4, 1, 0, 13500) },
	{ "EST5EDT4,0/0,J365/25", TZ_OK, true, true, -5 * HOUR, -4 * HOUR,
	  JUL0(0, 0), JUL1(365, 25 * HOUR) },
	{ "XXX3YYY,J60/1:30:15,300", TZ_OK, true, true, -3 * HOUR, -2 * HOUR,
	  JUL1(60, 5415), JUL0(300, 2 * HOUR) },
	BAD("CET"), BAD("C-1"), BAD("CET-1CEST"), BAD("CET-1CEST,M3.5.0"),
	BAD("CET-1CEST,M13.5.0,M10.5.0"), BAD("CET-1CEST,M3.6.0,M10.5.0"),
	BAD("CET-1CEST,M3.5.7,M10.5.0"), BAD("CET-25"), BAD("CET-1:60"),
	BAD("CET-1CEST,M3.5.0/168,M10.5.0"), BAD("CET-1CEST,J0,J365"),
	BAD("CET-1CEST,366,J365"), BAD("CET-1 "), BAD("CST-8x"), BAD("<+08-8"),
	BAD("<+8>-8"), BAD("CET-1CEST,M3.5.0,M10.5.0/3,"), BAD("CET--1"), BAD("CET-0001"),
};

static void check_rule_date(const char *text, const struct tz_rule_date *got,
                            const struct tz_rule_date *want)
{
	if (got->kind != want->kind || got->day != want->day || got->month != want->month ||
	    got->week != want->week || got->weekday != want->weekday || got->time != want->time)
		fail_msg("\"%s\": rule date {%d %d %d.%d.%d /%d}, want {%d %d %d.%d.%d /%d}", text,
		         got->kind, got->day, got->month, got->week, got->weekday, got->time,
		         want->kind, want->day, want->month, want->week, want->weekday, want->time);
}

static void test_posix_strings(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof posix_cases / sizeof posix_cases[0]; i++) {
		const struct posix_case *c = &posix_cases[i];
		struct tz_posix_rule r;
		enum tz_err rc = tz_parse_posix(c->text, &r);

		if (rc != c->want)
			fail_msg("\"%s\": %s, want %s", c->text, tz_strerror(rc), tz_strerror(c->want));
		if (rc != TZ_OK)
			continue;
		if (r.present != c->present || r.has_dst != c->has_dst ||
		    r.std_offset != c->std_offset || (c->has_dst && r.dst_offset != c->dst_offset))
			fail_msg("\"%s\": std %d dst %d", c->text, r.std_offset, r.dst_offset);
		if (c->has_dst) {
			check_rule_date(c->text, &r.dst_start, &c->start);
			check_rule_date(c->text, &r.dst_end, &c->end);
		}
	}
	assert_int_equal(tz_parse_posix(NULL, NULL), TZ_ERR_ARG);
}

/* The footer rule in effect: southern hemisphere, negative rule times,
 * "all year DST" (RFC 8536 §3.3.1 example) and a week-5 "last" rule in a
 * month where the fifth Sunday exists and in one where it does not. */
struct rule_case {
	const char *text;
	int64_t     utc;
	int32_t     offset;
	const char *what;
};

static const struct rule_case rule_cases[] = {
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1774746000 - 1, HOUR, "Berlin 2026 before spring" },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1774746000, 2 * HOUR, "Berlin 2026 after spring" },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", 1792890000, HOUR, "Berlin 2026 after fall" },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", 1767225600, 11 * HOUR, "Sydney 2026-01-01 in DST" },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", 1775318400, 10 * HOUR, "Sydney April change" },
	{ "AEST-10AEDT,M10.1.0,M4.1.0/3", 1791043200, 11 * HOUR, "Sydney October change" },
	/* Nuuk: last Sunday of March at 01:00 UTC = -01:00 local standard */
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1774746000 - 1, -2 * HOUR, "Nuuk before" },
	{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1774746000, -1 * HOUR, "Nuuk after" },
	{ "EST5EDT4,0/0,J365/25", 1767225600, -4 * HOUR, "DST all year, January" },
	{ "EST5EDT4,0/0,J365/25", 1782864000, -4 * HOUR, "DST all year, July" },
	/* "M5.5.1" is the last Monday of May: May 2026 has only four, so the
	 * change falls on the 4th one, May 25, not in June. */
	{ "AAA0BBB,M5.5.1/0,M11.1.0/0", 1779667200 - 1, 0, "2026-05-24 23:59:59, before" },
	{ "AAA0BBB,M5.5.1/0,M11.1.0/0", 1779667200, HOUR, "2026-05-25, last Monday" },
	/* "Jn" never counts February 29, so J60 is March 1 even in 2028; the
	 * zero-based "n" does count it, so 59 is February 29 in 2028. */
	{ "AAA0BBB,J60/0,J300/0", 1835438400, 0, "2028-02-29 12:00, J60 not yet" },
	{ "AAA0BBB,J60/0,J300/0", 1835481600, HOUR, "2028-03-01, J60" },
	{ "AAA0BBB,59/0,300/0", 1835395200 - 1, 0, "2028-02-28 23:59:59, before day 59" },
	{ "AAA0BBB,59/0,300/0", 1835395200, HOUR, "2028-02-29, day 59" },
};

static void test_footer_rule_offsets(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rule_cases / sizeof rule_cases[0]; i++) {
		const struct rule_case *c = &rule_cases[i];
		struct tz_zone zone;
		int32_t got;

		memset(&zone, 0, sizeof zone);
		assert_int_equal(tz_parse_posix(c->text, &zone.rule), TZ_OK);
		got = tz_offset_at(&zone, c->utc);
		if (got != c->offset)
			fail_msg("%s (%s): %d, want %d", c->what, c->text, got, c->offset);
	}
}

/* ---- hand-built TZif files -------------------------------------------------------- */

struct tzif_spec {
	char           version;     /* 0 for v1, else '2', '3' */
	int            ntimes;
	int64_t        times[4];
	unsigned char  index[4];
	int            ntypes;
	int32_t        utoff[3];
	unsigned char  isdst[3];
	uint32_t       leapcnt;
	int            isutcnt;     /* -1: same as ntypes */
	const char    *footer;      /* NULL: none written (v1, or a broken v2) */
};

struct out_buf {
	unsigned char bytes[1024];
	size_t        len;
};

static void put(struct out_buf *b, const void *p, size_t n)
{
	assert_true(b->len + n <= sizeof b->bytes);
	memcpy(b->bytes + b->len, p, n);
	b->len += n;
}

static void put_be(struct out_buf *b, uint64_t v, size_t size)
{
	unsigned char tmp[8];
	size_t i;

	for (i = 0; i < size; i++)
		tmp[i] = (unsigned char)(v >> (8 * (size - 1 - i)));
	put(b, tmp, size);
}

static void put_header(struct out_buf *b, const struct tzif_spec *s)
{
	static const unsigned char zero[15];
	uint32_t isutcnt = s->isutcnt < 0 ? (uint32_t)s->ntypes : (uint32_t)s->isutcnt;

	put(b, "TZif", 4);
	put(b, &s->version, 1);
	put(b, zero, 15);
	put_be(b, isutcnt, 4);
	put_be(b, (uint32_t)s->ntypes, 4);  /* isstdcnt */
	put_be(b, s->leapcnt, 4);
	put_be(b, (uint32_t)s->ntimes, 4);
	put_be(b, (uint32_t)s->ntypes, 4);
	put_be(b, 4, 4);                    /* charcnt: "XYZ\0" */
}

static void put_block(struct out_buf *b, const struct tzif_spec *s, size_t time_size)
{
	uint32_t isutcnt = s->isutcnt < 0 ? (uint32_t)s->ntypes : (uint32_t)s->isutcnt;
	int i;

	for (i = 0; i < s->ntimes; i++)
		put_be(b, (uint64_t)s->times[i], time_size);
	put(b, s->index, (size_t)s->ntimes);
	for (i = 0; i < s->ntypes; i++) {
		put_be(b, (uint32_t)s->utoff[i], 4);
		put(b, &s->isdst[i], 1);
		put(b, "\0", 1);
	}
	put(b, "XYZ", 4);
	for (i = 0; i < (int)s->leapcnt; i++) {
		put_be(b, 0, time_size);    /* occurrence */
		put_be(b, 0, 4);            /* correction */
	}
	for (i = 0; i < s->ntypes; i++)
		put(b, "\0", 1);
	for (i = 0; i < (int)isutcnt; i++)
		put(b, "\0", 1);
}

static void build_tzif(struct out_buf *b, const struct tzif_spec *s)
{
	b->len = 0;
	put_header(b, s);
	put_block(b, s, 4);
	if (s->version == 0)
		return;
	put_header(b, s);
	put_block(b, s, 8);
	if (s->footer != NULL) {
		put(b, "\n", 1);
		put(b, s->footer, strlen(s->footer));
		put(b, "\n", 1);
	}
}

/* A v2 zone: +1 h until 2000, +2 h after, footer "<+02>-2". */
#define GOOD_V2 { '2', 1, { 946684800 }, { 1 }, 2, { HOUR, 2 * HOUR }, { 0, 0 }, 0, -1, "<+02>-2" }

struct tzif_case {
	const char      *what;
	struct tzif_spec spec;
	enum tz_err      want;
};

static const struct tzif_case tzif_cases[] = {
	{ "valid v2", GOOD_V2, TZ_OK },
	{ "valid v3, empty footer", { '3', 1, { 946684800 }, { 1 }, 2, { HOUR, 2 * HOUR },
	  { 0, 0 }, 0, -1, "" }, TZ_OK },
	{ "valid v1", { 0, 2, { 0, 946684800 }, { 1, 0 }, 2, { HOUR, 2 * HOUR }, { 0, 1 },
	  0, -1, NULL }, TZ_OK },
	{ "no types", { '2', 0, { 0 }, { 0 }, 0, { 0 }, { 0 }, 0, 0, "" }, TZ_ERR_FORMAT },
	{ "index out of range", { '2', 1, { 0 }, { 2 }, 2, { 0, HOUR }, { 0, 0 }, 0, -1, "" },
	  TZ_ERR_FORMAT },
	{ "times not ascending", { '2', 2, { 100, 100 }, { 0, 1 }, 2, { 0, HOUR }, { 0, 0 },
	  0, -1, "" }, TZ_ERR_FORMAT },
	{ "offset of 26 h", { '2', 0, { 0 }, { 0 }, 1, { 26 * HOUR }, { 0 }, 0, -1, "" },
	  TZ_ERR_FORMAT },
	{ "isdst not 0/1", { '2', 0, { 0 }, { 0 }, 1, { 0 }, { 2 }, 0, -1, "" }, TZ_ERR_FORMAT },
	{ "isutcnt mismatch", { '2', 0, { 0 }, { 0 }, 2, { 0, 0 }, { 0, 0 }, 0, 1, "" },
	  TZ_ERR_FORMAT },
	{ "leap seconds", { '2', 0, { 0 }, { 0 }, 1, { 0 }, { 0 }, 1, -1, "" },
	  TZ_ERR_UNSUPPORTED },
	{ "bad footer", { '2', 0, { 0 }, { 0 }, 1, { 0 }, { 0 }, 0, -1, "CET-1CEST" },
	  TZ_ERR_FORMAT },
	{ "no footer", { '2', 0, { 0 }, { 0 }, 1, { 0 }, { 0 }, 0, -1, NULL }, TZ_ERR_FORMAT },
};

static void test_tzif_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof tzif_cases / sizeof tzif_cases[0]; i++) {
		const struct tzif_case *c = &tzif_cases[i];
		struct out_buf b;
		struct tz_zone zone;
		char err[256] = "";
		enum tz_err rc;

		build_tzif(&b, &c->spec);
		rc = tz_parse(&zone, "Test/Zone", b.bytes, b.len, err, sizeof err);
		if (rc != c->want)
			fail_msg("%s: %s (%s), want %s", c->what, tz_strerror(rc), err,
			         tz_strerror(c->want));
		if (rc != TZ_OK)
			assert_null(zone.transition_at);
		else
			assert_true(err[0] == '\0');
		tz_free(&zone);
	}
}

static void test_tzif_lookups(void **state)
{
	const struct tzif_spec v2 = GOOD_V2;
	const struct tzif_spec v1 = { 0, 2, { 0, 946684800 }, { 1, 0 }, 2, { HOUR, 2 * HOUR },
	                              { 0, 1 }, 0, -1, NULL };
	struct out_buf b;
	struct tz_zone zone;

	(void)state;
	build_tzif(&b, &v2);
	assert_int_equal(tz_parse(&zone, "Test/V2", b.bytes, b.len, NULL, 0), TZ_OK);
	assert_string_equal(zone.name, "Test/V2");
	assert_int_equal(zone.transition_count, 1);
	assert_int_equal(tz_offset_at(&zone, 946684799), HOUR);      /* type 0 before */
	assert_int_equal(tz_offset_at(&zone, 946684800), 2 * HOUR);
	assert_int_equal(tz_offset_at(&zone, INT64_MAX), 2 * HOUR);  /* footer, clamped */
	assert_int_equal(tz_offset_at(&zone, INT64_MIN), HOUR);
	tz_free(&zone);

	build_tzif(&b, &v1);
	assert_int_equal(tz_parse(&zone, "Test/V1", b.bytes, b.len, NULL, 0), TZ_OK);
	assert_int_equal(tz_offset_at(&zone, -1), HOUR);
	assert_int_equal(tz_offset_at(&zone, 0), 2 * HOUR);
	assert_int_equal(tz_offset_at(&zone, 946684800), HOUR);
	assert_int_equal(tz_offset_at(&zone, INT64_MAX), HOUR);      /* v1: last offset holds */
	tz_free(&zone);
}

/* Every strict prefix of a valid file is refused without reading past it
 * (run under ASan/valgrind), and so is a wrong magic number. */
static void test_tzif_truncated_and_bad_magic(void **state)
{
	const struct tzif_spec v2 = GOOD_V2;
	struct out_buf b;
	struct tz_zone zone;
	size_t len;

	(void)state;
	build_tzif(&b, &v2);
	for (len = 0; len < b.len; len++) {
		unsigned char *copy = malloc(len ? len : 1);

		assert_non_null(copy);
		memcpy(copy, b.bytes, len);
		if (tz_parse(&zone, "T", copy, len, NULL, 0) == TZ_OK)
			fail_msg("prefix of %zu bytes accepted", len);
		free(copy);
	}
	b.bytes[0] = 'X';
	assert_int_equal(tz_parse(&zone, "T", b.bytes, b.len, NULL, 0), TZ_ERR_FORMAT);
	assert_int_equal(tz_parse(&zone, "T", NULL, 0, NULL, 0), TZ_ERR_ARG);
	assert_int_equal(tz_parse(NULL, "T", b.bytes, b.len, NULL, 0), TZ_ERR_ARG);
}

/* ---- small things ------------------------------------------------------------------ */

static void test_fixed_zone(void **state)
{
	struct tz_zone zone;

	(void)state;
	assert_int_equal(tz_fixed(&zone, "UTC+8", 8 * HOUR), TZ_OK);
	assert_string_equal(zone.name, "UTC+8");
	assert_int_equal(tz_offset_at(&zone, 0), 8 * HOUR);
	assert_int_equal(tz_offset_at(&zone, INT64_MIN), 8 * HOUR);
	tz_free(&zone);
	assert_int_equal(tz_fixed(&zone, "x", 26 * HOUR), TZ_ERR_ARG);
	assert_int_equal(tz_fixed(&zone, "x", -26 * HOUR), TZ_ERR_ARG);
	assert_int_equal(tz_fixed(NULL, "x", 0), TZ_ERR_ARG);
}

static void test_strerror_total(void **state)
{
	int e;

	(void)state;
	for (e = 0; e <= TZ_ERR__MAX + 1; e++)
		assert_non_null(tz_strerror((enum tz_err)e));
	assert_string_equal(tz_strerror(TZ_ERR_NAME), "invalid time zone name");
	assert_string_equal(tz_strerror((enum tz_err)999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names_refused),
		cmocka_unit_test(test_good_names_pass_check),
		cmocka_unit_test(test_missing_zone),
		cmocka_unit_test(test_load_arguments),
		cmocka_unit_test(test_not_a_zone_file),
		cmocka_unit_test(test_offsets_either_side_of_changes),
		cmocka_unit_test(test_offsets_match_glibc),
		cmocka_unit_test(test_footer_alone_matches_file),
		cmocka_unit_test(test_posix_strings),
		cmocka_unit_test(test_footer_rule_offsets),
		cmocka_unit_test(test_tzif_table),
		cmocka_unit_test(test_tzif_lookups),
		cmocka_unit_test(test_tzif_truncated_and_bad_magic),
		cmocka_unit_test(test_fixed_zone),
		cmocka_unit_test(test_strerror_total),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
