/* policy.c -- the refund policy engine: order facts + policy + now -> quote
 * (DESIGN.md §3; the rules come from seeds 000-004, see policy.h). Pure. */
#include "policy.h"

#include <string.h>

#include "calendar.h"

/* ---- stable codes ---- */

static const char *const err_codes[POLICY_ERR__MAX] = {
	[POLICY_OK]               = "ok",
	[POLICY_INVALID_ORDER]    = "invalid_order",
	[POLICY_INVALID_POLICY]   = "invalid_policy",
	[POLICY_PRODUCT_MISMATCH] = "product_mismatch",
	[POLICY_INVALID_ARGUMENT] = "invalid_argument",
	[POLICY_UNKNOWN_CODE]     = "unknown_code",
	[POLICY_OVERFLOW]         = "overflow",
};

static const char *const order_status_names[ORDER_STATUS__MAX] = {
	[ORDER_STATUS_UNPAID]    = "unpaid",
	[ORDER_STATUS_PAID]      = "paid",
	[ORDER_STATUS_CANCELLED] = "cancelled",
	[ORDER_STATUS_EXPIRED]   = "expired",
};

static const char *const order_billing_names[ORDER_BILLING__MAX] = {
	[ORDER_BILLING_SUBSCRIPTION] = "subscription",
	[ORDER_BILLING_PAYG]         = "payg",
	[ORDER_BILLING_ONE_TIME]     = "one_time",
};

static const char *const order_service_names[ORDER_SERVICE__MAX] = {
	[ORDER_SERVICE_NONE]        = "none",
	[ORDER_SERVICE_IN_PROGRESS] = "in_progress",
	[ORDER_SERVICE_COMPLETED]   = "completed",
};

static const char *const window_names[POLICY_WINDOW__MAX] = {
	[POLICY_WINDOW_FULL]         = "full",
	[POLICY_WINDOW_UNUSED_UNITS] = "unused_units",
	[POLICY_WINDOW_SERVICE]      = "service_in_progress",
};

static const char *const after_window_names[POLICY_AFTER__MAX] = {
	[POLICY_AFTER_NONE]          = "none",
	[POLICY_AFTER_PRORATA_TIME]  = "prorata_time",
	[POLICY_AFTER_PRORATA_USAGE] = "prorata_usage",
	[POLICY_AFTER_NEGOTIATE]     = "negotiate",
};

static const char *const payout_names[PAYOUT__MAX] = {
	[PAYOUT_ORIGINAL_ROUTE] = "original_route",
	[PAYOUT_BALANCE]        = "balance",
};

static const char *const decision_names[POLICY_DECISION__MAX] = {
	[POLICY_DECISION_FULL]          = "full",
	[POLICY_DECISION_PARTIAL]       = "partial",
	[POLICY_DECISION_NONE]          = "none",
	[POLICY_DECISION_MANUAL_REVIEW] = "manual_review",
};

static const char *const rule_names[POLICY_RULE__MAX] = {
	[POLICY_RULE_NONE]                = "none",
	[POLICY_RULE_NOT_REFUNDABLE]      = "not_refundable",
	[POLICY_RULE_WINDOW_FULL]         = "window_full",
	[POLICY_RULE_USAGE_WINDOW]        = "usage_window",
	[POLICY_RULE_SERVICE_IN_PROGRESS] = "service_in_progress",
	[POLICY_RULE_PRORATA_TIME]        = "prorata_time",
	[POLICY_RULE_PRORATA_USAGE]       = "prorata_usage",
};

static const char *const reason_names[POLICY_REASON__MAX] = {
	[POLICY_REASON_ORDER_UNPAID]         = "order_unpaid",
	[POLICY_REASON_ORDER_CANCELLED]      = "order_cancelled",
	[POLICY_REASON_ORDER_EXPIRED]        = "order_expired",
	[POLICY_REASON_NOT_REFUNDABLE_TYPE]  = "not_refundable_type",
	[POLICY_REASON_PROMO_PURCHASE]       = "promo_purchase",
	[POLICY_REASON_MONTHLY_LIMIT]        = "monthly_limit",
	[POLICY_REASON_WINDOW_CLOSED]        = "window_closed",
	[POLICY_REASON_SERVICE_COMPLETED]    = "service_completed",
	[POLICY_REASON_IMAGE_IN_USE]         = "image_in_use",
	[POLICY_REASON_CANNOT_PRORATE]       = "cannot_prorate",
	[POLICY_REASON_ALREADY_USED]         = "already_used",
	[POLICY_REASON_BONUS_NOT_REFUNDABLE] = "bonus_not_refundable",
	[POLICY_REASON_THIRD_PARTY_COST]     = "third_party_cost",
	[POLICY_REASON_ALREADY_REFUNDED]     = "already_refunded",
	[POLICY_REASON_HANDLING_FEE]         = "handling_fee",
	[POLICY_REASON_NOTHING_LEFT]         = "nothing_left",
};

static const char *const line_names[POLICY_LINE__MAX] = {
	[POLICY_LINE_PAID]             = "paid",
	[POLICY_LINE_THIRD_PARTY_COST] = "third_party_cost",
	[POLICY_LINE_CONSUMED_TIME]    = "consumed_time",
	[POLICY_LINE_USED_UNITS]       = "used_units",
	[POLICY_LINE_BONUS_UNITS]      = "bonus_units",
	[POLICY_LINE_ALREADY_REFUNDED] = "already_refunded",
	[POLICY_LINE_HANDLING_FEE]     = "handling_fee",
	[POLICY_LINE_ROUNDING]         = "rounding",
};

static const char *const remedy_names[POLICY_REMEDY__MAX] = {
	[POLICY_REMEDY_NONE]               = "none",
	[POLICY_REMEDY_STOP_INSTANCE]      = "stop_instance_or_change_os",
	[POLICY_REMEDY_CANCEL_UNPAID]      = "cancel_unpaid_order",
	[POLICY_REMEDY_PAYG_CANCEL_UNPAID] = "payg_cancel_unpaid",
	[POLICY_REMEDY_CONTACT_SUPPORT]    = "contact_support_negotiate",
};

/* The remedies' wording follows the seeds: 003 for the image ("需要先将服务器
 * 停止掉或者更换其他操作系统后再进行退款申请(更换操作系统时请先做好备份)"),
 * 002 for unpaid and pay-as-you-go orders, 001 for the cloud server after
 * its window ("联系客服协商处理方案"). */
static const char *const remedy_texts[POLICY_REMEDY__MAX][POLICY_LANG__MAX] = {
	[POLICY_REMEDY_STOP_INSTANCE] = {
		[POLICY_LANG_ZH_CN] = "该镜像正在使用中。请先停止使用该镜像的实例,或为实例更换其他操作系统(更换前请先备份数据),然后再申请退款。",
		[POLICY_LANG_EN] = "This image is in use. Stop the instance that uses it, or change the instance's operating system (back up your data first), then ask for the refund again.",
	},
	[POLICY_REMEDY_CANCEL_UNPAID] = {
		[POLICY_LANG_ZH_CN] = "该订单尚未支付,没有可退的款项。您可以直接取消这笔未支付的订单。",
		[POLICY_LANG_EN] = "This order has not been paid, so there is nothing to refund. Cancel the unpaid order instead.",
	},
	[POLICY_REMEDY_PAYG_CANCEL_UNPAID] = {
		[POLICY_LANG_ZH_CN] = "按量付费产品在使用后结算,没有可退的预付款项。未支付的订单可以直接取消。",
		[POLICY_LANG_EN] = "Pay-as-you-go products are billed after use, so there is no prepayment to refund. Cancel any unpaid order instead.",
	},
	[POLICY_REMEDY_CONTACT_SUPPORT] = {
		[POLICY_LANG_ZH_CN] = "已超过无理由全额退款期限。您可以提交申请,联系客服协商退还未使用的剩余时长。",
		[POLICY_LANG_EN] = "The no-reason full refund period is over. Submit a request to contact support and negotiate a refund of the unused remaining time.",
	},
};

static const char *code_name(const char *const *names, size_t n, unsigned value)
{
	return value < n ? names[value] : NULL;
}

static enum policy_err code_parse(const char *const *names, size_t n,
                                  const char *s, unsigned *value)
{
	if (s == NULL)
		return POLICY_UNKNOWN_CODE;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*value = (unsigned)i;
			return POLICY_OK;
		}
	}
	return POLICY_UNKNOWN_CODE;
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

const char *policy_err_code(enum policy_err err)
{
	return code_name(err_codes, COUNT(err_codes), err);
}

const char *order_status_name(enum order_status v)
{
	return code_name(order_status_names, COUNT(order_status_names), v);
}

enum policy_err order_status_parse(const char *s, enum order_status *out)
{
	unsigned v;
	enum policy_err err = code_parse(order_status_names, COUNT(order_status_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum order_status)v;
	return err;
}

const char *order_billing_name(enum order_billing v)
{
	return code_name(order_billing_names, COUNT(order_billing_names), v);
}

enum policy_err order_billing_parse(const char *s, enum order_billing *out)
{
	unsigned v;
	enum policy_err err = code_parse(order_billing_names, COUNT(order_billing_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum order_billing)v;
	return err;
}

const char *order_service_name(enum order_service v)
{
	return code_name(order_service_names, COUNT(order_service_names), v);
}

enum policy_err order_service_parse(const char *s, enum order_service *out)
{
	unsigned v;
	enum policy_err err = code_parse(order_service_names, COUNT(order_service_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum order_service)v;
	return err;
}

const char *policy_window_name(enum policy_window v)
{
	return code_name(window_names, COUNT(window_names), v);
}

enum policy_err policy_window_parse(const char *s, enum policy_window *out)
{
	unsigned v;
	enum policy_err err = code_parse(window_names, COUNT(window_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum policy_window)v;
	return err;
}

const char *policy_after_window_name(enum policy_after_window v)
{
	return code_name(after_window_names, COUNT(after_window_names), v);
}

enum policy_err policy_after_window_parse(const char *s, enum policy_after_window *out)
{
	unsigned v;
	enum policy_err err = code_parse(after_window_names, COUNT(after_window_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum policy_after_window)v;
	return err;
}

const char *payout_method_name(enum payout_method v)
{
	return code_name(payout_names, COUNT(payout_names), v);
}

enum policy_err payout_method_parse(const char *s, enum payout_method *out)
{
	unsigned v;
	enum policy_err err = code_parse(payout_names, COUNT(payout_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum payout_method)v;
	return err;
}

const char *policy_decision_name(enum policy_decision v)
{
	return code_name(decision_names, COUNT(decision_names), v);
}

enum policy_err policy_decision_parse(const char *s, enum policy_decision *out)
{
	unsigned v;
	enum policy_err err = code_parse(decision_names, COUNT(decision_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum policy_decision)v;
	return err;
}

const char *policy_rule_name(enum policy_rule v)
{
	return code_name(rule_names, COUNT(rule_names), v);
}

enum policy_err policy_rule_parse(const char *s, enum policy_rule *out)
{
	unsigned v;
	enum policy_err err = code_parse(rule_names, COUNT(rule_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum policy_rule)v;
	return err;
}

const char *policy_reason_name(enum policy_reason v)
{
	return code_name(reason_names, COUNT(reason_names), v);
}

enum policy_err policy_reason_parse(const char *s, enum policy_reason *out)
{
	unsigned v;
	enum policy_err err = code_parse(reason_names, COUNT(reason_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum policy_reason)v;
	return err;
}

const char *policy_line_name(enum policy_line v)
{
	return code_name(line_names, COUNT(line_names), v);
}

enum policy_err policy_line_parse(const char *s, enum policy_line *out)
{
	unsigned v;
	enum policy_err err = code_parse(line_names, COUNT(line_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum policy_line)v;
	return err;
}

const char *policy_remedy_name(enum policy_remedy v)
{
	return code_name(remedy_names, COUNT(remedy_names), v);
}

enum policy_err policy_remedy_parse(const char *s, enum policy_remedy *out)
{
	unsigned v;
	enum policy_err err = code_parse(remedy_names, COUNT(remedy_names), s, &v);

	if (err == POLICY_OK)
		*out = (enum policy_remedy)v;
	return err;
}

const char *policy_remedy_text(enum policy_remedy remedy, enum policy_lang lang)
{
	if ((unsigned)remedy >= POLICY_REMEDY__MAX || (unsigned)lang >= POLICY_LANG__MAX)
		return NULL;
	return remedy_texts[remedy][lang];
}

/* ---- validation ---- */

/* A fixed-size code field holds a NUL-terminated, non-empty string. */
static bool code_field_ok(const char *field, size_t size)
{
	return field[0] != '\0' && memchr(field, '\0', size) != NULL;
}

static bool time_ok(int64_t t)
{
	return t >= 0 && t <= POLICY_TIME_MAX;
}

static bool payout_set_ok(unsigned methods, enum payout_method fallback)
{
	return methods != 0 && (methods & ~PAYOUT_ALL) == 0 &&
	       (unsigned)fallback < PAYOUT__MAX && (methods & PAYOUT_BIT(fallback)) != 0;
}

static bool policy_window_ok(const struct refund_policy *p)
{
	if ((unsigned)p->window_rule >= POLICY_WINDOW__MAX ||
	    (unsigned)p->after_window >= POLICY_AFTER__MAX)
		return false;
	if (p->window_days < 0 || p->window_days > POLICY_WINDOW_DAYS_MAX)
		return false;
	/* The service window ends with the service, not after days: a number
	 * of days there would be silently ignored, so it is refused. */
	return p->window_rule != POLICY_WINDOW_SERVICE || p->window_days == 0;
}

enum policy_err policy_validate(const struct refund_policy *p)
{
	if (p == NULL || !code_field_ok(p->product_type, sizeof p->product_type))
		return POLICY_INVALID_POLICY;
	if (p->version < 1 || !policy_window_ok(p))
		return POLICY_INVALID_POLICY;
	if (p->handling_fee_bps < 0 || p->handling_fee_bps > MONEY_BPS_WHOLE)
		return POLICY_INVALID_POLICY;
	if (p->monthly_limit < 0 || p->review_sla_days < 0)
		return POLICY_INVALID_POLICY;
	if (!payout_set_ok(p->payout_methods, p->payout_default) ||
	    !payout_set_ok(p->payout_methods_after_window, p->payout_default_after_window))
		return POLICY_INVALID_POLICY;
	if (p->auto_approve_max < 0 || p->second_approval_over < 0)
		return POLICY_INVALID_POLICY;
	return POLICY_OK;
}

static bool order_codes_ok(const struct order_facts *o)
{
	int exponent;

	return code_field_ok(o->product_type, sizeof o->product_type) &&
	       memchr(o->currency, '\0', sizeof o->currency) != NULL &&
	       money_currency_exponent(o->currency, &exponent) == MONEY_OK &&
	       (unsigned)o->status < ORDER_STATUS__MAX &&
	       (unsigned)o->billing_mode < ORDER_BILLING__MAX &&
	       (unsigned)o->service_status < ORDER_SERVICE__MAX;
}

enum policy_err order_facts_validate(const struct order_facts *o)
{
	if (o == NULL || !order_codes_ok(o))
		return POLICY_INVALID_ORDER;
	if (o->amount_paid < 0 || o->third_party_cost < 0)
		return POLICY_INVALID_ORDER;
	if (o->quantity < 0 || o->bonus_quantity < 0 || o->used_quantity < 0)
		return POLICY_INVALID_ORDER;
	if (!time_ok(o->paid_at) || !time_ok(o->period_start) || !time_ok(o->period_end))
		return POLICY_INVALID_ORDER;
	if (o->period_end < o->period_start)
		return POLICY_INVALID_ORDER;
	return POLICY_OK;
}

static enum policy_err check_inputs(const struct order_facts *order,
                                    const struct refund_policy *policy,
                                    int64_t already_refunded,
                                    int requests_this_month, int64_t now)
{
	enum policy_err err;

	if ((err = order_facts_validate(order)) != POLICY_OK ||
	    (err = policy_validate(policy)) != POLICY_OK)
		return err;
	if (strcmp(order->product_type, policy->product_type) != 0)
		return POLICY_PRODUCT_MISMATCH;
	if (already_refunded < 0 || already_refunded > order->amount_paid)
		return POLICY_INVALID_ARGUMENT;
	if (requests_this_month < 0 || !time_ok(now))
		return POLICY_INVALID_ARGUMENT;
	return POLICY_OK;
}

/* ---- building a quote ---- */

#define REASON_BIT(reason) (UINT32_C(1) << (reason))

/* Reasons that refuse the refund outright; the others only cut it. */
#define REFUSING_REASONS                                                     \
	(REASON_BIT(POLICY_REASON_ORDER_UNPAID) |                            \
	 REASON_BIT(POLICY_REASON_ORDER_CANCELLED) |                         \
	 REASON_BIT(POLICY_REASON_ORDER_EXPIRED) |                           \
	 REASON_BIT(POLICY_REASON_NOT_REFUNDABLE_TYPE) |                     \
	 REASON_BIT(POLICY_REASON_PROMO_PURCHASE) |                          \
	 REASON_BIT(POLICY_REASON_MONTHLY_LIMIT) |                           \
	 REASON_BIT(POLICY_REASON_IMAGE_IN_USE))

/* A quote under construction: the inputs, and what is known so far. */
struct quote_build {
	const struct order_facts   *order;
	const struct refund_policy *policy;
	int64_t                     already_refunded;
	int                         requests_this_month;
	int64_t                     now;
	uint32_t                    reasons;      /* REASON_BIT set */
	bool                        after_window; /* the window or service is over */
	bool                        needs_person; /* manual review whatever the amount */
	int64_t                     left;         /* what the lines so far leave */
	struct quote                q;
};

static void add_reason(struct quote_build *b, enum policy_reason reason)
{
	b->reasons |= REASON_BIT(reason);
}

static bool has_reason(const struct quote_build *b, enum policy_reason reason)
{
	return (b->reasons & REASON_BIT(reason)) != 0;
}

static void add_line(struct quote_build *b, enum policy_line label,
                     int64_t amount, int64_t units)
{
	/* Each label is added at most once, so lines[] cannot overflow. */
	b->q.lines[b->q.n_lines++] = (struct quote_line){ label, amount, units };
}

static enum policy_err from_money(enum money_err err)
{
	return err == MONEY_OK ? POLICY_OK : POLICY_OVERFLOW;
}

static void set_payout(struct quote_build *b)
{
	const struct refund_policy *p = b->policy;

	b->q.payout_methods = b->after_window ? p->payout_methods_after_window
	                                      : p->payout_methods;
	b->q.payout_default = b->after_window ? p->payout_default_after_window
	                                      : p->payout_default;
}

static void start_build(struct quote_build *b, const struct order_facts *order,
                        const struct refund_policy *policy,
                        int64_t already_refunded, int requests_this_month,
                        int64_t now)
{
	memset(b, 0, sizeof *b);
	b->order = order;
	b->policy = policy;
	b->already_refunded = already_refunded;
	b->requests_this_month = requests_this_month;
	b->now = now;
	b->q.decision = POLICY_DECISION_NONE;
	b->q.rule = policy->refundable ? POLICY_RULE_NONE : POLICY_RULE_NOT_REFUNDABLE;
	b->q.remedy = POLICY_REMEDY_NONE;
	b->q.policy_version = policy->version;
	memcpy(b->q.currency, order->currency, sizeof b->q.currency);
	set_payout(b);
}

/* Refusals that do not depend on time: the order's state, the product
 * type, the promotion (001: "特殊活动期间购买的商品可能不享受"), and the
 * account's monthly limit (001: "每个账户每月最多只能发起一次退款请求"). */
static void add_order_reasons(struct quote_build *b)
{
	const struct order_facts *o = b->order;
	const struct refund_policy *p = b->policy;

	if (o->status == ORDER_STATUS_UNPAID)
		add_reason(b, POLICY_REASON_ORDER_UNPAID);
	if (o->status == ORDER_STATUS_CANCELLED)
		add_reason(b, POLICY_REASON_ORDER_CANCELLED);
	if (o->status == ORDER_STATUS_EXPIRED)
		add_reason(b, POLICY_REASON_ORDER_EXPIRED);
	if (!p->refundable)
		add_reason(b, POLICY_REASON_NOT_REFUNDABLE_TYPE);
	if (o->promo && !p->promo_refundable)
		add_reason(b, POLICY_REASON_PROMO_PURCHASE);
	if (p->monthly_limit > 0 && b->requests_this_month >= p->monthly_limit)
		add_reason(b, POLICY_REASON_MONTHLY_LIMIT);
}

/* A service's window is its status (003: "服务状态为进行中为交易担保期内"). */
static enum policy_err place_in_service_window(struct quote_build *b)
{
	if (b->order->service_status == ORDER_SERVICE_NONE)
		return POLICY_INVALID_ORDER;
	b->after_window = b->order->service_status != ORDER_SERVICE_IN_PROGRESS;
	if (b->after_window)
		add_reason(b, POLICY_REASON_SERVICE_COMPLETED);
	return POLICY_OK;
}

/* The end of a window of days, its last second inside: the local clock
 * reading of paid_at, days calendar days later in the reseller's zone
 * (policy.h). Past year 9999 no zone applies: then days * 86400 s, which
 * cannot overflow (paid_at <= POLICY_TIME_MAX, days bounded). */
static int64_t window_end(int64_t paid_at, int days)
{
	int64_t end;

	if (calendar_add_days(paid_at, days, &end) == CAL_OK)
		return end;
	return paid_at + (int64_t)days * POLICY_SECONDS_PER_DAY;
}

static void place_in_days_window(struct quote_build *b)
{
	int days = b->policy->window_days;

	b->after_window = true;
	if (days > 0) {
		b->q.has_window = true;
		b->q.window_ends_at = window_end(b->order->paid_at, days);
		b->after_window = b->now > b->q.window_ends_at;
	}
	if (b->after_window)
		add_reason(b, POLICY_REASON_WINDOW_CLOSED);
}

static enum policy_rule window_rule_code(enum policy_window window)
{
	switch (window) {
	case POLICY_WINDOW_UNUSED_UNITS:
		return POLICY_RULE_USAGE_WINDOW;
	case POLICY_WINDOW_SERVICE:
		return POLICY_RULE_SERVICE_IN_PROGRESS;
	default:
		return POLICY_RULE_WINDOW_FULL;
	}
}

static enum policy_rule after_rule_code(enum policy_after_window after)
{
	switch (after) {
	case POLICY_AFTER_PRORATA_TIME:
	case POLICY_AFTER_NEGOTIATE:
		return POLICY_RULE_PRORATA_TIME;
	case POLICY_AFTER_PRORATA_USAGE:
		return POLICY_RULE_PRORATA_USAGE;
	default:
		return POLICY_RULE_NONE;
	}
}

/* For a paid (or expired) order of a refundable type: which phase we are
 * in, and so which rule and payout set apply. */
static enum policy_err choose_rule(struct quote_build *b)
{
	const struct refund_policy *p = b->policy;
	enum policy_err err = POLICY_OK;

	if (p->window_rule == POLICY_WINDOW_SERVICE)
		err = place_in_service_window(b);
	else
		place_in_days_window(b);
	if (err != POLICY_OK)
		return err;
	/* 003: an image "使用中" is refused, inside the window or after it. */
	if (p->window_requires_unused && b->order->in_use)
		add_reason(b, POLICY_REASON_IMAGE_IN_USE);
	b->q.rule = b->after_window ? after_rule_code(p->after_window)
	                            : window_rule_code(p->window_rule);
	b->needs_person = b->after_window && p->after_window == POLICY_AFTER_NEGOTIATE;
	set_payout(b);
	return POLICY_OK;
}

static bool rule_by_time(enum policy_rule rule)
{
	return rule == POLICY_RULE_PRORATA_TIME;
}

static bool rule_by_units(enum policy_rule rule)
{
	return rule == POLICY_RULE_USAGE_WINDOW || rule == POLICY_RULE_PRORATA_USAGE;
}

/* The no-reason full refunds carry no handling fee; the pro-rata rules do,
 * once they have cut something for time or units used (takes_fee). */
static bool rule_is_partial(enum policy_rule rule)
{
	return rule_by_time(rule) || rule_by_units(rule);
}

/* DESIGN.md §3: the fee is "taken from partial refunds". A pro-rata rule
 * with nothing used (an untouched traffic pack in its window, credits none
 * of which were called) gives back everything, which is no partial refund;
 * a fee there would be the only thing making it one. */
static bool takes_fee(const struct quote_build *b)
{
	return rule_is_partial(b->q.rule) && has_reason(b, POLICY_REASON_ALREADY_USED);
}

/* A pro-rata rule needs something to divide by: a period of positive
 * length, or paid units. Without it a person decides, rather than the
 * engine guessing 0 or everything. */
static bool can_prorate(const struct quote_build *b)
{
	if (rule_by_time(b->q.rule))
		return b->order->period_end > b->order->period_start;
	if (rule_by_units(b->q.rule))
		return b->order->quantity > 0;
	return true;
}

/* Seconds of the period consumed at now: whole days from its start, the
 * day begun counting as a day (policy.h), never more than the period.
 * Before the period starts nothing is consumed. */
static int64_t consumed_seconds(const struct order_facts *o, int64_t now)
{
	int64_t period = o->period_end - o->period_start;
	int64_t elapsed = now > o->period_start ? now - o->period_start : 0;
	/* Cannot overflow: both times are within [0, POLICY_TIME_MAX]. */
	int64_t days = (elapsed + POLICY_SECONDS_PER_DAY - 1) / POLICY_SECONDS_PER_DAY;

	return days * POLICY_SECONDS_PER_DAY < period ? days * POLICY_SECONDS_PER_DAY : period;
}

/* Only the unused remaining time of what is left (the price less the
 * third-party cost) is refunded (001: "对于已消耗的服务时长,则不支持退费"). */
static enum policy_err deduct_consumed_time(struct quote_build *b)
{
	const struct order_facts *o = b->order;
	int64_t base = b->left;
	int64_t period = o->period_end - o->period_start;
	int64_t consumed = consumed_seconds(o, b->now), consumed_value;
	int64_t remaining = period - consumed;
	enum money_err err;

	err = money_mul_div(base, remaining, period, &b->left);
	if (err == MONEY_OK)
		err = money_mul_div(base, consumed, period, &consumed_value);
	if (err != MONEY_OK)
		return from_money(err);
	if (consumed > 0) {
		add_line(b, POLICY_LINE_CONSUMED_TIME, -consumed_value, consumed);
		add_reason(b, POLICY_REASON_ALREADY_USED);
	}
	return POLICY_OK;
}

/* Unused paid units at the order's unit price (what is left of the price
 * after the third-party cost, per paid unit); use counts against paid
 * units first, gifted units are never paid out (policy.h, seed 004). */
static enum policy_err deduct_used_units(struct quote_build *b)
{
	const struct order_facts *o = b->order;
	int64_t base = b->left;
	int64_t used_paid = o->used_quantity < o->quantity ? o->used_quantity : o->quantity;
	int64_t used_bonus = o->used_quantity - used_paid;
	int64_t unused_bonus = o->bonus_quantity > used_bonus ? o->bonus_quantity - used_bonus : 0;
	int64_t used_value;
	enum money_err err;

	err = money_mul_div(base, o->quantity - used_paid, o->quantity, &b->left);
	if (err == MONEY_OK)
		err = money_mul_div(base, used_paid, o->quantity, &used_value);
	if (err != MONEY_OK)
		return from_money(err);
	if (used_paid > 0) {
		add_line(b, POLICY_LINE_USED_UNITS, -used_value, used_paid);
		add_reason(b, POLICY_REASON_ALREADY_USED);
	}
	if (unused_bonus > 0) {
		add_line(b, POLICY_LINE_BONUS_UNITS, 0, unused_bonus);
		add_reason(b, POLICY_REASON_BONUS_NOT_REFUNDABLE);
	}
	return POLICY_OK;
}

/* Takes up to wanted from what is left; the line shows what it took. */
static enum policy_err deduct(struct quote_build *b, enum policy_line label,
                              enum policy_reason reason, int64_t wanted)
{
	int64_t taken = wanted < b->left ? wanted : b->left;

	if (taken <= 0)
		return POLICY_OK;
	add_line(b, label, -taken, 0);
	add_reason(b, reason);
	return from_money(money_sub(b->left, taken, &b->left));
}

/* fee and what remains are each rounded down; the unit lost between them
 * goes to the rounding line, so the fee is never rounded up. */
static enum policy_err take_handling_fee(struct quote_build *b)
{
	int bps = b->policy->handling_fee_bps;
	int64_t fee, kept;
	enum money_err err;

	if (bps == 0 || b->left == 0)
		return POLICY_OK;
	err = money_bps(b->left, bps, &fee);
	if (err == MONEY_OK)
		err = money_bps(b->left, MONEY_BPS_WHOLE - bps, &kept);
	if (err != MONEY_OK)
		return from_money(err);
	if (fee > 0) {
		add_line(b, POLICY_LINE_HANDLING_FEE, -fee, 0);
		add_reason(b, POLICY_REASON_HANDLING_FEE);
	}
	b->left = kept;
	return POLICY_OK;
}

/* The rounding line is whatever the lines so far miss of the amount: the
 * units the round-down steps kept for the reseller (DESIGN.md §3). */
static enum policy_err add_rounding_line(struct quote_build *b)
{
	int64_t sum = 0, rounding;
	enum money_err err = MONEY_OK;

	for (size_t i = 0; i < b->q.n_lines && err == MONEY_OK; i++)
		err = money_add(sum, b->q.lines[i].amount, &sum);
	if (err == MONEY_OK)
		err = money_sub(b->left, sum, &rounding);
	if (err != MONEY_OK)
		return from_money(err);
	if (rounding != 0)
		add_line(b, POLICY_LINE_ROUNDING, rounding, 0);
	return POLICY_OK;
}

/* The steps of policy.h, in order. The third-party cost comes off before
 * the pro-rata step (001: "扣除相应费用后再行结算", deduct, then settle):
 * taken off after it, the consumed share of the cost would be charged a
 * second time inside the consumed time or units. */
static enum policy_err compute_amount(struct quote_build *b)
{
	const struct order_facts *o = b->order;
	enum policy_err err = POLICY_OK;

	add_line(b, POLICY_LINE_PAID, o->amount_paid, 0);
	b->left = o->amount_paid;
	if (b->policy->deduct_third_party)
		err = deduct(b, POLICY_LINE_THIRD_PARTY_COST,
		             POLICY_REASON_THIRD_PARTY_COST, o->third_party_cost);
	if (err == POLICY_OK && b->left > 0 && rule_by_time(b->q.rule))
		err = deduct_consumed_time(b);
	else if (err == POLICY_OK && b->left > 0 && rule_by_units(b->q.rule))
		err = deduct_used_units(b);
	if (err == POLICY_OK)
		err = deduct(b, POLICY_LINE_ALREADY_REFUNDED,
		             POLICY_REASON_ALREADY_REFUNDED, b->already_refunded);
	if (err == POLICY_OK && takes_fee(b))
		err = take_handling_fee(b);
	if (err == POLICY_OK)
		err = add_rounding_line(b);
	if (err == POLICY_OK && b->left == 0)
		add_reason(b, POLICY_REASON_NOTHING_LEFT);
	return err;
}

static bool refused(const struct quote_build *b)
{
	return (b->reasons & REFUSING_REASONS) != 0 ||
	       b->q.rule == POLICY_RULE_NONE || b->q.rule == POLICY_RULE_NOT_REFUNDABLE;
}

static void decide(struct quote_build *b)
{
	int64_t still_paid = b->order->amount_paid - b->already_refunded;

	b->q.eligible = true;
	b->q.amount = b->left;
	if (refused(b) || has_reason(b, POLICY_REASON_NOTHING_LEFT)) {
		b->q.eligible = false;
		b->q.amount = 0;
		b->q.decision = POLICY_DECISION_NONE;
	} else if (b->needs_person || has_reason(b, POLICY_REASON_CANNOT_PRORATE)) {
		b->q.decision = POLICY_DECISION_MANUAL_REVIEW;
	} else {
		b->q.decision = b->left == still_paid ? POLICY_DECISION_FULL
		                                      : POLICY_DECISION_PARTIAL;
	}
}

/* One remedy, the one that would actually help: stopping the instance
 * only when the image in use is the sole refusal and the window is open. */
static enum policy_remedy choose_remedy(const struct quote_build *b)
{
	if (has_reason(b, POLICY_REASON_ORDER_UNPAID))
		return POLICY_REMEDY_CANCEL_UNPAID;
	if (has_reason(b, POLICY_REASON_NOT_REFUNDABLE_TYPE) &&
	    b->order->billing_mode == ORDER_BILLING_PAYG)
		return POLICY_REMEDY_PAYG_CANCEL_UNPAID;
	if ((b->reasons & REFUSING_REASONS) == REASON_BIT(POLICY_REASON_IMAGE_IN_USE) &&
	    !b->after_window)
		return POLICY_REMEDY_STOP_INSTANCE;
	if (b->needs_person && b->q.eligible)
		return POLICY_REMEDY_CONTACT_SUPPORT;
	return POLICY_REMEDY_NONE;
}

static void list_reasons(struct quote_build *b)
{
	for (unsigned r = 0; r < POLICY_REASON__MAX; r++)
		if (has_reason(b, (enum policy_reason)r))
			b->q.reasons[b->q.n_reasons++] = (enum policy_reason)r;
}

static bool order_was_paid(const struct order_facts *o)
{
	return o->status == ORDER_STATUS_PAID || o->status == ORDER_STATUS_EXPIRED;
}

enum policy_err policy_quote(const struct order_facts *order,
                             const struct refund_policy *policy,
                             int64_t already_refunded, int requests_this_month,
                             int64_t now, struct quote *out)
{
	struct quote_build b;
	enum policy_err err;

	err = check_inputs(order, policy, already_refunded, requests_this_month, now);
	if (err != POLICY_OK)
		return err;
	start_build(&b, order, policy, already_refunded, requests_this_month, now);
	add_order_reasons(&b);
	if (order_was_paid(order) && policy->refundable)
		err = choose_rule(&b);
	if (err == POLICY_OK && !refused(&b) && !can_prorate(&b))
		add_reason(&b, POLICY_REASON_CANNOT_PRORATE);
	else if (err == POLICY_OK && !refused(&b))
		err = compute_amount(&b);
	if (err != POLICY_OK)
		return err;
	decide(&b);
	b.q.remedy = choose_remedy(&b);
	list_reasons(&b);
	*out = b.q;
	return POLICY_OK;
}

bool policy_quote_has_reason(const struct quote *quote, enum policy_reason reason)
{
	for (size_t i = 0; i < quote->n_reasons; i++)
		if (quote->reasons[i] == reason)
			return true;
	return false;
}

static bool rule_in_window(enum policy_rule rule)
{
	return rule == POLICY_RULE_WINDOW_FULL || rule == POLICY_RULE_USAGE_WINDOW ||
	       rule == POLICY_RULE_SERVICE_IN_PROGRESS;
}

struct policy_limits policy_limits_for(const struct refund_policy *policy, const char *currency)
{
	struct policy_limits none = { 0, 0 };

	if (currency == NULL || policy->limits_currency[0] == '\0' ||
	    strncmp(policy->limits_currency, currency, sizeof policy->limits_currency) != 0)
		return none;
	return (struct policy_limits){ policy->auto_approve_max, policy->second_approval_over };
}

bool policy_auto_approvable(const struct refund_policy *policy, const char *currency,
                            const struct quote *quote)
{
	struct policy_limits l = policy_limits_for(policy, currency);

	return quote->eligible && quote->decision == POLICY_DECISION_FULL &&
	       rule_in_window(quote->rule) && l.auto_approve_max > 0 &&
	       quote->amount <= l.auto_approve_max;
}

bool policy_needs_second_approval(const struct refund_policy *policy, const char *currency,
                                  int64_t amount)
{
	return amount > policy_limits_for(policy, currency).second_approval_over;
}
