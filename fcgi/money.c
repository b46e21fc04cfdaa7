/* money.c -- integer minor units: currency exponents, strict decimal
 * parsing and formatting, and checked arithmetic with 128-bit
 * intermediates (see money.h for the rounding rule). */
#include "money.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* GCC and Clang provide __int128 on 64-bit targets; __extension__ keeps
 * -std=c11 -pedantic quiet about it. A product of two int64_t always fits. */
__extension__ typedef __int128 money_wide;

static const char *const err_codes[MONEY_ERR__MAX] = {
	[MONEY_OK]               = "ok",
	[MONEY_OVERFLOW]         = "overflow",
	[MONEY_INVALID]          = "invalid",
	[MONEY_TOO_PRECISE]      = "too_precise",
	[MONEY_UNKNOWN_CURRENCY] = "unknown_currency",
	[MONEY_DIVIDE_BY_ZERO]   = "divide_by_zero",
	[MONEY_BUFFER_TOO_SMALL] = "buffer_too_small",
};

const char *money_err_code(enum money_err err)
{
	return (unsigned)err < MONEY_ERR__MAX ? err_codes[err] : "unknown";
}

/* ISO 4217 minor-unit exponents of the currencies a reseller in our
 * market is likely to bill in. Adding a row is all a new currency needs. */
static const struct currency {
	char code[MONEY_CURRENCY_SIZE];
	int  exponent;
} currencies[] = {
	{ "CNY", 2 }, { "HKD", 2 }, { "MOP", 2 }, { "TWD", 2 }, { "USD", 2 },
	{ "EUR", 2 }, { "GBP", 2 }, { "SGD", 2 }, { "AUD", 2 }, { "CAD", 2 },
	{ "CHF", 2 }, { "JPY", 0 }, { "KRW", 0 }, { "VND", 0 }, { "BHD", 3 },
	{ "KWD", 3 }, { "OMR", 3 }, { "JOD", 3 }, { "TND", 3 }, { "IQD", 3 },
	{ "LYD", 3 },
};

enum money_err money_currency_exponent(const char *currency, int *exponent)
{
	if (currency == NULL)
		return MONEY_UNKNOWN_CURRENCY;
	for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++) {
		if (strcmp(currencies[i].code, currency) == 0) {
			*exponent = currencies[i].exponent;
			return MONEY_OK;
		}
	}
	return MONEY_UNKNOWN_CURRENCY;
}

bool money_currency_at(size_t i, const char **code, int *exponent)
{
	if (i >= sizeof currencies / sizeof currencies[0])
		return false;
	*code = currencies[i].code;
	*exponent = currencies[i].exponent;
	return true;
}

/* The parts of a lexically valid decimal: spans of digits, not yet values. */
struct decimal_text {
	bool        negative;
	const char *whole;
	size_t      whole_len;
	const char *fraction;
	size_t      fraction_len;
};

static size_t count_digits(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)? and nothing else: no spaces, no '+', no
 * exponent, no grouping, no embedded NUL (it is not a digit). */
static enum money_err split_decimal(const char *s, size_t len,
                                    struct decimal_text *d)
{
	size_t at = 0;

	memset(d, 0, sizeof *d);
	if (at < len && s[at] == '-') {
		d->negative = true;
		at++;
	}
	d->whole = s + at;
	d->whole_len = count_digits(d->whole, len - at);
	if (d->whole_len == 0 || (d->whole_len > 1 && d->whole[0] == '0'))
		return MONEY_INVALID;
	at += d->whole_len;
	if (at == len)
		return MONEY_OK;
	if (s[at] != '.')
		return MONEY_INVALID;
	at++;
	d->fraction = s + at;
	d->fraction_len = count_digits(d->fraction, len - at);
	if (d->fraction_len == 0 || at + d->fraction_len != len)
		return MONEY_INVALID;
	return MONEY_OK;
}

/* magnitude = magnitude * 10 + digit, refusing to pass limit. */
static enum money_err push_digit(uint64_t *magnitude, unsigned digit,
                                 uint64_t limit)
{
	if (*magnitude > (limit - digit) / 10)
		return MONEY_OVERFLOW;
	*magnitude = *magnitude * 10 + digit;
	return MONEY_OK;
}

static enum money_err push_digits(uint64_t *magnitude, const char *digits,
                                  size_t n, uint64_t limit)
{
	for (size_t i = 0; i < n; i++) {
		enum money_err err = push_digit(magnitude, (unsigned)(digits[i] - '0'), limit);
		if (err != MONEY_OK)
			return err;
	}
	return MONEY_OK;
}

enum money_err money_parse_n(const char *text, size_t len, const char *currency,
                             int64_t *out)
{
	struct decimal_text d;
	uint64_t magnitude = 0, limit;
	enum money_err err;
	int exponent;

	if ((err = money_currency_exponent(currency, &exponent)) != MONEY_OK)
		return err;
	if (text == NULL || split_decimal(text, len, &d) != MONEY_OK)
		return MONEY_INVALID;
	if (d.fraction_len > (size_t)exponent)
		return MONEY_TOO_PRECISE;
	/* The magnitude of INT64_MIN is one more than INT64_MAX. */
	limit = d.negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	err = push_digits(&magnitude, d.whole, d.whole_len, limit);
	if (err == MONEY_OK)
		err = push_digits(&magnitude, d.fraction, d.fraction_len, limit);
	for (size_t pad = d.fraction_len; err == MONEY_OK && pad < (size_t)exponent; pad++)
		err = push_digit(&magnitude, 0, limit);
	if (err != MONEY_OK)
		return err;
	/* Negating in unsigned arithmetic is defined for 2^63 as well. */
	*out = d.negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	return MONEY_OK;
}

enum money_err money_parse(const char *text, const char *currency, int64_t *out)
{
	return money_parse_n(text, text != NULL ? strlen(text) : 0, currency, out);
}

/* Minor units per major unit: 100 for an exponent of 2. */
static uint64_t minor_per_major(int exponent)
{
	uint64_t scale = 1;

	while (exponent-- > 0)
		scale *= 10;
	return scale;
}

enum money_err money_format(int64_t amount, const char *currency, char *buf,
                            size_t size)
{
	const char *sign = amount < 0 ? "-" : "";
	/* Unsigned negation: well defined for INT64_MIN too. */
	uint64_t magnitude = amount < 0 ? 0 - (uint64_t)amount : (uint64_t)amount;
	enum money_err err;
	uint64_t scale;
	int exponent, n;

	if (buf == NULL)
		return MONEY_INVALID;
	if (size > 0)
		buf[0] = '\0';
	if ((err = money_currency_exponent(currency, &exponent)) != MONEY_OK)
		return err;
	if (size == 0)
		return MONEY_BUFFER_TOO_SMALL;
	scale = minor_per_major(exponent);
	if (exponent == 0)
		n = snprintf(buf, size, "%s%" PRIu64, sign, magnitude);
	else
		n = snprintf(buf, size, "%s%" PRIu64 ".%0*" PRIu64, sign,
		             magnitude / scale, exponent, magnitude % scale);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return MONEY_BUFFER_TOO_SMALL;
	}
	return MONEY_OK;
}

enum money_err money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t sum;

	if (__builtin_add_overflow(a, b, &sum))
		return MONEY_OVERFLOW;
	*out = sum;
	return MONEY_OK;
}

enum money_err money_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t difference;

	if (__builtin_sub_overflow(a, b, &difference))
		return MONEY_OVERFLOW;
	*out = difference;
	return MONEY_OK;
}

enum money_err money_mul_div(int64_t amount, int64_t num, int64_t den,
                             int64_t *out)
{
	money_wide quotient;

	if (den == 0)
		return MONEY_DIVIDE_BY_ZERO;
	if (den < 0)
		return MONEY_INVALID;
	/* C division truncates toward zero: the rounding money.h documents. */
	quotient = (money_wide)amount * num / den;
	if (quotient > INT64_MAX || quotient < INT64_MIN)
		return MONEY_OVERFLOW;
	*out = (int64_t)quotient;
	return MONEY_OK;
}

enum money_err money_bps(int64_t amount, int64_t bps, int64_t *out)
{
	if (bps < 0 || bps > MONEY_BPS_WHOLE)
		return MONEY_INVALID;
	return money_mul_div(amount, bps, MONEY_BPS_WHOLE, out);
}
