/* fuzz_http.c -- libFuzzer target for the request-metadata parsers of
 * fcgi/http.c (PITFALLS.md "Request bodies"). The first byte sets the
 * knobs: bits 0-1 pick the CONTENT_LENGTH cap (0, 1000, 16 MiB, LONG_MAX),
 * bit 2 whether '+' means space. The rest goes, as it is, to
 * http_parse_content_length, http_query_param (names "limit" and "a", two
 * buffer sizes), http_utf8_valid and http_url_decode, each checked against
 * what its header promises: bounded, NUL-free, valid UTF-8 output. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_length(const char *s, long max)
{
	long out = -1;
	enum http_length rc = http_parse_content_length(s, max, &out);

	if (rc == HTTP_LENGTH_OK) {
		if (out < 0 || out > max || s[strspn(s, "0123456789")] != '\0')
			abort();
	} else if (out != 0 || (rc != HTTP_LENGTH_INVALID && rc != HTTP_LENGTH_TOO_LARGE)) {
		abort();
	}
}

/* A decoded value fits its buffer and is valid, NUL-free UTF-8. */
static void check_decoded(const char *buf, size_t len)
{
	size_t n = strnlen(buf, len);

	if (n == len || !http_utf8_valid(buf, n))
		abort();
}

static void check_query(const char *q)
{
	static const char *const names[] = { "limit", "a" };
	static const size_t sizes[] = { 8, 256 };
	char buf[256];

	for (size_t i = 0; i < 2; i++)
		for (size_t k = 0; k < 2; k++) {
			int rc = http_query_param(q, names[i], buf, sizes[k]);
			if (rc < -1 || rc > 1)
				abort();
			if (rc == 1)
				check_decoded(buf, sizes[k]);
		}
}

/* Valid UTF-8 never holds NUL, C0, C1 or F5..FF bytes. */
static void check_utf8(const uint8_t *p, size_t n)
{
	if (!http_utf8_valid((const char *)p, n))
		return;
	for (size_t i = 0; i < n; i++)
		if (p[i] == 0 || p[i] == 0xC0 || p[i] == 0xC1 || p[i] >= 0xF5)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long caps[] = { 0, 1000, 16L * 1024 * 1024, LONG_MAX };
	char small[16], *str;

	if (size == 0)
		return 0;
	str = malloc(size);            /* the rest, NUL-terminated, exact size */
	if (str == NULL)
		return 0;
	memcpy(str, data + 1, size - 1);
	str[size - 1] = '\0';
	check_length(str, caps[data[0] & 3]);
	check_query(str);
	check_utf8(data + 1, size - 1);
	if (http_url_decode((const char *)data + 1, size - 1, small, sizeof small,
	                    (data[0] & 4) != 0) == 0)
		check_decoded(small, sizeof small);
	free(str);
	return 0;
}
