/* http.h -- the request and response as refundd's handlers see them, and
 * RFC 9457 problem details. Nothing here knows about FastCGI: server.c
 * fills a struct http_request from libfcgi and writes the response out. */
#ifndef REFUNDD_HTTP_H
#define REFUNDD_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One row per error kind: status, stable code and title live in http.c. */
enum app_err {
	ERR_NONE = 0,
	ERR_BAD_REQUEST,
	ERR_INVALID_JSON,
	ERR_INVALID_UTF8,
	ERR_UNAUTHORIZED,
	ERR_FORBIDDEN,
	ERR_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_NOT_ACCEPTABLE,
	ERR_CONFLICT,
	ERR_PAYLOAD_TOO_LARGE,
	ERR_UNSUPPORTED_MEDIA_TYPE,
	ERR_VALIDATION,
	ERR_INTERNAL,
	ERR_DB_UNAVAILABLE,
	ERR_DB_TIMEOUT,
	ERR_DB_BUSY,       /* a deadlock or serialization failure: transient */
	ERR__MAX
};

struct http_request {
	const char *method;
	const char *path;           /* without the query string */
	const char *query;          /* "" when none */
	const char *content_type;   /* NULL when absent */
	const char *authorization;
	const char *accept;
	const char *idempotency_key;
	bool        idempotency_key_repeated; /* the header came more than once */
	const char *remote_addr;
	char        request_id[64];
	char       *body;           /* NUL-terminated, owned by the server loop */
	size_t      body_len;
};

struct http_response {
	int    status;
	char   content_type[64];
	char  *body;                /* heap, owned; NULL for an empty body */
	size_t body_len;
	/* extra "Name: value\r\n" lines; room for a download's
	 * Content-Disposition with a 255-byte name percent-encoded */
	char   headers[2048];
};

/* A refusal on its way to the client. code NULL means the default code of
 * err; extra (owned, may be NULL) adds members such as the current quote or
 * "state". The members of RFC 9457 (type, title, status, detail) and ours
 * (code, request_id) always win over an extra member of the same name. */
struct problem {
	enum app_err err;
	const char  *code;
	char         detail[256];
	json_t      *extra;
	const char  *title;   /* NULL: the title of err; a route may name what it takes */
};

int         http_err_status(enum app_err err);
const char *http_err_code(enum app_err err);
const char *http_err_title(enum app_err err);

void http_response_reset(struct http_response *resp);
/* Serialises and takes ownership of body (which may be NULL for no body). */
int  http_respond_json(struct http_response *resp, int status, json_t *body);
int  http_respond_text(struct http_response *resp, int status,
                       const char *content_type, char *body, size_t len);
int  http_respond_problem(struct http_response *resp, const char *request_id,
                          const struct problem *p);
void http_add_header(struct http_response *resp, const char *name,
                     const char *value);

/* CONTENT_LENGTH as nginx sends it: absent, empty (chunked), or digits.
 * Anything else is refused (PITFALLS.md, "Request bodies"). */
enum http_length { HTTP_LENGTH_OK, HTTP_LENGTH_INVALID, HTTP_LENGTH_TOO_LARGE };
enum http_length http_parse_content_length(const char *s, long max, long *out);

/* True for "application/json", alone or with one charset=utf-8 parameter;
 * any other charset or parameter is false (415). */
int  http_is_json_type(const char *ct);
/* The same for "text/csv" (a provider's refund statement). */
int  http_is_csv_type(const char *ct);
/* True when the Accept header's first media range is text/csv (parameters
 * allowed): the routes that answer CSV or JSON. Not "text/csvx", and not a
 * list that puts another type first. */
int  http_accepts_csv(const char *accept);
/* Percent-decodes [s, s+n) into buf (NUL-terminated); refuses NUL bytes,
 * bad escapes, overflow of buf and invalid UTF-8. */
int  http_url_decode(const char *s, size_t n, char *buf, size_t len,
                     int plus_is_space);
/* Query parameter name=value, percent-decoded into buf; 1 found, 0 absent,
 * -1 malformed or too long. */
int  http_query_param(const char *query, const char *name, char *buf, size_t len);
/* Bounded, strictly validated UTF-8 (no overlongs, surrogates or NUL). */
int  http_utf8_valid(const char *s, size_t len);

#endif
