/* payouts.c -- see payouts.h. The SQL of payouts and balance_ledger lives
 * here and nowhere else. */
#include "payouts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAYOUT_JSON "to_jsonb(p)::text"

static const struct db_stmt q_route = { "payouts_route",
	"SELECT payment_method, currency,"
	" (SELECT r.quote->'payout_methods' ? $2 FROM refund_requests r WHERE r.id = $3::bigint)"
	" FROM orders WHERE id = $1" };
static const struct db_stmt q_insert = { "payouts_insert",
	"INSERT INTO payouts AS p (refund_id, order_id, account, method, channel, amount, currency,"
	" status, expected_at, expected_latest_at, payment_ref, product_name)"
	" SELECT $1::bigint, $2, $3, $4, $5, $6::bigint, $7, 'pending', to_timestamp($8::bigint),"
	" to_timestamp($9::bigint), o.payment_ref, o.product_name FROM orders o WHERE o.id = $2"
	" RETURNING p.id::text, " PAYOUT_JSON };
static const struct db_stmt q_credit = { "payouts_credit",
	"INSERT INTO balance_ledger (account, amount, currency, kind, refund_id, payout_id, memo)"
	" VALUES ($1, $2::bigint, $3, 'refund_credit', $4::bigint, $5::bigint, 'refund')" };
static const struct db_stmt q_settle = { "payouts_settle",
	"UPDATE payouts p SET status = 'settled', settled_at = now(), updated_at = now(),"
	" channel_ref = coalesce($2, channel_ref) WHERE p.id = $1::bigint RETURNING " PAYOUT_JSON };
static const struct db_stmt q_fail = { "payouts_fail",
	"UPDATE payouts p SET status = 'failed', failure_reason = $2, updated_at = now()"
	" WHERE p.id = $1::bigint RETURNING " PAYOUT_JSON };
static const struct db_stmt q_lock = { "payouts_lock",
	"SELECT p.id::text, p.refund_id::text, p.status, " PAYOUT_JSON
	" FROM payouts p WHERE p.id = $1::bigint FOR UPDATE" };
/* Whose payout it is, read without a lock: the refund is locked first. */
static const struct db_stmt q_refund_of = { "payouts_refund_of",
	"SELECT p.refund_id::text FROM payouts p WHERE p.id = $1::bigint" };
/* The refund's payout that has not failed (payouts_one_live: at most one),
 * locked: a late settlement decides by it. */
static const struct db_stmt q_live = { "payouts_live",
	"SELECT p.id::text, p.refund_id::text, p.status, " PAYOUT_JSON
	" FROM payouts p WHERE p.refund_id = $1::bigint AND p.status <> 'failed' FOR UPDATE" };
/* Newest first, like the refund requests: what finance just did is on top. */
static const struct db_stmt q_list = { "payouts_list",
	"SELECT " PAYOUT_JSON ", p.id FROM payouts p WHERE ($1::text IS NULL OR p.status = $1)"
	" AND ($2::bigint IS NULL OR p.id < $2::bigint) ORDER BY p.id DESC LIMIT $3::int + 1" };
#define EXPORT_COLUMNS \
	"p.id::text, p.refund_id::text, p.order_id, p.account, p.product_name, p.channel," \
	" coalesce(p.payment_ref, ''), p.amount, p.currency," \
	" to_char(p.expected_latest_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* One number per export (a CTE runs once; nextval in SET would run per
 * row), kept on the payouts it sent: a lost download is that export again. */
/* The arrival window starts again from the export ($1-$4 earliest, $5-$8
 * latest, in the order of payouts_export_channels). */
static const struct db_stmt q_export = { "payouts_export",
	"WITH e AS (SELECT nextval('payout_exports_id_seq') AS n)"
	" UPDATE payouts p SET status = 'sent', sent_at = now(), updated_at = now(), export_id = e.n,"
	" expected_at = to_timestamp(CASE p.channel WHEN 'alipay' THEN $1::bigint"
	"   WHEN 'wechat' THEN $2::bigint WHEN 'card' THEN $3::bigint"
	"   WHEN 'bank_transfer' THEN $4::bigint END),"
	" expected_latest_at = to_timestamp(CASE p.channel WHEN 'alipay' THEN $5::bigint"
	"   WHEN 'wechat' THEN $6::bigint WHEN 'card' THEN $7::bigint"
	"   WHEN 'bank_transfer' THEN $8::bigint END)"
	" FROM e WHERE p.status = 'pending' AND p.channel <> 'balance'"
	" RETURNING " EXPORT_COLUMNS ", p.export_id::text, " PAYOUT_JSON };
/* One export's instructions still with the channel: $1's, or the last
 * export's (the largest number any payout carries). */
static const struct db_stmt q_reexport = { "payouts_reexport",
	"SELECT " EXPORT_COLUMNS ", p.export_id::text FROM payouts p"
	" WHERE p.status = 'sent' AND p.channel <> 'balance'"
	" AND p.export_id = coalesce($1::bigint, (SELECT max(export_id) FROM payouts)) ORDER BY p.id" };
static const struct db_stmt q_balance = { "payouts_balance",
	"SELECT jsonb_build_object('balances', (SELECT coalesce(jsonb_agg(jsonb_build_object("
	" 'currency', currency, 'amount', total) ORDER BY currency), '[]') FROM (SELECT currency,"
	" sum(amount)::bigint AS total FROM balance_ledger WHERE account = $1 GROUP BY currency) t),"
	" 'lines', (SELECT coalesce(jsonb_agg(to_jsonb(l) - 'account' ORDER BY l.id DESC), '[]')"
	" FROM (SELECT * FROM balance_ledger WHERE account = $1 ORDER BY id DESC LIMIT 100) l))::text" };

void payout_free(struct payout *p)
{
	free(p->json);
	p->json = NULL;
}

struct db_step payouts_route_step(const char *order_id, const char *method,
                                  const char *refund_id, const char *params[3])
{
	params[0] = order_id;
	params[1] = method;
	params[2] = refund_id;
	return (struct db_step){ &q_route, 3, params, NULL };
}

void payouts_route_read(const PGresult *res, struct payout_route *out)
{
	memset(out, 0, sizeof *out);
	if (PQntuples(res) == 0)
		return;
	db_copy(out->payment_method, sizeof out->payment_method, res, 0, 0);
	db_copy(out->currency, sizeof out->currency, res, 0, 1);
	out->offered = db_bool(res, 0, 2);
}

/* The first column of the only row, copied; PAYOUTS_NOMEM when it cannot be. */
static enum payouts_err dup_text(const PGresult *res, int col, char **out)
{
	*out = strdup(PQgetvalue(res, 0, col));
	return *out ? PAYOUTS_OK : PAYOUTS_NOMEM;
}

enum payouts_err payouts_insert(struct app_ctx *c, const struct payout_new *n, char *id,
                                char **json)
{
	char amount[24], at[24], latest[24];
	const char *params[9] = { n->refund_id, n->order_id, n->account, n->method, n->channel,
	                          amount, n->currency, at, latest };
	PGresult *res = NULL;
	enum payouts_err err;

	*json = NULL;
	snprintf(amount, sizeof amount, "%lld", (long long)n->amount);
	snprintf(at, sizeof at, "%lld", (long long)n->expected_at);
	snprintf(latest, sizeof latest, "%lld", (long long)n->expected_latest_at);
	if (db_exec(c->db, &q_insert, 9, params, &res) != ERR_NONE) {
		const char *cons = db_constraint(c->db);
		return strcmp(cons, "payouts_one_live") == 0 ? PAYOUTS_EXISTS :
		       strcmp(cons, "payouts_order_cap") == 0 ? PAYOUTS_ORDER_CAP : PAYOUTS_DB;
	}
	db_copy(id, 24, res, 0, 0);
	err = dup_text(res, 1, json);
	PQclear(res);
	return err;
}

enum payouts_err payouts_credit_balance(struct app_ctx *c, const char *account, int64_t amount,
                                        const char *currency, const char *refund_id,
                                        const char *payout_id)
{
	char text[24];
	const char *params[5] = { account, text, currency, refund_id, payout_id };
	PGresult *res = NULL;
	enum app_err err;

	snprintf(text, sizeof text, "%lld", (long long)amount);
	err = db_exec(c->db, &q_credit, 5, params, &res);
	PQclear(res);
	return err == ERR_NONE ? PAYOUTS_OK : PAYOUTS_DB;
}

enum payouts_err payouts_answer(struct app_ctx *c, const char *id, bool settled,
                                const char *text, char **json)
{
	const char *params[2] = { id, text };
	PGresult *res = NULL;
	enum payouts_err err;

	*json = NULL;
	if (db_exec(c->db, settled ? &q_settle : &q_fail, 2, params, &res) != ERR_NONE)
		return PAYOUTS_DB;
	err = PQntuples(res) == 1 ? dup_text(res, 0, json) : PAYOUTS_NOT_FOUND;
	PQclear(res);
	return err;
}

static enum payouts_err lock_one(struct app_ctx *c, const struct db_stmt *st, const char *key,
                                 struct payout *out)
{
	PGresult *res = NULL;
	enum payouts_err err;

	memset(out, 0, sizeof *out);
	if (db_exec(c->db, st, 1, &key, &res) != ERR_NONE)
		return PAYOUTS_DB;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return PAYOUTS_NOT_FOUND;
	}
	db_copy(out->id, sizeof out->id, res, 0, 0);
	db_copy(out->refund_id, sizeof out->refund_id, res, 0, 1);
	db_copy(out->status, sizeof out->status, res, 0, 2);
	err = dup_text(res, 3, &out->json);
	PQclear(res);
	return err;
}

enum payouts_err payouts_lock(struct app_ctx *c, const char *id, struct payout *out)
{
	return lock_one(c, &q_lock, id, out);
}

enum payouts_err payouts_refund_of(struct app_ctx *c, const char *id, char refund_id[24])
{
	PGresult *res = NULL;
	enum payouts_err err = PAYOUTS_NOT_FOUND;

	refund_id[0] = '\0';
	if (db_exec(c->db, &q_refund_of, 1, &id, &res) != ERR_NONE)
		return PAYOUTS_DB;
	if (PQntuples(res) == 1) {
		db_copy(refund_id, 24, res, 0, 0);
		err = PAYOUTS_OK;
	}
	PQclear(res);
	return err;
}

enum payouts_err payouts_live(struct app_ctx *c, const char *refund_id, struct payout *out)
{
	return lock_one(c, &q_live, refund_id, out);
}

enum payouts_err payouts_list(struct app_ctx *c, const char *status, const char *cursor,
                              const char *limit, PGresult **page)
{
	const char *params[3] = { status, cursor, limit };
	return db_exec(c->db, &q_list, 3, params, page) == ERR_NONE ? PAYOUTS_OK : PAYOUTS_DB;
}

const char *const payouts_export_channels[PAYOUTS_EXPORT_CHANNELS] = {
	"alipay", "wechat", "card", "bank_transfer",
};

enum payouts_err payouts_export(struct app_ctx *c,
                                const struct payouts_window arrival[PAYOUTS_EXPORT_CHANNELS],
                                PGresult **rows)
{
	char text[2 * PAYOUTS_EXPORT_CHANNELS][24];
	const char *params[2 * PAYOUTS_EXPORT_CHANNELS];

	for (int i = 0; i < PAYOUTS_EXPORT_CHANNELS; i++) {
		snprintf(text[i], sizeof text[i], "%lld", (long long)arrival[i].earliest);
		snprintf(text[PAYOUTS_EXPORT_CHANNELS + i], sizeof text[i], "%lld",
		         (long long)arrival[i].latest);
	}
	for (int i = 0; i < 2 * PAYOUTS_EXPORT_CHANNELS; i++)
		params[i] = text[i];
	return db_exec(c->db, &q_export, 2 * PAYOUTS_EXPORT_CHANNELS, params, rows) == ERR_NONE
	       ? PAYOUTS_OK : PAYOUTS_DB;
}

enum payouts_err payouts_reexport(struct app_ctx *c, const char *export_id, PGresult **rows)
{
	return db_exec(c->db, &q_reexport, 1, &export_id, rows) == ERR_NONE ? PAYOUTS_OK : PAYOUTS_DB;
}

enum payouts_err payouts_balance(struct app_ctx *c, const char *account, PGresult **res)
{
	const char *params[1] = { account };
	return db_exec(c->db, &q_balance, 1, params, res) == ERR_NONE ? PAYOUTS_OK : PAYOUTS_DB;
}
