/* router.h -- method + path pattern to handler. Patterns are literal
 * segments and "{name}" segments; the table is static data in routes.c. */
#ifndef REFUNDD_ROUTER_H
#define REFUNDD_ROUTER_H

#include <stddef.h>
#include "http.h"

struct app_ctx;
typedef enum app_err (*route_handler)(struct app_ctx *ctx);

enum route_flags {
	ROUTE_PUBLIC = 1 << 0,   /* no token needed */
	ROUTE_BODY   = 1 << 1,   /* takes a JSON object body */
	ROUTE_BODY_OPTIONAL = 1 << 2, /* with ROUTE_BODY: an empty body is fine */
	/* Takes a raw body of any Content-Type (the handler checks it) up to
	 * ROUTE_BODY_LARGE_MAX instead of the configured max_body: only the
	 * evidence upload. nginx lets such bodies through on that path only. */
	ROUTE_BODY_LARGE = 1 << 3,
};

#define ROUTE_BODY_LARGE_MAX (5L * 1024 * 1024)   /* DESIGN.md §8: 5 MiB a file */

struct route {
	const char   *method;
	const char   *pattern;   /* also the route's name in logs and metrics */
	route_handler handler;
	unsigned      roles;     /* mask of enum auth_role; ignored when public */
	unsigned      flags;
	/* The query parameters it reads, space-separated ("limit cursor");
	 * NULL: none. Any other name, or one name twice, is refused before the
	 * handler runs: a misspelt filter must not quietly widen a list, nor a
	 * misspelt ?status=sent turn a payout export into a new one. */
	const char   *query;
};

#define ROUTE_MAX_PARAMS 3
#define ROUTE_PARAM_MAX  128

struct route_match {
	const struct route *route;
	char params[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX]; /* decoded {..} values */
	int  nparams;
	char allow[96];          /* for 405: methods the path accepts */
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED };

enum route_result router_match(const struct route *table, size_t n,
                               const char *method, const char *path,
                               struct route_match *m);

enum route_query { ROUTE_QUERY_OK, ROUTE_QUERY_UNKNOWN, ROUTE_QUERY_REPEATED };

/* Checks the parameter names of query (the raw text after '?'; NULL
 * or "" is none) against the route's list. Not OK: the offending name in
 * name (truncated to len, "" when it is not printable ASCII). */
enum route_query router_check_query(const struct route *r, const char *query,
                                    char *name, size_t len);

#endif
