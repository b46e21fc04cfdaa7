/* test_router.c -- cmocka tests of fcgi/router.c against a static route
 * table shaped like routes.c: exact matches, "{id}" parameters (percent-
 * decoded; '/', NUL, empty, over-long and invalid UTF-8 values are 404),
 * trailing slashes, and 404 versus 405 with the Allow list. Every expected
 * value is written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static enum app_err dummy(struct app_ctx *ctx)
{
	(void)ctx;
	return ERR_NONE;
}

/* Index in this table is what the cases name as "want_route". */
static const struct route table[] = {
	/* 0 */ { "GET",    "/api/v1/health", dummy, 0, ROUTE_PUBLIC, NULL },
	/* 1 */ { "GET",    "/api/v1/orders", dummy, 1, 0, NULL },
	/* 2 */ { "GET",    "/api/v1/orders/{id}", dummy, 1, 0, NULL },
	/* 3 */ { "PUT",    "/api/v1/orders/{id}", dummy, 1, ROUTE_BODY, NULL },
	/* 4 */ { "POST",   "/api/v1/orders/{id}/cancel", dummy, 1, 0, NULL },
	/* 5 */ { "POST",   "/api/v1/refunds", dummy, 1, ROUTE_BODY, NULL },
	/* 6 */ { "GET",    "/api/v1/refunds", dummy, 1, 0, NULL },
	/* 7 */ { "GET",    "/api/v1/refunds/{id}/messages/{mid}", dummy, 1, 0, NULL },
	/* 8 */ { "DELETE", "/api/v1/refunds/{id}/messages/{mid}", dummy, 1, 0, NULL },
	/* 9 */ { "GET",    "/api/v1/audit/verify", dummy, 1, 0, NULL },
};

#define NF  ROUTE_NOT_FOUND
#define MNA ROUTE_METHOD_NOT_ALLOWED

struct match_case {
	const char *method;
	const char *path;
	enum route_result want;
	int want_route;              /* index into table when found, else -1 */
	int nparams;
	const char *params[ROUTE_MAX_PARAMS];
	const char *allow;           /* for 405 */
};

static const char *result_name(enum route_result r)
{
	return r == ROUTE_FOUND ? "found" : r == NF ? "not found" : "method not allowed";
}

/* Checks one case; names the row so a broken case is found at once. */
static void check_case(const char *tname, size_t row, const struct match_case *c)
{
	struct route_match m;
	enum route_result got = router_match(table, COUNT(table), c->method, c->path, &m);

	if (got != c->want)
		fail_msg("%s row %zu (%s %s): got %s, want %s", tname, row, c->method,
		         c->path, result_name(got), result_name(c->want));
	if (got == ROUTE_FOUND) {
		if (m.route != &table[c->want_route])
			fail_msg("%s row %zu: matched route %td, want %d", tname, row,
			         m.route - table, c->want_route);
		if (m.nparams != c->nparams)
			fail_msg("%s row %zu: %d params, want %d", tname, row, m.nparams, c->nparams);
		for (int i = 0; i < c->nparams; i++)
			if (strcmp(m.params[i], c->params[i]) != 0)
				fail_msg("%s row %zu: param %d is \"%s\", want \"%s\"", tname, row,
				         i, m.params[i], c->params[i]);
	} else if (m.route != NULL)
		fail_msg("%s row %zu: route set on a miss", tname, row);
	if (got == MNA && strcmp(m.allow, c->allow) != 0)
		fail_msg("%s row %zu: Allow \"%s\", want \"%s\"", tname, row, m.allow, c->allow);
}

static void run_cases(const char *tname, const struct match_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_case(tname, i, &cases[i]);
}

static const struct match_case exact_cases[] = {
	{ "GET", "/api/v1/health", ROUTE_FOUND, 0, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders", ROUTE_FOUND, 1, 0, { NULL }, NULL },
	{ "POST", "/api/v1/refunds", ROUTE_FOUND, 5, 0, { NULL }, NULL },
	{ "GET", "/api/v1/refunds", ROUTE_FOUND, 6, 0, { NULL }, NULL },
	{ "GET", "/api/v1/audit/verify", ROUTE_FOUND, 9, 0, { NULL }, NULL },
	{ "GET", "/api/v1/healthz", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/heal", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/API/v1/health", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/he%61lth", NF, -1, 0, { NULL }, NULL },
	{ "GET", "api/v1/health", NF, -1, 0, { NULL }, NULL },
	{ "GET", "//api/v1/health", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api//v1/health", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/", NF, -1, 0, { NULL }, NULL },
	{ "GET", "", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/audit", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/audit/verify/x", NF, -1, 0, { NULL }, NULL },
};

static void test_exact(void **state)
{
	(void)state;
	run_cases("exact", exact_cases, COUNT(exact_cases));
}

static const struct match_case param_cases[] = {
	{ "GET", "/api/v1/orders/42", ROUTE_FOUND, 2, 1, { "42" }, NULL },
	{ "PUT", "/api/v1/orders/42", ROUTE_FOUND, 3, 1, { "42" }, NULL },
	{ "POST", "/api/v1/orders/ORD-2025-001/cancel", ROUTE_FOUND, 4, 1, { "ORD-2025-001" }, NULL },
	{ "GET", "/api/v1/orders/A%2DB", ROUTE_FOUND, 2, 1, { "A-B" }, NULL },
	{ "GET", "/api/v1/orders/a%20b", ROUTE_FOUND, 2, 1, { "a b" }, NULL },
	{ "GET", "/api/v1/orders/a+b", ROUTE_FOUND, 2, 1, { "a+b" }, NULL },
	{ "GET", "/api/v1/orders/%E9%80%80%E6%AC%BE", ROUTE_FOUND, 2, 1, { "\xE9\x80\x80\xE6\xAC\xBE" }, NULL },
	{ "GET", "/api/v1/orders/%e9%80%80", ROUTE_FOUND, 2, 1, { "\xE9\x80\x80" }, NULL },
	{ "GET", "/api/v1/refunds/7/messages/9", ROUTE_FOUND, 7, 2, { "7", "9" }, NULL },
	{ "DELETE", "/api/v1/refunds/r%2D1/messages/m%2E2", ROUTE_FOUND, 8, 2, { "r-1", "m.2" }, NULL },
	/* decoded values that must never reach a handler */
	{ "GET", "/api/v1/orders/a%2Fb", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/a%2fb", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%2F", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/a%00b", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%00", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%FF", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%C0%AF", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%ED%A0%80", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%E9%80", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%F4%90%80%80", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/\xFF", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%4", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/%G1", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/a%", NF, -1, 0, { NULL }, NULL },
	/* empty segments */
	{ "GET", "/api/v1/orders//cancel", NF, -1, 0, { NULL }, NULL },
	{ "POST", "/api/v1/orders//cancel", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/refunds//messages/9", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/refunds/7/messages/", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/42/cancel/x", NF, -1, 0, { NULL }, NULL },
	/* a refused value is 404 even where another method exists */
	{ "DELETE", "/api/v1/orders/a%2Fb", NF, -1, 0, { NULL }, NULL },
};

static void test_params(void **state)
{
	(void)state;
	run_cases("params", param_cases, COUNT(param_cases));
}

static const struct match_case slash_cases[] = {
	{ "GET", "/api/v1/health/", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/orders/42/", NF, -1, 0, { NULL }, NULL },
	{ "POST", "/api/v1/orders/42/cancel/", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/refunds/7/messages/9/", NF, -1, 0, { NULL }, NULL },
	{ "GET", "/api/v1/health//", NF, -1, 0, { NULL }, NULL },
};

static void test_trailing_slash(void **state)
{
	(void)state;
	run_cases("slash", slash_cases, COUNT(slash_cases));
}

static const struct match_case method_cases[] = {
	{ "POST", "/api/v1/health", MNA, -1, 0, { NULL }, "GET" },
	{ "HEAD", "/api/v1/health", MNA, -1, 0, { NULL }, "GET" },
	{ "get", "/api/v1/health", MNA, -1, 0, { NULL }, "GET" },
	{ "DELETE", "/api/v1/orders/42", MNA, -1, 0, { NULL }, "GET, PUT" },
	{ "GET", "/api/v1/orders/42/cancel", MNA, -1, 0, { NULL }, "POST" },
	{ "PATCH", "/api/v1/refunds", MNA, -1, 0, { NULL }, "POST, GET" },
	{ "POST", "/api/v1/refunds/7/messages/9", MNA, -1, 0, { NULL }, "GET, DELETE" },
	{ "", "/api/v1/orders", MNA, -1, 0, { NULL }, "GET" },
	{ "PATCH", "/api/v1/nothing", NF, -1, 0, { NULL }, NULL },
};

static void test_method_not_allowed(void **state)
{
	(void)state;
	run_cases("method", method_cases, COUNT(method_cases));
}

/* ROUTE_PARAM_MAX counts the NUL: 127 decoded bytes fit, 128 do not,
 * however they were encoded. */
static void test_long_param(void **state)
{
	static const struct { size_t n; int escaped; enum route_result want; } cases[] = {
		{ 1, 0, ROUTE_FOUND }, { ROUTE_PARAM_MAX - 1, 0, ROUTE_FOUND },
		{ ROUTE_PARAM_MAX, 0, NF }, { 4096, 0, NF },
		{ ROUTE_PARAM_MAX - 1, 1, ROUTE_FOUND }, { ROUTE_PARAM_MAX, 1, NF },
	};
	char path[16 + 3 * 4096 + 1];
	struct route_match m;

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		size_t o = (size_t)snprintf(path, sizeof path, "/api/v1/orders/");
		for (size_t k = 0; k < cases[i].n; k++)
			o += (size_t)snprintf(path + o, sizeof path - o, "%s",
			                      cases[i].escaped ? "%41" : "A");
		enum route_result got = router_match(table, COUNT(table), "GET", path, &m);
		if (got != cases[i].want)
			fail_msg("long row %zu: got %s", i, result_name(got));
		if (got == ROUTE_FOUND)
			assert_int_equal(strlen(m.params[0]), cases[i].n);
	}
}

/* A pattern with more "{..}" segments than ROUTE_MAX_PARAMS never matches
 * rather than writing past params[]. */
/* Query names against a route's list (router_check_query). */
static void test_query_names(void **state)
{
	static const struct route list = { "GET", "/l", dummy, 1, 0, "limit cursor status" };
	static const struct route none = { "GET", "/n", dummy, 1, 0, NULL };
	static const struct {
		const struct route *r;
		const char *query;
		enum route_query want;
		const char *name;    /* the refused name reported */
	} cases[] = {
		{ &list, NULL, ROUTE_QUERY_OK, "" },
		{ &list, "", ROUTE_QUERY_OK, "" },
		{ &list, "limit=5", ROUTE_QUERY_OK, "" },
		{ &list, "limit=5&cursor=abc&status=paid", ROUTE_QUERY_OK, "" },
		{ &list, "status", ROUTE_QUERY_OK, "" },             /* no value: the handler's call */
		{ &list, "&limit=5&&", ROUTE_QUERY_OK, "" },         /* empty segments skipped */
		{ &list, "stauts=paid", ROUTE_QUERY_UNKNOWN, "stauts" },
		{ &list, "limit=5&lim=4", ROUTE_QUERY_UNKNOWN, "lim" },
		{ &list, "limits=5", ROUTE_QUERY_UNKNOWN, "limits" },   /* not a prefix match */
		{ &list, "limi=5", ROUTE_QUERY_UNKNOWN, "limi" },
		{ &list, "=5", ROUTE_QUERY_UNKNOWN, "" },
		{ &list, "st%61tus=paid", ROUTE_QUERY_UNKNOWN, "st%61tus" },   /* names are not decoded */
		{ &list, "a\"b=1", ROUTE_QUERY_UNKNOWN, "" },           /* not shown in the problem */
		{ &list, "\xe4\xbd\xa0=1", ROUTE_QUERY_UNKNOWN, "" },
		{ &list, "limit=5&status=a&limit=6", ROUTE_QUERY_REPEATED, "limit" },
		{ &list, "status&status=x", ROUTE_QUERY_REPEATED, "status" },
		{ &list, "cursor=limit&limit=1", ROUTE_QUERY_OK, "" },   /* a value is not a name */
		{ &none, "", ROUTE_QUERY_OK, "" },
		{ &none, "limit=5", ROUTE_QUERY_UNKNOWN, "limit" },
		{ &none, "&", ROUTE_QUERY_OK, "" },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		char name[32] = "unchanged";
		enum route_query got = router_check_query(cases[i].r, cases[i].query, name, sizeof name);
		if (got != cases[i].want)
			fail_msg("query row %zu (%s): got %d, want %d", i, cases[i].query, got, cases[i].want);
		if (got != ROUTE_QUERY_OK && strcmp(name, cases[i].name) != 0)
			fail_msg("query row %zu: name \"%s\", want \"%s\"", i, name, cases[i].name);
	}
}

static void test_too_many_params(void **state)
{
	static const struct route wide[] = {
		{ "GET", "/{a}/{b}/{c}/{d}", dummy, 1, 0, NULL },
		{ "GET", "/{a}/{b}/{c}", dummy, 1, 0, NULL },
	};
	struct route_match m;

	(void)state;
	assert_int_equal(router_match(wide, COUNT(wide), "GET", "/1/2/3/4", &m), NF);
	assert_int_equal(router_match(wide, COUNT(wide), "GET", "/1/2/3", &m), ROUTE_FOUND);
	assert_ptr_equal(m.route, &wide[1]);
	assert_int_equal(m.nparams, 3);
	assert_string_equal(m.params[2], "3");
}

/* A match must not keep anything from an earlier call into the same struct. */
static void test_match_is_reset(void **state)
{
	struct route_match m;

	(void)state;
	assert_int_equal(router_match(table, COUNT(table), "GET",
	                              "/api/v1/refunds/7/messages/9", &m), ROUTE_FOUND);
	assert_int_equal(router_match(table, COUNT(table), "DELETE",
	                              "/api/v1/health", &m), MNA);
	assert_null(m.route);
	assert_string_equal(m.allow, "GET");
	assert_int_equal(router_match(table, COUNT(table), "GET", "/nope", &m), NF);
	assert_null(m.route);
	assert_int_equal(m.nparams, 0);
	assert_string_equal(m.allow, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_trailing_slash),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_long_param),
		cmocka_unit_test(test_too_many_params),
		cmocka_unit_test(test_query_names),
		cmocka_unit_test(test_match_is_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
