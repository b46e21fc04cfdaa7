/* statement.h -- a provider's refund statement (CSV) read into lines
 * (DESIGN.md §8): UTF-8 with or without a BOM, a header row naming the
 * columns, parsed with libcsv (Debian libcsv-dev), never by hand. Which
 * header names hold the reference, the amount, the fee and the date is set
 * per provider in the config ([provider.NAME] statement_columns). Amounts
 * are decimal text in major units ("123.45") read exactly into minor units
 * by money_parse, never through floating point.
 *
 * A file that cannot be read as a whole (not UTF-8, broken quoting, no
 * header, a configured column missing, too many lines) is refused with an
 * enum statement_err and nothing of it is used; a line that cannot be read
 * is kept as an invalid line with its number and reason, so the rest of
 * the file still counts. Line numbers are those of the text (the header is
 * line 1; LF, CRLF and a lone CR each end a line; a record whose quoted
 * field spans lines gets the line it starts on, where a person finds it). Pure: no I/O; the lines are heap memory the caller frees. */
#ifndef REFUNDD_STATEMENT_H
#define REFUNDD_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "money.h"

#define STATEMENT_MAX_LINES   20000
#define STATEMENT_NAME_SIZE   64     /* a column name with its NUL */
#define STATEMENT_REF_SIZE    129    /* 128 bytes and the NUL */
#define STATEMENT_DATE_SIZE   40
#define STATEMENT_FIELD_MAX   1024   /* a longer field makes the line invalid */

/* The documented default when a provider has no statement_columns. */
#define STATEMENT_DEFAULT_COLUMNS "ref=ref, amount=amount, fee=fee, date=date"

enum statement_err {
	STATEMENT_OK = 0,
	STATEMENT_NOT_UTF8,       /* "statement_not_utf8" */
	STATEMENT_NOT_TEXT,       /* "statement_not_text": a NUL byte (valid UTF-8, but no CSV has one) */
	STATEMENT_SYNTAX,         /* "statement_syntax": broken quoting */
	STATEMENT_NO_HEADER,      /* "statement_empty": no header row */
	STATEMENT_MISSING_COLUMN, /* "statement_missing_column": a configured column is absent */
	STATEMENT_TOO_MANY_LINES, /* "statement_too_many_lines" */
	STATEMENT_BAD_COLUMNS,    /* "statement_bad_columns": the column setting is malformed */
	STATEMENT_NOMEM,          /* "statement_nomem" */
	STATEMENT_ERR__MAX
};

enum statement_line_err {
	STATEMENT_LINE_OK = 0,
	STATEMENT_LINE_MISSING_REF,   /* "missing_ref" */
	STATEMENT_LINE_BAD_REF,       /* "bad_ref": over 128 bytes, or control characters */
	STATEMENT_LINE_BAD_AMOUNT,    /* "bad_amount": not a non-negative decimal of the currency */
	STATEMENT_LINE_BAD_FEE,       /* "bad_fee" */
	STATEMENT_LINE_BAD_DATE,      /* "bad_date": not YYYY-MM-DD... of a real calendar day */
	STATEMENT_LINE_TOO_LONG,      /* "field_too_long" */
	STATEMENT_LINE_ERR__MAX
};

/* Header names of the four columns; fee and date may be "" (not in the file). */
struct statement_columns {
	char ref[STATEMENT_NAME_SIZE];
	char amount[STATEMENT_NAME_SIZE];
	char fee[STATEMENT_NAME_SIZE];
	char date[STATEMENT_NAME_SIZE];
};

struct statement_line {
	int                     line;
	enum statement_line_err err;
	char                    ref[STATEMENT_REF_SIZE];
	int64_t                 amount;   /* minor units */
	int64_t                 fee;      /* minor units; 0 when no fee column */
	char                    date[STATEMENT_DATE_SIZE];
	char                    day[11];  /* YYYY-MM-DD of date, "" without one */
	/* Of the readable lines of the file with this ref, amount, fee and
	 * day, this is the occurrence-th (1 for the first; 0 on a broken
	 * line). An overlapping statement repeats lines an earlier import
	 * applied, and a provider may refund the same amount twice on one
	 * day: the n-th such line of a file is a duplicate only if n of them
	 * were imported before (handlers_claims.c). */
	int                     occurrence;
};

struct statement {
	struct statement_line *lines;
	size_t                 n, cap;
	int                    error_line;  /* where a STATEMENT_SYNTAX was found */
	char                   missing[STATEMENT_NAME_SIZE]; /* STATEMENT_MISSING_COLUMN */
};

/* "ref=RefundNo, amount=Amount, fee=Fee, date=Date": ref and amount are
 * required, fee and date optional (also when named but not in the file's
 * header: a statement without fees); names are matched case-insensitively
 * (ASCII) after trimming blanks. */
enum statement_err statement_columns_parse(const char *spec, struct statement_columns *out);
/* Reads the file; amounts in currency's minor units. On error *out holds
 * no lines (only error_line / missing). statement_free() either way. */
enum statement_err statement_parse(const char *data, size_t len,
                                   const struct statement_columns *cols,
                                   const char *currency, struct statement *out);
void statement_free(struct statement *st);

const char *statement_err_code(enum statement_err err);
const char *statement_line_err_code(enum statement_line_err err);

#endif
