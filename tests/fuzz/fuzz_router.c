/* fuzz_router.c -- libFuzzer target for router_match and
 * router_check_query on a fixed table shaped like routes.c. Input:
 * "METHOD PATH[?QUERY]" (split at the first space; no space: the whole
 * input is a GET path). A match must be the asked method, with one
 * parameter per "{..}" segment, each non-empty, shorter than
 * ROUTE_PARAM_MAX, without '/' and valid UTF-8; a 405 must name methods.
 * The query of a match is checked against its route's names: the answer
 * is one of the three, and a refused name comes back printable ASCII
 * without quotes or backslashes (it goes into a problem body), or "". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum app_err dummy(struct app_ctx *ctx)
{
	(void)ctx;
	return ERR_NONE;
}

static const struct route table[] = {
	{ "GET", "/api/v1/health", dummy, 0, ROUTE_PUBLIC, NULL },
	{ "GET", "/api/v1/orders", dummy, 1, 0, "limit cursor account" },
	{ "GET", "/api/v1/orders/{id}", dummy, 1, 0, NULL },
	{ "PUT", "/api/v1/orders/{id}", dummy, 1, ROUTE_BODY, NULL },
	{ "POST", "/api/v1/orders/{id}/cancel", dummy, 1, 0, NULL },
	{ "GET", "/api/v1/orders/{id}/quote", dummy, 1, 0, NULL },
	{ "POST", "/api/v1/refunds", dummy, 1, ROUTE_BODY, NULL },
	{ "GET", "/api/v1/refunds", dummy, 1, 0, "limit cursor status" },
	{ "GET", "/api/v1/refunds/{id}/messages/{mid}", dummy, 1, 0, NULL },
	{ "DELETE", "/api/v1/refunds/{id}/messages/{mid}", dummy, 1, 0, NULL },
	{ "GET", "/{a}/{b}/{c}/{d}", dummy, 1, 0, NULL },
};

static int count_params(const char *pattern)
{
	int n = 0;
	for (; *pattern; pattern++)
		n += *pattern == '{';
	return n;
}

static void check_query(const struct route *r, const char *query)
{
	char name[16];

	memset(name, 'x', sizeof name);
	switch (router_check_query(r, query, name, sizeof name)) {
	case ROUTE_QUERY_OK:
		return;
	case ROUTE_QUERY_UNKNOWN:
	case ROUTE_QUERY_REPEATED:
		break;
	default:
		abort();
	}
	size_t n = strnlen(name, sizeof name);
	if (n == sizeof name)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f ||
		    name[i] == '"' || name[i] == '\\')
			abort();
}

static void check_found(const struct route_match *m, const char *method)
{
	if (m->route == NULL || strcmp(m->route->method, method) != 0 ||
	    m->nparams != count_params(m->route->pattern) || m->nparams > ROUTE_MAX_PARAMS)
		abort();
	for (int i = 0; i < m->nparams; i++) {
		size_t n = strnlen(m->params[i], ROUTE_PARAM_MAX);
		if (n == 0 || n == ROUTE_PARAM_MAX || strchr(m->params[i], '/') ||
		    !http_utf8_valid(m->params[i], n))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	const char *method = "GET", *path = in;
	struct route_match m;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	char *space = strchr(in, ' ');
	if (space != NULL) {
		*space = '\0';
		method = in;
		path = space + 1;
	}
	char *mark = strchr(path, '?');
	const char *query = "";
	if (mark != NULL) {
		*mark = '\0';
		query = mark + 1;
	}
	switch (router_match(table, sizeof table / sizeof table[0], method, path, &m)) {
	case ROUTE_FOUND:
		check_found(&m, method);
		check_query(m.route, query);
		break;
	case ROUTE_METHOD_NOT_ALLOWED:
		if (m.route != NULL || m.allow[0] == '\0')
			abort();
		break;
	case ROUTE_NOT_FOUND:
		if (m.route != NULL)
			abort();
		break;
	default:
		abort();
	}
	free(in);
	return 0;
}
