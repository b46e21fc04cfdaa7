/* handlers_provider_policies.c -- see handlers_provider_policies.h. A PUT
 * adds a version, never edits one; the rule is checked by the provider
 * mapping's own validator (provider_quote.c) before it is stored, so the
 * engine is never handed a rule it refuses. */
#include "handlers_provider_policies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "provider_policies.h"

static enum app_err pp_fail(struct app_ctx *c, enum pp_err e)
{
	switch (e) {
	case PP_OK:
		return ERR_NONE;
	case PP_NOT_FOUND:
		return app_fail(c, ERR_NOT_FOUND, "provider_policy_not_found",
		                "no such provider policy or version");
	case PP_NOMEM:
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	case PP_DB:
		break;
	}
	return app_fail(c, db_last_error(c->db), NULL, "the database failed on provider policies");
}

/* {provider}/{product_type} of the path, both [a-z0-9_]{1,31}. */
static enum app_err path_codes(struct app_ctx *c)
{
	static const struct field_spec code = { "code", FIELD_CODE, true, false, 1, 31, NULL };
	struct field_value v;

	if (validate_text(app_param(c, 0), &code, &v) != VALIDATE_OK ||
	    validate_text(app_param(c, 1), &code, &v) != VALIDATE_OK)
		return app_fail(c, ERR_VALIDATION, "invalid_product_type",
		                "provider and product type: [a-z0-9_]{1,31}");
	return ERR_NONE;
}

enum app_err handle_provider_policies_list(struct app_ctx *c)
{
	PGresult *res = NULL;
	enum app_err err = pp_fail(c, provider_policies_current(c, &res));

	if (err != ERR_NONE)
		return err;
	err = app_page_reply(c, res, PQntuples(res));
	PQclear(res);
	return err;
}

enum app_err handle_provider_policy_get(struct app_ctx *c)
{
	static const struct field_spec version_spec = { "version", FIELD_INT, false, false, 1, 1000000, NULL };
	char version[16], *text = NULL;
	struct field_value v = { 0 };
	enum app_err err;
	int found = http_query_param(c->req->query, "version", version, sizeof version);

	if (found < 0 || (found && validate_text(version, &version_spec, &v) != VALIDATE_OK))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_version", "version must be a positive integer");
	if ((err = path_codes(c)) != ERR_NONE ||
	    (err = pp_fail(c, provider_policy_get(c, app_param(c, 0), app_param(c, 1),
	                                          found ? (int)v.num : 0, &text))) != ERR_NONE)
		return err;
	err = app_reply(c, 200, json_loads(text, 0, NULL));
	free(text);
	return err;
}

static const char *const window_rules[] = { "full", "unused_units", "service_in_progress", NULL };
static const char *const after_windows[] = { "none", "prorata_time", "prorata_usage", NULL };

enum pp_field { PPF_REFUNDABLE, PPF_WINDOW_RULE, PPF_WINDOW_DAYS, PPF_REQUIRES_UNUSED,
	PPF_AFTER_WINDOW, PPF_FEE_BPS, PPF_VOUCHERS, PPF_NOTE, PPF__MAX };

static const struct field_spec pp_fields[PPF__MAX] = {
	[PPF_REFUNDABLE]      = { "refundable", FIELD_BOOL, true, false, 0, 0, NULL },
	[PPF_WINDOW_RULE]     = { "window_rule", FIELD_ENUM, true, false, 0, 32, window_rules },
	[PPF_WINDOW_DAYS]     = { "window_days", FIELD_INT, true, false, 0, 3650, NULL },
	[PPF_REQUIRES_UNUSED] = { "window_requires_unused", FIELD_BOOL, false, false, 0, 0, NULL },
	[PPF_AFTER_WINDOW]    = { "after_window", FIELD_ENUM, true, false, 0, 32, after_windows },
	[PPF_FEE_BPS]         = { "fee_bps", FIELD_INT, true, false, 0, 10000, NULL },
	[PPF_VOUCHERS]        = { "vouchers_refundable", FIELD_BOOL, true, false, 0, 0, NULL },
	[PPF_NOTE]            = { "note", FIELD_STRING, false, false, 0, 500, NULL },
};
FIELD_TABLE(pp_fields);

static enum app_err to_provider_policy(struct app_ctx *c, const struct field_value *v,
                                       struct provider_policy *pp)
{
	struct refund_policy mapped;

	memset(pp, 0, sizeof *pp);
	snprintf(pp->provider, sizeof pp->provider, "%s", app_param(c, 0));
	snprintf(pp->product_type, sizeof pp->product_type, "%s", app_param(c, 1));
	pp->version = 1;
	pp->refundable = v[PPF_REFUNDABLE].num;
	policy_window_parse(v[PPF_WINDOW_RULE].str, &pp->window_rule);
	pp->window_days = (int)v[PPF_WINDOW_DAYS].num;
	pp->window_requires_unused = v[PPF_REQUIRES_UNUSED].num;
	policy_after_window_parse(v[PPF_AFTER_WINDOW].str, &pp->after_window);
	pp->fee_bps = (int)v[PPF_FEE_BPS].num;
	pp->vouchers_refundable = v[PPF_VOUCHERS].num;
	if (provider_map_policy(pp, pp->product_type, &mapped) != POLICY_OK)
		return app_fail(c, ERR_VALIDATION, "invalid_policy",
		                "the rule is inconsistent (a service rule with window days)");
	return ERR_NONE;
}

enum app_err handle_provider_policy_put(struct app_ctx *c)
{
	struct field_value v[PPF__MAX];
	struct provider_policy pp;
	struct db_identity who = app_identity(c);
	char id[72], *after = NULL;
	bool added = false;
	enum app_err err;

	if ((err = path_codes(c)) != ERR_NONE ||
	    (err = app_body(c, pp_fields, PPF__MAX, v)) != ERR_NONE ||
	    (err = to_provider_policy(c, v, &pp)) != ERR_NONE)
		return err;
	/* provider:product_type, an id GET /audit?id= can ask for ('/' cannot) */
	snprintf(id, sizeof id, "%s:%s", pp.provider, pp.product_type);
	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = pp_fail(c, provider_policy_add(c, &pp, v[PPF_NOTE].present ? v[PPF_NOTE].str : "",
	                                          &after, &added))) != ERR_NONE)
		goto out;
	struct audit_event e = { "provider_policy.version", "provider_policy", id, NULL, after };
	if (added && (err = audit_write(c, &e, NULL, true)) != ERR_NONE)
		goto out;
	err = app_reply(c, added ? 201 : 200, json_loads(after, 0, NULL));
out:
	free(after);
	if (err == ERR_NONE || c->problem.err)
		return c->problem.err ? c->problem.err : ERR_NONE;
	return app_fail(c, err, NULL, "could not save the provider policy");
}
