/* test_csv.c -- cmocka tests of fcgi/csv.c: RFC 4180 quoting, neutralised
 * spreadsheet formulas (OWASP CSV injection), row endings and growth of the
 * buffer. Every expected byte string is written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Checks the buffer against want (want_len bytes: a case may hold CR, LF,
 * TAB), that len agrees and that the data is NUL-terminated. */
static void expect_buf(const char *table, size_t row, const struct csv_buf *b,
                       const char *want, size_t want_len)
{
	if (b->failed)
		fail_msg("%s row %zu: buffer marked failed", table, row);
	if (want_len == 0 && b->len == 0)
		return;
	if (b->data == NULL)
		fail_msg("%s row %zu: no data, want %zu bytes", table, row, want_len);
	if (b->len != want_len || memcmp(b->data, want, want_len) != 0)
		fail_msg("%s row %zu: got [%.*s] (%zu bytes), want [%.*s] (%zu bytes)", table, row,
		         (int)b->len, b->data, b->len, (int)want_len, want, want_len);
	if (b->data[b->len] != '\0')
		fail_msg("%s row %zu: data not NUL-terminated", table, row);
	if (b->cap < b->len + 1)
		fail_msg("%s row %zu: cap %zu < len + 1 (%zu)", table, row, b->cap, b->len + 1);
}

#define S(literal) literal, sizeof(literal) - 1

/* One field alone in its row: how it is written. */
static void test_single_field(void **state)
{
	static const struct {
		const char *in;          /* NULL: a NULL field */
		const char *out;
		size_t      out_len;
	} cases[] = {
		/* plain text as it is */
		{ "plain", S("plain") },
		{ "DEMO-API-1", S("DEMO-API-1") },
		{ "12345", S("12345") },
		{ "100.00", S("100.00") },
		{ "with space", S("with space") },
		{ " leading space", S(" leading space") },
		{ "API 调用资源包 100 万次", S("API 调用资源包 100 万次") },
		{ "it's", S("it's") },
		{ "a;b|c", S("a;b|c") },
		/* empty and NULL: nothing */
		{ "", S("") },
		{ NULL, S("") },
		/* comma, quote, CR, LF: quoted, inner quotes doubled (RFC 4180 2.6, 2.7) */
		{ "a,b", S("\"a,b\"") },
		{ ",", S("\",\"") },
		{ "say \"hi\"", S("\"say \"\"hi\"\"\"") },
		{ "\"", S("\"\"\"\"") },
		{ "\"\"", S("\"\"\"\"\"\"") },
		{ "a\"b", S("\"a\"\"b\"") },
		{ "line1\nline2", S("\"line1\nline2\"") },
		{ "line1\r\nline2", S("\"line1\r\nline2\"") },
		{ "cr\ronly", S("\"cr\ronly\"") },
		{ "trailing\n", S("\"trailing\n\"") },
		{ "\n", S("\"\n\"") },
		{ "a,\"b\"\r\n", S("\"a,\"\"b\"\"\r\n\"") },
		/* a formula is shown as text: a leading apostrophe */
		{ "=1+2", S("'=1+2") },
		{ "=cmd", S("'=cmd") },
		{ "+1", S("'+1") },
		{ "-1", S("'-1") },
		{ "@SUM(A1:A9)", S("'@SUM(A1:A9)") },
		{ "\tx", S("'\tx") },
		{ "=", S("'=") },
		{ "-", S("'-") },
		{ "+", S("'+") },
		{ "@", S("'@") },
		{ "\t", S("'\t") },
		/* a formula that also needs quotes: the apostrophe goes inside them */
		{ "=HYPERLINK(\"http://x\")", S("\"'=HYPERLINK(\"\"http://x\"\")\"") },
		{ "=a,b", S("\"'=a,b\"") },
		{ "=1\n+2", S("\"'=1\n+2\"") },
		{ "\r=1", S("\"'\r=1\"") },
		{ "\r", S("\"'\r\"") },
		{ "@\"x\"", S("\"'@\"\"x\"\"\"") },
		{ "-2+3,4", S("\"'-2+3,4\"") },
		/* only the first character counts */
		{ "a=1", S("a=1") },
		{ "1-2", S("1-2") },
		{ "x@y.z", S("x@y.z") },
		{ " =1", S(" =1") },
		{ "'=1", S("'=1") },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct csv_buf b = { 0 };
		csv_field(&b, cases[i].in, 1);
		expect_buf("single_field", i, &b, cases[i].out, cases[i].out_len);
		free(b.data);
	}
}

/* Several fields and rows: separators, empty fields and CRLF endings. */
static void test_rows(void **state)
{
	enum { MAX_FIELDS = 6, MAX_ROWS = 3 };
	static const struct {
		int         rows;
		int         fields[MAX_ROWS];
		const char *in[MAX_ROWS][MAX_FIELDS];
		bool        null_at[MAX_ROWS][MAX_FIELDS];  /* the field is NULL */
		const char *out;
		size_t      out_len;
	} cases[] = {
		{ 1, { 3 }, { { "a", "b", "c" } }, { { 0 } }, S("a,b,c\r\n") },
		{ 1, { 1 }, { { "only" } }, { { 0 } }, S("only\r\n") },
		{ 1, { 0 }, { { 0 } }, { { 0 } }, S("\r\n") },
		{ 1, { 2 }, { { "", "" } }, { { 0 } }, S(",\r\n") },
		{ 1, { 3 }, { { "", "", "" } }, { { 0 } }, S(",,\r\n") },
		{ 1, { 3 }, { { "a", NULL, "c" } }, { { false, true, false } }, S("a,,c\r\n") },
		{ 1, { 3 }, { { NULL, NULL, NULL } }, { { true, true, true } }, S(",,\r\n") },
		{ 1, { 3 }, { { "", "x", "" } }, { { 0 } }, S(",x,\r\n") },
		{ 2, { 2, 2 }, { { "h1", "h2" }, { "v1", "v2" } }, { { 0 } },
		  S("h1,h2\r\nv1,v2\r\n") },
		{ 3, { 1, 1, 1 }, { { "a" }, { "" }, { "c" } }, { { 0 } }, S("a\r\n\r\nc\r\n") },
		{ 2, { 3, 3 }, { { "id", "name", "amount" }, { "7", "x,\"y\"", "-5.00" } }, { { 0 } },
		  S("id,name,amount\r\n7,\"x,\"\"y\"\"\",'-5.00\r\n") },
		{ 1, { 4 }, { { "=cmd", "a\nb", "+1", "@x" } }, { { 0 } },
		  S("'=cmd,\"a\nb\",'+1,'@x\r\n") },
		/* a whole payout line as the export writes it */
		{ 2, { 6, 6 },
		  { { "payout_id", "order_id", "account", "product_name", "amount", "expected_by" },
		    { "12", "ORD-1", "=cmd", "=HYPERLINK(\"x\")", "100.00", "2026-12-01T00:00:00Z" } },
		  { { 0 } },
		  S("payout_id,order_id,account,product_name,amount,expected_by\r\n"
		    "12,ORD-1,'=cmd,\"'=HYPERLINK(\"\"x\"\")\",100.00,2026-12-01T00:00:00Z\r\n") },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct csv_buf b = { 0 };
		for (int r = 0; r < cases[i].rows; r++) {
			for (int f = 0; f < cases[i].fields[r]; f++)
				csv_field(&b, cases[i].null_at[r][f] ? NULL : cases[i].in[r][f], f == 0);
			csv_end_row(&b);
		}
		expect_buf("rows", i, &b, cases[i].out, cases[i].out_len);
		free(b.data);
	}
}

/* first_in_row = 0 on the very first field still writes the separator:
 * the caller decides, the writer does not guess. */
static void test_separator_is_callers_choice(void **state)
{
	struct csv_buf b = { 0 };

	(void)state;
	csv_field(&b, "a", 0);
	csv_field(&b, "b", 1);
	csv_end_row(&b);
	expect_buf("separator", 0, &b, S(",ab\r\n"));
	free(b.data);
}

/* Many fields and rows: the buffer grows and keeps every byte in order. */
static void test_growth(void **state)
{
	static const struct {
		int    rows, fields;
		size_t field_len;
		char   fill;           /* the field's characters */
	} cases[] = {
		{ 1, 1, 1, 'x' },
		{ 1, 1, 255, 'x' },          /* around the first allocation */
		{ 1, 1, 256, 'x' },
		{ 1, 1, 257, 'x' },
		{ 1, 1, 100000, 'y' },
		{ 1, 5000, 7, 'a' },
		{ 2000, 10, 13, 'z' },
		{ 300, 3, 40, '"' },         /* every byte doubled, all quoted */
		{ 50, 4, 1000, ',' },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		char *field = malloc(cases[i].field_len + 1);
		assert_non_null(field);
		memset(field, cases[i].fill, cases[i].field_len);
		field[cases[i].field_len] = '\0';

		/* The expected field as written, built by the rule by hand. */
		bool quote = cases[i].fill == '"' || cases[i].fill == ',';
		size_t inner = cases[i].fill == '"' ? 2 * cases[i].field_len : cases[i].field_len;
		size_t written = inner + (quote ? 2 : 0);
		size_t row_len = cases[i].fields * written + (cases[i].fields - 1) + 2;
		size_t total = row_len * cases[i].rows;

		struct csv_buf b = { 0 };
		for (int r = 0; r < cases[i].rows; r++) {
			for (int f = 0; f < cases[i].fields; f++)
				csv_field(&b, field, f == 0);
			csv_end_row(&b);
		}
		if (b.failed)
			fail_msg("growth row %zu: failed", i);
		if (b.len != total)
			fail_msg("growth row %zu: len %zu, want %zu", i, b.len, total);
		if (b.cap < b.len + 1 || b.data[b.len] != '\0' || strlen(b.data) != b.len)
			fail_msg("growth row %zu: cap %zu, len %zu, not a C string", i, b.cap, b.len);
		/* walk the whole buffer */
		const char *p = b.data;
		for (int r = 0; r < cases[i].rows; r++) {
			for (int f = 0; f < cases[i].fields; f++) {
				if (f > 0 && *p++ != ',')
					fail_msg("growth row %zu: no separator at %d/%d", i, r, f);
				if (quote && *p++ != '"')
					fail_msg("growth row %zu: no opening quote at %d/%d", i, r, f);
				for (size_t k = 0; k < inner; k++)
					if (*p++ != cases[i].fill)
						fail_msg("growth row %zu: byte %zu of %d/%d", i, k, r, f);
				if (quote && *p++ != '"')
					fail_msg("growth row %zu: no closing quote at %d/%d", i, r, f);
			}
			if (p[0] != '\r' || p[1] != '\n')
				fail_msg("growth row %zu: row %d does not end with CRLF", i, r);
			p += 2;
		}
		assert_ptr_equal(p, b.data + b.len);
		free(b.data);
		free(field);
	}
}

/* A buffer that failed (out of memory) drops everything after. */
static void test_failed_buffer_drops(void **state)
{
	struct csv_buf b = { 0 };

	(void)state;
	csv_field(&b, "kept", 1);
	b.failed = 1;
	csv_field(&b, "dropped", 0);
	csv_end_row(&b);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "kept", 5);
	free(b.data);

	struct csv_buf none = { .failed = 1 };
	csv_field(&none, "x", 1);
	csv_end_row(&none);
	assert_null(none.data);
	assert_int_equal(none.len, 0);
}

/* Bytes outside ASCII and control characters other than CR/LF/TAB pass
 * through unchanged (the export is UTF-8). */
static void test_bytes_pass_through(void **state)
{
	static const struct {
		const char *in;
		const char *out;
		size_t      out_len;
	} cases[] = {
		{ "\xe9\x80\x80\xe6\xac\xbe", S("\xe9\x80\x80\xe6\xac\xbe") },
		{ "\x01\x02", S("\x01\x02") },
		{ "a\tb", S("a\tb") },
		{ "\xef\xbc\x9d" "1", S("\xef\xbc\x9d" "1") },   /* fullwidth '=' is text already */
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct csv_buf b = { 0 };
		csv_field(&b, cases[i].in, 1);
		expect_buf("bytes", i, &b, cases[i].out, cases[i].out_len);
		free(b.data);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_field),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_separator_is_callers_choice),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_failed_buffer_drops),
		cmocka_unit_test(test_bytes_pass_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
