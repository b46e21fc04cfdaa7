/* audit.h -- the audit trail: the event and customer notifications that go
 * with every state change, written inside the caller's transaction (so the
 * change and its record commit or vanish together); and the chain that
 * proves the trail complete, built after commit by the sealer (sealer.c).
 *
 * Writers take no lock: an event is an insert plus a row in audit_unsealed.
 * The sealer links committed events into audit_chain and signs checkpoints
 * of its head (sql/007_audit_sealer.sql). The actor, role, request id and
 * client address come from the transaction's identity (db_begin).
 * Every function returns an error value; handlers turn it into a problem. */
#ifndef REFUNDD_AUDIT_H
#define REFUNDD_AUDIT_H

#include <stdbool.h>
#include "app.h"

/* before/after: JSON text or NULL. */
enum app_err audit_record(struct app_ctx *c, const char *action, const char *entity,
                          const char *entity_id, const char *before, const char *after);
/* One event per row of rows (the id and the after JSON from the given
 * columns, no before), pipelined in one round trip: a statement that
 * changed many rows at once records each of them. */
enum app_err audit_record_rows(struct app_ctx *c, const char *action, const char *entity,
                               const PGresult *rows, int id_col, int after_col);
/* In-app and email outbox rows for the account; refund_id may be NULL.
 * payload is JSON text; NULL: the refund's order id and status as they are
 * now (inside this transaction). */
enum app_err audit_notify(struct app_ctx *c, const char *account, const char *refund_id,
                          const char *kind, const char *payload);

/* The event, the notice and, when commit is true, the transaction's
 * COMMIT, in one round trip: the tail of most state changes. e or n may be
 * NULL (none). */
struct audit_event {
	const char *action, *entity, *entity_id, *before, *after;
};
struct audit_notice {
	const char *account, *refund_id, *kind, *payload;
};
enum app_err audit_write(struct app_ctx *c, const struct audit_event *e,
                         const struct audit_notice *n, bool commit);
/* The event as one step of a caller's pipeline (db_pipeline); params must
 * live until it ran. */
struct db_step audit_step(const struct audit_event *e, const char *params[5]);
/* The same with one more statement after the event and the notice, before
 * the COMMIT: the answer, read inside the transaction that made it, in
 * the same round trip. Its result is left in then->res (PQclear it). */
enum app_err audit_write_then(struct app_ctx *c, const struct audit_event *e,
                              const struct audit_notice *n, struct db_step *then, bool commit);

/* Seals up to max_batch committed events when this connection is (or now
 * becomes) the database's one sealer; *sealed is -1 when another process
 * holds the sealer lock. */
enum app_err audit_seal_round(struct db *db, int max_batch, int *sealed);
/* Seals whatever is committed, then signs the chain head into a checkpoint
 * (nothing new since the last one: *id is 0). by: who asked ("sealer" or
 * the admin's sub). Needs cfg->audit_key. */
enum app_err audit_checkpoint(struct db *db, const struct config *cfg, const char *by,
                              long long *id);

struct audit_proof {
	bool      ok;
	long long checked;            /* chain rows walked */
	long long first_bad_position; /* 0: none */
	long long first_bad_id;       /* event at that position; 0: none */
	long long unsealed;           /* events past the grace period, not in the chain */
	long long first_unsealed_id;
	long long bad_checkpoint_id;  /* head not in the chain (a dropped tail) */
	long long checkpoints;        /* signatures checked */
	long long bad_signature_id;   /* first checkpoint whose signature fails */
	long long last_checkpoint_position;
};
/* The hash at a chain position, as lowercase hex (65 bytes with the NUL);
 * *found false when the chain has no such position. For checking a head
 * copied out and anchored elsewhere against the chain as it is now. */
enum app_err audit_chain_hash_at(struct db *db, long long position, char hash_hex[65],
                                 bool *found);
/* Walks the chain, the unsealed events and every checkpoint's signature.
 * Signatures are checked against the configured key's public half; without
 * a key, any checkpoint counts as unverifiable (bad). */
enum app_err audit_verify(struct db *db, const struct config *cfg, struct audit_proof *out);

#endif
