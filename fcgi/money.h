/* money.h -- amounts of money as int64_t minor units of an ISO 4217 currency
 * (DESIGN.md §3: 12345 CNY is 123.45; never floating point). Pure: no I/O,
 * no global mutable state. Every operation that can fail returns an
 * enum money_err and writes its result only on MONEY_OK; nothing wraps.
 *
 * Rounding: money_mul_div and money_bps truncate toward zero. For the
 * non-negative amounts refunds are made of that is rounding down, in the
 * reseller's favour (DESIGN.md §3). For a negative amount it is rounding up
 * (toward zero), so f(-x) == -f(x): the magnitude of a computed amount is
 * never rounded up, whichever way the money flows. */
#ifndef REFUNDD_MONEY_H
#define REFUNDD_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Three letters and the NUL: the size of a currency code field. */
#define MONEY_CURRENCY_SIZE 4

/* The largest amount refundd takes in from outside, in minor units: 1e12
 * major units, far beyond any order, and far enough below INT64_MAX that
 * sums of many of them (reports, an order's refunds) cannot overflow. */
#define MONEY_AMOUNT_MAX INT64_C(100000000000000)

/* A whole, in basis points (100 % = 10000 bps). */
#define MONEY_BPS_WHOLE 10000

/* Enough for any int64_t amount in any known currency: sign, 19 digits,
 * the decimal point and the NUL make 22; rounded up. */
#define MONEY_FORMAT_SIZE 32

enum money_err {
	MONEY_OK = 0,
	MONEY_OVERFLOW,          /* the result does not fit in int64_t */
	MONEY_INVALID,           /* malformed text, or an argument out of its domain */
	MONEY_TOO_PRECISE,       /* more decimals than the currency has */
	MONEY_UNKNOWN_CURRENCY,  /* not three upper-case letters we know */
	MONEY_DIVIDE_BY_ZERO,
	MONEY_BUFFER_TOO_SMALL,
	MONEY_ERR__MAX
};

/* A stable snake_case code for logs and problem details ("overflow"). */
const char *money_err_code(enum money_err err);

/* Number of decimals of a currency: 2 for CNY, 0 for JPY, 3 for KWD.
 * Codes are exact: "cny" and "CNY " are unknown. */
enum money_err money_currency_exponent(const char *currency, int *exponent);

/* The i-th currency refundd knows (0, 1, ...): its code and exponent, or
 * false past the last. For lists shown to people (GET /api/v1/config). */
bool money_currency_at(size_t i, const char **code, int *exponent);

/* Strict decimal text to minor units: -?(0|[1-9][0-9]*)(\.[0-9]+)?, at
 * most the currency's decimals ("1.5" CNY is 150; "1.505" is
 * MONEY_TOO_PRECISE; "1e3", "+1", " 1", ".5", "1.", "01" are
 * MONEY_INVALID). "-0" is accepted as 0. */
enum money_err money_parse(const char *text, const char *currency, int64_t *out);
/* The same for text of a known length, such as a JSON string that may hold
 * an embedded NUL (which is MONEY_INVALID). */
enum money_err money_parse_n(const char *text, size_t len, const char *currency,
                             int64_t *out);

/* Minor units to decimal text with exactly the currency's decimals
 * ("123.45", "-0.05", "1234" for JPY); no symbol, no grouping.
 * MONEY_FORMAT_SIZE is always enough. On error buf holds "" if size > 0;
 * a NULL buf is MONEY_INVALID. */
enum money_err money_format(int64_t amount, const char *currency, char *buf,
                            size_t size);

enum money_err money_add(int64_t a, int64_t b, int64_t *out);
enum money_err money_sub(int64_t a, int64_t b, int64_t *out);

/* amount * num / den with a 128-bit product, truncated toward zero (see
 * the top of this file). den must be > 0: a zero den is
 * MONEY_DIVIDE_BY_ZERO, a negative one MONEY_INVALID. */
enum money_err money_mul_div(int64_t amount, int64_t num, int64_t den,
                             int64_t *out);

/* bps basis points of amount, truncated toward zero; 0 <= bps <=
 * MONEY_BPS_WHOLE, else MONEY_INVALID. */
enum money_err money_bps(int64_t amount, int64_t bps, int64_t *out);

#endif
