/* test_statement.c -- cmocka tests of the statement reader
 * (fcgi/statement.c): the column setting, BOM, CRLF, quoting, exact
 * amounts, invalid lines with their numbers, and broken files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "money.h"
#include "statement.h"

static struct statement_columns cols(const char *spec)
{
	struct statement_columns c;
	assert_int_equal(statement_columns_parse(spec, &c), STATEMENT_OK);
	return c;
}

static enum statement_err parse(const char *text, const char *spec, struct statement *st)
{
	struct statement_columns c = cols(spec);
	return statement_parse(text, strlen(text), &c, "CNY", st);
}

static void test_columns(void **state)
{
	(void)state;
	struct statement_columns c;

	c = cols(" ref = InstanceId ,amount=RefundAmount, fee=Fee , date=RefundDate");
	assert_string_equal(c.ref, "InstanceId");
	assert_string_equal(c.amount, "RefundAmount");
	assert_string_equal(c.fee, "Fee");
	assert_string_equal(c.date, "RefundDate");
	c = cols(STATEMENT_DEFAULT_COLUMNS);
	assert_string_equal(c.ref, "ref");
	c = cols("amount=a, ref=r");
	assert_string_equal(c.fee, "");
	assert_int_equal(statement_columns_parse("ref=a", &c), STATEMENT_BAD_COLUMNS);
	assert_int_equal(statement_columns_parse("ref=a, amount=b, ref=c", &c), STATEMENT_BAD_COLUMNS);
	assert_int_equal(statement_columns_parse("ref=a, amount=b, colour=c", &c), STATEMENT_BAD_COLUMNS);
	assert_int_equal(statement_columns_parse("ref=a, amount", &c), STATEMENT_BAD_COLUMNS);
	assert_int_equal(statement_columns_parse("", &c), STATEMENT_BAD_COLUMNS);
}

static void test_lines(void **state)
{
	(void)state;
	struct statement st;
	const char *text =
		"\xEF\xBB\xBF" "Date,InstanceId,RefundAmount,Fee,Note\r\n"
		"2026-12-01,i-abc,1000.00,0,\"ok, fine\"\r\n"
		"\r\n"
		"2026-12-01,i-def,123.45,1.5,\"two\r\nlines\"\r\n"
		"2026-12-02,,5.00,0,no ref\r\n"
		"2026-12-02,i-x,12.345,0,too precise\r\n"
		"2026-12-02,i-y,-1.00,0,negative\r\n"
		"2026-12-02,i-z,1e3,0,float\r\n"
		"02/12/2026,i-w,1.00,0,date\r\n"
		"2026-12-03,i-v,0.10,abc,fee";

	assert_int_equal(parse(text, "ref=InstanceId, amount=RefundAmount, fee=Fee, date=Date", &st),
	                 STATEMENT_OK);
	assert_int_equal(st.n, 8);
	assert_int_equal(st.lines[0].line, 2);
	assert_string_equal(st.lines[0].ref, "i-abc");
	assert_int_equal(st.lines[0].amount, 100000);
	assert_int_equal(st.lines[0].err, STATEMENT_LINE_OK);
	/* The blank line 3 is skipped; the record on lines 4-5 is line 4,
	 * where it starts. */
	assert_int_equal(st.lines[1].line, 4);
	assert_int_equal(st.lines[1].amount, 12345);
	assert_int_equal(st.lines[1].fee, 150);
	assert_int_equal(st.lines[2].err, STATEMENT_LINE_MISSING_REF);
	assert_int_equal(st.lines[2].line, 6);
	assert_int_equal(st.lines[3].err, STATEMENT_LINE_BAD_AMOUNT);
	assert_int_equal(st.lines[4].err, STATEMENT_LINE_BAD_AMOUNT);
	assert_int_equal(st.lines[5].err, STATEMENT_LINE_BAD_AMOUNT);
	assert_int_equal(st.lines[6].err, STATEMENT_LINE_BAD_DATE);
	assert_int_equal(st.lines[7].err, STATEMENT_LINE_BAD_FEE);
	assert_int_equal(st.lines[7].line, 11);
	statement_free(&st);
}

/* A provider's bill export: a hundred columns, the reference past the
 * 64th, a description longer than a field may be in a column not read,
 * padded cells. Regression: only 64 columns were kept (the reference was
 * "missing"), and a long field anywhere made the line invalid. */
static void test_wide_export(void **state)
{
	(void)state;
	struct statement st;
	char *text = malloc(16384), *p = text;
	const char *end = text + 16384;

	assert_non_null(text);
	for (int i = 0; i < 100; i++)   /* header: Col0..Col99, then ours at 100, 101 */
		p += snprintf(p, (size_t)(end - p), "Col%d,", i);
	p += snprintf(p, (size_t)(end - p), "ResourceId,RefundAmount\r\n");
	memset(p, 'd', 2000);           /* column 0: a description over STATEMENT_FIELD_MAX */
	p += 2000;
	memset(p, ',', 100);            /* columns 1..99 empty, then column 100 starts */
	p += 100;
	snprintf(p, (size_t)(end - p), " i-wide , 100.00 \r\n");
	assert_int_equal(parse(text, "ref=resourceid, amount=RefundAmount", &st), STATEMENT_OK);
	assert_int_equal(st.n, 1);
	assert_int_equal(st.lines[0].err, STATEMENT_LINE_OK);
	assert_string_equal(st.lines[0].ref, "i-wide");
	assert_int_equal(st.lines[0].amount, 10000);
	statement_free(&st);
	free(text);
}

/* Amounts and fees up to MONEY_AMOUNT_MAX, what any order can hold; a
 * line above it is bad (regression: INT64_MAX was taken, closed its claim,
 * and the margin report's sums overflowed). */
static void test_amount_bounds(void **state)
{
	static const struct {
		const char *amount, *fee;
		enum statement_line_err want;
		int64_t amount_minor;
	} cases[] = {
		{ "1000000000000.00", "0", STATEMENT_LINE_OK, MONEY_AMOUNT_MAX },
		{ "1000000000000.01", "0", STATEMENT_LINE_BAD_AMOUNT, 0 },
		{ "92233720368547758.07", "0", STATEMENT_LINE_BAD_AMOUNT, 0 },
		{ "92233720368547758.08", "0", STATEMENT_LINE_BAD_AMOUNT, 0 },
		{ "1.00", "1000000000000.00", STATEMENT_LINE_OK, 100 },
		{ "1.00", "1000000000000.01", STATEMENT_LINE_BAD_FEE, 0 },
		{ "1.00", "92233720368547758.07", STATEMENT_LINE_BAD_FEE, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[256];
		struct statement st;
		snprintf(text, sizeof text, "Date,InstanceId,RefundAmount,Fee\n2026-12-01,i-1,%s,%s\n",
		         cases[i].amount, cases[i].fee);
		assert_int_equal(parse(text, "ref=InstanceId, amount=RefundAmount, fee=Fee, date=Date", &st),
		                 STATEMENT_OK);
		assert_int_equal(st.n, 1);
		if (st.lines[0].err != cases[i].want)
			fail_msg("case %zu (%s, %s): %d", i, cases[i].amount, cases[i].fee, st.lines[0].err);
		if (cases[i].want == STATEMENT_LINE_OK)
			assert_int_equal(st.lines[0].amount, cases[i].amount_minor);
		statement_free(&st);
	}
}

/* A record is numbered by the line it starts on, also when a quoted
 * field (with "" inside, and a blank line) carries it over several; the
 * records after it keep their own lines. */
static void test_record_first_line(void **state)
{
	(void)state;
	struct statement st;

	assert_int_equal(parse("ref,amount\n\"a\nb\",1\nzz,2\n\"x\"\"\n\n\"\"y\",3\nw,4",
	                       STATEMENT_DEFAULT_COLUMNS, &st), STATEMENT_OK);
	assert_int_equal(st.n, 4);
	assert_int_equal(st.lines[0].line, 2);
	assert_int_equal(st.lines[0].err, STATEMENT_LINE_BAD_REF);   /* the LF in the ref */
	assert_int_equal(st.lines[1].line, 4);
	assert_string_equal(st.lines[1].ref, "zz");
	assert_int_equal(st.lines[2].line, 5);
	assert_int_equal(st.lines[2].err, STATEMENT_LINE_BAD_REF);
	assert_int_equal(st.lines[3].line, 8);
	assert_string_equal(st.lines[3].ref, "w");
	statement_free(&st);
}

/* Dates must be days of the calendar: month 13, day 45, 30 February and
 * 29 February of a common year are bad_date; 29 February 2028 and 2000
 * (leap) are fine, 1900 is not (a century not divisible by 400). */
static void test_calendar_dates(void **state)
{
	(void)state;
	static const struct { const char *date; enum statement_line_err err; } cases[] = {
		{ "2026-12-31", STATEMENT_LINE_OK }, { "2026-13-45", STATEMENT_LINE_BAD_DATE },
		{ "2026-13-01", STATEMENT_LINE_BAD_DATE }, { "2026-00-10", STATEMENT_LINE_BAD_DATE },
		{ "2026-12-00", STATEMENT_LINE_BAD_DATE }, { "2026-12-32", STATEMENT_LINE_BAD_DATE },
		{ "2026-04-31", STATEMENT_LINE_BAD_DATE }, { "2026-02-29", STATEMENT_LINE_BAD_DATE },
		{ "2028-02-29", STATEMENT_LINE_OK }, { "2000-02-29", STATEMENT_LINE_OK },
		{ "1900-02-29", STATEMENT_LINE_BAD_DATE }, { "0000-01-01", STATEMENT_LINE_BAD_DATE },
		{ "2026-12-01T10:00:00+08:00", STATEMENT_LINE_OK }, { "", STATEMENT_LINE_OK },
	};
	char text[128];
	struct statement st;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, "ref,amount,date\na,1,%s\n", cases[i].date);
		assert_int_equal(parse(text, STATEMENT_DEFAULT_COLUMNS, &st), STATEMENT_OK);
		assert_int_equal(st.n, 1);
		if (st.lines[0].err != cases[i].err)
			fail_msg("%s: got %s", cases[i].date, statement_line_err_code(st.lines[0].err));
		statement_free(&st);
	}
}

static void test_exact_amounts(void **state)
{
	(void)state;
	struct statement st;

	/* 0.1 + 0.2 style values stay exact: 0.29 is 29, never 28.999... */
	assert_int_equal(parse("ref,amount\na,0.29\nb,19999999.99\nc,0\n", STATEMENT_DEFAULT_COLUMNS, &st),
	                 STATEMENT_OK);
	assert_int_equal(st.n, 3);
	assert_int_equal(st.lines[0].amount, 29);
	assert_int_equal(st.lines[1].amount, 1999999999);
	assert_int_equal(st.lines[2].amount, 0);
	assert_int_equal(st.lines[2].fee, 0);
	statement_free(&st);
}

/* A line's place among the lines of the file that say the same thing
 * (reference, amount, fee and day): what tells an overlapping statement's
 * repeated line from a second refund of the same amount. The time of day
 * and the other columns do not count; a broken line has none. */
static void test_occurrence(void **state)
{
	(void)state;
	struct statement st;
	const char *text =
		"ref,amount,fee,date,memo\n"
		"i-a,10.00,0,2026-12-01,first\n"
		"i-b,10.00,0,2026-12-01,another ref\n"
		"i-a,10.00,0,2026-12-01 18:30:00,same day later\n"
		"i-a,10.00,0.01,2026-12-01,another fee\n"
		"i-a,10.01,0,2026-12-01,another amount\n"
		"i-a,10.00,0,2026-12-02,another day\n"
		"i-a,x,0,2026-12-01,broken\n"
		"i-a,10.0,,2026-12-01,same amount written otherwise\n";

	assert_int_equal(parse(text, STATEMENT_DEFAULT_COLUMNS, &st), STATEMENT_OK);
	assert_int_equal(st.n, 8);
	const int want[8] = { 1, 1, 2, 1, 1, 1, 0, 3 };
	for (size_t i = 0; i < st.n; i++)
		assert_int_equal(st.lines[i].occurrence, want[i]);
	statement_free(&st);
	/* Without a date column every line has the day "". */
	assert_int_equal(parse("ref,amount\ni-a,1\ni-a,1.00\ni-b,1\n", "ref=ref, amount=amount", &st),
	                 STATEMENT_OK);
	assert_int_equal(st.lines[0].occurrence, 1);
	assert_int_equal(st.lines[1].occurrence, 2);
	assert_int_equal(st.lines[2].occurrence, 1);
	statement_free(&st);
}

static void test_broken_files(void **state)
{
	(void)state;
	struct statement st;
	struct statement_columns c = cols(STATEMENT_DEFAULT_COLUMNS);

	assert_int_equal(parse("", STATEMENT_DEFAULT_COLUMNS, &st), STATEMENT_NO_HEADER);
	assert_int_equal(parse("ref,value\na,1\n", STATEMENT_DEFAULT_COLUMNS, &st),
	                 STATEMENT_MISSING_COLUMN);
	assert_string_equal(st.missing, "amount");
	assert_int_equal(parse("ref,amount\na,1\n\"b,2\n", STATEMENT_DEFAULT_COLUMNS, &st),
	                 STATEMENT_SYNTAX);
	assert_null(st.lines);
	assert_int_equal(parse("ref,amount\na\"x\",1\n", STATEMENT_DEFAULT_COLUMNS, &st),
	                 STATEMENT_SYNTAX);
	assert_int_equal(st.error_line, 2);
	assert_int_equal(statement_parse("ref,amount\n\xff,1\n", 14, &c, "CNY", &st),
	                 STATEMENT_NOT_UTF8);
	/* A NUL is valid UTF-8 but no statement has one: not text, not "not UTF-8". */
	assert_int_equal(statement_parse("ref,amount\nq\0x,1\n", 17, &c, "CNY", &st),
	                 STATEMENT_NOT_TEXT);
	assert_null(st.lines);
	assert_string_equal(statement_err_code(STATEMENT_NOT_TEXT), "statement_not_text");
	statement_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_wide_export),
		cmocka_unit_test(test_record_first_line),
		cmocka_unit_test(test_amount_bounds),
		cmocka_unit_test(test_calendar_dates),
		cmocka_unit_test(test_exact_amounts),
		cmocka_unit_test(test_occurrence),
		cmocka_unit_test(test_broken_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
