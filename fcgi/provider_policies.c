/* provider_policies.c -- see provider_policies.h. */
#include "provider_policies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PP_JSON \
	"(to_jsonb(p) - 'created_at' || jsonb_build_object('created_at', p.created_at))::text"

static const struct db_stmt q_current = { "provider_policies_current",
	"SELECT DISTINCT ON (provider, product_type) " PP_JSON ", provider || '/' || product_type"
	" FROM provider_policies p ORDER BY provider, product_type, version DESC" };
static const struct db_stmt q_one = { "provider_policies_one",
	"SELECT (to_jsonb(p) - 'created_at' || jsonb_build_object('created_at', p.created_at,"
	" 'versions', (SELECT coalesce(jsonb_agg(jsonb_build_object('version', v.version,"
	"   'created_by', v.created_by, 'created_at', v.created_at, 'note', v.note)"
	"   ORDER BY v.version DESC), '[]') FROM provider_policies v"
	"   WHERE v.provider = p.provider AND v.product_type = p.product_type)))::text"
	" FROM provider_policies p WHERE p.provider = $1 AND p.product_type = $2"
	" AND ($3::int = 0 OR p.version = $3::int) ORDER BY p.version DESC LIMIT 1" };
/* Two admins saving at once get versions n+1 and n+2, not a clash. */
static const struct db_stmt q_lock = { "provider_policies_lock",
	"SELECT pg_advisory_xact_lock(hashtext('provider_policies:' || $1 || '/' || $2))" };
static const struct db_stmt q_insert = { "provider_policies_insert",
	"INSERT INTO provider_policies AS p (provider, product_type, version, refundable,"
	" window_rule, window_days, window_requires_unused, after_window, fee_bps,"
	" vouchers_refundable, note, created_by)"
	" SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5::int, $6, $7, $8::int, $9, $10,"
	" current_setting('refundd.sub') FROM provider_policies WHERE provider = $1 AND product_type = $2"
	" RETURNING " PP_JSON };

/* The latest version when it already says what the PUT says (note
 * included), with q_insert's parameters: a PUT sent again adds nothing. */
static const struct db_stmt q_same = { "provider_policies_same",
	"SELECT " PP_JSON " FROM (SELECT * FROM provider_policies WHERE provider = $1"
	"   AND product_type = $2 ORDER BY version DESC LIMIT 1) p"
	" WHERE (p.refundable, p.window_rule, p.window_days, p.window_requires_unused, p.after_window,"
	" p.fee_bps, p.vouchers_refundable, p.note) IS NOT DISTINCT FROM"
	" ($3::boolean, $4::text, $5::int, $6::boolean, $7::text, $8::int, $9::boolean, $10::text)" };

enum pp_err provider_policies_current(struct app_ctx *c, PGresult **out)
{
	return db_exec(c->db, &q_current, 0, NULL, out) == ERR_NONE ? PP_OK : PP_DB;
}

static enum pp_err first_text(PGresult *res, char **out)
{
	enum pp_err err = PP_OK;

	if (PQntuples(res) == 0)
		err = PP_NOT_FOUND;
	else if ((*out = strdup(PQgetvalue(res, 0, 0))) == NULL)
		err = PP_NOMEM;
	PQclear(res);
	return err;
}

enum pp_err provider_policy_get(struct app_ctx *c, const char *provider,
                                const char *product_type, int version, char **out)
{
	char v[16];
	PGresult *res = NULL;

	*out = NULL;
	snprintf(v, sizeof v, "%d", version);
	const char *params[3] = { provider, product_type, v };
	if (db_exec(c->db, &q_one, 3, params, &res) != ERR_NONE)
		return PP_DB;
	return first_text(res, out);
}

static const char *flag(bool b) { return b ? "true" : "false"; }

enum pp_err provider_policy_add(struct app_ctx *c, const struct provider_policy *pp,
                                const char *note, char **out, bool *added)
{
	char days[16], fee[16];
	PGresult *res = NULL;

	*out = NULL;
	*added = false;
	snprintf(days, sizeof days, "%d", pp->window_days);
	snprintf(fee, sizeof fee, "%d", pp->fee_bps);
	const char *params[10] = { pp->provider, pp->product_type, flag(pp->refundable),
		policy_window_name(pp->window_rule), days, flag(pp->window_requires_unused),
		policy_after_window_name(pp->after_window), fee, flag(pp->vouchers_refundable),
		note ? note : "" };
	if (db_exec(c->db, &q_lock, 2, params, &res) != ERR_NONE)
		return PP_DB;
	PQclear(res);
	res = NULL;
	if (db_exec(c->db, &q_same, 10, params, &res) != ERR_NONE)
		return PP_DB;
	if (PQntuples(res) == 1)
		return first_text(res, out);
	PQclear(res);
	res = NULL;
	if (db_exec(c->db, &q_insert, 10, params, &res) != ERR_NONE)
		return PP_DB;
	*added = true;
	return first_text(res, out);
}
