/* claims.c -- see claims.h. */
#include "claims.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns, in order: the order 0..12, the provider policy 13..21, the sum
 * 22. "Already recovered" is what the order's other live claims expect:
 * a refused claim gave nothing back, so it does not count. */
static const struct db_stmt q_inputs = { "claims_inputs",
	"SELECT o.id, o.provider, o.product_type, o.currency, o.upstream_ref IS NOT NULL,"
	" coalesce(o.upstream_ref, ''), coalesce(o.upstream_cost, 0), o.upstream_voucher,"
	" coalesce(extract(epoch FROM o.upstream_paid_at), 0)::bigint,"
	" o.upstream_quantity IS NOT NULL, coalesce(o.upstream_quantity, 0),"
	" o.upstream_used_quantity IS NOT NULL, coalesce(o.upstream_used_quantity, 0),"
	" p.version IS NOT NULL, p.version, p.refundable, p.window_rule, p.window_days,"
	" p.window_requires_unused, p.after_window, p.fee_bps, p.vouchers_refundable,"
	" (SELECT coalesce(sum(k.expected_amount), 0) FROM provider_claims k WHERE k.order_id = o.id"
	"   AND k.status <> 'refused' AND ($2::bigint IS NULL OR k.refund_id <> $2::bigint))"
	" FROM orders o LEFT JOIN LATERAL (SELECT * FROM provider_policies p"
	"   WHERE p.provider = o.provider AND p.product_type = o.product_type"
	"   ORDER BY p.version DESC LIMIT 1) p ON true WHERE o.id = $1" };

static const struct db_stmt q_of_refund = { "claims_of_refund",
	"SELECT to_jsonb(k)::text FROM provider_claims k WHERE k.refund_id = $1::bigint" };

static const struct db_stmt q_open = { "claims_open",
	"INSERT INTO provider_claims (refund_id, order_id, provider, product_type, upstream_ref,"
	" currency, policy_version, expected_amount, customer_amount, breakdown, reasons)"
	" VALUES ($1::bigint, $2, $3, $4, $5, $6, $7::int, $8::bigint, $9::bigint, $10::jsonb, $11::jsonb)"
	" ON CONFLICT (refund_id) DO NOTHING RETURNING id::text, to_jsonb(provider_claims)::text" };

static const struct db_stmt q_list = { "claims_list",
	"SELECT to_jsonb(k)::text, k.id FROM provider_claims k"
	" WHERE ($1::text IS NULL OR k.status = $1) AND ($2::text IS NULL OR k.provider = $2)"
	" AND ($3::bigint IS NULL OR k.id < $3::bigint) ORDER BY k.id DESC LIMIT $4::int + 1" };

static const struct db_stmt q_to_file = { "claims_to_file",
	"SELECT k.id, k.refund_id, k.order_id, k.provider, k.product_type, k.upstream_ref,"
	" k.expected_amount, k.currency, k.policy_version,"
	" to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	" FROM provider_claims k WHERE k.status = 'to_file' AND ($1::text IS NULL OR k.provider = $1)"
	" ORDER BY k.id" };

static const struct db_stmt q_lock = { "claims_lock",
	"SELECT to_jsonb(k)::text, k.status FROM provider_claims k WHERE k.id = $1::bigint FOR UPDATE" };

static const struct db_stmt q_filed = { "claims_filed",
	"UPDATE provider_claims SET status = 'filed', claim_ref = $2, filed_at = now(),"
	" filed_by = current_setting('refundd.sub'), updated_at = now()"
	" WHERE id = $1::bigint AND status = 'to_file' RETURNING to_jsonb(provider_claims)::text" };

/* Serialises the imports of one provider's statements: the same file
 * twice finds the first's result, and two overlapping files each see the
 * lines the other applied (claims_line_seen counts committed closures).
 * Imports are a few a month; waiting for another is cheap. */
static const struct db_stmt q_statement_lock = { "claims_statement_lock",
	"SELECT pg_advisory_xact_lock(hashtext('provider_statement:' || $1))" };
static const struct db_stmt q_statement_get = { "claims_statement_get",
	"SELECT result::text FROM provider_statements WHERE provider = $1 AND currency = $2 AND sha256 = $3" };
static const struct db_stmt q_statement_link = { "claims_statement_link",
	"UPDATE provider_claims SET statement_id = $1::bigint"
	" WHERE id = ANY (string_to_array($2, ',')::bigint[])" };
static const struct db_stmt q_statement_add = { "claims_statement_add",
	"INSERT INTO provider_statements (provider, currency, sha256, result, imported_by)"
	" VALUES ($1, $2, $3, $4::jsonb, current_setting('refundd.sub')) RETURNING id::text" };

/* Open claims first, then any: a closed one means the line was already
 * applied (a duplicate). Among open claims of one reference (renewals of
 * one instance), the one expecting exactly the line's amount in the
 * import's currency, then the oldest: lines in any order close each its
 * own claim instead of the oldest taking the first line's money. */
static const struct db_stmt q_match = { "claims_match",
	"SELECT k.id::text, k.currency, k.expected_amount, k.status IN ('to_file', 'filed'),"
	" to_jsonb(k)::text FROM provider_claims k"
	" WHERE k.provider = $1 AND (k.upstream_ref = $2 OR k.claim_ref = $2)"
	" ORDER BY k.status IN ('to_file', 'filed') DESC,"
	" (k.currency = $4 AND k.expected_amount = $3::bigint) DESC, k.id LIMIT 1 FOR UPDATE" };

/* A line applied by an earlier import (statement_id is set when an import
 * ends, so this import's own closures are not among them): the claims an
 * identical line closed, oldest first. Their day unknown (no date column,
 * or closed before sql/024) counts as any day: a repeat is a duplicate
 * rather than a second recovery. */
static const struct db_stmt q_line_seen = { "claims_line_seen",
	"SELECT k.id FROM provider_claims k WHERE k.provider = $1 AND k.statement_ref = $2"
	" AND k.currency = $3 AND k.recovered_amount = $4::bigint AND coalesce(k.fee, 0) = $5::bigint"
	" AND ($6::date IS NULL OR k.statement_date IS NULL OR k.statement_date = $6::date)"
	" AND k.statement_id IS NOT NULL ORDER BY k.id OFFSET $7::int - 1 LIMIT 1" };

static const struct db_stmt q_close = { "claims_close",
	"UPDATE provider_claims SET status = $2, recovered_amount = $3::bigint, fee = $4::bigint,"
	" statement_ref = $5, statement_date = $6::date, closed_at = now(), updated_at = now()"
	" WHERE id = $1::bigint AND status IN ('to_file', 'filed')"
	" RETURNING to_jsonb(provider_claims)::text" };

/* Each figure counts in the period in which it happened: refunds paid when
 * their payout settled, expected recovery when the claim was opened, actual
 * recovery and fees when the statement closed it; open claims are those
 * opened in the period and not closed yet. net_loss = refunds paid -
 * actual recovery (negative: the provider gave back more). A row is a key
 * and a currency: minor units of two currencies never add up. */
#define MARGIN_IN(at) \
	at " >= ($1::date::timestamp AT TIME ZONE $4) AND " at " < (($2::date + 1)::timestamp AT TIME ZONE $4)"
#define MARGIN_KEY(prov, type, at) \
	"CASE $3 WHEN 'provider' THEN " prov " WHEN 'product_type' THEN " type \
	" ELSE to_char(" at " AT TIME ZONE $4, 'YYYY-MM') END"
static const struct db_stmt q_margin = { "claims_margin",
	"WITH f AS ("
	" SELECT " MARGIN_KEY("r.provider", "r.product_type", "p.settled_at") " AS key,"
	"   p.currency, p.amount AS paid, 0::bigint AS expected, 0::bigint AS actual, 0::bigint AS fees, 0 AS open"
	"   FROM payouts p JOIN refund_requests r ON r.id = p.refund_id"
	"   WHERE p.status = 'settled' AND " MARGIN_IN("p.settled_at")
	" UNION ALL SELECT " MARGIN_KEY("k.provider", "k.product_type", "k.created_at") ","
	"   k.currency, 0, k.expected_amount, 0, 0, CASE WHEN k.status IN ('to_file', 'filed') THEN 1 ELSE 0 END"
	"   FROM provider_claims k WHERE " MARGIN_IN("k.created_at")
	" UNION ALL SELECT " MARGIN_KEY("k.provider", "k.product_type", "k.closed_at") ","
	"   k.currency, 0, 0, k.recovered_amount, coalesce(k.fee, 0), 0"
	"   FROM provider_claims k WHERE " MARGIN_IN("k.closed_at") ")"
	" SELECT key, currency, sum(paid)::bigint, sum(expected)::bigint, sum(actual)::bigint,"
	" sum(fees)::bigint, (sum(paid) - sum(actual))::bigint, sum(open)::bigint"
	" FROM f GROUP BY key, currency ORDER BY key, currency" };

static enum claims_err exec(struct app_ctx *c, const struct db_stmt *st, int n,
                            const char *const *params, PGresult **res)
{
	*res = NULL;
	return db_exec(c->db, st, n, params, res) == ERR_NONE ? CLAIMS_OK : CLAIMS_DB;
}

static int read_policy(const PGresult *r, struct claim_inputs *in)
{
	struct provider_policy *p = &in->policy;

	memcpy(p->provider, in->provider, sizeof p->provider);
	memcpy(p->product_type, in->product_type, sizeof p->product_type);
	p->version = (int)db_int(r, 0, 14);
	p->refundable = db_bool(r, 0, 15);
	p->window_days = (int)db_int(r, 0, 17);
	p->window_requires_unused = db_bool(r, 0, 18);
	p->fee_bps = (int)db_int(r, 0, 20);
	p->vouchers_refundable = db_bool(r, 0, 21);
	if (policy_window_parse(db_text(r, 0, 16), &p->window_rule) != POLICY_OK ||
	    policy_after_window_parse(db_text(r, 0, 19), &p->after_window) != POLICY_OK)
		return -1;
	return 0;
}

enum claims_err claims_inputs_load(struct app_ctx *c, const char *order_id,
                                   const char *refund_id, struct claim_inputs *in)
{
	const char *params[2] = { order_id, refund_id };
	PGresult *r = NULL;
	enum claims_err err;

	memset(in, 0, sizeof *in);
	if ((err = exec(c, &q_inputs, 2, params, &r)) != CLAIMS_OK)
		return err;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return CLAIMS_NOT_FOUND;
	}
	db_copy(in->order_id, sizeof in->order_id, r, 0, 0);
	db_copy(in->provider, sizeof in->provider, r, 0, 1);
	db_copy(in->product_type, sizeof in->product_type, r, 0, 2);
	db_copy(in->currency, sizeof in->currency, r, 0, 3);
	in->has_upstream = db_bool(r, 0, 4);
	db_copy(in->upstream_ref, sizeof in->upstream_ref, r, 0, 5);
	in->up.cost = db_int(r, 0, 6);
	in->up.voucher = db_int(r, 0, 7);
	in->up.paid_at = db_int(r, 0, 8);
	in->up.has_quantity = db_bool(r, 0, 9);
	in->up.quantity = db_int(r, 0, 10);
	in->up.has_used = db_bool(r, 0, 11);
	in->up.used_quantity = db_int(r, 0, 12);
	in->has_policy = db_bool(r, 0, 13);
	in->already_recovered = db_int(r, 0, 22);
	if (in->has_policy && read_policy(r, in) != 0)
		err = CLAIMS_UNREADABLE;
	PQclear(r);
	return err;
}

static enum claims_err first_text(PGresult *res, int col, char **out)
{
	enum claims_err err = CLAIMS_OK;

	*out = NULL;
	if (PQntuples(res) > 0 && (*out = strdup(PQgetvalue(res, 0, col))) == NULL)
		err = CLAIMS_NOMEM;
	PQclear(res);
	return err;
}

enum claims_err claims_of_refund(struct app_ctx *c, const char *refund_id, char **out)
{
	const char *params[1] = { refund_id };
	PGresult *res = NULL;
	enum claims_err err = exec(c, &q_of_refund, 1, params, &res);

	*out = NULL;
	return err != CLAIMS_OK ? err : first_text(res, 0, out);
}

enum claims_err claims_open(struct app_ctx *c, const struct claim_inputs *in,
                            const struct claim_new *n, char **after, char *id, size_t id_len)
{
	char version[16], expected[24], customer[24];
	PGresult *res = NULL;
	enum claims_err err;

	*after = NULL;
	snprintf(version, sizeof version, "%d", n->policy_version);
	snprintf(expected, sizeof expected, "%lld", (long long)n->expected);
	snprintf(customer, sizeof customer, "%lld", (long long)n->customer_amount);
	const char *params[11] = { n->refund_id, in->order_id, in->provider, in->product_type,
		in->upstream_ref, in->currency, n->policy_version > 0 ? version : NULL, expected,
		customer, n->breakdown, n->reasons };
	if ((err = exec(c, &q_open, 11, params, &res)) != CLAIMS_OK)
		return err;
	if (PQntuples(res) == 1)
		snprintf(id, id_len, "%s", PQgetvalue(res, 0, 0));
	return first_text(res, 1, after);
}

enum claims_err claims_list(struct app_ctx *c, const char *status, const char *provider,
                            const char *cursor, int limit, PGresult **out)
{
	char lim[16];

	snprintf(lim, sizeof lim, "%d", limit);
	const char *params[4] = { status, provider, cursor, lim };
	return exec(c, &q_list, 4, params, out);
}

enum claims_err claims_to_file(struct app_ctx *c, const char *provider, PGresult **out)
{
	const char *params[1] = { provider };
	return exec(c, &q_to_file, 1, params, out);
}

enum claims_err claims_mark_filed(struct app_ctx *c, const char *id, const char *claim_ref,
                                  char **before, char **after)
{
	const char *params[2] = { id, claim_ref };
	PGresult *res = NULL;
	enum claims_err err;

	*before = *after = NULL;
	if (!app_decimal_id(id))
		return CLAIMS_NOT_FOUND;
	if ((err = exec(c, &q_lock, 1, params, &res)) != CLAIMS_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return CLAIMS_NOT_FOUND;
	}
	bool to_file = strcmp(PQgetvalue(res, 0, 1), "to_file") == 0;
	if ((err = first_text(res, 0, before)) != CLAIMS_OK)
		return err;
	if (!to_file)
		return CLAIMS_NOT_TO_FILE;
	if (db_exec(c->db, &q_filed, 2, params, &res) != ERR_NONE)
		return db_last_error(c->db) == ERR_CONFLICT &&
		       strcmp(db_constraint(c->db), "provider_claims_claim_ref") == 0
		       ? CLAIMS_REF_TAKEN : CLAIMS_DB;
	return first_text(res, 0, after);
}

enum claims_err claims_statement_seen(struct app_ctx *c, const struct claim_statement *st,
                                      char **result)
{
	const char *params[3] = { st->provider, st->currency, st->sha256 };
	PGresult *res = NULL;
	enum claims_err err;

	*result = NULL;
	if ((err = exec(c, &q_statement_lock, 1, params, &res)) != CLAIMS_OK)
		return err;
	PQclear(res);
	if ((err = exec(c, &q_statement_get, 3, params, &res)) != CLAIMS_OK)
		return err;
	return first_text(res, 0, result);
}

enum claims_err claims_match(struct app_ctx *c, const char *provider, const char *currency,
                             const struct statement_line *l, struct claim_match *m)
{
	char amount[24];
	PGresult *res = NULL;
	enum claims_err err;

	memset(m, 0, sizeof *m);
	snprintf(amount, sizeof amount, "%lld", (long long)l->amount);
	const char *params[4] = { provider, l->ref, amount, currency };
	if ((err = exec(c, &q_match, 4, params, &res)) != CLAIMS_OK)
		return err;
	if (PQntuples(res) == 1) {
		m->found = true;
		m->open = db_bool(res, 0, 3);
		db_copy(m->id, sizeof m->id, res, 0, 0);
		m->id_num = db_int(res, 0, 0);
		db_copy(m->currency, sizeof m->currency, res, 0, 1);
		m->expected = db_int(res, 0, 2);
		if (m->open)
			return first_text(res, 4, &m->before);
	}
	PQclear(res);
	return CLAIMS_OK;
}

enum claims_err claims_statement_add(struct app_ctx *c, const struct claim_statement *st,
                                     const char *result, char *id, size_t id_len)
{
	const char *params[4] = { st->provider, st->currency, st->sha256, result };
	PGresult *res = NULL;
	enum claims_err err = exec(c, &q_statement_add, 4, params, &res);

	if (err != CLAIMS_OK)
		return err;
	snprintf(id, id_len, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return CLAIMS_OK;
}

enum claims_err claims_line_seen(struct app_ctx *c, const char *provider, const char *currency,
                                 const struct statement_line *l, int64_t *claim_id)
{
	char amount[24], fee[24], nth[16];
	PGresult *res = NULL;
	enum claims_err err;

	*claim_id = 0;
	snprintf(amount, sizeof amount, "%lld", (long long)l->amount);
	snprintf(fee, sizeof fee, "%lld", (long long)l->fee);
	snprintf(nth, sizeof nth, "%d", l->occurrence);
	const char *params[7] = { provider, l->ref, currency, amount, fee,
	                          l->day[0] ? l->day : NULL, nth };
	if ((err = exec(c, &q_line_seen, 7, params, &res)) != CLAIMS_OK)
		return err;
	if (PQntuples(res) == 1)
		*claim_id = db_int(res, 0, 0);
	PQclear(res);
	return CLAIMS_OK;
}

enum claims_err claims_close(struct app_ctx *c, const char *id, const char *status,
                             const struct statement_line *l, char **after)
{
	char amount[24], fee_text[24];
	PGresult *res = NULL;
	enum claims_err err;

	snprintf(amount, sizeof amount, "%lld", (long long)l->amount);
	snprintf(fee_text, sizeof fee_text, "%lld", (long long)l->fee);
	const char *params[6] = { id, status, amount, fee_text, l->ref, l->day[0] ? l->day : NULL };
	if ((err = exec(c, &q_close, 6, params, &res)) != CLAIMS_OK)
		return err;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return CLAIMS_NOT_TO_FILE;   /* locked by claims_match: cannot happen */
	}
	return first_text(res, 0, after);
}

enum claims_err claims_margin_report(struct app_ctx *c, const char *from, const char *to,
                                     const char *group, PGresult **out)
{
	const char *params[4] = { from, to, group, c->cfg->timezone };
	return exec(c, &q_margin, 4, params, out);
}

enum claims_err claims_statement_link(struct app_ctx *c, const char *statement_id,
                                      const char *claim_ids)
{
	const char *params[2] = { statement_id, claim_ids };
	PGresult *res = NULL;
	enum claims_err err = exec(c, &q_statement_link, 2, params, &res);

	PQclear(res);
	return err;
}
