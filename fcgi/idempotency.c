/* idempotency.c -- see idempotency.h. The SQL of idempotency_keys lives
 * here and nowhere else; the request text is stored as its SHA-256. */
#include "idempotency.h"

#include <stdio.h>
#include <string.h>

#include "refunds.h"

#define REQUEST_HASH(text) "encode(sha256(convert_to(" text ", 'UTF8')), 'hex')"

static const struct db_stmt q_find = { "idempotency_find",
	"SELECT status, response, request_hash = " REQUEST_HASH("$3")
	" FROM idempotency_keys WHERE account = $1 AND key = $2" };
static const struct db_stmt q_keep = { "idempotency_keep",
	"INSERT INTO idempotency_keys (account, key, request_hash, status, response)"
	" VALUES ($1, $2, " REQUEST_HASH("$3") ", $4::int, $5)" };
static const struct db_stmt q_keep_detail = { "idempotency_keep_detail",
	"WITH d AS (" REFUNDS_DETAIL_SQL("$1", "$2", "$3") ")"
	" INSERT INTO idempotency_keys (account, key, request_hash, status, response)"
	" SELECT $4, $5, " REQUEST_HASH("$6") ", $7::int, d.body FROM d"
	" RETURNING response, (SELECT upstream FROM d)" };

struct db_step idem_find_step(const char *account, const char *key, const char *request_text,
                              const char *params[3])
{
	params[0] = account;
	params[1] = key;
	params[2] = request_text;
	return (struct db_step){ &q_find, 3, params, NULL };
}

enum idem_found idem_read(const PGresult *res, int *status, const char **response)
{
	if (PQntuples(res) != 1)
		return IDEM_NEW;
	if (!db_bool(res, 0, 2))
		return IDEM_REUSED;
	*status = (int)db_int(res, 0, 0);
	*response = PQgetvalue(res, 0, 1);
	return IDEM_REPLAY;
}

enum app_err idem_keep(struct db *db, const char *account, const char *key,
                       const char *request_text, int status, const char *response)
{
	char code[8];
	const char *params[5] = { account, key, request_text, code, response };
	PGresult *res = NULL;
	enum app_err err;

	snprintf(code, sizeof code, "%d", status);
	err = db_exec(db, &q_keep, 5, params, &res);
	PQclear(res);
	return err;
}

struct db_step idem_keep_detail_step(struct app_ctx *c, const char *refund_id, const char *key,
                                     const char *request_text, const char *status,
                                     const char *params[7])
{
	refunds_detail_step(c, refund_id, params);   /* the detail's $1..$3 */
	params[3] = c->who.sub;
	params[4] = key;
	params[5] = request_text;
	params[6] = status;
	return (struct db_step){ &q_keep_detail, 7, params, NULL };
}
