/* app.h -- what a handler gets: the parsed request, the caller's verified
 * claims, this thread's database connection, and a place for its answer.
 * Handlers read like the rule they implement: parse -> authorize -> one
 * transaction -> respond, and return ERR_NONE or the error they set. */
#ifndef REFUNDD_APP_H
#define REFUNDD_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "auth.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "router.h"
#include "validate.h"

struct metrics;

struct app_ctx {
	const struct config       *cfg;
	const struct http_request *req;
	struct http_response      *resp;
	struct db                 *db;
	const struct route_match  *match;
	struct auth_claims         who;     /* valid unless the route is public */
	json_t                    *body;    /* parsed JSON object (ROUTE_BODY) */
	struct problem             problem;
	int64_t                    now;     /* unix seconds when the request began */
	struct metrics            *metrics; /* the process's counters (GET /metrics) */
};

/* Records a refusal and returns err, so handlers can `return app_fail(...)`.
 * code NULL uses the default code of err. */
enum app_err app_fail(struct app_ctx *c, enum app_err err, const char *code,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same, with extra members for the problem body (ownership taken). */
enum app_err app_fail_with(struct app_ctx *c, enum app_err err, const char *code,
                           json_t *extra, const char *detail);
/* Answers status with body (ownership taken). */
enum app_err app_reply(struct app_ctx *c, int status, json_t *body);
/* The caller as the database should see it. */
struct db_identity app_identity(const struct app_ctx *c);
const char *app_param(const struct app_ctx *c, int i);
/* The account a statement must be limited to: the caller's own sub for a
 * customer (another account's object is then simply not found: 404), NULL
 * (any account) for staff and system. */
const char *app_owner_filter(const struct app_ctx *c);
/* A canonical decimal id ("12", never "012" or "+12"), as ids are stored. */
bool app_decimal_id(const char *id);

/* Keyset pagination: ?limit= (1..100, default 20) and ?cursor= (an id).
 * cursor is "" when absent. Fails with 400 on bad values. */
enum app_err app_page_params(struct app_ctx *c, int *limit, char *cursor, size_t len);
/* Answers {"items":[...],"next_cursor":...} from a result whose column 0
 * is an item's JSON text and column 1 its cursor; the statement fetched
 * limit + 1 rows so that a next page is known to exist. */
enum app_err app_page_reply(struct app_ctx *c, PGresult *res, int limit);
/* Answers 200 with column 0 of row 0 (JSON text), or 404 (code) when no row. */
enum app_err app_reply_row(struct app_ctx *c, PGresult *res, const char *code,
                           const char *what);
/* A query filter: absent -> *out NULL; present -> validated against spec
 * into buf (400 invalid_filter otherwise). */
enum app_err app_query_filter(struct app_ctx *c, const struct field_spec *spec, char *buf,
                              size_t len, const char **out);
/* Runs a list statement whose last of n parameters is the limit (filled
 * here) and answers the page. */
enum app_err app_list(struct app_ctx *c, const struct db_stmt *st, int n,
                      const char **params, int limit);
/* The same with PostgreSQL's generic plan, for a list statement without
 * optional filters: left to itself PostgreSQL plans such a statement again
 * on every call, because a generic plan costs "LIMIT $n" as a tenth of the
 * table and so always looks dearer than a custom plan for one page, though
 * it is the same index scan. Runs in a read-only transaction of its own
 * (BEGIN, the setting, the statement, COMMIT: one round trip). */
enum app_err app_list_generic(struct app_ctx *c, const struct db_stmt *st, int n,
                              const char **params, int limit);
/* ?limit= and ?cursor= of an id-ordered list: the cursor is the last id
 * (400 invalid_cursor otherwise); *out NULL on the first page. */
enum app_err app_id_cursor(struct app_ctx *c, int *limit, char *cursor, size_t len,
                           const char **out);
/* 400 invalid_filter when ?limit= or ?cursor= is given (any value) to a
 * list asked for as CSV, which answers the whole list. */
enum app_err app_csv_no_paging(struct app_ctx *c);
/* Validates the body against a field table; 422 with the field named. */
enum app_err app_body(struct app_ctx *c, const struct field_spec *specs, size_t n,
                      struct field_value *out);

/* The route table (routes.c). */
extern const struct route app_routes[];
extern const size_t app_route_count;

/* The Idempotency-Key header: 400 when it came twice or is malformed
 * (up to 128 of [A-Za-z0-9-_.:]), or when required and absent. *key is
 * NULL when it is optional and absent. */
enum app_err app_idempotency_key(struct app_ctx *c, bool required, const char **key);
/* Answers the first answer of a key already used with this request
 * (Idempotent-Replayed: true), or 422 idempotency_key_reused when it was
 * used with another one. res: idempotency.h's lookup. 1: answered; 0: a
 * new key, nothing answered; -1: the refusal is set. */
int app_idempotency_replay(struct app_ctx *c, const PGresult *res);
/* The same, looking the key up first (one round trip, inside the caller's
 * transaction, after its lock); key NULL: 0, nothing to look up. */
int app_idempotency_answered(struct app_ctx *c, const char *key, const char *request_text);

#endif
