/* routes.c -- every endpoint of DESIGN.md §4: method, path, handler, who
 * may call it, whether it takes a JSON body, and the query parameters it
 * reads (router.h). Roles and query names are enforced by the server
 * before the handler runs; ownership (a customer's own objects) is
 * the handler's job and answers 404. */
#include "app.h"
#include "handlers_attachments.h"
#include "handlers_audit.h"
#include "handlers_claims.h"
#include "handlers_orders.h"
#include "handlers_payouts.h"
#include "handlers_policies.h"
#include "handlers_provider_policies.h"
#include "handlers_refunds.h"
#include "handlers_reports.h"
#include "handlers_review.h"
#include "handlers_simulate.h"
#include "handlers_system.h"
#include "handlers_webhooks.h"

#define ANY        AUTH_ROLES_ANY
#define STAFF      AUTH_ROLES_STAFF
#define CUSTOMER   AUTH_ROLE_CUSTOMER
#define SYSTEM     AUTH_ROLE_SYSTEM
#define ADMIN      AUTH_ROLE_ADMIN
#define REVIEWERS  (AUTH_ROLE_SUPPORT | AUTH_ROLE_SUPERVISOR)
#define AUDITORS   (AUTH_ROLE_ADMIN | AUTH_ROLE_SUPERVISOR)

const struct route app_routes[] = {
	{ "GET",  "/api/v1/health", handle_health, 0, ROUTE_PUBLIC, NULL },
	{ "GET",  "/api/v1/me", handle_me, ANY, 0, NULL },
	{ "GET",  "/api/v1/config", handle_config, 0, ROUTE_PUBLIC, NULL },
	/* Loopback only: nginx denies every other address (conf/nginx.conf). */
	{ "GET",  "/metrics", handle_metrics, 0, ROUTE_PUBLIC, NULL },

	{ "GET",  "/api/v1/orders", handle_orders_list, CUSTOMER | STAFF, 0, "limit cursor account" },
	{ "GET",  "/api/v1/orders/{id}", handle_order_get, CUSTOMER | STAFF, 0, NULL },
	{ "PUT",  "/api/v1/orders/{id}", handle_order_put, SYSTEM, ROUTE_BODY, NULL },
	{ "GET",  "/api/v1/orders/{id}/quote", handle_order_quote, CUSTOMER | STAFF, 0, NULL },
	{ "POST", "/api/v1/orders/{id}/cancel", handle_order_cancel, CUSTOMER, 0, NULL },
	{ "POST", "/api/v1/orders/{id}/usage", handle_order_usage, SYSTEM, ROUTE_BODY, NULL },

	{ "GET",  "/api/v1/policies", handle_policies_list, STAFF, 0, NULL },
	{ "GET",  "/api/v1/policies/{product_type}", handle_policy_get, STAFF, 0, "version" },
	{ "PUT",  "/api/v1/policies/{product_type}", handle_policy_put, ADMIN, ROUTE_BODY, NULL },
	{ "POST", "/api/v1/policies/{product_type}/simulate", handle_policy_simulate, AUDITORS,
	  ROUTE_BODY, "limit cursor" },
	{ "GET",  "/api/v1/holidays", handle_holidays_get, STAFF, 0, "year" },
	{ "PUT",  "/api/v1/holidays", handle_holidays_put, ADMIN, ROUTE_BODY, NULL },

	{ "POST", "/api/v1/refunds", handle_refund_submit, CUSTOMER, ROUTE_BODY, NULL },
	{ "GET",  "/api/v1/refunds", handle_refunds_list, CUSTOMER | STAFF, 0, "limit cursor status" },
	{ "GET",  "/api/v1/refunds/{id}", handle_refund_get, CUSTOMER | STAFF, 0, NULL },
	{ "POST", "/api/v1/refunds/{id}/withdraw", handle_refund_withdraw, CUSTOMER, 0, NULL },
	{ "POST", "/api/v1/refunds/{id}/messages", handle_refund_message, CUSTOMER | REVIEWERS, ROUTE_BODY,
	  NULL },
	{ "POST", "/api/v1/refunds/{id}/appeal", handle_refund_appeal, CUSTOMER, ROUTE_BODY, NULL },
	{ "POST", "/api/v1/refunds/{id}/confirm", handle_refund_confirm, CUSTOMER, 0, NULL },
	{ "POST", "/api/v1/refunds/{id}/decline", handle_refund_decline, CUSTOMER, 0, NULL },
	/* Evidence: a raw file body of up to 5 MiB (router.h ROUTE_BODY_LARGE). */
	{ "POST", "/api/v1/refunds/{id}/attachments", handle_attachment_upload, CUSTOMER,
	  ROUTE_BODY_LARGE, "name" },
	{ "GET",  "/api/v1/refunds/{id}/attachments/{aid}", handle_attachment_get, CUSTOMER | STAFF, 0,
	  NULL },
	{ "GET",  "/api/v1/queue", handle_queue, REVIEWERS, 0,
	  "status provider product_type assignee overdue limit cursor" },
	{ "POST", "/api/v1/refunds/{id}/claim", handle_refund_claim, REVIEWERS, 0, NULL },
	{ "POST", "/api/v1/refunds/{id}/request-info", handle_refund_request_info, REVIEWERS, ROUTE_BODY,
	  NULL },
	{ "POST", "/api/v1/refunds/{id}/approve", handle_refund_approve, REVIEWERS, ROUTE_BODY, NULL },
	{ "POST", "/api/v1/refunds/{id}/reject", handle_refund_reject, REVIEWERS, ROUTE_BODY, NULL },
	{ "POST", "/api/v1/refunds/{id}/payout", handle_refund_payout, AUTH_ROLE_FINANCE,
	  ROUTE_BODY | ROUTE_BODY_OPTIONAL, NULL },
	{ "GET",  "/api/v1/payouts", handle_payouts_list, AUTH_ROLE_FINANCE, 0, "status export limit cursor" },
	{ "POST", "/api/v1/payouts/{id}/settle", handle_payout_settle, SYSTEM | AUTH_ROLE_FINANCE,
	  ROUTE_BODY | ROUTE_BODY_OPTIONAL, NULL },
	{ "POST", "/api/v1/payouts/{id}/fail", handle_payout_fail, SYSTEM | AUTH_ROLE_FINANCE, ROUTE_BODY,
	  NULL },
	{ "GET",  "/api/v1/balance", handle_balance, CUSTOMER, 0, NULL },
	{ "GET",  "/api/v1/notifications", handle_notifications, CUSTOMER, 0, "limit cursor" },
	/* The provider side (DESIGN.md §8): the providers' rules, the claims,
	 * their statements (a raw text/csv body up to 5 MiB), the margin. */
	{ "GET",  "/api/v1/provider-policies", handle_provider_policies_list, ADMIN, 0, NULL },
	{ "GET",  "/api/v1/provider-policies/{provider}/{product_type}", handle_provider_policy_get, ADMIN, 0,
	  "version" },
	{ "PUT",  "/api/v1/provider-policies/{provider}/{product_type}", handle_provider_policy_put, ADMIN,
	  ROUTE_BODY, NULL },
	{ "GET",  "/api/v1/provider-claims", handle_claims_list, AUTH_ROLE_FINANCE, 0,
	  "status provider limit cursor" },
	{ "POST", "/api/v1/provider-claims/statements", handle_statement_import, AUTH_ROLE_FINANCE,
	  ROUTE_BODY_LARGE, "provider currency" },
	{ "POST", "/api/v1/provider-claims/{id}/filed", handle_claim_filed, AUTH_ROLE_FINANCE, ROUTE_BODY,
	  NULL },
	{ "GET",  "/api/v1/reports/margin", handle_margin_report,
	  AUTH_ROLE_FINANCE | AUTH_ROLE_SUPERVISOR | AUTH_ROLE_ADMIN, 0, "from to group" },
	{ "GET",  "/api/v1/audit", handle_audit_list, AUDITORS, 0, "entity id limit cursor" },
	{ "GET",  "/api/v1/audit/verify", handle_audit_verify, AUDITORS, 0, "position hash" },
	{ "GET",  "/api/v1/audit/checkpoints", handle_audit_checkpoints_list, AUDITORS, 0, "limit cursor" },
	{ "POST", "/api/v1/audit/checkpoints", handle_audit_checkpoint_create, ADMIN, 0, NULL },
	{ "GET",  "/api/v1/reports/refunds", handle_report_refunds,
	  AUTH_ROLE_SUPERVISOR | AUTH_ROLE_FINANCE | ADMIN, 0, "from to group" },
	{ "GET",  "/api/v1/webhooks/deliveries", handle_webhook_deliveries, ADMIN, 0,
	  "status limit cursor" },
	{ "POST", "/api/v1/webhooks/deliveries/{id}/retry", handle_webhook_retry, ADMIN, 0, NULL },
};

const size_t app_route_count = sizeof app_routes / sizeof app_routes[0];
