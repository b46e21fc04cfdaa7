/* test_money.c -- cmocka tests of fcgi/money.c: currency exponents, strict
 * parsing, formatting, checked arithmetic and the rounding rule, each a
 * table of cases whose expected values are written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "money.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* A value no case expects: shows that a failing call left *out alone. */
#define UNTOUCHED INT64_C(0x5a5a5a5a5a5a5a5a)

/* These fail naming the table and row, so a broken case is found at once. */
static void expect_err(const char *table, size_t row, enum money_err got,
                       enum money_err want)
{
	if (got != want)
		fail_msg("%s row %zu: got %s, want %s", table, row,
		         money_err_code(got), money_err_code(want));
}

static void expect_i64(const char *table, size_t row, int64_t got, int64_t want)
{
	if (got != want)
		fail_msg("%s row %zu: got %lld, want %lld", table, row,
		         (long long)got, (long long)want);
}

static void expect_str(const char *table, size_t row, const char *got,
                       const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s row %zu: got \"%s\", want \"%s\"", table, row, got, want);
}

static void test_currency_exponent(void **state)
{
	static const struct {
		const char    *currency;
		enum money_err err;
		int            exponent;
	} cases[] = {
		{ "CNY", MONEY_OK, 2 },
		{ "USD", MONEY_OK, 2 },
		{ "EUR", MONEY_OK, 2 },
		{ "HKD", MONEY_OK, 2 },
		{ "JPY", MONEY_OK, 0 },
		{ "KRW", MONEY_OK, 0 },
		{ "KWD", MONEY_OK, 3 },
		{ "BHD", MONEY_OK, 3 },
		{ "cny", MONEY_UNKNOWN_CURRENCY, -1 },
		{ "CNY ", MONEY_UNKNOWN_CURRENCY, -1 },
		{ "CN", MONEY_UNKNOWN_CURRENCY, -1 },
		{ "XXX", MONEY_UNKNOWN_CURRENCY, -1 },
		{ "", MONEY_UNKNOWN_CURRENCY, -1 },
		{ NULL, MONEY_UNKNOWN_CURRENCY, -1 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		int exponent = -1;

		expect_err("exponent", i, money_currency_exponent(cases[i].currency, &exponent),
		           cases[i].err);
		expect_i64("exponent", i, exponent, cases[i].exponent);
	}
}

static const struct parse_case {
	const char    *text;
	const char    *currency;
	enum money_err err;
	int64_t        amount;   /* UNTOUCHED when err != MONEY_OK */
} parse_cases[] = {
	{ "123.45", "CNY", MONEY_OK, 12345 },
	{ "0", "CNY", MONEY_OK, 0 },
	{ "0.5", "CNY", MONEY_OK, 50 },
	{ "0.05", "CNY", MONEY_OK, 5 },
	{ "1.2", "CNY", MONEY_OK, 120 },
	{ "100", "CNY", MONEY_OK, 10000 },
	{ "-0.05", "CNY", MONEY_OK, -5 },
	{ "-12.30", "CNY", MONEY_OK, -1230 },
	{ "-0", "CNY", MONEY_OK, 0 },
	{ "1000", "JPY", MONEY_OK, 1000 },
	{ "1.234", "KWD", MONEY_OK, 1234 },
	{ "0.001", "BHD", MONEY_OK, 1 },
	{ "2.5", "KWD", MONEY_OK, 2500 },
	/* more decimals than the currency has, even zeros */
	{ "1.234", "CNY", MONEY_TOO_PRECISE, UNTOUCHED },
	{ "1.230", "CNY", MONEY_TOO_PRECISE, UNTOUCHED },
	{ "1.5", "JPY", MONEY_TOO_PRECISE, UNTOUCHED },
	{ "1000.0", "JPY", MONEY_TOO_PRECISE, UNTOUCHED },
	{ "1.2345", "KWD", MONEY_TOO_PRECISE, UNTOUCHED },
	/* the edges of int64_t */
	{ "92233720368547758.07", "CNY", MONEY_OK, INT64_MAX },
	{ "92233720368547758.08", "CNY", MONEY_OVERFLOW, UNTOUCHED },
	{ "-92233720368547758.08", "CNY", MONEY_OK, INT64_MIN },
	{ "-92233720368547758.09", "CNY", MONEY_OVERFLOW, UNTOUCHED },
	{ "92233720368547758", "CNY", MONEY_OK, INT64_C(9223372036854775800) },
	{ "92233720368547759", "CNY", MONEY_OVERFLOW, UNTOUCHED },
	{ "9223372036854775807", "JPY", MONEY_OK, INT64_MAX },
	{ "9223372036854775808", "JPY", MONEY_OVERFLOW, UNTOUCHED },
	{ "-9223372036854775808", "JPY", MONEY_OK, INT64_MIN },
	{ "-9223372036854775809", "JPY", MONEY_OVERFLOW, UNTOUCHED },
	{ "99999999999999999999999999", "CNY", MONEY_OVERFLOW, UNTOUCHED },
	/* not the grammar */
	{ "", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "-", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "+1", "CNY", MONEY_INVALID, UNTOUCHED },
	{ " 1", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "1 ", "CNY", MONEY_INVALID, UNTOUCHED },
	{ ".5", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "5.", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "1e3", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "1E3", "JPY", MONEY_INVALID, UNTOUCHED },
	{ "1.5e1", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "0x10", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "1,000", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "1_000", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "--1", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "-+1", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "1.2.3", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "1.-5", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "01", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "00.5", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "-01", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "NaN", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "inf", "CNY", MONEY_INVALID, UNTOUCHED },
	{ "\xef\xbc\x91", "CNY", MONEY_INVALID, UNTOUCHED },  /* fullwidth digit one */
	{ "1\n", "CNY", MONEY_INVALID, UNTOUCHED },
	{ NULL, "CNY", MONEY_INVALID, UNTOUCHED },
	/* the currency is checked first */
	{ "1.00", "XYZ", MONEY_UNKNOWN_CURRENCY, UNTOUCHED },
	{ "1.00", "cny", MONEY_UNKNOWN_CURRENCY, UNTOUCHED },
	{ "1.00", NULL, MONEY_UNKNOWN_CURRENCY, UNTOUCHED },
	{ "abc", "XYZ", MONEY_UNKNOWN_CURRENCY, UNTOUCHED },
};

/* The list GET /api/v1/config serves: every currency once, each with the
 * exponent money_currency_exponent answers, and the list ends. */
static void test_currency_list(void **state)
{
	const char *code, *seen[64];
	int exponent, looked_up;
	size_t n = 0;

	(void)state;
	while (money_currency_at(n, &code, &exponent)) {
		assert_true(n < sizeof seen / sizeof seen[0]);
		for (size_t j = 0; j < n; j++)
			if (strcmp(seen[j], code) == 0)
				fail_msg("%s listed twice", code);
		expect_err("list", n, money_currency_exponent(code, &looked_up), MONEY_OK);
		expect_i64("list", n, exponent, looked_up);
		seen[n++] = code;
	}
	assert_true(n >= 21);   /* the ISO 4217 table of money.c */
	assert_false(money_currency_at(n, &code, &exponent));
	assert_false(money_currency_at(n + 1000, &code, &exponent));
}

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		int64_t out = UNTOUCHED;

		expect_err("parse", i, money_parse(c->text, c->currency, &out), c->err);
		expect_i64("parse", i, out, c->amount);
	}
}

/* Lengths let a JSON string carry an embedded NUL; it is not a digit. */
static void test_parse_n(void **state)
{
	static const struct {
		const char    *text;
		size_t         len;
		enum money_err err;
		int64_t        amount;
	} cases[] = {
		{ "1\0.5", 4, MONEY_INVALID, UNTOUCHED },
		{ "1.5\0", 4, MONEY_INVALID, UNTOUCHED },
		{ "\0", 1, MONEY_INVALID, UNTOUCHED },
		{ "12", 1, MONEY_OK, 100 },
		{ "1.50xyz", 4, MONEY_OK, 150 },
		{ "1.50", 0, MONEY_INVALID, UNTOUCHED },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		int64_t out = UNTOUCHED;

		expect_err("parse_n", i, money_parse_n(cases[i].text, cases[i].len, "CNY", &out),
		           cases[i].err);
		expect_i64("parse_n", i, out, cases[i].amount);
	}
}

static void test_format(void **state)
{
	static const struct {
		int64_t        amount;
		const char    *currency;
		enum money_err err;
		const char    *text;
	} cases[] = {
		{ 12345, "CNY", MONEY_OK, "123.45" },
		{ 0, "CNY", MONEY_OK, "0.00" },
		{ 5, "CNY", MONEY_OK, "0.05" },
		{ 100, "CNY", MONEY_OK, "1.00" },
		{ -5, "CNY", MONEY_OK, "-0.05" },
		{ -12345, "USD", MONEY_OK, "-123.45" },
		{ INT64_MAX, "CNY", MONEY_OK, "92233720368547758.07" },
		{ INT64_MIN, "CNY", MONEY_OK, "-92233720368547758.08" },
		{ 1234, "JPY", MONEY_OK, "1234" },
		{ -1, "JPY", MONEY_OK, "-1" },
		{ INT64_MIN, "JPY", MONEY_OK, "-9223372036854775808" },
		{ 1234, "KWD", MONEY_OK, "1.234" },
		{ 1, "BHD", MONEY_OK, "0.001" },
		{ -1, "BHD", MONEY_OK, "-0.001" },
		{ 100, "XXX", MONEY_UNKNOWN_CURRENCY, "" },
		{ 100, NULL, MONEY_UNKNOWN_CURRENCY, "" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		char buf[MONEY_FORMAT_SIZE];

		memset(buf, 'x', sizeof buf);
		expect_err("format", i,
		           money_format(cases[i].amount, cases[i].currency, buf, sizeof buf),
		           cases[i].err);
		expect_str("format", i, buf, cases[i].text);
	}
}

static void test_format_buffer(void **state)
{
	static const struct {
		size_t         size;
		enum money_err err;
		const char    *text;
	} cases[] = {
		{ 7, MONEY_OK, "123.45" },               /* six characters and the NUL */
		{ 6, MONEY_BUFFER_TOO_SMALL, "" },
		{ 1, MONEY_BUFFER_TOO_SMALL, "" },
	};
	char buf[8];

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		memset(buf, 'x', sizeof buf);
		expect_err("format buffer", i, money_format(12345, "CNY", buf, cases[i].size),
		           cases[i].err);
		expect_str("format buffer", i, buf, cases[i].text);
	}
	memset(buf, 'x', sizeof buf);
	assert_int_equal(money_format(12345, "CNY", buf, 0), MONEY_BUFFER_TOO_SMALL);
	assert_int_equal(buf[0], 'x');   /* size 0: not one byte written */
	assert_int_equal(money_format(12345, "CNY", NULL, 8), MONEY_INVALID);
}

/* Whatever money_format writes, money_parse reads back to the same amount. */
static void test_format_parse_round_trip(void **state)
{
	static const int64_t amounts[] = {
		0, 1, -1, 9, 10, 99, 100, 101, 12345, -12345, 1000000,
		INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
	};
	static const char *const currencies[] = { "CNY", "JPY", "KWD" };
	(void)state;
	for (size_t c = 0; c < COUNT(currencies); c++) {
		for (size_t i = 0; i < COUNT(amounts); i++) {
			char buf[MONEY_FORMAT_SIZE];
			int64_t back = UNTOUCHED;

			expect_err(currencies[c], i,
			           money_format(amounts[i], currencies[c], buf, sizeof buf), MONEY_OK);
			expect_err(currencies[c], i, money_parse(buf, currencies[c], &back), MONEY_OK);
			expect_i64(currencies[c], i, back, amounts[i]);
		}
	}
}

enum arith_op { OP_ADD, OP_SUB };

static void test_add_sub(void **state)
{
	static const struct {
		enum arith_op  op;
		int64_t        a, b;
		enum money_err err;
		int64_t        result;
	} cases[] = {
		{ OP_ADD, 1, 2, MONEY_OK, 3 },
		{ OP_ADD, -5, 3, MONEY_OK, -2 },
		{ OP_ADD, INT64_MAX, 0, MONEY_OK, INT64_MAX },
		{ OP_ADD, INT64_MAX, 1, MONEY_OVERFLOW, UNTOUCHED },
		{ OP_ADD, INT64_MAX - 10, 11, MONEY_OVERFLOW, UNTOUCHED },
		{ OP_ADD, INT64_MIN, -1, MONEY_OVERFLOW, UNTOUCHED },
		{ OP_ADD, INT64_MIN, INT64_MAX, MONEY_OK, -1 },
		{ OP_SUB, 5, 3, MONEY_OK, 2 },
		{ OP_SUB, 3, 5, MONEY_OK, -2 },
		{ OP_SUB, INT64_MIN, 1, MONEY_OVERFLOW, UNTOUCHED },
		{ OP_SUB, 0, INT64_MIN, MONEY_OVERFLOW, UNTOUCHED },
		{ OP_SUB, INT64_MAX, -1, MONEY_OVERFLOW, UNTOUCHED },
		{ OP_SUB, -1, INT64_MAX, MONEY_OK, INT64_MIN },
		{ OP_SUB, INT64_MAX, INT64_MAX, MONEY_OK, 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		int64_t out = UNTOUCHED;
		enum money_err err = cases[i].op == OP_ADD
		    ? money_add(cases[i].a, cases[i].b, &out)
		    : money_sub(cases[i].a, cases[i].b, &out);

		expect_err("add/sub", i, err, cases[i].err);
		expect_i64("add/sub", i, out, cases[i].result);
	}
}

static void test_mul_div(void **state)
{
	static const struct {
		int64_t        amount, num, den;
		enum money_err err;
		int64_t        result;
	} cases[] = {
		{ 100, 1, 3, MONEY_OK, 33 },                   /* 33.33 down */
		{ 200, 2, 3, MONEY_OK, 133 },                  /* 133.33 down */
		{ 100, 2, 3, MONEY_OK, 66 },                   /* 66.67 down, not up */
		{ 120000, 265, 365, MONEY_OK, 87123 },         /* 87123.29 */
		{ 10, 3, 3, MONEY_OK, 10 },
		{ 7, 0, 5, MONEY_OK, 0 },
		/* negatives truncate toward zero: f(-x) == -f(x) */
		{ -100, 1, 3, MONEY_OK, -33 },
		{ 100, -1, 3, MONEY_OK, -33 },
		{ -7, 1, 2, MONEY_OK, -3 },
		{ -100, -2, 3, MONEY_OK, 66 },
		/* the 128-bit product does not overflow on the way */
		{ INT64_MAX, INT64_MAX, INT64_MAX, MONEY_OK, INT64_MAX },
		{ INT64_MAX, 2, 3, MONEY_OK, INT64_C(6148914691236517204) },
		{ INT64_MIN, 1, 1, MONEY_OK, INT64_MIN },
		{ INT64_MIN, 3, 3, MONEY_OK, INT64_MIN },
		/* but a result outside int64_t is an error, never a wrap */
		{ INT64_MAX, 3, 2, MONEY_OVERFLOW, UNTOUCHED },
		{ INT64_MAX, 2, 1, MONEY_OVERFLOW, UNTOUCHED },
		{ INT64_MIN, -1, 1, MONEY_OVERFLOW, UNTOUCHED },
		{ 1, 1, 0, MONEY_DIVIDE_BY_ZERO, UNTOUCHED },
		{ 1, 1, -1, MONEY_INVALID, UNTOUCHED },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		int64_t out = UNTOUCHED;

		expect_err("mul_div", i,
		           money_mul_div(cases[i].amount, cases[i].num, cases[i].den, &out),
		           cases[i].err);
		expect_i64("mul_div", i, out, cases[i].result);
	}
}

static void test_bps(void **state)
{
	static const struct {
		int64_t        amount, bps;
		enum money_err err;
		int64_t        result;
	} cases[] = {
		{ 10000, 500, MONEY_OK, 500 },
		{ 12345, 250, MONEY_OK, 308 },                 /* 308.625 down */
		{ 31250, 500, MONEY_OK, 1562 },                /* 1562.5 down */
		{ 1, 9999, MONEY_OK, 0 },
		{ 100, 10000, MONEY_OK, 100 },
		{ 100, 0, MONEY_OK, 0 },
		{ -12345, 250, MONEY_OK, -308 },
		{ INT64_MAX, 10000, MONEY_OK, INT64_MAX },
		{ INT64_MAX, 5000, MONEY_OK, INT64_C(4611686018427387903) },
		{ 100, -1, MONEY_INVALID, UNTOUCHED },
		{ 100, 10001, MONEY_INVALID, UNTOUCHED },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		int64_t out = UNTOUCHED;

		expect_err("bps", i, money_bps(cases[i].amount, cases[i].bps, &out), cases[i].err);
		expect_i64("bps", i, out, cases[i].result);
	}
}

static void test_err_codes(void **state)
{
	static const char *const expected[MONEY_ERR__MAX] = {
		"ok", "overflow", "invalid", "too_precise", "unknown_currency",
		"divide_by_zero", "buffer_too_small",
	};
	(void)state;
	for (unsigned i = 0; i < MONEY_ERR__MAX; i++)
		assert_string_equal(money_err_code((enum money_err)i), expected[i]);
	assert_string_equal(money_err_code(MONEY_ERR__MAX), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_currency_exponent),
		cmocka_unit_test(test_currency_list),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_n),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_buffer),
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_add_sub),
		cmocka_unit_test(test_mul_div),
		cmocka_unit_test(test_bps),
		cmocka_unit_test(test_err_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
