/* handlers_attachments.c -- evidence files (DESIGN.md §8 "Evidence").
 *
 * Upload: the raw file is the body (server.c reads at most 5 MiB for this
 * route, ROUTE_BODY_LARGE); its name comes in ?name=. Name, declared type
 * and first bytes are judged before the database is touched; then one
 * transaction locks the request row (so parallel uploads to one request
 * queue and the fifth is the last), checks it is open and has room,
 * stores the file and writes the audit event with its sha256. With an
 * Idempotency-Key the same upload again (a retry after a lost answer) gets
 * the first answer instead of taking a second slot.
 *
 * Download: only ever as an attachment with nosniff and a sandbox CSP,
 * so a crafted file cannot run as a page of our origin. */
#include "handlers_attachments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attachment_rules.h"
#include "attachments.h"
#include "audit.h"
#include "idempotency.h"

/* The states a customer may still add evidence in: every state still in
 * the staff queue (a second approver reads it too) and the wait for the
 * customer's confirmation of a lower amount. */
static const char *const open_states[] = { "submitted", "in_review", "needs_info",
	"awaiting_second_approval", "appealed", "awaiting_confirmation", NULL };

struct upload {
	char             name[ATTACH_NAME_MAX + 1];
	enum attach_type type;
};

static bool is_open(const char *status)
{
	for (int i = 0; open_states[i]; i++)
		if (strcmp(status, open_states[i]) == 0)
			return true;
	return false;
}

static enum app_err parse_name(struct app_ctx *c, char *name, size_t len)
{
	char buf[1024];
	int found = http_query_param(c->req->query, "name", buf, sizeof buf);
	enum attach_name_err e = found < 0 ? ATTACH_NAME_BAD_UTF8
	                       : found == 0 ? ATTACH_NAME_EMPTY : attach_name_check(buf, strlen(buf));

	if (found < 0)   /* a bad escape, invalid UTF-8, a NUL or far too long */
		return app_fail(c, ERR_BAD_REQUEST, "invalid_attachment_name",
		                "the file name is not valid percent-encoded UTF-8 of up to %d bytes",
		                ATTACH_NAME_MAX);
	if (e != ATTACH_NAME_OK)
		return app_fail(c, ERR_BAD_REQUEST, "invalid_attachment_name", "%s",
		                attach_name_err_text(e));
	snprintf(name, len, "%s", buf);
	return ERR_NONE;
}

static enum app_err parse_upload(struct app_ctx *c, struct upload *u)
{
	enum app_err err = parse_name(c, u->name, sizeof u->name);

	if (err != ERR_NONE)
		return err;
	if (!attach_type_parse(c->req->content_type, &u->type))
		return app_fail(c, ERR_UNSUPPORTED_MEDIA_TYPE, "unsupported_attachment",
		                "send a PNG, JPEG or PDF file as image/png, image/jpeg or application/pdf");
	if (!attach_magic_ok(u->type, c->req->body, c->req->body_len))
		return app_fail(c, ERR_UNSUPPORTED_MEDIA_TYPE, "unsupported_attachment",
		                "the file's first bytes are not those of %s",
		                attach_type_name(u->type));
	return ERR_NONE;
}

/* Lock -> replay? -> judge -> insert -> key -> audit event + COMMIT;
 * *meta: the answer (NULL when the key answered already). */
static enum app_err store(struct app_ctx *c, const struct upload *u, const char *key,
                          char **meta)
{
	struct db_identity who = app_identity(c);
	const char *refund_id = app_param(c, 0);
	struct attach_refund ref;
	struct attach_new a = { refund_id, 0, u->name, attach_type_name(u->type),
	                        c->req->body, c->req->body_len };
	char *after = NULL, request_text[ATTACH_REQUEST_TEXT_SIZE];
	enum app_err err = attachments_begin_lock(c->db, &who, refund_id, app_owner_filter(c), &ref);
	int r;

	if (err == ERR_NOT_FOUND)
		return app_fail(c, err, "refund_not_found", "no refund request %s", refund_id);
	if (err != ERR_NONE)
		return app_fail(c, err, NULL, "could not load the refund request");
	/* hashed only with a key: the digest serves nothing else */
	if (key != NULL && attach_request_text(refund_id, u->name, u->type, c->req->body,
	                                       c->req->body_len, request_text, sizeof request_text) != 0)
		return app_fail(c, ERR_INTERNAL, NULL, "could not hash the file");
	if ((r = app_idempotency_answered(c, key, request_text)) != 0)
		return r > 0 ? ERR_NONE : c->problem.err;
	if (!is_open(ref.status))
		return app_fail_with(c, ERR_CONFLICT, "refund_not_open",
		                     json_pack("{s:s}", "state", ref.status),
		                     "files can be added only while the request is open");
	if (ref.count >= ATTACH_MAX_COUNT)
		return app_fail(c, ERR_CONFLICT, "too_many_attachments",
		                "a request takes at most %d files", ATTACH_MAX_COUNT);
	a.position = ref.count + 1;
	err = attachments_insert(c->db, &a, meta, &after);
	if (err == ERR_CONFLICT)   /* the table's own guard (sql/008) */
		return app_fail(c, err, "too_many_attachments",
		                "a request takes at most %d files", ATTACH_MAX_COUNT);
	if (err == ERR_NONE && key != NULL)
		err = idem_keep(c->db, c->who.sub, key, request_text, 201, *meta);
	if (err != ERR_NONE)
		return app_fail(c, err, NULL, "could not store the file");
	struct audit_event e = { "refund.attachment_add", "refund", refund_id, NULL, after };
	err = audit_write(c, &e, NULL, true);
	free(after);
	return err == ERR_NONE || c->problem.err ? err : app_fail(c, err, NULL, "could not store the file");
}

enum app_err handle_attachment_upload(struct app_ctx *c)
{
	struct upload u;
	const char *key;
	char *meta = NULL;
	enum app_err err;

	if (!app_decimal_id(app_param(c, 0)))
		return app_fail(c, ERR_NOT_FOUND, "refund_not_found", "no refund request %s",
		                app_param(c, 0));
	if ((err = app_idempotency_key(c, false, &key)) != ERR_NONE ||
	    (err = parse_upload(c, &u)) != ERR_NONE)
		return err;
	if ((err = store(c, &u, key, &meta)) != ERR_NONE || meta == NULL) {
		free(meta);
		return err;
	}
	err = app_reply(c, 201, json_loads(meta, 0, NULL));
	free(meta);
	return err;
}

/* The download's headers: RFC 6266 name with the extension of the type
 * its bytes were checked to be, no sniffing, no script. */
static enum app_err download_headers(struct app_ctx *c, const struct attach_file *f)
{
	char cd[1536], saved[ATTACH_DOWNLOAD_NAME_SIZE];
	enum attach_type t;

	if (!attach_type_parse(f->content_type, &t) ||
	    attach_download_name(f->name, t, saved, sizeof saved) != 0 ||
	    attach_content_disposition(saved, cd, sizeof cd) != 0)
		return app_fail(c, ERR_INTERNAL, NULL, "file name does not fit a header");
	http_add_header(c->resp, "Content-Disposition", cd);
	http_add_header(c->resp, "X-Content-Type-Options", "nosniff");
	http_add_header(c->resp, "Content-Security-Policy", "sandbox");
	return ERR_NONE;
}

enum app_err handle_attachment_get(struct app_ctx *c)
{
	const char *refund_id = app_param(c, 0), *aid = app_param(c, 1);
	struct attach_file f;
	enum app_err err;

	if (!app_decimal_id(refund_id) || !app_decimal_id(aid))
		return app_fail(c, ERR_NOT_FOUND, "attachment_not_found", "no such attachment");
	err = attachments_get(c->db, refund_id, aid, app_owner_filter(c), &f);
	if (err == ERR_NONE)
		err = download_headers(c, &f);
	else if (err == ERR_NOT_FOUND)
		app_fail(c, err, "attachment_not_found", "no attachment %s on refund request %s",
		         aid, refund_id);
	else
		app_fail(c, err, NULL, "could not read the file");
	if (err != ERR_NONE) {
		free(f.data);
		return err;
	}
	http_respond_text(c->resp, 200, f.content_type, f.data, f.len);
	return ERR_NONE;
}
