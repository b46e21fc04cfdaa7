/* attachments.c -- see attachments.h. The bytes travel in binary (libpq
 * parameter and result formats), never as hex text of twice their size. */
#include "attachments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The lock and the count are two statements: under READ COMMITTED a
 * statement that waited for the row lock still sees the snapshot it began
 * with, so a count in the locking statement would miss the file the
 * previous holder just committed. The count, run after the lock is held,
 * takes a fresh snapshot. */
static const struct db_stmt q_lock = { "attachments_lock",
	"SELECT r.status FROM refund_requests r"
	" WHERE r.id = $1::bigint AND ($2::text IS NULL OR r.account = $2) FOR UPDATE OF r" };
static const struct db_stmt q_count = { "attachments_count",
	"SELECT coalesce(max(position), 0)::text FROM refund_attachments WHERE refund_id = $1::bigint" };

static const struct db_stmt q_insert = { "attachments_insert",
	"WITH ins AS (INSERT INTO refund_attachments (refund_id, position, name, content_type,"
	"   data, uploaded_by) VALUES ($1::bigint, $2::smallint, $3, $4, $5::bytea,"
	"   current_setting('refundd.sub')) RETURNING id, name, content_type, size, sha256, created_at)"
	" SELECT m::text, jsonb_build_object('attachment', m)::text FROM ins,"
	" LATERAL jsonb_build_object('id', ins.id, 'name', ins.name, 'content_type', ins.content_type,"
	"   'size', ins.size, 'sha256', ins.sha256, 'created_at', ins.created_at) m" };

/* Every column is read in binary: text columns are their UTF-8 bytes. */
static const struct db_stmt q_get = { "attachments_get",
	"SELECT a.name, a.content_type, a.data FROM refund_attachments a"
	" JOIN refund_requests r ON r.id = a.refund_id"
	" WHERE a.id = $1::bigint AND a.refund_id = $2::bigint"
	" AND ($3::text IS NULL OR r.account = $3)" };

enum app_err attachments_begin_lock(struct db *db, const struct db_identity *who,
                                    const char *refund_id, const char *owner,
                                    struct attach_refund *out)
{
	const char *params[2] = { refund_id, owner };
	struct db_step steps[2] = { { &q_lock, 2, params, NULL }, { &q_count, 1, params, NULL } };
	enum app_err err = db_begin_with(db, who, steps, 2);

	memset(out, 0, sizeof *out);
	if (err != ERR_NONE)
		return err;
	if (PQntuples(steps[0].res) == 1) {
		db_copy(out->status, sizeof out->status, steps[0].res, 0, 0);
		out->count = (int)db_int(steps[1].res, 0, 0);
	} else {
		err = ERR_NOT_FOUND;
		db_rollback(db);
	}
	db_steps_clear(steps, 2);
	return err;
}

enum app_err attachments_insert(struct db *db, const struct attach_new *a,
                                char **meta, char **audit)
{
	char position[8];
	const char *params[5] = { a->refund_id, position, a->name, a->content_type, a->data };
	const int lengths[5] = { 0, 0, 0, 0, (int)a->len };
	const int formats[5] = { 0, 0, 0, 0, 1 };
	PGresult *res = NULL;
	enum app_err err;

	*meta = *audit = NULL;
	snprintf(position, sizeof position, "%d", a->position);
	err = db_exec_bin(db, &q_insert, 5, params, lengths, formats, 0, &res);
	if (err != ERR_NONE)
		return err;
	if (PQntuples(res) == 1) {
		*meta = strdup(PQgetvalue(res, 0, 0));
		*audit = strdup(PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	if (*meta == NULL || *audit == NULL) {
		free(*meta);
		free(*audit);
		*meta = *audit = NULL;
		return ERR_INTERNAL;
	}
	return ERR_NONE;
}

/* A binary text column into buf; false when it does not fit. */
static int copy_binary_text(char *buf, size_t len, const PGresult *res, int col)
{
	size_t n = (size_t)PQgetlength(res, 0, col);

	if (n >= len)
		return 0;
	memcpy(buf, PQgetvalue(res, 0, col), n);
	buf[n] = '\0';
	return 1;
}

enum app_err attachments_get(struct db *db, const char *refund_id, const char *aid,
                             const char *owner, struct attach_file *out)
{
	const char *params[3] = { aid, refund_id, owner };
	PGresult *res = NULL;
	enum app_err err = db_exec_bin(db, &q_get, 3, params, NULL, NULL, 1, &res);

	memset(out, 0, sizeof *out);
	if (err != ERR_NONE)
		return err;
	if (PQntuples(res) != 1)
		err = ERR_NOT_FOUND;
	else if (!copy_binary_text(out->name, sizeof out->name, res, 0) ||
	         !copy_binary_text(out->content_type, sizeof out->content_type, res, 1))
		err = ERR_INTERNAL;
	else {
		out->len = (size_t)PQgetlength(res, 0, 2);
		out->data = malloc(out->len + 1);
		if (out->data == NULL)
			err = ERR_INTERNAL;
		else
			memcpy(out->data, PQgetvalue(res, 0, 2), out->len);
	}
	PQclear(res);
	return err;
}
