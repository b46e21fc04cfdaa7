/* test_metrics.c -- cmocka tests for fcgi/metrics.c: the histogram a
 * scrape renders is valid exposition while workers keep observing.
 * Regression: the count was a counter of its own, read before the
 * buckets, so a request observed between the two reads was in le="5" but
 * not in le="+Inf" (a Prometheus server refuses such a histogram). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "metrics.h"
#include "router.h"

static const struct route routes[] = {
	{ "GET", "/api/v1/health", NULL, 0, 0, NULL },
};

struct load {
	struct metrics *m;
	atomic_bool     stop;
};

static void *observe_forever(void *arg)
{
	struct load *l = arg;
	int64_t us = 0;

	while (!atomic_load(&l->stop))
		metrics_observe(l->m, 0, 200, (us = (us + 777) % 7000000));
	return NULL;
}

/* The value of the sample line that starts with prefix, or -1. */
static long long sample(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);
	return p ? atoll(p + strlen(prefix)) : -1;
}

/* Every bucket at most the next, +Inf equal to _count. */
static void check_histogram(const char *text)
{
	static const char *const le[] = { "0.001", "0.005", "0.01", "0.025", "0.05", "0.1",
	                                  "0.25", "0.5", "1", "5", "+Inf" };
	char prefix[160];
	long long prev = 0, v = 0;

	for (size_t i = 0; i < sizeof le / sizeof le[0]; i++) {
		snprintf(prefix, sizeof prefix, "refundd_request_duration_seconds_bucket{method=\"GET\","
		         "route=\"/api/v1/health\",le=\"%s\"} ", le[i]);
		v = sample(text, prefix);
		if (v < prev)
			fail_msg("le=%s is %lld, below the bucket before it (%lld)", le[i], v, prev);
		prev = v;
	}
	long long count = sample(text, "refundd_request_duration_seconds_count{method=\"GET\","
	                                "route=\"/api/v1/health\"} ");
	if (count != v)
		fail_msg("_count %lld, le=+Inf %lld", count, v);
}

static void test_histogram_under_load(void **state)
{
	struct load l = { metrics_new(1), false };
	pthread_t t[2];

	(void)state;
	assert_non_null(l.m);
	metrics_observe(l.m, 0, 200, 100);   /* so that every scrape has a histogram */
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, observe_forever, &l), 0);
	for (int scrape = 0; scrape < 3000; scrape++) {
		char *text = metrics_render(l.m, routes, NULL);
		assert_non_null(text);
		check_histogram(text);
		free(text);
	}
	atomic_store(&l.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	metrics_free(l.m);
}

/* Past the largest bound (5 s) a request is counted in +Inf only. */
static void test_histogram_overflow(void **state)
{
	struct metrics *m = metrics_new(1);
	char *text;

	(void)state;
	metrics_observe(m, 0, 200, 500);
	metrics_observe(m, 0, 503, 9000000);
	text = metrics_render(m, routes, NULL);
	assert_non_null(text);
	assert_int_equal(sample(text, "le=\"5\"} "), 1);
	assert_int_equal(sample(text, "le=\"+Inf\"} "), 2);
	assert_int_equal(sample(text, "refundd_request_duration_seconds_count{method=\"GET\","
	                              "route=\"/api/v1/health\"} "), 2);
	free(text);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_histogram_overflow),
		cmocka_unit_test(test_histogram_under_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
