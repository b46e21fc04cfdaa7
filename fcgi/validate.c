/* validate.c -- strict, total validators for request fields: the whole
 * value or nothing, ranges checked before use, no floats for money. */
#include "validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const err_codes[VALIDATE__MAX] = {
	[VALIDATE_OK] = "ok",
	[VALIDATE_UNKNOWN_FIELD] = "unknown_field",
	[VALIDATE_MISSING_FIELD] = "missing_field",
	[VALIDATE_WRONG_TYPE] = "wrong_type",
	[VALIDATE_TOO_LONG] = "too_long",
	[VALIDATE_OUT_OF_RANGE] = "out_of_range",
	[VALIDATE_INVALID_VALUE] = "invalid_value",
};

/* Defined by the linker when some object has a FIELD_TABLE; weak, so a
 * program that links none (a unit test) sees NULL and no tables. */
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): names the linker defines
extern const struct field_table *const __start_refundd_field_tables[] __attribute__((weak));
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): names the linker defines
extern const struct field_table *const __stop_refundd_field_tables[] __attribute__((weak));

const struct field_table *const *validate_tables(size_t *n)
{
	const struct field_table *const *start = __start_refundd_field_tables;

	/* cppcheck cannot know that the linker makes both bounds of one section
	 * (weak: NULL together) */
	// cppcheck-suppress [knownConditionTrueFalse, comparePointers]
	*n = start != NULL ? (size_t)(__stop_refundd_field_tables - start) : 0;
	return start;
}

const char *validate_err_code(enum validate_err err)
{
	return err < VALIDATE__MAX ? err_codes[err] : "invalid_value";
}

static bool all_in(const char *s, const char *allowed)
{
	return *s != '\0' && strspn(s, allowed) == strlen(s);
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGIT "0123456789"

/* Characters of valid UTF-8 (jansson refuses anything else): every byte
 * that is not a continuation byte starts one. */
static int64_t utf8_chars(const char *s, size_t len)
{
	int64_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* Control characters are no part of any text refundd keeps: C0 but tab,
 * line feed and carriage return (a note or a message has lines), DEL, and
 * C1 (U+0080..U+009F, "\xC2\x80".."\xC2\x9F" in UTF-8). Escape codes would
 * otherwise reach staff screens, CSV exports and the portal's webhooks, and
 * NUL would cut a C string short. */
static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
			return true;
		if (ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return true;
	}
	return false;
}

/* A text's limits count characters, as the database's length() CHECKs and
 * the OpenAPI maxLength do: 2000 characters of Chinese are 6000 bytes. The
 * other kinds are ASCII, where the two counts agree. */
static enum validate_err check_text(const char *s, size_t len,
                                    const struct field_spec *spec)
{
	int64_t max = spec->max > 0 ? spec->max : 64;
	int64_t count = spec->type == FIELD_STRING ? utf8_chars(s, len) : (int64_t)len;

	if (has_control(s, len))
		return VALIDATE_INVALID_VALUE;
	if (count > max)
		return VALIDATE_TOO_LONG;
	switch (spec->type) {
	case FIELD_STRING:
		return count < (spec->min > 0 ? spec->min : 0) ? VALIDATE_INVALID_VALUE : VALIDATE_OK;
	case FIELD_CODE:
		return all_in(s, LOWER DIGIT "_") ? VALIDATE_OK : VALIDATE_INVALID_VALUE;
	case FIELD_ID:
		return all_in(s, LOWER UPPER DIGIT "_.:-") ? VALIDATE_OK : VALIDATE_INVALID_VALUE;
	case FIELD_ENUM:
		for (const char *const *c = spec->choices; c && *c; c++)
			if (strcmp(*c, s) == 0)
				return VALIDATE_OK;
		return VALIDATE_INVALID_VALUE;
	default:
		return VALIDATE_WRONG_TYPE;
	}
}

static enum validate_err check_value(const json_t *v, const struct field_spec *spec,
                                     struct field_value *out)
{
	switch (spec->type) {
	case FIELD_INT:
		if (!json_is_integer(v))
			return VALIDATE_WRONG_TYPE;
		out->num = json_integer_value(v);
		return out->num < spec->min || out->num > spec->max ? VALIDATE_OUT_OF_RANGE
		                                                    : VALIDATE_OK;
	case FIELD_BOOL:
		if (!json_is_boolean(v))
			return VALIDATE_WRONG_TYPE;
		out->num = json_is_true(v);
		return VALIDATE_OK;
	case FIELD_ARRAY:
		if (!json_is_array(v))
			return VALIDATE_WRONG_TYPE;
		out->json = (json_t *)v;
		return VALIDATE_OK;
	case FIELD_OBJECT:
		if (!json_is_object(v))
			return VALIDATE_WRONG_TYPE;
		out->json = (json_t *)v;
		return VALIDATE_OK;
	case FIELD_TIME:
		if (!json_is_string(v))
			return VALIDATE_WRONG_TYPE;
		out->str = json_string_value(v);
		return validate_parse_time(out->str, &out->num) == 0 ? VALIDATE_OK
		                                                     : VALIDATE_INVALID_VALUE;
	default:
		if (!json_is_string(v))
			return VALIDATE_WRONG_TYPE;
		out->str = json_string_value(v);
		return check_text(out->str, json_string_length(v), spec);
	}
}

static const struct field_spec *find_spec(const struct field_spec *specs, size_t n,
                                          const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(specs[i].name, name) == 0)
			return &specs[i];
	return NULL;
}

/* The field's name, cut to err->field at a character boundary: a member
 * name is any UTF-8, and the problem prints it as JSON text, which a
 * character cut in half would make invalid (json_pack refused it, and the
 * problem lost its "field"). */
static enum validate_err fail(struct validate_error *err, enum validate_err e,
                              const char *field)
{
	size_t n = strlen(field);

	err->err = e;
	if (n >= sizeof err->field) {
		n = sizeof err->field - 1;
		while (n > 0 && ((unsigned char)field[n] & 0xC0) == 0x80)
			n--;   /* field[n] is the first byte left out: back to a lead byte */
	}
	memcpy(err->field, field, n);
	err->field[n] = '\0';
	return e;
}

enum validate_err validate_object(const json_t *obj, const struct field_spec *specs,
                                  size_t n, struct field_value *out,
                                  struct validate_error *err)
{
	const char *key;
	json_t *v;

	memset(out, 0, n * sizeof *out);
	memset(err, 0, sizeof *err);
	if (!json_is_object(obj))
		return fail(err, VALIDATE_WRONG_TYPE, "");
	json_object_foreach((json_t *)obj, key, v)
		if (find_spec(specs, n, key) == NULL)
			return fail(err, VALIDATE_UNKNOWN_FIELD, key);
	for (size_t i = 0; i < n; i++) {
		v = json_object_get(obj, specs[i].name);
		if (v == NULL || (json_is_null(v) && specs[i].nullable)) {
			if (specs[i].required)
				return fail(err, VALIDATE_MISSING_FIELD, specs[i].name);
			continue;
		}
		enum validate_err e = check_value(v, &specs[i], &out[i]);
		if (e != VALIDATE_OK)
			return fail(err, e, specs[i].name);
		out[i].present = true;
	}
	return VALIDATE_OK;
}

enum validate_err validate_text(const char *text, const struct field_spec *spec,
                                struct field_value *out)
{
	json_t *v;
	enum validate_err e;

	memset(out, 0, sizeof *out);
	if (spec->type == FIELD_INT) {
		int saved = errno;
		char *end = NULL;
		errno = 0;
		long long num = strtoll(text, &end, 10);
		bool bad = errno != 0 || end == text || *end != '\0' || strlen(text) > 19 ||
		           strspn(text, DIGIT "-") != strlen(text);
		errno = saved;
		if (bad)
			return VALIDATE_WRONG_TYPE;
		v = json_integer(num);
	} else if (spec->type == FIELD_BOOL) {
		if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
			return VALIDATE_WRONG_TYPE;
		v = json_boolean(text[0] == 't');
	} else
		v = json_string(text);
	if (v == NULL)
		return VALIDATE_INVALID_VALUE;
	e = check_value(v, spec, out);
	out->str = text;        /* the caller's string outlives v */
	out->json = NULL;
	out->present = e == VALIDATE_OK;
	json_decref(v);
	return e;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no libc time zone state is touched. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int validate_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 ||
	    d > days_in_month(y, mo) || h < 0 || mi < 0 || sec < 0)
		return -1;
	p = s + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		sign = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		sign = *p == '+' ? 1 : -1;
		oh = digits(p + 1, 2), om = digits(p + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
	} else
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * INT64_C(3600) + mi * INT64_C(60) + sec -
	       sign * (oh * INT64_C(3600) + om * INT64_C(60));
	return *out < 0 ? -1 : 0;
}

void validate_format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	/* strftime returns 0 and may leave buf unterminated when it does not
	 * fit (a year past 9999 in a 21-byte buffer). */
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%s", "");
}
