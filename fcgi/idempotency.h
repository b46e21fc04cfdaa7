/* idempotency.h -- Idempotency-Key (DESIGN.md §4): a create sent again
 * with the same key and the same request gets the first answer, with
 * another request 422 idempotency_key_reused. Keys are per caller (the
 * JWT sub) and bound to a request text: the route's path and what it
 * creates (a canonical JSON body, a file's digest). All SQL about
 * idempotency_keys lives in idempotency.c; it answers no HTTP.
 *
 * Callers look the key up inside the transaction that creates, after
 * taking the lock that serialises such creates (the account's, or the
 * refund row's), so a retry racing its original waits for it and then
 * finds its answer; the key and the answer commit with what they answer. */
#ifndef REFUNDD_IDEMPOTENCY_H
#define REFUNDD_IDEMPOTENCY_H

#include "app.h"

enum idem_found {
	IDEM_NEW = 0,      /* the key is not used yet: go on and create */
	IDEM_REPLAY,       /* used with this request: answer status and response */
	IDEM_REUSED        /* used with another request */
};

/* The lookup as a step of the caller's pipeline; params: 3 slots that
 * live until it ran. idem_read reads its result; on IDEM_REPLAY *status
 * and *response (owned by res) are the first answer. */
struct db_step idem_find_step(const char *account, const char *key, const char *request_text,
                              const char *params[3]);
enum idem_found idem_read(const PGresult *res, int *status, const char **response);

/* Keeps the key with its answer (JSON text). */
enum app_err idem_keep(struct db *db, const char *account, const char *key,
                       const char *request_text, int status, const char *response);
/* Keeps the key with the refund request's detail as its answer, read in
 * the same statement (refunds.h REFUNDS_DETAIL_SQL) so the text never
 * travels back as a parameter; the step's result has the detail's two
 * columns (body, upstream). params: 7 slots that live until it ran;
 * status as text. */
struct db_step idem_keep_detail_step(struct app_ctx *c, const char *refund_id, const char *key,
                                     const char *request_text, const char *status,
                                     const char *params[7]);

#endif
