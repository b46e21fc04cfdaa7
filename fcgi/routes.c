/* routes.c -- every endpoint of DESIGN.md §4: method, path, handler, who
 * may call it, and whether it takes a JSON body. Roles are enforced by the
 * server before the handler runs; ownership (a customer's own objects) is
 * the handler's job and answers 404. */
#include "app.h"
#include "handlers_orders.h"
#include "handlers_policies.h"
#include "handlers_system.h"

#define ANY        AUTH_ROLES_ANY
#define STAFF      AUTH_ROLES_STAFF
#define CUSTOMER   AUTH_ROLE_CUSTOMER
#define SYSTEM     AUTH_ROLE_SYSTEM
#define ADMIN      AUTH_ROLE_ADMIN

const struct route app_routes[] = {
	{ "GET",  "/api/v1/health", handle_health, 0, ROUTE_PUBLIC },
	{ "GET",  "/api/v1/me", handle_me, ANY, 0 },

	{ "GET",  "/api/v1/orders", handle_orders_list, CUSTOMER | STAFF, 0 },
	{ "GET",  "/api/v1/orders/{id}", handle_order_get, CUSTOMER | STAFF, 0 },
	{ "PUT",  "/api/v1/orders/{id}", handle_order_put, SYSTEM, ROUTE_BODY },
	{ "GET",  "/api/v1/orders/{id}/quote", handle_order_quote, CUSTOMER | STAFF, 0 },
	{ "POST", "/api/v1/orders/{id}/cancel", handle_order_cancel, CUSTOMER, 0 },
	{ "POST", "/api/v1/orders/{id}/usage", handle_order_usage, SYSTEM, ROUTE_BODY },

	{ "GET",  "/api/v1/policies", handle_policies_list, STAFF, 0 },
	{ "GET",  "/api/v1/policies/{product_type}", handle_policy_get, STAFF, 0 },
	{ "PUT",  "/api/v1/policies/{product_type}", handle_policy_put, ADMIN, ROUTE_BODY },
	{ "GET",  "/api/v1/holidays", handle_holidays_get, STAFF, 0 },
	{ "PUT",  "/api/v1/holidays", handle_holidays_put, ADMIN, ROUTE_BODY },
};

const size_t app_route_count = sizeof app_routes / sizeof app_routes[0];
