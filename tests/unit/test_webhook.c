/* test_webhook.c -- cmocka tests of fcgi/webhook.c: the Refundd-Signature
 * header against a vector computed elsewhere (Python's hmac and
 * `openssl dgst -sha256 -hmac` agree on it), the real retry schedule (1 s
 * doubling to 1 h, failed after 24 h) step by step, and the URL check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webhook.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const char secret[] = "whsec_refundd_test_secret_0123456789abcdef";
static const char body[] = "{\"id\":\"evt_1\",\"type\":\"refund.submitted\"}";

/* echo -n '1700000000.{"id":"evt_1","type":"refund.submitted"}' |
 *   openssl dgst -sha256 -hmac 'whsec_refundd_test_secret_0123456789abcdef' */
static void signature_vector(void **state)
{
	char out[WEBHOOK_SIGNATURE_MAX];

	(void)state;
	assert_true(webhook_sign((const unsigned char *)secret, strlen(secret), 1700000000,
	                         body, strlen(body), out, sizeof out));
	assert_string_equal(out, "t=1700000000,v1="
	                    "81289f38ef4e9a6de889cd3c05c1b1276264495b019407689d419c4a12af3a82");
	/* The time is signed too: a replayed body with a new t does not verify. */
	assert_true(webhook_sign((const unsigned char *)secret, strlen(secret), 1700000001,
	                         body, strlen(body), out, sizeof out));
	assert_string_equal(out, "t=1700000001,v1="
	                    "fe25e083436ecb9aff9ef76c209c43098989a0dac55ec4ab06069b7e814a5d0d");
}

static void signature_refusals(void **state)
{
	char small[WEBHOOK_SIGNATURE_MAX - 1], out[WEBHOOK_SIGNATURE_MAX];

	(void)state;
	assert_false(webhook_sign((const unsigned char *)secret, strlen(secret), 1, body,
	                          strlen(body), small, sizeof small));
	/* Another secret, another signature. */
	assert_true(webhook_sign((const unsigned char *)"other-secret-other-secret-other!", 32,
	                         1700000000, body, strlen(body), out, sizeof out));
	assert_string_not_equal(out, "t=1700000000,v1="
	                        "81289f38ef4e9a6de889cd3c05c1b1276264495b019407689d419c4a12af3a82");
}

static const struct webhook_schedule real = { 1000, 3600 * 1000, 86400 * 1000 };

static void schedule_doubles_to_the_cap(void **state)
{
	int64_t delay = 0;

	(void)state;
	for (int n = 1; n <= 12; n++) {
		assert_int_equal(webhook_next_attempt(&real, n, 0, &delay), WEBHOOK_RETRY);
		assert_int_equal(delay, (int64_t)1000 << (n - 1));   /* 1 s, 2 s, ... 2048 s */
	}
	for (int n = 13; n <= 1000; n += 97) {
		assert_int_equal(webhook_next_attempt(&real, n, 0, &delay), WEBHOOK_RETRY);
		assert_int_equal(delay, 3600 * 1000);                /* 4096 s capped at 1 h */
	}
	assert_int_equal(webhook_next_attempt(&real, 0, 0, &delay), WEBHOOK_GIVE_UP);
	assert_int_equal(webhook_next_attempt(&real, 1, -1, &delay), WEBHOOK_GIVE_UP);
}

/* Attempts back to back, each at the time the previous one set: the last
 * one comes when the 24 h are up (not up to an hour before, when the next
 * doubling would pass them), then the delivery has failed. */
static void schedule_gives_up_after_a_day(void **state)
{
	int64_t elapsed = 0, delay = 0;
	int failures = 0;

	(void)state;
	while (webhook_next_attempt(&real, failures + 1, elapsed, &delay) == WEBHOOK_RETRY) {
		failures++;
		elapsed += delay;
	}
	/* 1 + 2 + ... + 2048 s = 4095 s in 12 retries, then 22 of 1 h:
	 * 83295 s; then one shortened to 3105 s, the end of the window. */
	assert_int_equal(failures, 35);
	assert_int_equal(elapsed, (int64_t)86400 * 1000);
	/* The boundary: landing exactly on 24 h is tried as scheduled; a
	 * step that would pass it is cut short to land on it. */
	assert_int_equal(webhook_next_attempt(&real, 20, 86400000 - 3600000, &delay), WEBHOOK_RETRY);
	assert_int_equal(delay, 3600000);
	assert_int_equal(webhook_next_attempt(&real, 20, 86400000 - 3600000 + 1, &delay),
	                 WEBHOOK_RETRY);
	assert_int_equal(delay, 3600000 - 1);
	assert_int_equal(webhook_next_attempt(&real, 20, 86400000 - 1, &delay), WEBHOOK_RETRY);
	assert_int_equal(delay, 1);
	/* a failure at (or after) the end of the window is the last */
	assert_int_equal(webhook_next_attempt(&real, 20, 86400000, &delay), WEBHOOK_GIVE_UP);
	assert_int_equal(webhook_next_attempt(&real, 20, 86400000 + 5, &delay), WEBHOOK_GIVE_UP);
	assert_int_equal(webhook_next_attempt(&real, 1, 86400000, &delay), WEBHOOK_GIVE_UP);
}

static void urls(void **state)
{
	const char *good[] = { "https://portal.example.com/hooks/refundd", "http://127.0.0.1:8080/h",
	                       "https://p.example/h?x=1" };
	const char *bad[] = { "", "ftp://portal.example.com/", "file:///etc/passwd", "gopher://x",
	                      "https://", "http:///path", "https://a b/", "https://x/\"",
	                      "javascript:alert(1)", "HTTPS//x", "https://x/\x7f", "dict://x:11211/" };

	(void)state;
	for (size_t i = 0; i < COUNT(good); i++)
		if (!webhook_url_ok(good[i]))
			fail_msg("refused %s", good[i]);
	for (size_t i = 0; i < COUNT(bad); i++)
		if (webhook_url_ok(bad[i]))
			fail_msg("accepted %s", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signature_vector),
		cmocka_unit_test(signature_refusals),
		cmocka_unit_test(schedule_doubles_to_the_cap),
		cmocka_unit_test(schedule_gives_up_after_a_day),
		cmocka_unit_test(urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
