/* test_http.c -- cmocka tests of fcgi/http.c: RFC 9457 problem bodies (the
 * exact member set, extra members merged under the fixed ones, the default
 * status and code of every enum app_err), and the small parsers of request
 * metadata fed the hostile inputs of PITFALLS.md "Request bodies":
 * CONTENT_LENGTH, Content-Type, query parameters, percent-decoding and
 * strict UTF-8. Each table row is written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* ---- problem details ------------------------------------------------- */

/* Renders p and parses the body back; the caller json_decref()s it. */
static json_t *render_problem(const struct problem *p, const char *request_id,
                              struct http_response *resp)
{
	json_error_t jerr;
	json_t *body;

	memset(resp, 0, sizeof *resp);
	assert_int_equal(http_respond_problem(resp, request_id, p), 0);
	assert_string_equal(resp->content_type, "application/problem+json");
	assert_non_null(resp->body);
	assert_int_equal(resp->body_len, strlen(resp->body));
	body = json_loadb(resp->body, resp->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL)
		fail_msg("problem body is not JSON: %s (%s)", jerr.text, resp->body);
	return body;
}

static void expect_member(json_t *body, const char *key, const char *want)
{
	json_t *v = json_object_get(body, key);
	if (!json_is_string(v))
		fail_msg("member %s missing or not a string", key);
	if (strcmp(json_string_value(v), want) != 0)
		fail_msg("member %s is \"%s\", want \"%s\"", key, json_string_value(v), want);
}

/* The six members of §4 and nothing else (plus `extra` more). */
static void expect_shape(json_t *body, int status, const char *code, const char *title,
                         const char *detail, const char *rid, size_t extra)
{
	assert_int_equal(json_object_size(body), 6 + extra);
	expect_member(body, "type", "about:blank");
	expect_member(body, "title", title);
	assert_true(json_is_integer(json_object_get(body, "status")));
	assert_int_equal(json_integer_value(json_object_get(body, "status")), status);
	expect_member(body, "code", code);
	expect_member(body, "detail", detail);
	expect_member(body, "request_id", rid);
}

static const struct {
	enum app_err err;
	int status;
	const char *code;
} err_rows[] = {
	{ ERR_BAD_REQUEST, 400, "bad_request" },
	{ ERR_INVALID_JSON, 400, "invalid_json" },
	{ ERR_INVALID_UTF8, 400, "invalid_utf8" },
	{ ERR_UNAUTHORIZED, 401, "invalid_token" },
	{ ERR_FORBIDDEN, 403, "forbidden" },
	{ ERR_NOT_FOUND, 404, "not_found" },
	{ ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed" },
	{ ERR_NOT_ACCEPTABLE, 406, "not_acceptable" },
	{ ERR_CONFLICT, 409, "conflict" },
	{ ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large" },
	{ ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type" },
	{ ERR_VALIDATION, 422, "validation_failed" },
	{ ERR_INTERNAL, 500, "internal" },
	{ ERR_DB_UNAVAILABLE, 503, "db_unavailable" },
	{ ERR_DB_TIMEOUT, 503, "db_timeout" },
	{ ERR_DB_BUSY, 503, "db_busy" },
};

/* Every error kind has a row above, with its status, code and a title. */
static void test_err_table(void **state)
{
	(void)state;
	assert_int_equal(COUNT(err_rows), ERR__MAX - 1);
	for (size_t i = 0; i < COUNT(err_rows); i++) {
		if (http_err_status(err_rows[i].err) != err_rows[i].status ||
		    strcmp(http_err_code(err_rows[i].err), err_rows[i].code) != 0)
			fail_msg("err row %zu: got %d %s, want %d %s", i,
			         http_err_status(err_rows[i].err), http_err_code(err_rows[i].err),
			         err_rows[i].status, err_rows[i].code);
		assert_true(strlen(http_err_title(err_rows[i].err)) > 0);
	}
	assert_int_equal(http_err_status(ERR__MAX), 500);
	assert_string_equal(http_err_code(ERR__MAX), "internal");
	assert_string_equal(http_err_title((enum app_err)999), "Internal error");
}

/* With no code and no detail: the default code, and the title as detail. */
static void test_problem_defaults(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(err_rows); i++) {
		struct problem p = { err_rows[i].err, NULL, "", NULL, NULL };
		struct http_response resp;
		json_t *body = render_problem(&p, "req-1", &resp);
		const char *title = http_err_title(err_rows[i].err);
		assert_int_equal(resp.status, err_rows[i].status);
		expect_shape(body, err_rows[i].status, err_rows[i].code, title, title, "req-1", 0);
		json_decref(body);
		http_response_reset(&resp);
	}
}

/* The exact body, byte for byte, of one problem: the key order is part of
 * what clients and logs see. */
static void test_problem_exact_text(void **state)
{
	struct problem p = { ERR_VALIDATION, "window_closed", "the 5-day window ended", NULL, NULL };
	struct http_response resp = { 0 };

	(void)state;
	assert_int_equal(http_respond_problem(&resp, "abc123", &p), 0);
	assert_int_equal(resp.status, 422);
	assert_string_equal(resp.body,
		"{\"type\":\"about:blank\",\"title\":\"Request is not valid\",\"status\":422,"
		"\"code\":\"window_closed\",\"detail\":\"the 5-day window ended\","
		"\"request_id\":\"abc123\"}");
	http_response_reset(&resp);
	assert_null(resp.body);
}

/* A stable code of our own replaces the default; ERR_NONE is never sent
 * as a success: it becomes a 500. */
static void test_problem_code_and_none(void **state)
{
	struct problem p = { ERR_CONFLICT, "quote_changed", "amount differs", NULL, NULL };
	struct problem none = { ERR_NONE, NULL, "", NULL, NULL };
	struct http_response resp;
	json_t *body;

	(void)state;
	body = render_problem(&p, "r", &resp);
	expect_shape(body, 409, "quote_changed", "Conflict with the current state",
	             "amount differs", "r", 0);
	json_decref(body);
	http_response_reset(&resp);
	body = render_problem(&none, "r", &resp);
	assert_int_equal(resp.status, 500);
	expect_shape(body, 500, "internal", "Internal error", "Internal error", "r", 0);
	json_decref(body);
	http_response_reset(&resp);
}

/* A route that takes something other than JSON names it in the title
 * (the statement import: text/csv); without one, the 415 title names no
 * type, since routes take JSON, CSV or a file. */
static void test_problem_title_of_route(void **state)
{
	struct problem p = { ERR_UNSUPPORTED_MEDIA_TYPE, NULL, "send the statement as text/csv", NULL,
	                     "Content-Type must be text/csv" };
	struct http_response resp;
	json_t *body;

	(void)state;
	body = render_problem(&p, "r", &resp);
	expect_shape(body, 415, "unsupported_media_type", "Content-Type must be text/csv",
	             "send the statement as text/csv", "r", 0);
	json_decref(body);
	http_response_reset(&resp);
	assert_string_equal(http_err_title(ERR_UNSUPPORTED_MEDIA_TYPE), "Unsupported Content-Type");
}

/* Extra members are merged, but never overwrite the fixed six; the caller
 * keeps ownership of extra. */
static void test_problem_extra(void **state)
{
	struct problem p = { ERR_CONFLICT, "quote_changed", "new quote", NULL, NULL };
	struct http_response resp;
	json_t *body;

	(void)state;
	p.extra = json_pack("{s:{s:i,s:s},s:s,s:i,s:s}", "quote", "amount", 12345,
	                    "currency", "CNY", "type", "https://evil.example",
	                    "status", 200, "request_id", "forged");
	assert_non_null(p.extra);
	body = render_problem(&p, "rid-9", &resp);
	expect_shape(body, 409, "quote_changed", "Conflict with the current state",
	             "new quote", "rid-9", 1);
	assert_int_equal(json_integer_value(json_object_get(
		json_object_get(body, "quote"), "amount")), 12345);
	assert_int_equal(json_object_size(p.extra), 4);  /* not consumed or changed */
	json_decref(body);
	json_decref(p.extra);
	http_response_reset(&resp);
}

/* Details carrying quotes, control bytes and Chinese text come out as
 * valid JSON and read back unchanged. */
static void test_problem_escaping(void **state)
{
	static const char *const details[] = {
		"say \"no\"", "back\\slash", "tab\there\nnewline", "\x01\x1f",
		"\xE9\x80\x80\xE6\xAC\xBE\xE7\x94\xB3\xE8\xAF\xB7", "</script>",
	};
	(void)state;
	for (size_t i = 0; i < COUNT(details); i++) {
		struct problem p = { ERR_BAD_REQUEST, NULL, "", NULL, NULL };
		struct http_response resp;
		strcpy(p.detail, details[i]);
		json_t *body = render_problem(&p, "r", &resp);
		expect_member(body, "detail", details[i]);
		/* control characters escaped; UTF-8 text passed through as it is */
		for (const char *c = resp.body; *c; c++)
			if ((unsigned char)*c < 0x20)
				fail_msg("detail row %zu: raw byte 0x%02x in body", i, (unsigned char)*c);
		assert_true(http_utf8_valid(resp.body, resp.body_len));
		if ((unsigned char)details[i][0] >= 0x80)
			assert_non_null(strstr(resp.body, details[i]));
		json_decref(body);
		http_response_reset(&resp);
	}
}

/* app_fail formats into a 256-byte detail with vsnprintf, which can cut a
 * multi-byte character in half; the problem must still carry a detail (the
 * valid prefix) rather than silently lose the member. */
static void test_problem_cut_utf8(void **state)
{
	static const struct { const char *in, *want; } rows[] = {
		{ "refund \xE9\x80", "refund " },
		{ "x\xC3", "x" },
		{ "\xFF", "Request is not valid" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct problem p = { ERR_VALIDATION, NULL, "", NULL, NULL };
		struct http_response resp;
		strcpy(p.detail, rows[i].in);
		json_t *body = render_problem(&p, "r", &resp);
		assert_int_equal(json_object_size(body), 6);
		expect_member(body, "detail", rows[i].want);
		json_decref(body);
		http_response_reset(&resp);
	}
}

static void test_respond_json_and_headers(void **state)
{
	struct http_response resp = { 0 };

	(void)state;
	assert_int_equal(http_respond_json(&resp, 201, json_pack("{s:s}", "status", "ok")), 0);
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.content_type, "application/json");
	assert_string_equal(resp.body, "{\"status\":\"ok\"}");
	assert_int_equal(resp.body_len, 15);
	assert_int_equal(http_respond_json(&resp, 204, NULL), 0);  /* frees the old body */
	assert_null(resp.body);
	assert_int_equal(resp.body_len, 0);
	http_add_header(&resp, "Allow", "GET, PUT");
	http_add_header(&resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	assert_string_equal(resp.headers, "Allow: GET, PUT\r\n"
	                    "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
	http_response_reset(&resp);
	assert_string_equal(resp.headers, "");
}

/* ---- CONTENT_LENGTH -------------------------------------------------- */

static void test_content_length(void **state)
{
	static const struct {
		const char *in;
		long max;
		enum http_length want;
		long out;
	} rows[] = {
		{ NULL, 1000, HTTP_LENGTH_OK, 0 },
		{ "", 1000, HTTP_LENGTH_OK, 0 },
		{ "0", 1000, HTTP_LENGTH_OK, 0 },
		{ "42", 1000, HTTP_LENGTH_OK, 42 },
		{ "000042", 1000, HTTP_LENGTH_OK, 42 },
		{ "1000", 1000, HTTP_LENGTH_OK, 1000 },
		{ "1001", 1000, HTTP_LENGTH_TOO_LARGE, 0 },
		{ "99999", 1000, HTTP_LENGTH_TOO_LARGE, 0 },
		{ "-1", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "-0", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "+5", 1000, HTTP_LENGTH_INVALID, 0 },
		{ " 5", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "5 ", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "abc", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "12a", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "1e3", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "0x10", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "4.0", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "5, 5", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "1001x", 1000, HTTP_LENGTH_INVALID, 0 },          /* malformed wins */
		{ "99999999999999999999x", 1000, HTTP_LENGTH_INVALID, 0 },
		{ "5", 3, HTTP_LENGTH_TOO_LARGE, 0 },
		{ "9223372036854775807", 1000, HTTP_LENGTH_TOO_LARGE, 0 },
		{ "9223372036854775808", 1000, HTTP_LENGTH_TOO_LARGE, 0 },
		{ "999999999999999999999999999999", 1000, HTTP_LENGTH_TOO_LARGE, 0 },
		/* the cap itself may be as large as a long: no overflow on the way */
		{ "9223372036854775807", LONG_MAX, HTTP_LENGTH_OK, LONG_MAX },
		{ "9223372036854775808", LONG_MAX, HTTP_LENGTH_TOO_LARGE, 0 },
		{ "9223372036854775810", LONG_MAX, HTTP_LENGTH_TOO_LARGE, 0 },
		{ "99999999999999999999", LONG_MAX, HTTP_LENGTH_TOO_LARGE, 0 },
		{ "922337203685477580", LONG_MAX, HTTP_LENGTH_OK, 922337203685477580L },
		{ "0", 0, HTTP_LENGTH_OK, 0 },
		{ "1", 0, HTTP_LENGTH_TOO_LARGE, 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		long out = 777;
		enum http_length got = http_parse_content_length(rows[i].in, rows[i].max, &out);
		if (got != rows[i].want || out != rows[i].out)
			fail_msg("length row %zu (%s): got %d/%ld, want %d/%ld", i,
			         rows[i].in ? rows[i].in : "NULL", got, out, rows[i].want,
			         rows[i].out);
	}
}

/* ---- Content-Type ---------------------------------------------------- */

static void test_is_json_type(void **state)
{
	static const struct { const char *in; int want; } rows[] = {
		{ "application/json", 1 },
		{ "application/json; charset=utf-8", 1 },
		{ "application/json;charset=UTF-8", 1 },
		{ "Application/JSON", 1 },
		{ NULL, 0 },
		{ "", 0 },
		{ "text/plain", 0 },
		{ "application/jsonp", 0 },
		{ "application/json-patch+json", 0 },
		{ "application/problem+json", 0 },
		{ "application/x-www-form-urlencoded", 0 },
		{ "multipart/form-data; boundary=x", 0 },
		{ " application/json", 0 },
		{ "application/js", 0 },
		{ "text/json", 0 },
		/* JSON text is UTF-8 (RFC 8259 §8.1): another charset is refused,
		 * not read as UTF-8 bytes it is not. */
		{ "application/json ; charset=\"utf-8\"", 1 },
		{ "application/json;", 1 },
		{ "application/json; charset=iso-8859-1", 0 },
		{ "application/json; charset=latin1", 0 },
		{ "application/json; charset=utf-16", 0 },
		{ "application/json; charset=\"utf-16le\"", 0 },
		{ "application/json; charset=", 0 },
		{ "application/json; charset=utf-8x", 0 },
		{ "application/json; charset=utf-8; charset=latin1", 0 },
		{ "application/json; boundary=x", 0 },
		{ "application/json garbage", 0 },
		{ "application/json;charset=utf-8 x", 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++)
		if (http_is_json_type(rows[i].in) != rows[i].want)
			fail_msg("json type row %zu (%s): want %d", i,
			         rows[i].in ? rows[i].in : "NULL", rows[i].want);
}

/* A provider statement: the same rule for text/csv. */
static void test_is_csv_type(void **state)
{
	static const struct { const char *in; int want; } rows[] = {
		{ "text/csv", 1 },
		{ "text/csv; charset=utf-8", 1 },
		{ "Text/CSV;charset=\"UTF-8\"", 1 },
		{ NULL, 0 },
		{ "text/csvx", 0 },
		{ "text/plain", 0 },
		{ "application/json", 0 },
		{ "text/csv; charset=latin1", 0 },
		{ "text/csv; charset=gbk", 0 },
		{ "text/csv garbage", 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++)
		if (http_is_csv_type(rows[i].in) != rows[i].want)
			fail_msg("csv type row %zu (%s): want %d", i,
			         rows[i].in ? rows[i].in : "NULL", rows[i].want);
}

static void test_accepts_csv(void **state)
{
	static const struct { const char *in; int want; } rows[] = {
		{ "text/csv", 1 },
		{ "TEXT/CSV", 1 },
		{ "text/csv; charset=utf-8", 1 },
		{ "text/csv;q=0.9", 1 },
		{ " text/csv , application/json", 1 },
		{ "text/csv,application/json", 1 },
		{ NULL, 0 },
		{ "", 0 },
		{ "application/json", 0 },
		{ "application/json, text/csv", 0 },
		{ "text/csvfoo", 0 },
		{ "text/csv-schema", 0 },
		{ "text/cs", 0 },
		{ "*/*", 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++)
		if (http_accepts_csv(rows[i].in) != rows[i].want)
			fail_msg("accept row %zu (%s): want %d", i,
			         rows[i].in ? rows[i].in : "NULL", rows[i].want);
}

/* ---- query parameters and percent-decoding --------------------------- */

static void test_query_param(void **state)
{
	static const struct {
		const char *query, *name;
		size_t len;               /* buffer size given */
		int want;
		const char *value;
	} rows[] = {
		{ "limit=10&cursor=abc", "limit", 64, 1, "10" },
		{ "limit=10&cursor=abc", "cursor", 64, 1, "abc" },
		{ "limit=10&cursor=abc", "status", 64, 0, NULL },
		{ "", "limit", 64, 0, NULL },
		{ "a=1%202", "a", 64, 1, "1 2" },
		{ "a=1+2", "a", 64, 1, "1 2" },
		{ "a=%2B", "a", 64, 1, "+" },
		{ "a=%26b%3D", "a", 64, 1, "&b=" },
		{ "a=%E9%80%80%E6%AC%BE", "a", 64, 1, "\xE9\x80\x80\xE6\xAC\xBE" },
		{ "a=x=y", "a", 64, 1, "x=y" },
		{ "a=", "a", 64, 1, "" },
		{ "a", "a", 64, 1, "" },
		{ "a=1&a=2", "a", 64, 1, "1" },
		{ "b=1&a=2", "a", 64, 1, "2" },
		{ "&&a=3&", "a", 64, 1, "3" },
		{ "ab=1", "a", 64, 0, NULL },
		{ "xa=1", "a", 64, 0, NULL },
		{ "A=1", "a", 64, 0, NULL },
		{ "b=%zz&a=1", "a", 64, 1, "1" },
		{ "a=%", "a", 64, -1, NULL },
		{ "a=%4", "a", 64, -1, NULL },
		{ "a=%zz", "a", 64, -1, NULL },
		{ "a=%4g", "a", 64, -1, NULL },
		{ "a=x%00y", "a", 64, -1, NULL },
		{ "a=%FF", "a", 64, -1, NULL },
		{ "a=%C0%80", "a", 64, -1, NULL },
		{ "a=%ED%A0%80", "a", 64, -1, NULL },
		{ "a=%E9%80", "a", 64, -1, NULL },
		{ "a=1234567", "a", 8, 1, "1234567" },
		{ "a=12345678", "a", 8, -1, NULL },
		{ "a=%41%41%41%41%41%41%41", "a", 8, 1, "AAAAAAA" },
		{ "a=%41%41%41%41%41%41%41%41", "a", 8, -1, NULL },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		char buf[64];
		int got = http_query_param(rows[i].query, rows[i].name, buf, rows[i].len);
		if (got != rows[i].want)
			fail_msg("query row %zu (%s): got %d, want %d", i, rows[i].query, got,
			         rows[i].want);
		if (got == 1 && strcmp(buf, rows[i].value) != 0)
			fail_msg("query row %zu: value \"%s\", want \"%s\"", i, buf, rows[i].value);
	}
}

/* http_url_decode reads exactly n bytes, honours plus_is_space, and never
 * writes more than len bytes (NUL included). */
static void test_url_decode(void **state)
{
	static const struct {
		const char *in;
		size_t n, len;
		int plus, want;
		const char *out;
	} rows[] = {
		{ "a+b", 3, 16, 0, 0, "a+b" },
		{ "a+b", 3, 16, 1, 0, "a b" },
		{ "abc%41", 4, 16, 0, -1, NULL },   /* the escape is cut by n */
		{ "abc%41", 5, 16, 0, -1, NULL },
		{ "abc%41", 3, 16, 0, 0, "abc" },
		{ "abc%41", 6, 16, 0, 0, "abcA" },
		{ "", 0, 1, 0, 0, "" },
		{ "a", 1, 1, 0, -1, NULL },         /* no room for the NUL */
		{ "ab", 2, 3, 0, 0, "ab" },
		{ "abc", 3, 3, 0, -1, NULL },
		{ "%C3%A9", 6, 3, 0, 0, "\xC3\xA9" },
		{ "%c3%a9", 6, 16, 0, 0, "\xC3\xA9" },
		{ "%C3", 3, 16, 0, -1, NULL },
		{ "%%41", 4, 16, 0, -1, NULL },
		{ "%-1", 3, 16, 0, -1, NULL },
		{ "\xE9\x80\x80", 3, 16, 0, 0, "\xE9\x80\x80" },
		{ "\xE9\x80", 2, 16, 0, -1, NULL },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		char buf[32];
		memset(buf, 'Z', sizeof buf);
		int got = http_url_decode(rows[i].in, rows[i].n, buf, rows[i].len, rows[i].plus);
		if (got != rows[i].want)
			fail_msg("decode row %zu: got %d, want %d", i, got, rows[i].want);
		if (got == 0 && strcmp(buf, rows[i].out) != 0)
			fail_msg("decode row %zu: \"%s\", want \"%s\"", i, buf, rows[i].out);
		for (size_t k = rows[i].len; k < sizeof buf; k++)
			if (buf[k] != 'Z')
				fail_msg("decode row %zu: wrote byte %zu past len", i, k);
	}
}

/* ---- UTF-8 ----------------------------------------------------------- */

#define U(s) s, sizeof(s) - 1

static void test_utf8_valid(void **state)
{
	static const struct { const char *s; size_t len; int want; } rows[] = {
		{ U(""), 1 },
		{ U("hello, world"), 1 },
		{ U("\xC2\x80"), 1 },                      /* U+0080 */
		{ U("\xC3\xA9"), 1 },                      /* é */
		{ U("\xDF\xBF"), 1 },                      /* U+07FF */
		{ U("\xE0\xA0\x80"), 1 },                  /* U+0800 */
		{ U("\xE9\x80\x80\xE6\xAC\xBE"), 1 },      /* 退款 */
		{ U("\xE4\xB8\xAD\xE6\x96\x87"), 1 },      /* 中文 */
		{ U("\xED\x9F\xBF"), 1 },                  /* U+D7FF */
		{ U("\xEE\x80\x80"), 1 },                  /* U+E000 */
		{ U("\xEF\xBF\xBF"), 1 },                  /* U+FFFF */
		{ U("\xF0\x90\x80\x80"), 1 },              /* U+10000 */
		{ U("\xF0\x9F\x98\x80"), 1 },              /* emoji */
		{ U("\xF4\x8F\xBF\xBF"), 1 },              /* U+10FFFF */
		/* overlong forms */
		{ U("\xC0\x80"), 0 },
		{ U("\xC0\xAF"), 0 },
		{ U("\xC1\xBF"), 0 },
		{ U("\xE0\x80\x80"), 0 },
		{ U("\xE0\x9F\xBF"), 0 },
		{ U("\xF0\x80\x80\x80"), 0 },
		{ U("\xF0\x8F\xBF\xBF"), 0 },
		/* surrogates */
		{ U("\xED\xA0\x80"), 0 },
		{ U("\xED\xBF\xBF"), 0 },
		{ U("\xED\xA0\xBD\xED\xB8\x80"), 0 },      /* CESU-8 pair */
		/* beyond U+10FFFF and bytes that never appear */
		{ U("\xF4\x90\x80\x80"), 0 },
		{ U("\xF5\x80\x80\x80"), 0 },
		{ U("\xF8\x88\x80\x80\x80"), 0 },
		{ U("\xFE"), 0 },
		{ U("\xFF"), 0 },
		/* lone continuations and truncated sequences */
		{ U("\x80"), 0 },
		{ U("a\xBF"), 0 },
		{ U("\xC3"), 0 },
		{ U("\xE9\x80"), 0 },
		{ U("\xF0\x9F\x98"), 0 },
		{ U("ok\xE6\xAC"), 0 },
		{ U("\xC3\x41"), 0 },
		{ U("\xE9\x41\x80"), 0 },
		{ U("\xF0\x9F\x41\x80"), 0 },
		/* NUL anywhere inside len */
		{ U("\0"), 0 },
		{ U("a\0b"), 0 },
		{ U("abc\0"), 0 },
		/* len bounds the check: a character cut by len is invalid */
		{ "\xE9\x80\x80", 2, 0 },
		{ "\xE9\x80\x80\xFF", 3, 1 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++)
		if (http_utf8_valid(rows[i].s, rows[i].len) != rows[i].want)
			fail_msg("utf8 row %zu: want %d", i, rows[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_table),
		cmocka_unit_test(test_problem_defaults),
		cmocka_unit_test(test_problem_exact_text),
		cmocka_unit_test(test_problem_code_and_none),
		cmocka_unit_test(test_problem_extra),
		cmocka_unit_test(test_problem_title_of_route),
		cmocka_unit_test(test_problem_escaping),
		cmocka_unit_test(test_problem_cut_utf8),
		cmocka_unit_test(test_respond_json_and_headers),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_is_json_type),
		cmocka_unit_test(test_is_csv_type),
		cmocka_unit_test(test_accepts_csv),
		cmocka_unit_test(test_query_param),
		cmocka_unit_test(test_url_decode),
		cmocka_unit_test(test_utf8_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
