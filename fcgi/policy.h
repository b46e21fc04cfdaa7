/* policy.h -- the refund policy engine (DESIGN.md §3): from an order's
 * facts, the refund policy of its product type, what has already been
 * refunded and the time now, the quote -- whether a refund is possible,
 * how much, under which rule, why not or why less, what the customer can
 * do about it, and by which payout route.
 *
 * Pure: same inputs, same answer; no I/O, no global mutable state, no
 * allocation. (The window's end reads the process time zone, which is set
 * once before any thread starts and never changes.) All structs are plain values (fixed-size arrays for codes),
 * so they can be copied, compared and stored. Every amount is computed
 * with money.h (128-bit intermediates, rounded down in the reseller's
 * favour, the difference shown as a "rounding" line).
 *
 * How an amount is made (each step only while something is left):
 *   1. everything paid, minus third_party_cost when the policy deducts it
 *      (001: "扣除相应费用后再行结算": the cost first, then the settling);
 *   2. the rule's share of that: all of it (window_full,
 *      service_in_progress), or it * unused / total for time or paid units
 *      (prorata_time, usage_window, prorata_usage), so the consumed share
 *      of a cost already taken off whole is not charged again;
 *   3. minus already_refunded (refunded, or approved and being paid);
 *   4. minus the handling fee, in the partial rules only and only when
 *      time or units were used (DESIGN.md §3: "fee ... taken from partial
 *      refunds"; nothing used, they give everything back), on what is left
 *      after 3.
 * A deduction larger than what is left shows only the part it took. So the
 * amount never exceeds amount_paid - already_refunded (the cap), and the
 * breakdown lines always add up to it exactly.
 *
 * Time: consumed time is counted in whole days from period_start, a day
 * begun counting as a whole day ("consumed_time" units are those days in
 * seconds, at most the period). Seed 001 refunds only unused time and says
 * nothing of the unit; the day is the unit Chinese clouds bill subscriptions
 * by ("不足一天按一天计算"), the customer keeps the resource for the rest of
 * the day they asked on (and until the refund is decided), it is in the
 * reseller's favour like every other rounding here (DESIGN.md §3), and it
 * keeps a quote the same for the rest of that day: counted by the second,
 * the amount of a 12 000.00 a year server fell by a fen every 26 s, so the
 * amount a customer was shown was stale (409 quote_changed) by the time
 * they submitted it, and for dearer servers on every retry.
 *
 * Units: paid units are consumed before gifted (bonus) units. Seed 004
 * says used traffic and gifted traffic are both never refunded ("若流量已被
 * 使用……也可能无法全额退款"): counting use against paid units first means
 * every unit used lowers the refund, and unused gifted units are simply
 * forfeited. Consuming the gift first would refund in full an order whose
 * traffic had been used. */
#ifndef REFUNDD_POLICY_H
#define REFUNDD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"

/* A product_type code with its NUL ("marketplace_service" is 19). */
#define POLICY_CODE_SIZE 32

/* Windows longer than ten years are a typo, and the bound keeps paid_at +
 * window far from overflow. The seeds' longest window is 30 days. */
#define POLICY_WINDOW_DAYS_MAX 3650

/* Times are unix seconds UTC in [0, POLICY_TIME_MAX], the range RFC 3339
 * can show (9999-12-31T23:59:59Z); it also keeps every difference of two
 * times far from overflow. */
#define POLICY_TIME_MAX INT64_C(253402300799)

/* A window of N days ends at the local clock reading of paid_at, N calendar
 * days later, in the reseller's time zone (calendar_add_days: the process
 * zone, app.timezone, set once at start-up): seed 001 counts "从支付成功那一
 * 刻起", from the moment of payment, not to the end of a day. In Asia/Shanghai
 * that is N * 86400 s; in a zone with DST it is the time the customer reads
 * on the clock, not an hour before or after it. */
#define POLICY_SECONDS_PER_DAY 86400

enum policy_err {
	POLICY_OK = 0,
	POLICY_INVALID_ORDER,     /* a field of struct order_facts is out of range */
	POLICY_INVALID_POLICY,    /* a field of struct refund_policy is out of range */
	POLICY_PRODUCT_MISMATCH,  /* the policy is for another product_type */
	POLICY_INVALID_ARGUMENT,  /* already_refunded, requests_this_month or now */
	POLICY_UNKNOWN_CODE,      /* a *_parse() got a string it does not know */
	POLICY_OVERFLOW,          /* arithmetic that would not fit in int64_t */
	POLICY_ERR__MAX
};

/* ---- the order, as synced from billing ---- */

enum order_status {
	ORDER_STATUS_UNPAID,      /* "unpaid" */
	ORDER_STATUS_PAID,        /* "paid" */
	ORDER_STATUS_CANCELLED,   /* "cancelled" */
	ORDER_STATUS_EXPIRED,     /* "expired" */
	ORDER_STATUS__MAX
};

enum order_billing {
	ORDER_BILLING_SUBSCRIPTION,  /* "subscription" */
	ORDER_BILLING_PAYG,          /* "payg" */
	ORDER_BILLING_ONE_TIME,      /* "one_time" */
	ORDER_BILLING__MAX
};

enum order_service {
	ORDER_SERVICE_NONE,          /* "none": not a service (SQL NULL) */
	ORDER_SERVICE_IN_PROGRESS,   /* "in_progress" */
	ORDER_SERVICE_COMPLETED,     /* "completed" */
	ORDER_SERVICE__MAX
};

struct order_facts {
	char               product_type[POLICY_CODE_SIZE];
	enum order_status  status;
	enum order_billing billing_mode;
	int64_t            amount_paid;      /* minor units, >= 0 */
	char               currency[MONEY_CURRENCY_SIZE];
	int64_t            paid_at;          /* unix s; read only when paid or expired */
	int64_t            period_start;     /* unix s; both 0 when no period */
	int64_t            period_end;       /* >= period_start */
	int64_t            quantity;         /* paid units (credits, GB), >= 0 */
	int64_t            bonus_quantity;   /* gifted units, >= 0 */
	int64_t            used_quantity;    /* units used, paid and gifted, >= 0 */
	bool               in_use;           /* an image in use on an instance */
	enum order_service service_status;
	bool               promo;            /* bought in a promotion */
	int64_t            third_party_cost; /* minor units, >= 0 */
};

/* ---- the refund policy of a product type (data, versioned) ---- */

/* What the no-reason window gives, and how long it lasts. */
enum policy_window {
	POLICY_WINDOW_FULL,          /* "full": everything, for window_days from paid_at */
	POLICY_WINDOW_UNUSED_UNITS,  /* "unused_units": unused paid units, for window_days (004) */
	POLICY_WINDOW_SERVICE,       /* "service_in_progress": everything while the
	                                service is in progress; window_days must be 0 (003) */
	POLICY_WINDOW__MAX
};

/* What is left after the window (or after the service completed). */
enum policy_after_window {
	POLICY_AFTER_NONE,           /* "none" */
	POLICY_AFTER_PRORATA_TIME,   /* "prorata_time": unused remaining time */
	POLICY_AFTER_PRORATA_USAGE,  /* "prorata_usage": unused paid units */
	POLICY_AFTER_NEGOTIATE,      /* "negotiate": prorata_time, always manual review (001) */
	POLICY_AFTER__MAX
};

enum payout_method {
	PAYOUT_ORIGINAL_ROUTE,       /* "original_route" */
	PAYOUT_BALANCE,              /* "balance" */
	PAYOUT__MAX
};
/* Sets of payout methods are bit masks: PAYOUT_BIT(PAYOUT_BALANCE). */
#define PAYOUT_BIT(method) (1u << (method))
#define PAYOUT_ALL         (PAYOUT_BIT(PAYOUT_ORIGINAL_ROUTE) | PAYOUT_BIT(PAYOUT_BALANCE))

struct refund_policy {
	char                     product_type[POLICY_CODE_SIZE];
	int                      version;          /* >= 1; quotes name it */
	bool                     refundable;       /* false: image_payg, api_product, ... */
	enum policy_window       window_rule;
	int                      window_days;      /* 0..POLICY_WINDOW_DAYS_MAX; 0 = no window */
	bool                     window_requires_unused; /* images: refused while in_use */
	enum policy_after_window after_window;
	int                      handling_fee_bps; /* 0..MONEY_BPS_WHOLE, partial rules only */
	bool                     deduct_third_party;
	bool                     promo_refundable;
	int                      monthly_limit;    /* requests per account per month; 0 = unlimited */
	/* Seed 000 pays the window refund back by the original route (case 1)
	 * and the usage refund after it to the balance (case 2), so the two
	 * phases have their own sets. Each default must be in its set. */
	unsigned                 payout_methods;               /* PAYOUT_BIT mask, not 0 */
	enum payout_method       payout_default;
	unsigned                 payout_methods_after_window;  /* PAYOUT_BIT mask, not 0 */
	enum payout_method       payout_default_after_window;
	int                      review_sla_days;  /* business days, >= 0 */
	/* The approval limits, minor units of limits_currency (an order in
	 * another currency: never without a person, always two approvers). */
	int64_t                  auto_approve_max; /* 0 = never */
	int64_t                  second_approval_over; /* >= 0 */
	char                     limits_currency[MONEY_CURRENCY_SIZE];
};

/* ---- the quote ---- */

enum policy_decision {
	POLICY_DECISION_FULL,           /* "full": all that is left on the order */
	POLICY_DECISION_PARTIAL,        /* "partial" */
	POLICY_DECISION_NONE,           /* "none": nothing can be refunded */
	POLICY_DECISION_MANUAL_REVIEW,  /* "manual_review": a person decides */
	POLICY_DECISION__MAX
};

enum policy_rule {
	POLICY_RULE_NONE,                /* "none": no rule applies (order not paid,
	                                    window over with after_window none) */
	POLICY_RULE_NOT_REFUNDABLE,      /* "not_refundable" */
	POLICY_RULE_WINDOW_FULL,         /* "window_full" */
	POLICY_RULE_USAGE_WINDOW,        /* "usage_window": unused paid units, in the window */
	POLICY_RULE_SERVICE_IN_PROGRESS, /* "service_in_progress" */
	POLICY_RULE_PRORATA_TIME,        /* "prorata_time" (also for negotiate) */
	POLICY_RULE_PRORATA_USAGE,       /* "prorata_usage" */
	POLICY_RULE__MAX
};

/* Reasons for every refusal or cut. A quote lists them in this order. */
enum policy_reason {
	POLICY_REASON_ORDER_UNPAID,         /* "order_unpaid" */
	POLICY_REASON_ORDER_CANCELLED,      /* "order_cancelled" */
	POLICY_REASON_ORDER_EXPIRED,        /* "order_expired" */
	POLICY_REASON_NOT_REFUNDABLE_TYPE,  /* "not_refundable_type" */
	POLICY_REASON_PROMO_PURCHASE,       /* "promo_purchase" */
	POLICY_REASON_MONTHLY_LIMIT,        /* "monthly_limit" */
	POLICY_REASON_WINDOW_CLOSED,        /* "window_closed" */
	POLICY_REASON_SERVICE_COMPLETED,    /* "service_completed" */
	POLICY_REASON_IMAGE_IN_USE,         /* "image_in_use" */
	POLICY_REASON_CANNOT_PRORATE,       /* "cannot_prorate": no period or no paid
	                                       units to divide by; a person decides */
	POLICY_REASON_ALREADY_USED,         /* "already_used": time or units deducted */
	POLICY_REASON_BONUS_NOT_REFUNDABLE, /* "bonus_not_refundable": unused gifted units */
	POLICY_REASON_THIRD_PARTY_COST,     /* "third_party_cost" */
	POLICY_REASON_ALREADY_REFUNDED,     /* "already_refunded" */
	POLICY_REASON_HANDLING_FEE,         /* "handling_fee" */
	POLICY_REASON_NOTHING_LEFT,         /* "nothing_left": the rule leaves 0 */
	POLICY_REASON__MAX
};

/* Breakdown labels. "paid" is positive, the others are <= 0. */
enum policy_line {
	POLICY_LINE_PAID,              /* "paid": amount_paid */
	POLICY_LINE_THIRD_PARTY_COST,  /* "third_party_cost": before the pro-rata
	                                  lines, which share out what it leaves */
	POLICY_LINE_CONSUMED_TIME,     /* "consumed_time": units = seconds consumed */
	POLICY_LINE_USED_UNITS,        /* "used_units": units = paid units used */
	POLICY_LINE_BONUS_UNITS,       /* "bonus_units": amount 0, units = unused
	                                  gifted units forfeited */
	POLICY_LINE_ALREADY_REFUNDED,  /* "already_refunded" */
	POLICY_LINE_HANDLING_FEE,      /* "handling_fee" */
	POLICY_LINE_ROUNDING,          /* "rounding": -1 or -2 minor units, when any */
	POLICY_LINE__MAX
};

/* What the customer can do; texts in zh-CN and en by policy_remedy_text(). */
enum policy_remedy {
	POLICY_REMEDY_NONE,               /* "none" */
	POLICY_REMEDY_STOP_INSTANCE,      /* "stop_instance_or_change_os": image in
	                                     use, the only obstacle, inside the window */
	POLICY_REMEDY_CANCEL_UNPAID,      /* "cancel_unpaid_order": order_unpaid */
	POLICY_REMEDY_PAYG_CANCEL_UNPAID, /* "payg_cancel_unpaid": not refundable and
	                                     billed after use (payg) */
	POLICY_REMEDY_CONTACT_SUPPORT,    /* "contact_support_negotiate": after the
	                                     window of a negotiate policy */
	POLICY_REMEDY__MAX
};

enum policy_lang { POLICY_LANG_ZH_CN, POLICY_LANG_EN, POLICY_LANG__MAX };

struct quote_line {
	enum policy_line label;
	int64_t          amount;  /* minor units, signed */
	int64_t          units;   /* see enum policy_line; 0 where none */
};

struct quote {
	bool                 eligible;       /* a request may be submitted */
	enum policy_decision decision;
	int64_t              amount;         /* minor units; 0 unless eligible */
	char                 currency[MONEY_CURRENCY_SIZE];
	enum policy_rule     rule;
	size_t               n_lines;        /* 0 when refused before computing */
	struct quote_line    lines[POLICY_LINE__MAX];     /* each label at most once */
	size_t               n_reasons;
	enum policy_reason   reasons[POLICY_REASON__MAX]; /* in enum order */
	enum policy_remedy   remedy;
	bool                 has_window;     /* a window of days applies */
	int64_t              window_ends_at; /* unix s, last second inside; if has_window */
	unsigned             payout_methods; /* PAYOUT_BIT mask of this phase */
	enum payout_method   payout_default;
	int                  policy_version;
};

/* The quote for order under policy now. already_refunded: refunded or in
 * flight (approved, paying) for this order, 0..amount_paid.
 * requests_this_month: refund requests the account already made in the
 * current calendar month of the reseller's time zone, before this one.
 * On success *out is the whole quote; on error *out is unchanged. */
enum policy_err policy_quote(const struct order_facts *order,
                             const struct refund_policy *policy,
                             int64_t already_refunded, int requests_this_month,
                             int64_t now, struct quote *out);

/* Checks one struct alone (for the admin PUT and the billing sync). */
enum policy_err policy_validate(const struct refund_policy *policy);
enum policy_err order_facts_validate(const struct order_facts *order);

bool policy_quote_has_reason(const struct quote *quote, enum policy_reason reason);
/* The approval limits that hold for an order in `currency`: the policy's
 * own when it is limits_currency; none in any other (auto_approve_max 0:
 * never without a person; second_approval_over 0: two approvers for any
 * amount), because minor units of one currency say nothing of another's. */
struct policy_limits {
	int64_t auto_approve_max;
	int64_t second_approval_over;
};
struct policy_limits policy_limits_for(const struct refund_policy *policy, const char *currency);
/* DESIGN.md §3: a full refund inside the window up to auto_approve_max is
 * approved without a person; auto_approve_max 0 means never. */
bool policy_auto_approvable(const struct refund_policy *policy, const char *currency,
                            const struct quote *quote);
/* An approval of amount above second_approval_over needs a second,
 * different approver. */
bool policy_needs_second_approval(const struct refund_policy *policy, const char *currency,
                                  int64_t amount);

/* Stable codes (the strings in the comments above) and their parsers, for
 * JSON and database rows. *_name() returns NULL for a value out of range;
 * *_parse() returns POLICY_UNKNOWN_CODE for any other string (exact,
 * case-sensitive) or NULL, and leaves *out unchanged then. */
const char     *policy_err_code(enum policy_err err);
const char     *order_status_name(enum order_status v);
enum policy_err order_status_parse(const char *s, enum order_status *out);
const char     *order_billing_name(enum order_billing v);
enum policy_err order_billing_parse(const char *s, enum order_billing *out);
const char     *order_service_name(enum order_service v);
enum policy_err order_service_parse(const char *s, enum order_service *out);
const char     *policy_window_name(enum policy_window v);
enum policy_err policy_window_parse(const char *s, enum policy_window *out);
const char     *policy_after_window_name(enum policy_after_window v);
enum policy_err policy_after_window_parse(const char *s, enum policy_after_window *out);
const char     *payout_method_name(enum payout_method v);
enum policy_err payout_method_parse(const char *s, enum payout_method *out);
const char     *policy_decision_name(enum policy_decision v);
enum policy_err policy_decision_parse(const char *s, enum policy_decision *out);
const char     *policy_rule_name(enum policy_rule v);
enum policy_err policy_rule_parse(const char *s, enum policy_rule *out);
const char     *policy_reason_name(enum policy_reason v);
enum policy_err policy_reason_parse(const char *s, enum policy_reason *out);
const char     *policy_line_name(enum policy_line v);
enum policy_err policy_line_parse(const char *s, enum policy_line *out);
const char     *policy_remedy_name(enum policy_remedy v);
enum policy_err policy_remedy_parse(const char *s, enum policy_remedy *out);
/* The customer-facing text of a remedy; NULL for POLICY_REMEDY_NONE or a
 * value out of range. UTF-8. */
const char     *policy_remedy_text(enum policy_remedy remedy, enum policy_lang lang);

#endif
