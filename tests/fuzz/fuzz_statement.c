/* fuzz_statement.c -- libFuzzer target for statement.c, the provider
 * statement reader (libcsv underneath). Input: any bytes as a statement
 * under the aliyun column setting of conf/refundd.conf. Checks, beyond no
 * crash or leak: a refused file keeps no lines; every kept line has a
 * line number past the header and in the text, in order; an invalid line
 * carries no amount; a valid one has a reference and non-negative money. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LF, CRLF and a lone CR each end a line (statement.h). */
static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = 1;
	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct statement_columns cols;
	struct statement st;
	size_t lines = count_lines(data, size);
	int last = 1;

	if (statement_columns_parse("ref=InstanceId, amount=RefundAmount, fee=Fee, date=RefundDate",
	                            &cols) != STATEMENT_OK)
		abort();
	enum statement_err err = statement_parse((const char *)data, size, &cols, "CNY", &st);
	if (err != STATEMENT_OK && (st.lines != NULL || st.n != 0))
		abort();
	for (size_t i = 0; i < st.n; i++) {
		const struct statement_line *l = &st.lines[i];
		if (l->line <= last || (size_t)l->line > lines)
			abort();
		last = l->line;
		if (l->err != STATEMENT_LINE_OK && (l->amount != 0 || l->fee != 0 || l->occurrence != 0))
			abort();
		/* the n-th identical line: at least 1, at most its place in the file */
		if (l->err == STATEMENT_LINE_OK && (l->occurrence < 1 || (size_t)l->occurrence > i + 1))
			abort();
		if (l->err == STATEMENT_LINE_OK &&
		    (l->ref[0] == '\0' || l->amount < 0 || l->fee < 0 || !memchr(l->ref, '\0', sizeof l->ref)))
			abort();
	}
	statement_free(&st);
	return 0;
}
