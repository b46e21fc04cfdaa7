/* statement.c -- see statement.h. libcsv does the CSV (RFC 4180 quoting,
 * CRLF or LF, blank lines skipped); this file maps its records onto
 * statement lines. Pure. */
#include "statement.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libcsv/csv.h>

#include "calendar.h"
#include "http.h"
#include "money.h"

/* The four columns a line is read from, in struct statement_columns' order. */
enum { COL_REF, COL_AMOUNT, COL_FEE, COL_DATE, N_COLS };

static const char *const err_codes[STATEMENT_ERR__MAX] = {
	[STATEMENT_OK]             = "ok",
	[STATEMENT_NOT_UTF8]       = "statement_not_utf8",
	[STATEMENT_NOT_TEXT]       = "statement_not_text",
	[STATEMENT_SYNTAX]         = "statement_syntax",
	[STATEMENT_NO_HEADER]      = "statement_empty",
	[STATEMENT_MISSING_COLUMN] = "statement_missing_column",
	[STATEMENT_TOO_MANY_LINES] = "statement_too_many_lines",
	[STATEMENT_BAD_COLUMNS]    = "statement_bad_columns",
	[STATEMENT_NOMEM]          = "statement_nomem",
};

static const char *const line_codes[STATEMENT_LINE_ERR__MAX] = {
	[STATEMENT_LINE_OK]          = "ok",
	[STATEMENT_LINE_MISSING_REF] = "missing_ref",
	[STATEMENT_LINE_BAD_REF]     = "bad_ref",
	[STATEMENT_LINE_BAD_AMOUNT]  = "bad_amount",
	[STATEMENT_LINE_BAD_FEE]     = "bad_fee",
	[STATEMENT_LINE_BAD_DATE]    = "bad_date",
	[STATEMENT_LINE_TOO_LONG]    = "field_too_long",
};

const char *statement_err_code(enum statement_err err)
{
	return (unsigned)err < STATEMENT_ERR__MAX ? err_codes[err] : "statement_invalid";
}

const char *statement_line_err_code(enum statement_line_err err)
{
	return (unsigned)err < STATEMENT_LINE_ERR__MAX ? line_codes[err] : "invalid";
}

/* ---- the column setting ---- */

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static int set_column(struct statement_columns *c, const char *key, size_t kn,
                      const char *val, size_t vn)
{
	char *dst = NULL;

	if (kn == 3 && strncmp(key, "ref", 3) == 0)
		dst = c->ref;
	else if (kn == 6 && strncmp(key, "amount", 6) == 0)
		dst = c->amount;
	else if (kn == 3 && strncmp(key, "fee", 3) == 0)
		dst = c->fee;
	else if (kn == 4 && strncmp(key, "date", 4) == 0)
		dst = c->date;
	if (dst == NULL || vn >= STATEMENT_NAME_SIZE || dst[0] != '\0' || memchr(val, '\0', vn))
		return -1;
	memcpy(dst, val, vn);
	dst[vn] = '\0';
	return 0;
}

enum statement_err statement_columns_parse(const char *spec, struct statement_columns *out)
{
	struct statement_columns c;
	const char *p = spec;

	memset(&c, 0, sizeof c);
	while (p && *p) {
		const char *end = strchr(p, ','), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p), kn, vn;
		const char *key = p, *val;

		eq = memchr(p, '=', n);
		if (eq == NULL)
			return STATEMENT_BAD_COLUMNS;
		kn = (size_t)(eq - p), val = eq + 1, vn = n - kn - 1;
		trim(&key, &kn);
		trim(&val, &vn);
		if (set_column(&c, key, kn, val, vn) != 0)
			return STATEMENT_BAD_COLUMNS;
		p = end ? end + 1 : NULL;
	}
	if (c.ref[0] == '\0' || c.amount[0] == '\0')
		return STATEMENT_BAD_COLUMNS;
	*out = c;
	return STATEMENT_OK;
}

/* ---- reading the file ---- */

struct reader {
	const char                     *currency;
	struct statement               *st;
	int                             line;           /* the text line being fed */
	int                             record_line;    /* the line the current record began on */
	bool                            in_quotes;      /* a quoted field is open at the end of a line */
	bool                            header_seen;
	/* Only the four columns are kept, however many a provider's export
	 * has (their bills run to dozens, long descriptions among them): the
	 * header's names are compared as they come, a line's fields copied
	 * only at those places. */
	const char                     *names[N_COLS];
	size_t                          col[N_COLS];    /* place in the header; SIZE_MAX: none */
	char                           *value[N_COLS];  /* this record's, or NULL */
	size_t                          n_fields;       /* fields of this record so far */
	bool                            too_long;       /* a kept field of this record */
	enum statement_err              err;
};

static void header_field(struct reader *r, const char *text, size_t len)
{
	for (int i = 0; i < N_COLS; i++)
		if (r->col[i] == SIZE_MAX && r->names[i][0] != '\0' && strlen(r->names[i]) == len &&
		    strncasecmp(text, r->names[i], len) == 0)
			r->col[i] = r->n_fields;   /* the first column of that name */
}

static void line_field(struct reader *r, const char *text, size_t len)
{
	for (int i = 0; i < N_COLS; i++) {
		if (r->col[i] != r->n_fields)
			continue;
		if (len > STATEMENT_FIELD_MAX) {
			r->too_long = true;
			len = 0;
		}
		if ((r->value[i] = malloc(len + 1)) == NULL) {
			r->err = STATEMENT_NOMEM;
			return;
		}
		memcpy(r->value[i], text, len);
		r->value[i][len] = '\0';
	}
}

static void on_field(void *data, size_t len, void *user)
{
	struct reader *r = user;
	const char *text = data ? data : "";

	if (r->err != STATEMENT_OK)
		return;
	trim(&text, &len);   /* spreadsheets pad cells: " 100.00" is 100.00 */
	if (r->header_seen)
		line_field(r, text, len);
	else
		header_field(r, text, len);
	r->n_fields++;
}

/* ref and amount must be there; a fee or date column the file does not
 * have is simply not read (a statement without fees). */
static void read_header(struct reader *r)
{
	r->header_seen = true;
	for (int i = COL_REF; i <= COL_AMOUNT; i++)
		if (r->col[i] == SIZE_MAX) {
			memcpy(r->st->missing, r->names[i], strlen(r->names[i]) + 1);
			r->err = STATEMENT_MISSING_COLUMN;
			return;
		}
}

static const char *field(const struct reader *r, int col)
{
	return r->value[col] ? r->value[col] : "";
}

/* Non-negative decimal text of the currency, at most MONEY_AMOUNT_MAX
 * (what any order can hold: a larger recovery is a broken line, and would
 * close its claim with a sum the reports cannot add); "" is 0 when allowed. */
static bool amount_ok(const char *text, const char *currency, bool empty_is_zero, int64_t *out)
{
	if (text[0] == '\0' && empty_is_zero) {
		*out = 0;
		return true;
	}
	return text[0] != '-' && money_parse(text, currency, out) == MONEY_OK &&
	       *out <= MONEY_AMOUNT_MAX;
}

static bool ref_ok(const char *ref)
{
	size_t n = strlen(ref);

	if (n >= STATEMENT_REF_SIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ref[i] < 0x20 || ref[i] == 0x7f)
			return false;
	return true;
}

/* YYYY-MM-DD of a day that exists (2026-13-45 and 2026-02-29 do not),
 * optionally followed by a time; the rest is not checked. */
static bool date_ok(const char *d)
{
	char day[11];
	int64_t n;

	if (d[0] == '\0')
		return true;
	if (strlen(d) < 10 || strlen(d) >= STATEMENT_DATE_SIZE)
		return false;
	memcpy(day, d, 10);
	day[10] = '\0';
	return calendar_parse_date(day, &n) == CAL_OK;
}

static enum statement_line_err check_line(const struct reader *r, struct statement_line *l)
{
	const char *ref = field(r, COL_REF), *date = field(r, COL_DATE);

	if (r->too_long)
		return STATEMENT_LINE_TOO_LONG;
	if (ref[0] == '\0')
		return STATEMENT_LINE_MISSING_REF;
	if (!ref_ok(ref))
		return STATEMENT_LINE_BAD_REF;
	memcpy(l->ref, ref, strlen(ref) + 1);
	if (!amount_ok(field(r, COL_AMOUNT), r->currency, false, &l->amount))
		return STATEMENT_LINE_BAD_AMOUNT;
	if (!amount_ok(field(r, COL_FEE), r->currency, true, &l->fee))
		return STATEMENT_LINE_BAD_FEE;
	if (!date_ok(date))
		return STATEMENT_LINE_BAD_DATE;
	memcpy(l->date, date, strlen(date) + 1);
	if (date[0] != '\0')
		memcpy(l->day, date, 10);   /* date_ok: it starts with the day */
	return STATEMENT_LINE_OK;
}

static void add_line(struct reader *r)
{
	struct statement *st = r->st;
	struct statement_line l;

	if (st->n >= STATEMENT_MAX_LINES) {
		r->err = STATEMENT_TOO_MANY_LINES;
		return;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct statement_line *grown = realloc(st->lines, cap * sizeof *grown);
		if (grown == NULL) {
			r->err = STATEMENT_NOMEM;
			return;
		}
		st->lines = grown, st->cap = cap;
	}
	memset(&l, 0, sizeof l);
	l.line = r->record_line;
	l.err = check_line(r, &l);
	if (l.err != STATEMENT_LINE_OK)
		l.amount = l.fee = 0, l.day[0] = '\0';
	st->lines[st->n++] = l;
}

static void drop_fields(struct reader *r)
{
	for (int i = 0; i < N_COLS; i++) {
		free(r->value[i]);
		r->value[i] = NULL;
	}
	r->n_fields = 0;
	r->too_long = false;
}

static void on_record(int terminator, void *user)
{
	struct reader *r = user;

	(void)terminator;
	if (r->err == STATEMENT_OK) {
		if (!r->header_seen)
			read_header(r);
		else
			add_line(r);
	}
	drop_fields(r);
}

/* The length of the text line at s: up to and with its LF, CRLF, or a
 * lone CR (which libcsv also takes for the end of a record). */
static size_t line_length(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			return i + 1;
		if (s[i] == '\r')
			return i + 1 < len && s[i + 1] == '\n' ? i + 2 : i + 1;
	}
	return len;
}

/* Whether a quoted field is still open after the n bytes at s. Under
 * CSV_STRICT a quote only opens or closes a quoted field or is doubled
 * inside one ("" adds two), so an odd count flips the state. */
static bool quotes_open(bool open, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		open ^= s[i] == '"';
	return open;
}

/* Feeds the text one line at a time so that each record knows its line:
 * the one it begins on, which is where a person looking at the file
 * finds it even when a quoted field carries it over several lines. */
static enum statement_err feed(struct reader *r, struct csv_parser *p, const char *s, size_t len)
{
	size_t off = 0;

	while (off < len && r->err == STATEMENT_OK) {
		size_t n = line_length(s + off, len - off);
		r->line++;
		if (!r->in_quotes)
			r->record_line = r->line;
		r->in_quotes = quotes_open(r->in_quotes, s + off, n);
		if (csv_parse(p, s + off, n, on_field, on_record, r) != n) {
			r->st->error_line = r->line;
			return STATEMENT_SYNTAX;
		}
		off += n;
	}
	if (r->err == STATEMENT_OK && csv_fini(p, on_field, on_record, r) != 0) {
		r->st->error_line = r->line;
		return STATEMENT_SYNTAX;
	}
	return r->err;
}

/* ---- lines that say the same thing ---- */

/* Lines that say the same thing: ref, amount, fee and day. */
static int key_cmp(const struct statement_line *x, const struct statement_line *y)
{
	int d = strcmp(x->ref, y->ref);

	if (d == 0 && x->amount != y->amount)
		d = x->amount < y->amount ? -1 : 1;
	if (d == 0 && x->fee != y->fee)
		d = x->fee < y->fee ? -1 : 1;
	return d != 0 ? d : strcmp(x->day, y->day);
}

/* A line as qsort moves it. */
struct line_ref {
	struct statement_line *l;
};

/* qsort: by key, then by place in the file (the lines are one array, so
 * their addresses are their order). */
static int same_line_order(const void *a, const void *b)
{
	const struct statement_line *x = ((const struct line_ref *)a)->l;
	const struct statement_line *y = ((const struct line_ref *)b)->l;
	int d = key_cmp(x, y);

	return d != 0 ? d : (x > y) - (x < y);
}

/* Sorting references keeps this O(n log n) on a 20 000-line file. */
static enum statement_err number_occurrences(struct statement *st)
{
	struct line_ref *by = malloc((st->n ? st->n : 1) * sizeof *by);
	size_t n = 0;

	if (by == NULL)
		return STATEMENT_NOMEM;
	for (size_t i = 0; i < st->n; i++)
		if (st->lines[i].err == STATEMENT_LINE_OK)
			by[n++].l = &st->lines[i];
	qsort(by, n, sizeof *by, same_line_order);
	for (size_t i = 0; i < n; i++)
		by[i].l->occurrence = i > 0 && key_cmp(by[i - 1].l, by[i].l) == 0
		                      ? by[i - 1].l->occurrence + 1 : 1;
	free(by);
	return STATEMENT_OK;
}

enum statement_err statement_parse(const char *data, size_t len,
                                   const struct statement_columns *cols,
                                   const char *currency, struct statement *out)
{
	struct reader r = { currency, out, 0, 0, false, false,
	                    { cols->ref, cols->amount, cols->fee, cols->date },
	                    { SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX }, { NULL }, 0, false, STATEMENT_OK };
	struct csv_parser p;
	enum statement_err err;

	memset(out, 0, sizeof *out);
	/* Before the UTF-8 check, which refuses NUL too: U+0000 is valid
	 * UTF-8, so "not UTF-8" would send finance looking for an encoding
	 * problem, when a NUL means a binary file (a spreadsheet, not CSV). */
	if (memchr(data, '\0', len) != NULL)
		return STATEMENT_NOT_TEXT;
	if (!http_utf8_valid(data, len))
		return STATEMENT_NOT_UTF8;
	/* A BOM (EF BB BF) is how spreadsheet programs mark UTF-8; not data. */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		data += 3, len -= 3;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return STATEMENT_NOMEM;
	err = feed(&r, &p, data, len);
	drop_fields(&r);
	csv_free(&p);
	if (err == STATEMENT_OK && !r.header_seen)
		err = STATEMENT_NO_HEADER;
	if (err == STATEMENT_OK)
		err = number_occurrences(out);
	if (err != STATEMENT_OK) {
		free(out->lines);
		out->lines = NULL;
		out->n = out->cap = 0;
	}
	return err;
}

void statement_free(struct statement *st)
{
	free(st->lines);
	st->lines = NULL;
	st->n = st->cap = 0;
}
