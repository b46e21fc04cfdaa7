/* handlers_audit.c -- GET /api/v1/audit (the events, with their place in
 * the chain once sealed), GET /api/v1/audit/verify (the proof, and a
 * checkpoint anchored elsewhere checked against the chain),
 * GET /api/v1/audit/checkpoints (the signed heads, to copy out and anchor
 * elsewhere) and POST /api/v1/audit/checkpoints (sign the head now). */
#include "handlers_audit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

/* position, prev_hash and hash are null until the sealer links the event
 * (within a second of its commit). */
static const struct db_stmt q_list = { "audit_list",
	"SELECT jsonb_build_object('id', e.id, 'at', e.at, 'actor', e.actor, 'role', e.actor_role,"
	" 'action', e.action, 'entity', e.entity, 'entity_id', e.entity_id, 'before', e.before,"
	" 'after', e.after, 'request_id', e.request_id, 'client_addr', e.client_addr,"
	" 'position', c.position, 'hash', encode(c.hash, 'hex'),"
	" 'prev_hash', encode(c.prev_hash, 'hex'))::text, e.id"
	" FROM audit_events e LEFT JOIN audit_chain c ON c.event_id = e.id"
	" WHERE ($1::text IS NULL OR e.entity = $1)"
	" AND ($2::text IS NULL OR e.entity_id = $2) AND ($3::bigint IS NULL OR e.id > $3::bigint)"
	" ORDER BY e.id LIMIT $4::int + 1" };

#define CHECKPOINT_JSON \
	"jsonb_build_object('id', k.id, 'position', k.position, 'head_hash', encode(k.head_hash, 'hex')," \
	" 'signed_at', k.signed_at, 'unix_time', extract(epoch FROM k.signed_at)::bigint," \
	" 'public_key', encode(k.public_key, 'hex'), 'signature', encode(k.signature, 'hex')," \
	" 'requested_by', k.requested_by)::text"

static const struct db_stmt q_checkpoints = { "audit_checkpoints_list",
	"SELECT " CHECKPOINT_JSON ", k.id FROM audit_checkpoints k"
	" WHERE ($1::bigint IS NULL OR k.id > $1::bigint) ORDER BY k.id LIMIT $2::int + 1" };

static const struct db_stmt q_checkpoint_last = { "audit_checkpoint_last",
	"SELECT " CHECKPOINT_JSON " FROM audit_checkpoints k ORDER BY k.id DESC LIMIT 1" };

enum app_err handle_audit_list(struct app_ctx *c)
{
	static const struct field_spec entity_spec = { "entity", FIELD_CODE, false, false, 1, 40, NULL };
	static const struct field_spec id_spec = { "id", FIELD_ID, false, false, 1, 80, NULL };
	char cursor[80], entity[48], id[96];
	const char *params[4] = { 0 };
	int limit;
	enum app_err err;

	if ((err = app_id_cursor(c, &limit, cursor, sizeof cursor, &params[2])) != ERR_NONE ||
	    (err = app_query_filter(c, &entity_spec, entity, sizeof entity, &params[0])) != ERR_NONE ||
	    (err = app_query_filter(c, &id_spec, id, sizeof id, &params[1])) != ERR_NONE)
		return err;
	return app_list(c, &q_list, 4, params, limit);
}

static json_t *id_or_null(long long id)
{
	return id > 0 ? json_integer(id) : json_null();
}

/* The failures by name, so a reader need not decode the numbers. */
static json_t *failures(const struct audit_proof *p)
{
	json_t *list = json_array();

	if (p->first_bad_position)
		json_array_append_new(list, json_string("chain_broken"));
	if (p->unsealed)
		json_array_append_new(list, json_string("unsealed_events"));
	if (p->bad_checkpoint_id)
		json_array_append_new(list, json_string("checkpoint_not_in_chain"));
	if (p->bad_signature_id)
		json_array_append_new(list, json_string("bad_signature"));
	return list;
}

/* A head copied out of refundd and kept elsewhere (?position=&hash=, from a
 * checkpoint): the chain must still hold that hash at that position. It is
 * what finds a rewrite that also removed the database's own checkpoints
 * past the rewritten part, which verify alone cannot see. */
struct anchor {
	long long position;      /* 0: none asked */
	char      hash[65];      /* lowercase hex */
	char      found[65];     /* the chain's hash there; "" when not in it */
	bool      in_chain;
};

static enum app_err parse_anchor(struct app_ctx *c, struct anchor *a)
{
	static const struct field_spec pos_spec = { "position", FIELD_INT, false, false, 1,
	                                            INT64_MAX, NULL };
	static const struct field_spec hash_spec = { "hash", FIELD_ID, false, false, 64, 64, NULL };
	char pos[24], hash[72];
	const char *pos_v, *hash_v;
	enum app_err err;

	a->position = 0;
	if ((err = app_query_filter(c, &pos_spec, pos, sizeof pos, &pos_v)) != ERR_NONE ||
	    (err = app_query_filter(c, &hash_spec, hash, sizeof hash, &hash_v)) != ERR_NONE)
		return err;
	if (pos_v == NULL && hash_v == NULL)
		return ERR_NONE;
	/* hash_spec has the length; the digits are checked here */
	if (pos_v == NULL || hash_v == NULL || strspn(hash_v, "0123456789abcdefABCDEF") != 64)
		return app_fail_with(c, ERR_BAD_REQUEST, "invalid_filter",
		                     json_pack("{s:s}", "field", pos_v == NULL ? "position" : "hash"),
		                     "an anchor is position and hash (64 hex digits) together");
	a->position = strtoll(pos_v, NULL, 10);
	for (int i = 0; i < 64; i++)
		a->hash[i] = (char)tolower((unsigned char)hash_v[i]);
	a->hash[64] = '\0';
	return ERR_NONE;
}

static json_t *anchor_json(const struct anchor *a)
{
	return json_pack("{s:I, s:s, s:o, s:b}", "position", (json_int_t)a->position, "hash", a->hash,
	                 "found_hash", a->in_chain ? json_string(a->found) : json_null(),
	                 "ok", a->in_chain && strcmp(a->found, a->hash) == 0);
}

enum app_err handle_audit_verify(struct app_ctx *c)
{
	struct audit_proof p;
	struct anchor a;
	enum app_err err;

	if ((err = parse_anchor(c, &a)) != ERR_NONE)
		return err;
	if ((err = audit_verify(c->db, c->cfg, &p)) != ERR_NONE ||
	    (a.position > 0 && (err = audit_chain_hash_at(c->db, a.position, a.found, &a.in_chain)) != ERR_NONE))
		return app_fail(c, err, NULL, "could not verify the audit trail");
	json_t *fails = failures(&p);
	if (a.position > 0 && !a.in_chain)
		json_array_append_new(fails, json_string("anchor_not_in_chain"));
	else if (a.position > 0 && strcmp(a.found, a.hash) != 0)
		json_array_append_new(fails, json_string("anchor_mismatch"));
	json_t *body = json_pack("{s:b, s:I, s:o, s:o, s:I, s:o, s:{s:I, s:o, s:o, s:o}, s:o}",
		"ok", p.ok, "checked", (json_int_t)p.checked,
		"first_bad_position", id_or_null(p.first_bad_position),
		"first_bad_id", id_or_null(p.first_bad_id),
		"unsealed", (json_int_t)p.unsealed,
		"first_unsealed_id", id_or_null(p.first_unsealed_id),
		"checkpoints", "checked", (json_int_t)p.checkpoints,
		"last_position", id_or_null(p.last_checkpoint_position),
		"not_in_chain_id", id_or_null(p.bad_checkpoint_id),
		"bad_signature_id", id_or_null(p.bad_signature_id),
		"failures", fails);
	if (body != NULL && a.position > 0) {
		json_object_set_new(body, "anchor", anchor_json(&a));
		json_object_set_new(body, "ok", json_boolean(json_array_size(fails) == 0));
	}
	return app_reply(c, 200, body);
}

enum app_err handle_audit_checkpoints_list(struct app_ctx *c)
{
	char cursor[80];
	const char *params[2] = { 0 };
	int limit;
	enum app_err err = app_id_cursor(c, &limit, cursor, sizeof cursor, &params[0]);

	return err != ERR_NONE ? err : app_list(c, &q_checkpoints, 2, params, limit);
}

/* 201 with the new checkpoint; 200 with the last one when the head has not
 * moved since it was signed. */
enum app_err handle_audit_checkpoint_create(struct app_ctx *c)
{
	long long id = 0;
	PGresult *res = NULL;
	enum app_err err;

	if (c->cfg->audit_key == NULL)
		return app_fail(c, ERR_CONFLICT, "checkpoints_disabled",
		                "audit.signing_key_file is not set: nothing can be signed");
	if ((err = audit_checkpoint(c->db, c->cfg, c->who.sub, &id)) != ERR_NONE)
		return app_fail(c, err, NULL, "could not sign the chain head");
	if ((err = db_exec(c->db, &q_checkpoint_last, 0, NULL, &res)) != ERR_NONE)
		return app_fail(c, err, NULL, "could not read the checkpoint");
	if (PQntuples(res) == 0) {
		PQclear(res);
		return app_fail(c, ERR_CONFLICT, "audit_chain_empty", "no sealed event to sign yet");
	}
	json_error_t jerr;
	json_t *body = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	PQclear(res);
	return body ? app_reply(c, id > 0 ? 201 : 200, body) : app_fail(c, ERR_INTERNAL, NULL, "bad row");
}
