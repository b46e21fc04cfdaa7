/* http.c -- responses, RFC 9457 problem details and the small parsers of
 * request metadata. Pure: no FastCGI, no database. */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	int status;
	const char *code;
	const char *title;
} err_table[ERR__MAX] = {
	[ERR_NONE]                   = { 200, "ok", "OK" },
	[ERR_BAD_REQUEST]            = { 400, "bad_request", "Bad request" },
	[ERR_INVALID_JSON]           = { 400, "invalid_json", "Body is not valid JSON" },
	[ERR_INVALID_UTF8]           = { 400, "invalid_utf8", "Input is not valid UTF-8" },
	[ERR_UNAUTHORIZED]           = { 401, "invalid_token", "Authentication required" },
	[ERR_FORBIDDEN]              = { 403, "forbidden", "Not allowed for this role" },
	[ERR_NOT_FOUND]              = { 404, "not_found", "Not found" },
	[ERR_METHOD_NOT_ALLOWED]     = { 405, "method_not_allowed", "Method not allowed" },
	[ERR_NOT_ACCEPTABLE]         = { 406, "not_acceptable", "Not acceptable" },
	[ERR_CONFLICT]               = { 409, "conflict", "Conflict with the current state" },
	[ERR_PAYLOAD_TOO_LARGE]      = { 413, "payload_too_large", "Request body too large" },
	[ERR_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type", "Unsupported Content-Type" },
	[ERR_VALIDATION]             = { 422, "validation_failed", "Request is not valid" },
	[ERR_INTERNAL]               = { 500, "internal", "Internal error" },
	[ERR_DB_UNAVAILABLE]         = { 503, "db_unavailable", "Database unavailable, try again" },
	[ERR_DB_TIMEOUT]             = { 503, "db_timeout", "Database too slow, try again" },
	[ERR_DB_BUSY]                = { 503, "db_busy", "A concurrent change got in the way, try again" },
};

int http_err_status(enum app_err err)
{
	return err < ERR__MAX ? err_table[err].status : 500;
}

const char *http_err_code(enum app_err err)
{
	return err < ERR__MAX ? err_table[err].code : "internal";
}

const char *http_err_title(enum app_err err)
{
	return err < ERR__MAX ? err_table[err].title : "Internal error";
}

void http_response_reset(struct http_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof *resp);
}

int http_respond_text(struct http_response *resp, int status,
                      const char *content_type, char *body, size_t len)
{
	free(resp->body);
	resp->status = status;
	snprintf(resp->content_type, sizeof resp->content_type, "%s", content_type);
	resp->body = body;
	resp->body_len = len;
	return 0;
}

int http_respond_json(struct http_response *resp, int status, json_t *body)
{
	char *text = NULL;

	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (text == NULL)
			return -1;
	}
	return http_respond_text(resp, status, "application/json", text,
	                         text ? strlen(text) : 0);
}

/* The detail as a JSON string. app_fail's vsnprintf may cut a multi-byte
 * character at the end of detail[], and json_string() refuses invalid
 * UTF-8 (the member would vanish): keep the valid prefix, else the title. */
static json_t *detail_json(const struct problem *p, enum app_err err)
{
	size_t n = strnlen(p->detail, sizeof p->detail);

	while (n > 0 && !http_utf8_valid(p->detail, n))
		n--;
	return n > 0 ? json_stringn(p->detail, n) : json_string(http_err_title(err));
}

int http_respond_problem(struct http_response *resp, const char *request_id,
                         const struct problem *p)
{
	json_t *body = json_object();
	enum app_err err = p->err == ERR_NONE ? ERR_INTERNAL : p->err;
	const char *code = p->code ? p->code : http_err_code(err);
	char *text;

	if (p->extra != NULL)
		json_object_update(body, p->extra);
	json_object_set_new(body, "type", json_string("about:blank"));
	json_object_set_new(body, "title", json_string(p->title ? p->title : http_err_title(err)));
	json_object_set_new(body, "status", json_integer(http_err_status(err)));
	json_object_set_new(body, "code", json_string(code));
	json_object_set_new(body, "detail", detail_json(p, err));
	json_object_set_new(body, "request_id", json_string(request_id));
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return -1;
	return http_respond_text(resp, http_err_status(err),
	                         "application/problem+json", text, strlen(text));
}

void http_add_header(struct http_response *resp, const char *name, const char *value)
{
	size_t used = strlen(resp->headers);
	snprintf(resp->headers + used, sizeof resp->headers - used, "%s: %s\r\n",
	         name, value);
}

enum http_length http_parse_content_length(const char *s, long max, long *out)
{
	long v = 0;

	*out = 0;
	if (s == NULL || *s == '\0')
		return HTTP_LENGTH_OK;
	if (s[strspn(s, "0123456789")] != '\0')
		return HTTP_LENGTH_INVALID;
	for (const char *p = s; *p; p++) {
		int d = *p - '0';
		/* v * 10 + d > max, asked without overflowing even for LONG_MAX */
		if (d > max || v > (max - d) / 10)
			return HTTP_LENGTH_TOO_LARGE;
		v = v * 10 + d;
	}
	*out = v;
	return HTTP_LENGTH_OK;
}

/* One "; charset=utf-8" parameter (the value optionally quoted) at *p:
 * moves past it and answers 1; anything else is 0. */
static int utf8_charset_param(const char **p)
{
	static const char name[] = "charset=";
	const char *s = *p;
	int quoted;

	if (strncasecmp(s, name, sizeof name - 1) != 0)
		return 0;
	s += sizeof name - 1;
	quoted = *s == '"';
	s += quoted;
	if (strncasecmp(s, "utf-8", 5) != 0)
		return 0;
	s += 5;
	if (quoted && *s++ != '"')
		return 0;
	*p = s;
	return 1;
}

/* type alone or with one charset=utf-8 parameter. refundd reads every
 * text body as UTF-8: one declared in another charset (or with any other
 * parameter) is refused rather than read as bytes it is not. */
static int is_utf8_type(const char *ct, const char *type)
{
	size_t n = strlen(type);
	const char *p;
	int charsets = 0;

	if (ct == NULL || strncasecmp(ct, type, n) != 0)
		return 0;
	p = ct + n;
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			return 1;
		if (*p++ != ';')
			return 0;
		p += strspn(p, " \t");
		if (*p == '\0')
			return 1;
		if (!utf8_charset_param(&p) || ++charsets > 1)
			return 0;
	}
}

/* JSON text is UTF-8 (RFC 8259 §8.1). */
int http_is_json_type(const char *ct)
{
	return is_utf8_type(ct, "application/json");
}

int http_is_csv_type(const char *ct)
{
	return is_utf8_type(ct, "text/csv");
}

int http_accepts_csv(const char *accept)
{
	static const char csv[] = "text/csv";
	size_t n = sizeof csv - 1;

	if (accept == NULL)
		return 0;
	accept += strspn(accept, " \t");
	if (strncasecmp(accept, csv, n) != 0)
		return 0;
	accept += n;
	accept += strspn(accept, " \t");
	return *accept == '\0' || *accept == ';' || *accept == ',';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int http_url_decode(const char *s, size_t n, char *buf, size_t len, int plus_is_space)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		if (c == '\0' || o + 1 >= len)
			return -1;
		buf[o++] = c;
	}
	buf[o] = '\0';
	return http_utf8_valid(buf, o) ? 0 : -1;
}

int http_query_param(const char *query, const char *name, char *buf, size_t len)
{
	size_t nlen = strlen(name);
	const char *p = query;

	while (p != NULL && *p) {
		const char *end = strchr(p, '&');
		size_t seg = end ? (size_t)(end - p) : strlen(p);
		if (seg > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
			return http_url_decode(p + nlen + 1, seg - nlen - 1, buf, len, 1) == 0 ? 1 : -1;
		if (seg == nlen && strncmp(p, name, nlen) == 0)
			return http_url_decode("", 0, buf, len, 1) == 0 ? 1 : -1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* RFC 3629: refuse overlong forms, surrogates, code points over U+10FFFF,
 * and NUL (a C string cannot carry it honestly). */
int http_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t need;
		unsigned cp, min;
		if (c == 0)
			return 0;
		if (c < 0x80) { i++; continue; }
		if (c >= 0xC2 && c <= 0xDF)      { need = 1; cp = c & 0x1F; min = 0x80; }
		else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; min = 0x800; }
		else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; min = 0x10000; }
		else return 0;
		if (i + need >= len)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}
