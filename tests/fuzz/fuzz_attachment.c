/* fuzz_attachment.c -- libFuzzer target for attachment_rules.c. Input: the
 * first byte picks a type for attach_magic_ok over the rest; the rest is
 * also a file name. A name attach_name_check accepts must be valid UTF-8
 * without control bytes or path separators, and its Content-Disposition
 * must fit the handler's buffer, be printable ASCII only (nothing can
 * split the header), and its filename* must percent-decode to the name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attachment_rules.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The filename*=UTF-8''... value decoded into out; its length, or -1.
 * It follows the quoted fallback, which can hold no '"' of its own. */
static long decode_ext(const char *cd, char *out, size_t len)
{
	static const char ext[] = "\"; filename*=UTF-8''";
	const char *p = strstr(cd, ext);
	size_t o = 0;

	if (p == NULL)
		return -1;
	for (p += sizeof ext - 1; *p && o < len; p++) {
		if (*p == '%') {
			int hi = hexval(p[1]), lo = hexval(p[2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			p += 2;
		} else
			out[o++] = *p;
	}
	return (long)o;
}

static void check_accepted(const char *name, size_t n)
{
	char cd[1536], back[512];

	if (!http_utf8_valid(name, n) || memchr(name, '/', n) || memchr(name, '\\', n))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7F)
			abort();
	if (attach_content_disposition(name, cd, sizeof cd) != 0)
		abort();
	for (const char *p = cd; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E)
			abort();
	long m = decode_ext(cd, back, sizeof back);
	if (m != (long)n || memcmp(back, name, n) != 0)
		abort();
	/* the name a download is saved under always fits its header */
	for (int t = 0; t < ATTACH__MAX; t++) {
		char saved[ATTACH_DOWNLOAD_NAME_SIZE];
		if (attach_download_name(name, (enum attach_type)t, saved, sizeof saved) != 0 ||
		    strncmp(saved, name, n) != 0 ||
		    attach_content_disposition(saved, cd, sizeof cd) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name;

	if (size == 0)
		return 0;
	(void)attach_magic_ok((enum attach_type)(data[0] % (ATTACH__MAX + 1)), data + 1, size - 1);
	name = malloc(size);
	if (name == NULL)
		return 0;
	memcpy(name, data + 1, size - 1);
	name[size - 1] = '\0';
	if (attach_name_check(name, size - 1) == ATTACH_NAME_OK)
		check_accepted(name, size - 1);
	free(name);
	return 0;
}
