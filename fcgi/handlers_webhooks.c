/* handlers_webhooks.c -- GET /api/v1/webhooks/deliveries?status= (one row
 * per event: its attempts so far, the last outcome, when the next is due)
 * and POST /api/v1/webhooks/deliveries/{id}/retry (due again now, with a
 * fresh give-up window; a sender of any process picks it up within its
 * poll interval). The retry is audited in its own transaction. */
#include "handlers_webhooks.h"

#include <stdlib.h>

#include "audit.h"
#include "webhooks.h"

enum app_err handle_webhook_deliveries(struct app_ctx *c)
{
	static const char *const statuses[] = { "pending", "retrying", "delivered", "failed", NULL };
	static const struct field_spec status_spec = { "status", FIELD_ENUM, false, false, 0, 16,
	                                               statuses };
	char cursor[80], status[24];
	const char *params[3] = { 0 };
	int limit;
	enum app_err err;

	if ((err = app_id_cursor(c, &limit, cursor, sizeof cursor, &params[1])) != ERR_NONE ||
	    (err = app_query_filter(c, &status_spec, status, sizeof status, &params[0])) != ERR_NONE)
		return err;
	return app_list(c, &webhooks_list_stmt, 3, params, limit);
}

static enum app_err retry_refused(struct app_ctx *c, enum app_err err)
{
	if (err == ERR_NOT_FOUND)
		return app_fail(c, err, "delivery_not_found", "no such webhook delivery");
	if (err == ERR_CONFLICT)
		return app_fail(c, err, "delivery_in_flight",
		                "a sender is posting this delivery right now; ask again in a moment");
	return app_fail(c, err, NULL, "could not schedule the delivery");
}

enum app_err handle_webhook_retry(struct app_ctx *c)
{
	struct db_identity who = app_identity(c);
	const char *id = app_param(c, 0);
	char *before = NULL, *after = NULL;
	enum app_err err;

	if (!app_decimal_id(id))
		return app_fail(c, ERR_NOT_FOUND, "delivery_not_found", "no such webhook delivery");
	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = webhooks_retry(c->db, id, &before, &after)) != ERR_NONE) {
		err = retry_refused(c, err);
		goto out;
	}
	struct audit_event e = { "webhook.retry", "webhook_delivery", id, before, after };
	if ((err = audit_write(c, &e, NULL, true)) != ERR_NONE) {
		err = app_fail(c, err, NULL, "could not record the retry");
		goto out;
	}
	json_t *body = json_loads(after, 0, NULL);
	err = body ? app_reply(c, 202, body) : app_fail(c, ERR_INTERNAL, NULL, "bad row");
out:
	free(before);
	free(after);
	return err;
}
