/* audit.c -- see audit.h. The hash chain itself is linked by the database
 * (trigger audit_events_link in sql/003), so no worker can skip it. */
#include "audit.h"

static const struct db_stmt q_audit = { "audit_insert",
	"INSERT INTO audit_events (id, at, actor, actor_role, action, entity, entity_id,"
	" before, after, request_id, client_addr, prev_hash, hash)"
	" VALUES (0, now(), current_setting('refundd.sub'), current_setting('refundd.role'),"
	" $1, $2, $3, $4::jsonb, $5::jsonb, current_setting('refundd.request_id'),"
	" current_setting('refundd.client_addr'), '', '')" };

static const struct db_stmt q_notify = { "notify_insert",
	"INSERT INTO notifications (account, channel, refund_id, kind, payload)"
	" SELECT $1, ch, $2::bigint, $3, coalesce($4::jsonb, (SELECT jsonb_build_object("
	"   'order_id', r.order_id, 'status', r.status) FROM refund_requests r"
	"   WHERE r.id = $2::bigint), '{}') FROM unnest(ARRAY['in_app', 'email']) ch" };

enum app_err audit_record(struct app_ctx *c, const char *action, const char *entity,
                          const char *entity_id, const char *before, const char *after)
{
	const char *params[5] = { action, entity, entity_id, before, after };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_audit, 5, params, &res);

	PQclear(res);
	return err == ERR_NONE ? ERR_NONE
	                       : app_fail(c, err, NULL, "could not write the audit event");
}

enum app_err audit_notify(struct app_ctx *c, const char *account, const char *refund_id,
                          const char *kind, const char *payload)
{
	const char *params[4] = { account, refund_id, kind, payload };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_notify, 4, params, &res);

	PQclear(res);
	return err == ERR_NONE ? ERR_NONE
	                       : app_fail(c, err, NULL, "could not write the notification");
}
