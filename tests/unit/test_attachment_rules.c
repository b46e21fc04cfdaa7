/* test_attachment_rules.c -- cmocka tests of fcgi/attachment_rules.c: the
 * declared types and their first bytes, file names (lengths at and past
 * 255 bytes, control, bidi-override and path characters, invalid UTF-8),
 * and the RFC 6266 / RFC 8187 Content-Disposition of a download. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attachment_rules.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static void test_type_parse(void **state)
{
	static const struct { const char *ct; int ok; enum attach_type want; } rows[] = {
		{ "image/png", 1, ATTACH_PNG },
		{ "IMAGE/PNG", 1, ATTACH_PNG },
		{ "image/jpeg", 1, ATTACH_JPEG },
		{ "application/pdf", 1, ATTACH_PDF },
		{ "application/pdf; charset=binary", 1, ATTACH_PDF },
		{ "image/png ;x=y", 1, ATTACH_PNG },
		{ "image/jpg", 0, 0 },
		{ "image/pngx", 0, 0 },
		{ "image/pn", 0, 0 },
		{ "image/gif", 0, 0 },
		{ "image/svg+xml", 0, 0 },
		{ "text/html", 0, 0 },
		{ "application/octet-stream", 0, 0 },
		{ " image/png", 0, 0 },
		{ "", 0, 0 },
		{ NULL, 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		enum attach_type t = ATTACH__MAX;
		int ok = attach_type_parse(rows[i].ct, &t);
		if (ok != rows[i].ok || (ok && t != rows[i].want))
			fail_msg("type row %zu (%s): ok %d type %d", i, rows[i].ct ? rows[i].ct : "NULL", ok, t);
	}
	assert_string_equal(attach_type_name(ATTACH_JPEG), "image/jpeg");
}

static void test_magic(void **state)
{
	static const struct { enum attach_type t; const char *b; size_t n; int want; } rows[] = {
		{ ATTACH_PNG, "\x89PNG\r\n\x1a\n", 8, 1 },
		{ ATTACH_PNG, "\x89PNG\r\n\x1a\nIHDR", 12, 1 },
		{ ATTACH_PNG, "\x89PNG\r\n\x1a", 7, 0 },          /* cut short */
		{ ATTACH_PNG, "\x89PNG\n\n\x1a\n", 8, 0 },        /* line endings mangled */
		{ ATTACH_JPEG, "\xff\xd8\xff\xe0", 4, 1 },
		{ ATTACH_JPEG, "\xff\xd8\xff", 3, 1 },
		{ ATTACH_JPEG, "\xff\xd8", 2, 0 },
		{ ATTACH_JPEG, "\xff\xd9\xff", 3, 0 },
		{ ATTACH_PDF, "%PDF-1.7", 8, 1 },
		{ ATTACH_PDF, "%PDF-", 5, 1 },
		{ ATTACH_PDF, "%PDF", 4, 0 },
		{ ATTACH_PDF, " %PDF-1.7", 9, 0 },
		{ ATTACH_PDF, "\x89PNG\r\n\x1a\n", 8, 0 },
		{ ATTACH_PNG, "%PDF-1.7", 8, 0 },
		{ ATTACH_PNG, "", 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++)
		if (attach_magic_ok(rows[i].t, rows[i].b, rows[i].n) != rows[i].want)
			fail_msg("magic row %zu: want %d", i, rows[i].want);
	assert_false(attach_magic_ok(ATTACH_PNG, NULL, 8));
	assert_false(attach_magic_ok(ATTACH__MAX, "%PDF-", 5));
}

static void test_names(void **state)
{
	char longest[256], too_long[257], cjk[256], cjk_over[259];
	memset(longest, 'a', 255), longest[255] = '\0';
	memset(too_long, 'a', 256), too_long[256] = '\0';
	for (int i = 0; i < 85; i++)
		memcpy(cjk + 3 * i, "\xe7\xa5\xa8", 3);   /* 票: 85 x 3 = 255 bytes */
	cjk[255] = '\0';
	memcpy(cjk_over, cjk, 255);
	memcpy(cjk_over + 255, "\xe7\xa5\xa8", 4);
	const struct { const char *name; enum attach_name_err want; } rows[] = {
		{ "receipt.png", ATTACH_NAME_OK },
		{ "收据 2026 (1).pdf", ATTACH_NAME_OK },
		{ "a", ATTACH_NAME_OK },
		{ ".hidden", ATTACH_NAME_OK },
		{ "...", ATTACH_NAME_OK },
		{ longest, ATTACH_NAME_OK },
		{ cjk, ATTACH_NAME_OK },
		{ "", ATTACH_NAME_EMPTY },
		{ too_long, ATTACH_NAME_TOO_LONG },
		{ cjk_over, ATTACH_NAME_TOO_LONG },
		{ "bad\xff.png", ATTACH_NAME_BAD_UTF8 },
		{ "over\xc0\xae.png", ATTACH_NAME_BAD_UTF8 },
		{ "cut\xe7\xa5", ATTACH_NAME_BAD_UTF8 },
		{ "nl\n.png", ATTACH_NAME_CONTROL },
		{ "cr\r.png", ATTACH_NAME_CONTROL },
		{ "esc\x1b[31m.png", ATTACH_NAME_CONTROL },
		{ "del\x7f.png", ATTACH_NAME_CONTROL },
		{ "c1\xc2\x85.png", ATTACH_NAME_CONTROL },
		{ "c1\xc2\x9f.png", ATTACH_NAME_CONTROL },
		{ "nbsp\xc2\xa0.png", ATTACH_NAME_OK },
		{ "rlo\xe2\x80\xae" "gnp.exe", ATTACH_NAME_CONTROL },
		{ "lre\xe2\x80\xaa.png", ATTACH_NAME_CONTROL },
		{ "fsi\xe2\x81\xa8.png", ATTACH_NAME_CONTROL },
		{ "pdi\xe2\x81\xa9.png", ATTACH_NAME_CONTROL },
		{ "lrm\xe2\x80\x8e.png", ATTACH_NAME_OK },
		{ "zwj\xe2\x80\x8d.png", ATTACH_NAME_OK },
		{ "zwsp\xe2\x80\x8b.png", ATTACH_NAME_CONTROL },
		{ "ls\xe2\x80\xa8.png", ATTACH_NAME_CONTROL },
		{ "ps\xe2\x80\xa9.png", ATTACH_NAME_CONTROL },
		{ "wj\xe2\x81\xa0.png", ATTACH_NAME_CONTROL },
		{ "bom\xef\xbb\xbf.png", ATTACH_NAME_CONTROL },
		{ " lead.png", ATTACH_NAME_CONTROL },
		{ "trail.png ", ATTACH_NAME_CONTROL },
		{ "a/b.png", ATTACH_NAME_PATH },
		{ "/etc/passwd", ATTACH_NAME_PATH },
		{ "a\\b.png", ATTACH_NAME_PATH },
		{ "..\\x", ATTACH_NAME_PATH },
		{ ".", ATTACH_NAME_PATH },
		{ "..", ATTACH_NAME_PATH },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		enum attach_name_err e = attach_name_check(rows[i].name, strlen(rows[i].name));
		if (e != rows[i].want)
			fail_msg("name row %zu: got %d want %d", i, e, rows[i].want);
	}
	/* len counts: an embedded NUL inside len is refused (invalid UTF-8) */
	assert_int_equal(attach_name_check("a\0b", 3), ATTACH_NAME_BAD_UTF8);
	assert_int_equal(attach_name_check(NULL, 0), ATTACH_NAME_EMPTY);
	assert_string_not_equal(attach_name_err_text(ATTACH_NAME_PATH), "ok");
}

static void test_content_disposition(void **state)
{
	char buf[1536], small[40];
	(void)state;
	assert_int_equal(attach_content_disposition("receipt.png", buf, sizeof buf), 0);
	assert_string_equal(buf, "attachment; filename=\"receipt.png\"; filename*=UTF-8''receipt.png");
	assert_int_equal(attach_content_disposition("收据 1.pdf", buf, sizeof buf), 0);
	assert_string_equal(buf, "attachment; filename=\"______ 1.pdf\"; "
	                         "filename*=UTF-8''%E6%94%B6%E6%8D%AE%201.pdf");
	/* quote, percent, ';', '\'' and '*' are encoded; RFC 8187 attr-chars
	 * ("!#$&+-.^_`|~") are not; the fallback drops '"', '%', ';', '*', '|' */
	assert_int_equal(attach_content_disposition("a\"b%c;d'e*f!#$&+-.^_`|~", buf, sizeof buf), 0);
	assert_string_equal(buf, "attachment; filename=\"a_b_c_d'e_f!#$&+-.^_`_~\"; "
	                         "filename*=UTF-8''a%22b%25c%3Bd%27e%2Af!#$&+-.^_`|~");
	/* too small a buffer fails instead of cutting the header short */
	assert_int_equal(attach_content_disposition("receipt-of-march.png", small, sizeof small), -1);
	assert_int_equal(attach_content_disposition("x", buf, 10), -1);
	/* a name that looks like a parameter stays inside the quotes, harmless */
	assert_int_equal(attach_content_disposition("\"; filename*=UTF-8''x.exe", buf, sizeof buf), 0);
	assert_string_equal(buf, "attachment; filename=\"__ filename__UTF-8''x.exe\"; "
	                         "filename*=UTF-8''%22%3B%20filename%2A%3DUTF-8%27%27x.exe");
	/* the longest name fits the handler's buffer: 255 x '%XX' */
	char cjk[256];
	for (int i = 0; i < 85; i++)
		memcpy(cjk + 3 * i, "\xe7\xa5\xa8", 3);
	cjk[255] = '\0';
	assert_int_equal(attach_content_disposition(cjk, buf, sizeof buf), 0);
	assert_int_equal(strlen(buf), strlen("attachment; filename=\"\"; filename*=UTF-8''") + 255 + 3 * 255);
}

/* What an Idempotency-Key binds an upload to: refund, name, type and the
 * bytes' SHA-256 (FIPS 180-2's "abc" vector); a buffer too small fails. */
/* A download is saved under a name whose extension is its checked type's:
 * "invoice.html" stored as a PNG (its bytes may be a PNG-and-HTML
 * polyglot) must not land on staff's disk as an .html file that opens as
 * a page, outside the sandbox the download was sent with. */
static void test_download_name(void **state)
{
	static const struct { const char *name; enum attach_type t; const char *want; } rows[] = {
		{ "receipt.png", ATTACH_PNG, "receipt.png" },
		{ "RECEIPT.PNG", ATTACH_PNG, "RECEIPT.PNG" },
		{ "photo.jpg", ATTACH_JPEG, "photo.jpg" },
		{ "photo.JPEG", ATTACH_JPEG, "photo.JPEG" },
		{ "scan.jfif", ATTACH_JPEG, "scan.jfif" },
		{ "扫描件.pdf", ATTACH_PDF, "扫描件.pdf" },
		{ "invoice.html", ATTACH_PNG, "invoice.html.png" },
		{ "invoice.svg", ATTACH_JPEG, "invoice.svg.jpg" },
		{ "run.hta", ATTACH_PDF, "run.hta.pdf" },
		{ "photo.jpg", ATTACH_PNG, "photo.jpg.png" },
		{ "receipt", ATTACH_PDF, "receipt.pdf" },
		{ "receipt.", ATTACH_PDF, "receipt..pdf" },
		{ ".png", ATTACH_PNG, ".png.png" },
		{ "xpng", ATTACH_PNG, "xpng.png" },
	};
	char buf[ATTACH_DOWNLOAD_NAME_SIZE], longest[ATTACH_NAME_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_int_equal(attach_download_name(rows[i].name, rows[i].t, buf, sizeof buf), 0);
		if (strcmp(buf, rows[i].want) != 0)
			fail_msg("row %zu: %s as %s gave %s, want %s", i, rows[i].name,
			         attach_type_name(rows[i].t), buf, rows[i].want);
	}
	/* the longest name a customer may give still fits */
	memset(longest, 'n', ATTACH_NAME_MAX);
	longest[ATTACH_NAME_MAX] = '\0';
	assert_int_equal(attach_download_name(longest, ATTACH_JPEG, buf, sizeof buf), 0);
	assert_int_equal(strlen(buf), ATTACH_NAME_MAX + 4);
	assert_int_equal(attach_download_name("receipt", ATTACH_PNG, buf, 8), -1);
}

static void test_request_text(void **state)
{
	char buf[ATTACH_REQUEST_TEXT_SIZE];
	(void)state;
	assert_int_equal(attach_request_text("42", "a.png", ATTACH_PNG, "abc", 3, buf, sizeof buf), 0);
	assert_string_equal(buf, "POST /api/v1/refunds/42/attachments\na.png\nimage/png\n"
	                         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(attach_request_text("42", "a.png", ATTACH_PDF, "abd", 3, buf, sizeof buf), 0);
	assert_null(strstr(buf, "ba7816bf"));
	assert_int_equal(attach_request_text("42", "a.png", ATTACH_PNG, "abc", 3, buf, 40), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_parse),
		cmocka_unit_test(test_magic),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_content_disposition),
		cmocka_unit_test(test_request_text),
		cmocka_unit_test(test_download_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
