/* handlers_system.c -- GET /api/v1/health and /api/v1/config (public),
 * GET /api/v1/me and GET /metrics. */
#include "handlers_system.h"

#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "money.h"

static const struct db_stmt q_ping = { "system_ping", "SELECT 1" };

/* 503 while the database cannot answer: a load balancer takes this
 * instance out instead of sending it requests that would fail. */
enum app_err handle_health(struct app_ctx *c)
{
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_ping, 0, NULL, &res);
	json_t *body;

	PQclear(res);
	if (err != ERR_NONE) {
		body = json_pack("{s:s, s:s, s:s}", "status", "unavailable", "db", "down",
		                 "version", REFUNDD_VERSION);
		return app_fail_with(c, ERR_DB_UNAVAILABLE, NULL, body,
		                     "the database does not answer");
	}
	body = json_pack("{s:s, s:s, s:s}", "status", "ok", "db", "ok",
	                 "version", REFUNDD_VERSION);
	return app_reply(c, 200, body);
}

enum app_err handle_me(struct app_ctx *c)
{
	json_t *body = json_pack("{s:s, s:s, s:I, s:I}", "sub", c->who.sub,
	                         "role", auth_role_name(c->who.role),
	                         "exp", (json_int_t)c->who.exp,
	                         "iat", (json_int_t)c->who.iat);
	return app_reply(c, 200, body);
}

/* What the pages need of refundd's configuration, from the one place it
 * is read (conf/refundd.conf, then REFUNDD_* variables): the reseller's
 * time zone, the portal to send a signed-out person back to, the providers
 * named in [provider.NAME] sections and the currencies with their decimals.
 * Served by refundd rather than written to a file beside the pages, so
 * every web server and every deployment (Docker's nginx has no refundd.conf)
 * shows what this process runs with. Public: the pages read it before a
 * token is at hand; nothing in it is secret. */
enum app_err handle_config(struct app_ctx *c)
{
	const struct config *cfg = c->cfg;
	json_t *providers = json_array(), *currencies = json_array();
	const char *code;
	int exponent;

	for (int i = 0; i < cfg->n_providers; i++)
		json_array_append_new(providers, json_string(cfg->providers[i].name));
	for (size_t i = 0; money_currency_at(i, &code, &exponent); i++)
		json_array_append_new(currencies, json_pack("{s:s, s:i}", "code", code,
		                                            "exponent", exponent));
	return app_reply(c, 200, json_pack("{s:s, s:s, s:o, s:o}", "timezone", cfg->timezone,
	                                   "portal_url", cfg->portal_url,
	                                   "providers", providers, "currencies", currencies));
}

/* The gauges of GET /metrics in one round trip; each count reads an index
 * of the few rows in those states (the queue, the sealer's queue, the
 * undelivered webhooks, the unsettled payouts), not the whole history. */
static const struct db_stmt q_gauges = { "system_gauges",
	"SELECT (SELECT count(*) FROM refund_requests WHERE status IN ('submitted', 'in_review',"
	"   'needs_info', 'awaiting_second_approval', 'appealed')),"
	" (SELECT count(*) FROM audit_unsealed),"
	" (SELECT coalesce(extract(epoch FROM now() - min(e.at)), 0)::float8"
	"   FROM audit_unsealed u JOIN audit_events e ON e.id = u.event_id),"
	" (SELECT extract(epoch FROM now() - max(signed_at))::float8 FROM audit_checkpoints),"
	" (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),"
	" (SELECT count(*) FROM webhook_deliveries WHERE status = 'retrying'),"
	" (SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'),"
	" (SELECT count(*) FROM payouts WHERE status = 'pending'),"
	" (SELECT count(*) FROM payouts WHERE status = 'sent')" };

static struct metrics_gauges gauges_from(const PGresult *res)
{
	return (struct metrics_gauges){
		.queue_depth = (long)db_int(res, 0, 0),
		.audit_unsealed = (long)db_int(res, 0, 1),
		.audit_unsealed_oldest_s = strtod(PQgetvalue(res, 0, 2), NULL),
		.has_checkpoint = !PQgetisnull(res, 0, 3),
		.audit_checkpoint_age_s = strtod(PQgetvalue(res, 0, 3), NULL),
		.webhooks_pending = (long)db_int(res, 0, 4),
		.webhooks_retrying = (long)db_int(res, 0, 5),
		.webhooks_failed = (long)db_int(res, 0, 6),
		.payouts_pending = (long)db_int(res, 0, 7),
		.payouts_sent = (long)db_int(res, 0, 8),
	};
}

/* Prometheus text. nginx lets only loopback reach it (conf/nginx.conf).
 * With the database down the gauges are left out, the counters stay. */
enum app_err handle_metrics(struct app_ctx *c)
{
	PGresult *res = NULL;
	struct metrics_gauges gauges = { 0 };
	bool known = db_exec(c->db, &q_gauges, 0, NULL, &res) == ERR_NONE;

	if (known)
		gauges = gauges_from(res);
	PQclear(res);
	char *text = metrics_render(c->metrics, app_routes, known ? &gauges : NULL);
	if (text == NULL)
		return app_fail(c, ERR_INTERNAL, NULL, "could not render metrics");
	return http_respond_text(c->resp, 200, "text/plain; version=0.0.4", text, strlen(text)) == 0
	       ? ERR_NONE : ERR_INTERNAL;
}
