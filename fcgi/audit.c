/* audit.c -- see audit.h. All SQL of the audit trail lives here. */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_sign.h"

#define SEALER_LOCK "7270002"   /* session lock: who seals; sql/007 */

/* One statement: the event and its place in the sealer's queue. */
static const struct db_stmt q_audit = { "audit_insert",
	"WITH e AS (INSERT INTO audit_events (actor, actor_role, action, entity, entity_id,"
	"   before, after, request_id, client_addr)"
	" VALUES (current_setting('refundd.sub'), current_setting('refundd.role'),"
	"   $1, $2, $3, $4::jsonb, $5::jsonb, current_setting('refundd.request_id'),"
	"   current_setting('refundd.client_addr')) RETURNING id)"
	" INSERT INTO audit_unsealed (event_id) SELECT id FROM e" };

static const struct db_stmt q_notify = { "notify_insert",
	"INSERT INTO notifications (account, channel, refund_id, kind, payload)"
	" SELECT $1, ch, $2::bigint, $3, coalesce($4::jsonb, (SELECT jsonb_build_object("
	"   'order_id', r.order_id, 'status', r.status) FROM refund_requests r"
	"   WHERE r.id = $2::bigint), '{}') FROM unnest(ARRAY['in_app', 'email']) ch" };

/* Leadership is re-checked every round: after a reconnect the session
 * lock is gone and another process may have taken it. The session that
 * holds it says so in a session setting, which dies with the connection
 * just as the lock does; asking pg_locks instead cost ~7 ms a round (it
 * reads every backend's lock table) and was the sealer's largest cost. */
static const struct db_stmt q_seal = { "audit_seal_round",
	"SELECT CASE WHEN current_setting('refundd.sealer', true) = 'yes'"
	"   OR (pg_try_advisory_lock(" SEALER_LOCK ")"
	"       AND set_config('refundd.sealer', 'yes', false) = 'yes')"
	" THEN audit_seal($1::int) ELSE -1 END" };

static const struct db_stmt q_seal_now = { "audit_seal_now", "SELECT audit_seal($1::int)" };

static const struct db_stmt q_head = { "audit_head",
	"SELECT c.position, encode(c.hash, 'hex'),"
	" c.position > coalesce((SELECT max(position) FROM audit_checkpoints), 0)"
	" FROM audit_chain c ORDER BY c.position DESC LIMIT 1" };

static const struct db_stmt q_checkpoint_add = { "audit_checkpoint_add",
	"SELECT audit_checkpoint_add($1::bigint, decode($2, 'hex'), $3::bigint,"
	" decode($4, 'hex'), decode($5, 'hex'), $6)" };

/* The proof walks the chain a slice at a time, each slice its own short
 * statement: in one statement a long chain outlasted statement_timeout
 * (sql/025). One REPEATABLE READ transaction keeps them one snapshot. */
#define VERIFY_SLICE 5000

static const struct db_stmt q_verify_begin = { "audit_verify_begin",
	"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" };

static const struct db_stmt q_verify_slice = { "audit_verify_slice",
	"SELECT checked, encode(last_hash, 'hex'), first_bad_position, first_bad_id"
	" FROM audit_verify_slice($1::bigint, decode($2, 'hex'), $3::int)" };

static const struct db_stmt q_verify_unsealed = { "audit_verify_unsealed",
	"SELECT looked, last_id, unsealed, first_unsealed_id"
	" FROM audit_verify_unsealed($1::bigint, $2::int, make_interval(secs => $3::int))" };

static const struct db_stmt q_verify_checkpoints = { "audit_verify_checkpoints",
	"SELECT checkpoint_id, at_position, head_hex, unix_s, key_hex, sig_hex, in_chain"
	" FROM audit_verify_checkpoints($1::bigint, $2::int)" };

static const struct db_stmt q_hash_at = { "audit_chain_hash_at",
	"SELECT encode(hash, 'hex') FROM audit_chain WHERE position = $1::bigint" };

static enum app_err exec_discard(struct db *db, const struct db_stmt *st, int n,
                                 const char *const *params)
{
	PGresult *res = NULL;
	enum app_err err = db_exec(db, st, n, params, &res);

	PQclear(res);
	return err;
}

enum app_err audit_record(struct app_ctx *c, const char *action, const char *entity,
                          const char *entity_id, const char *before, const char *after)
{
	const char *params[5] = { action, entity, entity_id, before, after };
	return exec_discard(c->db, &q_audit, 5, params);
}

enum app_err audit_record_rows(struct app_ctx *c, const char *action, const char *entity,
                               const PGresult *rows, int id_col, int after_col)
{
	int n = PQntuples(rows);
	struct db_step *steps = calloc((size_t)n + 1, sizeof *steps);
	const char *(*params)[5] = calloc((size_t)n + 1, sizeof *params);
	enum app_err err = ERR_INTERNAL;

	if (steps == NULL || params == NULL)
		goto out;
	for (int i = 0; i < n; i++) {
		struct audit_event e = { action, entity, PQgetvalue(rows, i, id_col), NULL,
		                         PQgetvalue(rows, i, after_col) };
		steps[i] = audit_step(&e, params[i]);
	}
	err = n > 0 ? db_pipeline(c->db, steps, n) : ERR_NONE;
	db_steps_clear(steps, n);
out:
	free(steps);
	free(params);
	return err;
}

enum app_err audit_notify(struct app_ctx *c, const char *account, const char *refund_id,
                          const char *kind, const char *payload)
{
	const char *params[4] = { account, refund_id, kind, payload };
	return exec_discard(c->db, &q_notify, 4, params);
}

struct db_step audit_step(const struct audit_event *e, const char *params[5])
{
	params[0] = e->action;
	params[1] = e->entity;
	params[2] = e->entity_id;
	params[3] = e->before;
	params[4] = e->after;
	return (struct db_step){ &q_audit, 5, params, NULL };
}

enum app_err audit_write_then(struct app_ctx *c, const struct audit_event *e,
                              const struct audit_notice *n, struct db_step *then, bool commit)
{
	const char *ep[5];
	const char *np[4] = { n ? n->account : NULL, n ? n->refund_id : NULL,
	                      n ? n->kind : NULL, n ? n->payload : NULL };
	struct db_step steps[4];
	int count = 0, at = -1;

	if (e != NULL)
		steps[count++] = audit_step(e, ep);
	if (n != NULL)
		steps[count++] = (struct db_step){ &q_notify, 4, np, NULL };
	if (then != NULL)
		steps[at = count++] = *then;
	if (commit)
		steps[count++] = (struct db_step){ &db_stmt_commit, 0, NULL, NULL };
	enum app_err err = db_pipeline(c->db, steps, count);
	if (then != NULL) {
		then->res = steps[at].res;
		steps[at].res = NULL;
	}
	db_steps_clear(steps, count);
	return err;
}

enum app_err audit_write(struct app_ctx *c, const struct audit_event *e,
                         const struct audit_notice *n, bool commit)
{
	return audit_write_then(c, e, n, NULL, commit);
}

enum app_err audit_seal_round(struct db *db, int max_batch, int *sealed)
{
	char batch[16];
	const char *params[1] = { batch };
	PGresult *res = NULL;
	enum app_err err;

	snprintf(batch, sizeof batch, "%d", max_batch);
	if ((err = db_exec(db, &q_seal, 1, params, &res)) == ERR_NONE)
		*sealed = (int)db_int(res, 0, 0);
	PQclear(res);
	return err;
}

static void hex(char *out, const unsigned char *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* Signs (position, hash) now and stores it; the database refuses a head
 * that is not in the chain. */
static enum app_err sign_and_store(struct db *db, const struct config *cfg, const char *by,
                                   long long position, const char *head_hex, long long *id)
{
	unsigned char pub[AUDIT_SIGN_KEY_LEN], sig[AUDIT_SIGN_SIG_LEN];
	char msg[160], pub_hex[2 * AUDIT_SIGN_KEY_LEN + 1], sig_hex[2 * AUDIT_SIGN_SIG_LEN + 1];
	char unix_s[24], position_s[24];
	long long now = (long long)time(NULL);
	int n = audit_sign_message(msg, sizeof msg, position, head_hex, now);
	PGresult *res = NULL;
	enum app_err err;

	if (n < 0 || audit_sign_public_key(cfg->audit_key, cfg->audit_key_len, pub) != AUDIT_SIGN_OK ||
	    audit_sign(cfg->audit_key, cfg->audit_key_len, msg, (size_t)n, sig) != AUDIT_SIGN_OK)
		return ERR_INTERNAL;
	hex(pub_hex, pub, sizeof pub);
	hex(sig_hex, sig, sizeof sig);
	snprintf(unix_s, sizeof unix_s, "%lld", now);
	snprintf(position_s, sizeof position_s, "%lld", position);
	const char *params[6] = { position_s, head_hex, unix_s, pub_hex, sig_hex, by };
	if ((err = db_exec(db, &q_checkpoint_add, 6, params, &res)) == ERR_NONE)
		*id = db_int(res, 0, 0);
	PQclear(res);
	return err;
}

enum app_err audit_checkpoint(struct db *db, const struct config *cfg, const char *by,
                              long long *id)
{
	char head[65];
	long long position = 0;
	PGresult *res = NULL;
	int sealed = 0;
	enum app_err err;

	*id = 0;
	if (cfg->audit_key == NULL)
		return ERR_CONFLICT;
	/* Seal first (not as the elected sealer: audit_seal itself keeps two
	 * sealers apart), so the checkpoint covers every committed event. */
	do {
		const char *params[1] = { "1000" };
		if ((err = db_exec(db, &q_seal_now, 1, params, &res)) != ERR_NONE)
			return err;
		sealed = (int)db_int(res, 0, 0);
		PQclear(res);
	} while (sealed == 1000);
	if ((err = db_exec(db, &q_head, 0, NULL, &res)) != ERR_NONE)
		return err;
	bool fresh = PQntuples(res) == 1 && db_bool(res, 0, 2);
	if (fresh) {
		position = db_int(res, 0, 0);
		db_copy(head, sizeof head, res, 0, 1);
	}
	PQclear(res);
	return fresh ? sign_and_store(db, cfg, by, position, head, id) : ERR_NONE;
}

/* Our key, or one retired on a rotation (audit.trusted_keys_file). The key
 * a checkpoint carries is never trusted for being there: a forger brings
 * their own. */
static bool key_trusted(const unsigned char pub[AUDIT_SIGN_KEY_LEN],
                        const unsigned char ours[AUDIT_SIGN_KEY_LEN], bool have_key,
                        const struct config *cfg)
{
	if (have_key && memcmp(pub, ours, AUDIT_SIGN_KEY_LEN) == 0)
		return true;
	for (int k = 0; k < cfg->audit_trusted_count; k++)
		if (memcmp(pub, cfg->audit_trusted[k], AUDIT_SIGN_KEY_LEN) == 0)
			return true;
	return false;
}

/* One checkpoint: its head still in the chain, its signature by a key we trust. */
static void check_checkpoint(const PGresult *res, int i, const unsigned char ours[AUDIT_SIGN_KEY_LEN],
                             bool have_key, const struct config *cfg, struct audit_proof *out)
{
	unsigned char pub[AUDIT_SIGN_KEY_LEN], sig[AUDIT_SIGN_SIG_LEN];
	long long id = db_int(res, i, 0), position = db_int(res, i, 1);
	char msg[160];
	int n = audit_sign_message(msg, sizeof msg, position, db_text(res, i, 2), db_int(res, i, 3));
	bool good = n > 0 && audit_sign_unhex(pub, sizeof pub, db_text(res, i, 4), strlen(db_text(res, i, 4))) &&
	    key_trusted(pub, ours, have_key, cfg) &&
	    audit_sign_unhex(sig, sizeof sig, db_text(res, i, 5), strlen(db_text(res, i, 5))) &&
	    audit_sign_verify(pub, msg, (size_t)n, sig) == AUDIT_SIGN_OK;

	out->checkpoints++;
	if (position > out->last_checkpoint_position)
		out->last_checkpoint_position = position;
	if (!db_bool(res, i, 6) && out->bad_checkpoint_id == 0)
		out->bad_checkpoint_id = id;
	if (!good && out->bad_signature_id == 0)
		out->bad_signature_id = id;
}

/* The checkpoints a slice at a time: one a minute is half a million a
 * year, and checking their signatures inside one statement would hold it
 * open past statement_timeout. */
static enum app_err check_checkpoints(struct db *db, const struct config *cfg,
                                      struct audit_proof *out)
{
	unsigned char ours[AUDIT_SIGN_KEY_LEN];
	bool have_key = cfg->audit_key != NULL &&
	    audit_sign_public_key(cfg->audit_key, cfg->audit_key_len, ours) == AUDIT_SIGN_OK;
	char after[24] = "0", limit[16];
	const char *params[2] = { after, limit };
	PGresult *res = NULL;
	int n;
	enum app_err err;

	snprintf(limit, sizeof limit, "%d", VERIFY_SLICE);
	do {
		if ((err = db_exec(db, &q_verify_checkpoints, 2, params, &res)) != ERR_NONE)
			return err;
		n = PQntuples(res);
		for (int i = 0; i < n; i++)
			check_checkpoint(res, i, ours, have_key, cfg, out);
		if (n > 0)
			db_copy(after, sizeof after, res, n - 1, 0);
		PQclear(res);
	} while (n == VERIFY_SLICE);
	return ERR_NONE;
}

/* The chain's links, slice after slice, each slice linked to the hash the
 * one before it ended on. */
static enum app_err walk_chain(struct db *db, struct audit_proof *out)
{
	char after[24], prev[65] = "", limit[16];
	const char *params[3] = { after, prev, limit };
	PGresult *res = NULL;
	long long n;
	enum app_err err;

	snprintf(limit, sizeof limit, "%d", VERIFY_SLICE);
	do {
		snprintf(after, sizeof after, "%lld", out->checked);
		if ((err = db_exec(db, &q_verify_slice, 3, params, &res)) != ERR_NONE)
			return err;
		n = db_int(res, 0, 0);
		out->checked += n;
		out->first_bad_position = db_int(res, 0, 2);
		out->first_bad_id = db_int(res, 0, 3);
		db_copy(prev, sizeof prev, res, 0, 1);
		PQclear(res);
	} while (n == VERIFY_SLICE && out->first_bad_position == 0);
	return ERR_NONE;
}

/* The events a slice at a time, by id: any not sealed that should be. */
static enum app_err check_unsealed(struct db *db, const struct config *cfg,
                                   struct audit_proof *out)
{
	char after[24] = "0", limit[16], grace[16];
	const char *params[3] = { after, limit, grace };
	PGresult *res = NULL;
	long long looked;
	enum app_err err;

	snprintf(limit, sizeof limit, "%d", VERIFY_SLICE);
	snprintf(grace, sizeof grace, "%d", cfg->audit_unsealed_grace_s);
	do {
		if ((err = db_exec(db, &q_verify_unsealed, 3, params, &res)) != ERR_NONE)
			return err;
		looked = db_int(res, 0, 0);
		if (looked > 0)
			db_copy(after, sizeof after, res, 0, 1);
		out->unsealed += db_int(res, 0, 2);
		if (out->first_unsealed_id == 0)
			out->first_unsealed_id = db_int(res, 0, 3);
		PQclear(res);
	} while (looked == VERIFY_SLICE);
	return ERR_NONE;
}

enum app_err audit_verify(struct db *db, const struct config *cfg, struct audit_proof *out)
{
	enum app_err err;

	memset(out, 0, sizeof *out);
	if ((err = exec_discard(db, &q_verify_begin, 0, NULL)) != ERR_NONE)
		return err;
	if ((err = walk_chain(db, out)) != ERR_NONE || (err = check_unsealed(db, cfg, out)) != ERR_NONE ||
	    (err = check_checkpoints(db, cfg, out)) != ERR_NONE || (err = db_commit(db)) != ERR_NONE)
		goto err;
	out->ok = out->first_bad_position == 0 && out->unsealed == 0 &&
	    out->bad_checkpoint_id == 0 && out->bad_signature_id == 0;
	return ERR_NONE;
err:
	db_rollback(db);
	return err;
}

enum app_err audit_chain_hash_at(struct db *db, long long position, char hash_hex[65],
                                 bool *found)
{
	char pos[24];
	const char *params[1] = { pos };
	PGresult *res = NULL;
	enum app_err err;

	snprintf(pos, sizeof pos, "%lld", position);
	hash_hex[0] = '\0';
	if ((err = db_exec(db, &q_hash_at, 1, params, &res)) == ERR_NONE) {
		*found = PQntuples(res) == 1;
		if (*found)
			snprintf(hash_hex, 65, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return err;
}
