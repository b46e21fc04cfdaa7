/* webhooks.c -- see webhooks.h. */
#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DELIVERY_JSON \
	"jsonb_build_object('id', d.id, 'event_id', 'evt_' || d.event_id, 'type', d.type," \
	" 'refund_id', d.refund_id, 'status', d.status, 'attempts', d.attempts," \
	" 'created_at', d.created_at," \
	" 'next_attempt_at', CASE WHEN d.status IN ('pending', 'retrying') THEN d.next_attempt_at END," \
	" 'first_attempt_at', d.first_attempt_at, 'last_attempt_at', d.last_attempt_at," \
	" 'last_status_code', d.last_status_code, 'last_error', d.last_error," \
	" 'delivered_at', d.delivered_at, 'manual_retries', d.manual_retries, 'data', d.data)::text"

/* The NOT EXISTS keeps the order per refund: an earlier open delivery of
 * the same refund, due or not, locked by another sender or not, holds the
 * later ones back. A row another sender has just finished is re-checked
 * by PostgreSQL after its lock is released (no longer open: skipped). */
static const struct db_stmt q_claim = { "webhooks_claim",
	"SELECT d.id, 'evt_' || d.event_id, jsonb_build_object('id', 'evt_' || d.event_id,"
	"   'type', d.type, 'created_at', d.created_at, 'data', d.data)::text, d.attempts,"
	" (extract(epoch FROM now() - coalesce(d.first_attempt_at, now())) * 1000)::bigint,"
	" d.attempts - d.attempts_before_retry"
	" FROM webhook_deliveries d"
	" WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= now()"
	" AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.refund_id = d.refund_id"
	"   AND e.id < d.id AND e.status IN ('pending', 'retrying'))"
	" ORDER BY d.id LIMIT $1::int FOR UPDATE OF d SKIP LOCKED" };

/* The claim's rows stay locked while the sender posts them, with the
 * transaction idle. A sender that dies takes its locks with its
 * connection; one whose host froze or dropped off the network keeps the
 * connection open (until TCP keepalive, hours), and its events and the
 * later ones of their refunds would wait that long. Past the longest a
 * batch can take, PostgreSQL ends the transaction: the rows go to another
 * sender (at least once), and a sender that was merely slow loses only
 * its outcomes (those events go again). */
static const struct db_stmt q_hold = { "webhooks_hold",
	"SELECT set_config('idle_in_transaction_session_timeout', $1, true)" };

/* An outcome lost in a crash only means the event goes again (at least
 * once), so the senders' commits need not wait for the disk. */
static const struct db_stmt q_async_commit = { "webhooks_async_commit",
	"SELECT set_config('synchronous_commit', 'off', true)" };

/* $6: when this attempt's answer came (µs since the epoch, the sender's
 * clock). Not now(): that is the start of the batch's transaction, up to a
 * batch of POSTs earlier, which shortened the back-off and dated a
 * delivery before its answer. */
#define ATTEMPT_AT "(timestamptz 'epoch' + $6::bigint * interval '1 microsecond')"
static const struct db_stmt q_finish = { "webhooks_finish",
	"UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = " ATTEMPT_AT ","
	" first_attempt_at = coalesce(first_attempt_at, " ATTEMPT_AT "), status = $2,"
	" last_status_code = $3::int, last_error = $4,"
	" next_attempt_at = CASE WHEN $5::bigint IS NULL THEN next_attempt_at"
	"   ELSE " ATTEMPT_AT " + make_interval(secs => $5::bigint / 1000.0) END,"
	" delivered_at = CASE WHEN $2 = 'delivered' THEN " ATTEMPT_AT " ELSE delivered_at END"
	" WHERE id = $1::bigint" };

const struct db_stmt webhooks_list_stmt = { "webhooks_list",
	"SELECT " DELIVERY_JSON ", d.id FROM webhook_deliveries d"
	" WHERE ($1::text IS NULL OR d.status = $1) AND ($2::bigint IS NULL OR d.id > $2::bigint)"
	" ORDER BY d.id LIMIT $3::int + 1" };

/* SKIP LOCKED: a row a sender holds through its POST is not waited for
 * (that could outlast statement_timeout); the caller answers 409. */
static const struct db_stmt q_retry = { "webhooks_retry",
	"WITH old AS (SELECT id, status, attempts, manual_retries FROM webhook_deliveries"
	"   WHERE id = $1::bigint FOR UPDATE SKIP LOCKED),"
	" d AS (UPDATE webhook_deliveries w SET status = 'pending', next_attempt_at = now(),"
	"   first_attempt_at = NULL, manual_retries = w.manual_retries + 1,"
	"   attempts_before_retry = w.attempts"
	"   FROM old WHERE w.id = old.id RETURNING w.*)"
	" SELECT jsonb_build_object('status', old.status, 'attempts', old.attempts,"
	"   'manual_retries', old.manual_retries)::text, " DELIVERY_JSON
	" FROM d JOIN old ON old.id = d.id" };

static const struct db_stmt q_exists = { "webhooks_exists",
	"SELECT 1 FROM webhook_deliveries WHERE id = $1::bigint" };

static bool read_claims(const PGresult *res, struct webhook_claim *out, int *n)
{
	*n = PQntuples(res);
	for (int i = 0; i < *n; i++) {
		db_copy(out[i].id, sizeof out[i].id, res, i, 0);
		db_copy(out[i].event_id, sizeof out[i].event_id, res, i, 1);
		out[i].attempts = (int)db_int(res, i, 3);
		out[i].elapsed_ms = db_int(res, i, 4);
		out[i].failures = (int)db_int(res, i, 5);
		if ((out[i].body = strdup(PQgetvalue(res, i, 2))) == NULL)
			return false;
	}
	return true;
}

enum app_err webhooks_claim(struct db *db, int max, long hold_ms, struct webhook_claim *out,
                            int *n)
{
	char limit[16], hold[24];
	const char *params[1] = { limit }, *hold_params[1] = { hold };
	struct db_step steps[3] = { { &db_stmt_begin, 0, NULL, NULL },
	                            { &q_hold, 1, hold_params, NULL },
	                            { &q_claim, 1, params, NULL } };
	enum app_err err;

	snprintf(limit, sizeof limit, "%d", max);
	snprintf(hold, sizeof hold, "%ld", hold_ms);
	memset(out, 0, (size_t)max * sizeof *out);
	*n = 0;
	err = db_pipeline(db, steps, 3);
	if (err == ERR_NONE && !read_claims(steps[2].res, out, n))
		err = ERR_INTERNAL;
	db_steps_clear(steps, 3);
	if (err != ERR_NONE || *n == 0) {
		webhooks_release(db, out, *n);
		*n = 0;
	}
	return err;
}

struct finish_params {
	char        code[16], delay[24], at[24];
	const char *p[6];
};

static void finish_params(struct finish_params *fp, const struct webhook_claim *cl)
{
	const struct webhook_outcome *o = &cl->out;
	bool retry = strcmp(o->status, "retrying") == 0;

	snprintf(fp->code, sizeof fp->code, "%ld", o->http_status);
	snprintf(fp->delay, sizeof fp->delay, "%lld", (long long)o->next_delay_ms);
	fp->p[0] = cl->id;
	fp->p[1] = o->status;
	fp->p[2] = o->http_status > 0 ? fp->code : NULL;
	fp->p[3] = o->error[0] ? o->error : NULL;
	fp->p[4] = retry ? fp->delay : NULL;
	snprintf(fp->at, sizeof fp->at, "%lld", (long long)o->at_us);
	fp->p[5] = fp->at;
}

/* One round trip: synchronous_commit off, an UPDATE per tried claim, COMMIT. */
enum app_err webhooks_finish(struct db *db, const struct webhook_claim *cl, int n)
{
	struct finish_params *fp = calloc((size_t)n + 1, sizeof *fp);
	struct db_step *steps = calloc((size_t)n + 2, sizeof *steps);
	enum app_err err = ERR_INTERNAL;
	int count = 0;

	if (fp == NULL || steps == NULL)
		goto out;
	steps[count++] = (struct db_step){ &q_async_commit, 0, NULL, NULL };
	for (int i = 0; i < n; i++) {
		if (!cl[i].tried)
			continue;
		finish_params(&fp[i], &cl[i]);
		steps[count++] = (struct db_step){ &q_finish, 6, fp[i].p, NULL };
	}
	steps[count++] = (struct db_step){ &db_stmt_commit, 0, NULL, NULL };
	err = db_pipeline(db, steps, count);
	db_steps_clear(steps, count);
out:
	free(steps);
	free(fp);
	return err;
}

void webhooks_release(struct db *db, struct webhook_claim *cl, int n)
{
	db_rollback(db);
	for (int i = 0; i < n; i++) {
		free(cl[i].body);
		cl[i].body = NULL;
	}
}

enum app_err webhooks_retry(struct db *db, const char *id, char **before, char **after)
{
	const char *params[1] = { id };
	PGresult *res = NULL;
	enum app_err err;

	*before = *after = NULL;
	if ((err = db_exec(db, &q_retry, 1, params, &res)) != ERR_NONE)
		return err;
	if (PQntuples(res) == 1) {
		*before = strdup(PQgetvalue(res, 0, 0));
		*after = strdup(PQgetvalue(res, 0, 1));
		err = *before && *after ? ERR_NONE : ERR_INTERNAL;
		PQclear(res);
		return err;
	}
	PQclear(res);
	if ((err = db_exec(db, &q_exists, 1, params, &res)) != ERR_NONE)
		return err;
	err = PQntuples(res) == 1 ? ERR_CONFLICT : ERR_NOT_FOUND;
	PQclear(res);
	return err;
}
