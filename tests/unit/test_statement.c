/* test_statement.c -- cmocka tests of the statement reader
 * (fcgi/statement.c): the column setting, BOM, CRLF, quoting, exact
 * amounts, invalid lines with their numbers, and broken files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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
	/* The blank line 3 is skipped; the record on lines 4-5 ends on 5. */
	assert_int_equal(st.lines[1].line, 5);
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
	statement_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_exact_amounts),
		cmocka_unit_test(test_broken_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
