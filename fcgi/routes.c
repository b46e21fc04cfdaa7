/* routes.c -- every endpoint of DESIGN.md §4: method, path, handler, who
 * may call it, and whether it takes a JSON body. Roles are enforced by the
 * server before the handler runs; ownership (a customer's own objects) is
 * the handler's job and answers 404. */
#include "app.h"
#include "handlers_system.h"

#define ANY   AUTH_ROLES_ANY
#define STAFF AUTH_ROLES_STAFF

const struct route app_routes[] = {
	{ "GET", "/api/v1/health", handle_health, 0, ROUTE_PUBLIC },
	{ "GET", "/api/v1/me", handle_me, ANY, 0 },
};

const size_t app_route_count = sizeof app_routes / sizeof app_routes[0];
