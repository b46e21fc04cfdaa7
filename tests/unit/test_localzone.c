/* test_localzone.c -- app.timezone becoming the process's TZ: names refused
 * before any file is looked at, zones glibc would quietly replace by UTC (or
 * read as a POSIX rule) refused, non-zone files and leap-second zones
 * refused, TZ untouched by a refusal, and a good zone really in effect for
 * localtime_r afterwards. Needs tzdata installed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "localzone.h"

static const char *const bad_names[] = {
	"", "/etc/passwd", "../etc/passwd", "Asia/../../etc/passwd", "Asia/..",
	"..", ".", "./UTC", "Asia/.Shanghai", "Asia//Shanghai", "Asia/", "/",
	"/usr/share/zoneinfo/UTC", ":UTC", "Asia/Shang hai", "Asia/Shanghai\n",
	"Asia\\Shanghai", "Europe/Berlin;rm", "Asia/Shanghai%00", "UTC\x7f",
	"\xe4\xb8\x8a\xe6\xb5\xb7", "Europe/Berlin.tab", "CET-1CEST,M3.5.0,M10.5.0/3",
	"A234567890123456789012345678901234567890123456789012345678901234", /* 64 */
};

static const char *const good_names[] = {
	"Asia/Shanghai", "Europe/Berlin", "UTC", "Etc/GMT+5", "Etc/GMT-14",
	"America/Argentina/Buenos_Aires", "America/Port-au-Prince", "XYZ3",
	"A23456789012345678901234567890123456789012345678901234567890123", /* 63 */
};

/* The offset localtime_r answers at t in the current TZ. */
static long offset_at(time_t t)
{
	struct tm tm;

	assert_non_null(localtime_r(&t, &tm));
	return tm.tm_gmtoff;
}

/* Sets a known zone first, so that a refusal can be seen to leave it. */
static void start_in_berlin(void)
{
	char err[256];

	if (localzone_set("Europe/Berlin", err, sizeof err) != 0)
		fail_msg("Europe/Berlin: %s (is tzdata installed?)", err);
}

static void assert_still_berlin(const char *after)
{
	const char *tz = getenv("TZ");

	if (tz == NULL || strcmp(tz, ":" LOCALZONE_DIR "/Europe/Berlin") != 0)
		fail_msg("TZ changed to \"%s\" by refusing \"%s\"", tz ? tz : "(unset)", after);
	assert_int_equal(offset_at(1783000000), 7200);   /* 2026-07-02, CEST */
}

static void test_bad_names_refused(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	start_in_berlin();
	for (i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		err[0] = '\0';
		if (localzone_name_ok(bad_names[i]))
			fail_msg("name #%zu accepted by localzone_name_ok", i);
		if (localzone_set(bad_names[i], err, sizeof err) != -1)
			fail_msg("name #%zu accepted by localzone_set", i);
		if (strstr(err, "is not a time zone name") == NULL)
			fail_msg("name #%zu: error \"%s\"", i, err);
		assert_still_berlin(bad_names[i]);
	}
	assert_false(localzone_name_ok(NULL));
	assert_int_equal(localzone_set(NULL, NULL, 0), -1);   /* a NULL buffer is allowed */
}

static void test_good_names_pass_check(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good_names / sizeof good_names[0]; i++)
		if (!localzone_name_ok(good_names[i]))
			fail_msg("%s refused", good_names[i]);
}

struct refused_case {
	const char *name;
	const char *err_has;
	const char *why;
};

static const struct refused_case refused_cases[] = {
	{ "Mars/Olympus", "unknown time zone \"Mars/Olympus\"", "glibc: UTC" },
	{ "Asia/shanghai", "unknown time zone", "glibc: UTC (names are case-sensitive)" },
	{ "XYZ3", "unknown time zone", "glibc: a POSIX rule, UTC-3" },
	{ "Asia/Shanghai/Pudong", "unknown time zone", "ENOTDIR" },
	{ "Asia", "is not a zone file", "a directory" },
	{ "leapseconds", "no TZif magic", "a text file in the zoneinfo directory" },
	{ "right/UTC", "leap-second zones are not supported", "counts leap seconds" },
};

static void test_unusable_zones_refused(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	start_in_berlin();
	for (i = 0; i < sizeof refused_cases / sizeof refused_cases[0]; i++) {
		const struct refused_case *c = &refused_cases[i];

		err[0] = '\0';
		if (localzone_set(c->name, err, sizeof err) != -1)
			fail_msg("%s (%s) accepted", c->name, c->why);
		if (strstr(err, c->err_has) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", c->name, err, c->err_has);
		assert_still_berlin(c->name);
	}
	assert_int_equal(localzone_set("Nowhere/Land", NULL, 0), -1);
}

struct offset_case {
	const char *zone;
	time_t at;
	long offset;
};

static const struct offset_case offset_cases[] = {
	{ "Asia/Shanghai", 1790000000, 8 * 3600 },     /* 2026-09-21 */
	{ "Europe/Berlin", 1767225600, 3600 },         /* 2026-01-01, CET */
	{ "Europe/Berlin", 1783000000, 7200 },         /* CEST */
	{ "America/New_York", 1783000000, -4 * 3600 }, /* EDT */
	{ "UTC", 1783000000, 0 },
	{ "Etc/GMT+5", 1783000000, -5 * 3600 },        /* POSIX sign: west */
	{ "Asia/Kolkata", 1783000000, 5 * 3600 + 1800 },
	{ "Asia/Shanghai", 1790000000, 8 * 3600 },     /* back from the others */
};

/* Each zone in turn is what localtime_r answers in afterwards. */
static void test_zone_in_effect(void **state)
{
	char err[256], want_tz[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof offset_cases / sizeof offset_cases[0]; i++) {
		const struct offset_case *c = &offset_cases[i];

		if (localzone_set(c->zone, err, sizeof err) != 0)
			fail_msg("%s: %s", c->zone, err);
		snprintf(want_tz, sizeof want_tz, ":%s/%s", LOCALZONE_DIR, c->zone);
		assert_string_equal(getenv("TZ"), want_tz);
		if (offset_at(c->at) != c->offset)
			fail_msg("%s at %lld: %ld, want %ld", c->zone, (long long)c->at,
			         offset_at(c->at), c->offset);
	}
}

static int reset_zone(void **state)
{
	(void)state;
	unsetenv("TZ");
	tzset();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names_refused),
		cmocka_unit_test(test_good_names_pass_check),
		cmocka_unit_test(test_unusable_zones_refused),
		cmocka_unit_test(test_zone_in_effect),
	};

	return cmocka_run_group_tests(tests, NULL, reset_zone);
}
