/* router.c -- matches a request path against the route table. Pure.
 * A "{name}" segment takes one non-empty, percent-decoded path segment;
 * a segment that decodes to something odd (NUL, '/', bad UTF-8, too
 * long) does not match, so the client sees 404 rather than a handler
 * seeing hostile bytes. */
#include "router.h"

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
