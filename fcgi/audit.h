/* audit.h -- the audit event and customer notifications that go with every
 * state change, written inside the caller's transaction (so the change
 * and its record commit or vanish together). The actor, role, request id
 * and client address come from the transaction's identity (db_begin). */
#ifndef REFUNDD_AUDIT_H
#define REFUNDD_AUDIT_H

#include "app.h"

/* before/after: JSON text or NULL. */
enum app_err audit_record(struct app_ctx *c, const char *action, const char *entity,
                          const char *entity_id, const char *before, const char *after);
/* In-app and email outbox rows for the account; refund_id may be NULL.
 * payload is JSON text; NULL: the refund's order id and status as they are
 * now (inside this transaction). */
enum app_err audit_notify(struct app_ctx *c, const char *account, const char *refund_id,
                          const char *kind, const char *payload);

#endif
