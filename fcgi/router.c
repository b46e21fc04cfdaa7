/* router.c -- matches a request path against the route table, and a
 * query's parameter names against the route's list. Pure.
 * A "{name}" segment takes one non-empty, percent-decoded path segment;
 * a segment that decodes to something odd (NUL, '/', bad UTF-8, too
 * long) does not match, so the client sees 404 rather than a handler
 * seeing hostile bytes. */
#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int decode_segment(const char *s, size_t n, char *out)
{
	if (n == 0 || http_url_decode(s, n, out, ROUTE_PARAM_MAX, 0) != 0)
		return -1;
	return strchr(out, '/') == NULL ? 0 : -1;
}

/* Walks pattern and path segment by segment. */
static int path_matches(const char *pattern, const char *path, struct route_match *m)
{
	m->nparams = 0;
	while (*pattern && *path) {
		const char *pe = strchr(pattern, '/');
		const char *se = strchr(path, '/');
		size_t pn = pe ? (size_t)(pe - pattern) : strlen(pattern);
		size_t sn = se ? (size_t)(se - path) : strlen(path);
		if (pn > 0 && pattern[0] == '{') {
			if (m->nparams == ROUTE_MAX_PARAMS ||
			    decode_segment(path, sn, m->params[m->nparams]) != 0)
				return 0;
			m->nparams++;
		} else if (pn != sn || strncmp(pattern, path, pn) != 0)
			return 0;
		pattern += pn;
		path += sn;
		if ((*pattern == '/') != (*path == '/'))
			return 0;
		if (*pattern == '/') {
			pattern++;
			path++;
		}
	}
	return *pattern == '\0' && *path == '\0';
}

static void add_allow(struct route_match *m, const char *method)
{
	size_t used = strlen(m->allow);
	if (strstr(m->allow, method) != NULL)
		return;
	if (used + strlen(method) + 3 >= sizeof m->allow)
		return;
	snprintf(m->allow + used, sizeof m->allow - used, "%s%s", used > 0 ? ", " : "", method);
}

enum route_result router_match(const struct route *table, size_t n,
                               const char *method, const char *path,
                               struct route_match *m)
{
	int path_found = 0;

	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < n; i++) {
		struct route_match tmp;
		if (!path_matches(table[i].pattern, path, &tmp))
			continue;
		path_found = 1;
		add_allow(m, table[i].method);
		if (strcmp(table[i].method, method) == 0) {
			char allow[sizeof m->allow];
			memcpy(allow, m->allow, sizeof allow);
			*m = tmp;
			memcpy(m->allow, allow, sizeof allow);
			m->route = &table[i];
			return ROUTE_FOUND;
		}
	}
	return path_found ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

/* Is the n-byte name one of the space-separated words of list? */
static bool listed(const char *list, const char *name, size_t n)
{
	for (const char *w = list; w != NULL && *w; ) {
		size_t wn = strcspn(w, " ");
		if (wn == n && strncmp(w, name, n) == 0)
			return true;
		w += wn + (w[wn] == ' ');
	}
	return false;
}

/* Is the n-byte name at position name of query also the name of an
 * earlier parameter? */
static bool seen_before(const char *query, const char *name, size_t n)
{
	for (const char *p = query; p < name; ) {
		size_t seg = strcspn(p, "&");
		if (strcspn(p, "=&") == n && strncmp(p, name, n) == 0)
			return true;
		p += seg + (p[seg] == '&');
	}
	return false;
}

/* The name as the problem may show it: printable ASCII without quotes or
 * backslashes, else "" (raw bytes would not be valid JSON text). */
static void copy_name(char *out, size_t len, const char *name, size_t n)
{
	bool shown = true;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		shown = shown && ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
	}
	snprintf(out, len, "%.*s", shown ? (int)n : 0, name);
}

enum route_query router_check_query(const struct route *r, const char *query,
                                    char *name, size_t len)
{
	for (const char *p = query; p != NULL && *p; ) {
		size_t seg = strcspn(p, "&"), n = strcspn(p, "=&");
		enum route_query bad = ROUTE_QUERY_OK;

		if (seg > 0 && !listed(r->query, p, n))
			bad = ROUTE_QUERY_UNKNOWN;
		else if (seg > 0 && seen_before(query, p, n))
			bad = ROUTE_QUERY_REPEATED;
		if (bad != ROUTE_QUERY_OK) {
			copy_name(name, len, p, n);
			return bad;
		}
		p += seg + (p[seg] == '&');
	}
	return ROUTE_QUERY_OK;
}
