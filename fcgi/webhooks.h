/* webhooks.h -- all SQL of webhook deliveries (sql/009_webhooks.sql): the
 * senders' claim and result, and what the admin routes read and change.
 * Errors travel as values; nothing here writes an HTTP answer, so the
 * sender thread calls it as freely as a handler does. */
#ifndef REFUNDD_WEBHOOKS_H
#define REFUNDD_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include "app.h"

/* What an attempt came to. status: "delivered", "retrying" or "failed";
 * http_status 0: no answer; error NULL: none; next_delay_ms only for
 * "retrying". */
struct webhook_outcome {
	const char *status;
	long        http_status;
	char        error[300];
	int64_t     next_delay_ms;
	int64_t     at_us;        /* when the answer came (CLOCK_REALTIME, µs) */
};

/* One claimed delivery: its row stays locked (FOR UPDATE) in the open
 * transaction until webhooks_finish or webhooks_release. */
struct webhook_claim {
	char      id[24];
	char      event_id[32];   /* "evt_<n>": what receivers de-duplicate by */
	char     *body;           /* the event JSON, byte for byte on every attempt; owned */
	int       attempts;       /* before this one */
	int       failures;       /* before this one, since an admin's last retry: the back-off's count */
	int64_t   elapsed_ms;     /* since the first attempt (0 on the first) */
	bool      tried;          /* out holds this attempt's outcome */
	struct webhook_outcome out;
};

/* BEGIN, then up to max of the oldest due deliveries whose refund has no
 * earlier one still open (in order per refund: so at most one per refund),
 * skipping rows another sender holds. out has max slots; *n 0: nothing
 * due (the transaction is closed again). hold_ms: how long the
 * transaction may then sit idle (the sends) before PostgreSQL ends it. */
enum app_err webhooks_claim(struct db *db, int max, long hold_ms, struct webhook_claim *out,
                            int *n);

/* Records the outcome of every claim that was tried (the others stay as
 * they were, due at once), then COMMIT. */
enum app_err webhooks_finish(struct db *db, const struct webhook_claim *cl, int n);
/* Rolls back what is still open and frees the bodies. */
void webhooks_release(struct db *db, struct webhook_claim *cl, int n);

/* GET /api/v1/webhooks/deliveries: $1 status or NULL, $2 cursor (id) or
 * NULL, $3 limit; columns: item JSON, cursor. */
extern const struct db_stmt webhooks_list_stmt;

/* Due again now, with a fresh give-up window (inside the caller's
 * transaction). *before and *after: JSON text for the audit event
 * (free them). ERR_NOT_FOUND: no such delivery; ERR_CONFLICT: a sender
 * is sending it right now. */
enum app_err webhooks_retry(struct db *db, const char *id, char **before, char **after);

#endif
