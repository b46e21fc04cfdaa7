/* attachments.h -- the evidence files of refund requests as stored
 * (sql/008_attachments.sql). All SQL about refund_attachments lives in
 * attachments.c. Functions return an error value and never answer HTTP:
 * the handlers (handlers_attachments.c) turn them into problems. */
#ifndef REFUNDD_ATTACHMENTS_H
#define REFUNDD_ATTACHMENTS_H

#include <stddef.h>
#include "db.h"

/* The request an upload goes to, locked FOR UPDATE. */
struct attach_refund {
	char status[32];
	int  count;          /* files it has already */
};

/* BEGIN with the caller's identity, then lock refund_id (only when its
 * account is owner, unless owner is NULL) and count its files, in one
 * round trip. ERR_NOT_FOUND when there is no such request for owner;
 * on any error the transaction is rolled back. */
enum app_err attachments_begin_lock(struct db *db, const struct db_identity *who,
                                    const char *refund_id, const char *owner,
                                    struct attach_refund *out);

struct attach_new {
	const char *refund_id;
	int         position;     /* 1..ATTACH_MAX_COUNT: count + 1 */
	const char *name;
	const char *content_type;
	const char *data;
	size_t      len;
};
/* Stores the file inside the caller's transaction. *meta gets
 * {id, name, content_type, size, sha256, created_at} and *audit the audit
 * event's "after" ({"attachment": meta}), as JSON text (free() both).
 * ERR_CONFLICT when the position is taken or past the limit. */
enum app_err attachments_insert(struct db *db, const struct attach_new *a,
                                char **meta, char **audit);

/* One stored file, as read for a download. */
struct attach_file {
	char   name[256 * 4];
	char   content_type[32];
	char  *data;          /* malloc()ed copy, owned; NULL when empty */
	size_t len;
};
/* Attachment aid of refund_id (whose account must be owner unless owner
 * is NULL). ERR_NOT_FOUND when there is none. */
enum app_err attachments_get(struct db *db, const char *refund_id, const char *aid,
                             const char *owner, struct attach_file *out);

#endif
