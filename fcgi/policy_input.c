/* policy_input.c -- see policy_input.h. */
#include "policy_input.h"

#include <stdio.h>
#include <string.h>

#include "money.h"

static const char *const window_rules[] = { "full", "unused_units", "service_in_progress", NULL };
static const char *const after_windows[] = { "none", "prorata_time", "prorata_usage", "negotiate", NULL };
static const char *const payout_names[] = { "original_route", "balance", NULL };

enum policy_field {
	PF_REFUNDABLE, PF_WINDOW_RULE, PF_WINDOW_DAYS, PF_WINDOW_REQUIRES_UNUSED, PF_AFTER_WINDOW,
	PF_HANDLING_FEE_BPS, PF_DEDUCT_THIRD_PARTY, PF_PROMO_REFUNDABLE, PF_MONTHLY_LIMIT,
	PF_PAYOUT_METHODS, PF_PAYOUT_DEFAULT, PF_PAYOUT_METHODS_AFTER, PF_PAYOUT_DEFAULT_AFTER,
	PF_REVIEW_SLA_DAYS, PF_AUTO_APPROVE_MAX, PF_SECOND_APPROVAL_OVER, PF_LIMITS_CURRENCY, PF_NOTE,
	PF__MAX
};

static const struct field_spec policy_fields[PF__MAX] = {
	[PF_REFUNDABLE]             = { "refundable", FIELD_BOOL, true, false, 0, 0, NULL },
	[PF_WINDOW_RULE]            = { "window_rule", FIELD_ENUM, true, false, 0, 32, window_rules },
	[PF_WINDOW_DAYS]            = { "window_days", FIELD_INT, true, false, 0, 3650, NULL },
	[PF_WINDOW_REQUIRES_UNUSED] = { "window_requires_unused", FIELD_BOOL, true, false, 0, 0, NULL },
	[PF_AFTER_WINDOW]           = { "after_window", FIELD_ENUM, true, false, 0, 32, after_windows },
	[PF_HANDLING_FEE_BPS]       = { "handling_fee_bps", FIELD_INT, true, false, 0, 10000, NULL },
	[PF_DEDUCT_THIRD_PARTY]     = { "deduct_third_party", FIELD_BOOL, true, false, 0, 0, NULL },
	[PF_PROMO_REFUNDABLE]       = { "promo_refundable", FIELD_BOOL, true, false, 0, 0, NULL },
	[PF_MONTHLY_LIMIT]          = { "monthly_limit", FIELD_INT, true, false, 0, 1000, NULL },
	[PF_PAYOUT_METHODS]         = { "payout_methods", FIELD_ARRAY, true, false, 0, 0, NULL },
	[PF_PAYOUT_DEFAULT]         = { "payout_default", FIELD_ENUM, true, false, 0, 32, payout_names },
	[PF_PAYOUT_METHODS_AFTER]   = { "payout_methods_after_window", FIELD_ARRAY, true, false, 0, 0, NULL },
	[PF_PAYOUT_DEFAULT_AFTER]   = { "payout_default_after_window", FIELD_ENUM, true, false, 0, 32, payout_names },
	[PF_REVIEW_SLA_DAYS]        = { "review_sla_days", FIELD_INT, true, false, 0, 60, NULL },
	[PF_AUTO_APPROVE_MAX]       = { "auto_approve_max", FIELD_INT, true, false, 0, MONEY_AMOUNT_MAX, NULL },
	[PF_SECOND_APPROVAL_OVER]   = { "second_approval_over", FIELD_INT, true, false, 0, MONEY_AMOUNT_MAX, NULL },
	[PF_LIMITS_CURRENCY]        = { "limits_currency", FIELD_STRING, false, false, 3, 3, NULL },
	[PF_NOTE]                   = { "note", FIELD_STRING, false, false, 0, 500, NULL },
};
FIELD_TABLE(policy_fields);

/* ["balance","original_route"] -> mask and "balance,original_route";
 * -1 for an empty list, a repeat or an unknown name. */
static int payout_set(json_t *list, unsigned *mask, char *text, size_t len)
{
	size_t i;
	json_t *item;
	enum payout_method m;

	*mask = 0;
	text[0] = '\0';
	if (json_array_size(list) == 0)
		return -1;
	json_array_foreach(list, i, item) {
		if (!json_is_string(item) ||
		    payout_method_parse(json_string_value(item), &m) != POLICY_OK ||
		    (*mask & PAYOUT_BIT(m)))
			return -1;
		*mask |= PAYOUT_BIT(m);
		size_t used = strlen(text);
		snprintf(text + used, len - used, "%s%s", used ? "," : "", json_string_value(item));
	}
	return 0;
}

static enum app_err to_policy(struct app_ctx *c, const struct field_value *v,
                              const char *product_type, struct refund_policy *p,
                              char *methods, char *methods_after)
{
	int exponent;

	memset(p, 0, sizeof *p);
	snprintf(p->product_type, sizeof p->product_type, "%s", product_type);
	p->version = 1;
	p->refundable = v[PF_REFUNDABLE].num;
	policy_window_parse(v[PF_WINDOW_RULE].str, &p->window_rule);
	p->window_days = (int)v[PF_WINDOW_DAYS].num;
	p->window_requires_unused = v[PF_WINDOW_REQUIRES_UNUSED].num;
	policy_after_window_parse(v[PF_AFTER_WINDOW].str, &p->after_window);
	p->handling_fee_bps = (int)v[PF_HANDLING_FEE_BPS].num;
	p->deduct_third_party = v[PF_DEDUCT_THIRD_PARTY].num;
	p->promo_refundable = v[PF_PROMO_REFUNDABLE].num;
	p->monthly_limit = (int)v[PF_MONTHLY_LIMIT].num;
	payout_method_parse(v[PF_PAYOUT_DEFAULT].str, &p->payout_default);
	payout_method_parse(v[PF_PAYOUT_DEFAULT_AFTER].str, &p->payout_default_after_window);
	p->review_sla_days = (int)v[PF_REVIEW_SLA_DAYS].num;
	p->auto_approve_max = v[PF_AUTO_APPROVE_MAX].num;
	p->second_approval_over = v[PF_SECOND_APPROVAL_OVER].num;
	/* Absent: CNY, the currency every policy was written in before 022. */
	snprintf(p->limits_currency, sizeof p->limits_currency, "%s",
	         v[PF_LIMITS_CURRENCY].present ? v[PF_LIMITS_CURRENCY].str : "CNY");
	if (money_currency_exponent(p->limits_currency, &exponent) != MONEY_OK)
		return app_fail_with(c, ERR_VALIDATION, "unknown_currency",
		                     json_pack("{s:s}", "field", "limits_currency"),
		                     "limits_currency: not a currency refundd knows");
	if (payout_set(v[PF_PAYOUT_METHODS].json, &p->payout_methods, methods, 64) != 0 ||
	    payout_set(v[PF_PAYOUT_METHODS_AFTER].json, &p->payout_methods_after_window,
	               methods_after, 64) != 0)
		return app_fail(c, ERR_VALIDATION, "invalid_payout_methods",
		                "payout methods: a non-empty list of original_route and balance");
	if (policy_validate(p) != POLICY_OK)
		return app_fail(c, ERR_VALIDATION, "invalid_policy",
		                "the policy is inconsistent (defaults outside their method sets, "
		                "or a service rule with window days)");
	return ERR_NONE;
}

enum app_err policy_input_type(struct app_ctx *c, const char *product_type)
{
	static const struct field_spec type_spec = { "product_type", FIELD_CODE, true, false, 1, 31, NULL };
	struct field_value tv;

	if (validate_text(product_type, &type_spec, &tv) != VALIDATE_OK)
		return app_fail(c, ERR_VALIDATION, "invalid_product_type", "product type: [a-z0-9_]{1,31}");
	return ERR_NONE;
}

enum app_err policy_input_parse(struct app_ctx *c, const json_t *obj, const char *product_type,
                                struct refund_policy *p, struct policy_text *t)
{
	struct field_value v[PF__MAX];
	struct validate_error verr;
	enum app_err err;

	if (validate_object(obj, policy_fields, PF__MAX, v, &verr) != VALIDATE_OK)
		return app_fail_with(c, ERR_VALIDATION, validate_err_code(verr.err),
		                     json_pack("{s:s}", "field", verr.field),
		                     verr.field[0] ? verr.field : "body");
	if ((err = to_policy(c, v, product_type, p, t->methods, t->methods_after)) != ERR_NONE)
		return err;
	t->note = v[PF_NOTE].present ? v[PF_NOTE].str : "";
	return ERR_NONE;
}
