/* test_policy.c -- cmocka tests of the refund policy engine (fcgi/policy.c):
 * the seed documents' cases (000-004) and every rule, reason, remedy and
 * boundary as one table of quotes whose amounts are worked out by hand in
 * the comments; input validation; the stable codes; and invariants (lines
 * add up, the cap holds) over a sweep of orders and times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "localzone.h"
#include "policy.h"

/* Each case names only what differs from its product's base order, by
 * repeating a designated initializer after the base's; GCC's
 * -Woverride-init (in -Wextra) would flag exactly that idiom. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

#define DAY  INT64_C(86400)
#define YEAR (365 * DAY)
/* 2025-03-01T02:00:00Z: every order below was paid then. */
#define T0   INT64_C(1740794400)

#define ORIGINAL PAYOUT_BIT(PAYOUT_ORIGINAL_ROUTE)
#define BALANCE  PAYOUT_BIT(PAYOUT_BALANCE)

/* ---- the seed table of DESIGN.md §3 as policies ---- */

/* 000: 30-day no-reason full refund to the original method (case 1); then
 * unused credits by usage, to the balance (case 2); 1-3 business days. */
static const struct refund_policy api_credits = {
	.product_type = "api_credits", .version = 1, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 30,
	.after_window = POLICY_AFTER_PRORATA_USAGE, .promo_refundable = true,
	.payout_methods = ORIGINAL, .payout_default = PAYOUT_ORIGINAL_ROUTE,
	.payout_methods_after_window = BALANCE,
	.payout_default_after_window = PAYOUT_BALANCE,
	.review_sla_days = 3, .second_approval_over = 100000, .limits_currency = "CNY",
};

/* Not from a seed: api_credits with a 5 % handling fee, for the fee rule. */
static const struct refund_policy api_credits_fee = {
	.product_type = "api_credits", .version = 2, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 30,
	.after_window = POLICY_AFTER_PRORATA_USAGE, .promo_refundable = true,
	.handling_fee_bps = 500,
	.payout_methods = ORIGINAL, .payout_default = PAYOUT_ORIGINAL_ROUTE,
	.payout_methods_after_window = BALANCE,
	.payout_default_after_window = PAYOUT_BALANCE,
	.review_sla_days = 3, .second_approval_over = 100000, .limits_currency = "CNY",
};

/* Not from a seed: api_credits bought through a third party whose cost
 * the reseller deducts (001's rule applied to a usage refund). */
static const struct refund_policy api_credits_resold = {
	.product_type = "api_credits", .version = 4, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 30,
	.after_window = POLICY_AFTER_PRORATA_USAGE, .promo_refundable = true,
	.deduct_third_party = true,
	.payout_methods = ORIGINAL, .payout_default = PAYOUT_ORIGINAL_ROUTE,
	.payout_methods_after_window = BALANCE,
	.payout_default_after_window = PAYOUT_BALANCE,
	.review_sla_days = 3, .second_approval_over = 100000, .limits_currency = "CNY",
};

/* 001, 002: 5 days; then unused time, negotiated with support; third-party
 * costs deducted; promotions excluded; one request a month. */
static const struct refund_policy cloud_server = {
	.product_type = "cloud_server", .version = 1, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 5,
	.after_window = POLICY_AFTER_NEGOTIATE, .deduct_third_party = true,
	.promo_refundable = false, .monthly_limit = 1,
	.payout_methods = ORIGINAL | BALANCE, .payout_default = PAYOUT_ORIGINAL_ROUTE,
	.payout_methods_after_window = ORIGINAL | BALANCE,
	.payout_default_after_window = PAYOUT_ORIGINAL_ROUTE,
	.review_sla_days = 3, .auto_approve_max = 200000, .second_approval_over = 500000,
	.limits_currency = "CNY",
};

/* Not from a seed: plain pro-rata time with a 10 % fee, no person needed. */
static const struct refund_policy cloud_server_prorata = {
	.product_type = "cloud_server", .version = 3, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 5,
	.after_window = POLICY_AFTER_PRORATA_TIME, .deduct_third_party = true,
	.handling_fee_bps = 1000,
	.payout_methods = ORIGINAL | BALANCE, .payout_default = PAYOUT_ORIGINAL_ROUTE,
	.payout_methods_after_window = ORIGINAL | BALANCE,
	.payout_default_after_window = PAYOUT_ORIGINAL_ROUTE,
	.review_sla_days = 3, .second_approval_over = 500000,
};

/* The policies that refund nothing differ only in their product type. */
#define NOT_REFUNDABLE(type) {                                              \
	.product_type = type, .version = 1, .refundable = false,            \
	.payout_methods = ORIGINAL, .payout_default = PAYOUT_ORIGINAL_ROUTE, \
	.payout_methods_after_window = ORIGINAL,                            \
	.payout_default_after_window = PAYOUT_ORIGINAL_ROUTE,               \
	.review_sla_days = 3 }

static const struct refund_policy cloud_server_payg = NOT_REFUNDABLE("cloud_server_payg"); /* 002 */
static const struct refund_policy image_payg = NOT_REFUNDABLE("image_payg");               /* 003 */
static const struct refund_policy api_product = NOT_REFUNDABLE("api_product");             /* 003 */
static const struct refund_policy tool_download = NOT_REFUNDABLE("tool_download");         /* 003 */

/* The policies with one payout route and nothing after the window. */
#define ORIGINAL_ROUTE_ONLY                                                  \
	.payout_methods = ORIGINAL, .payout_default = PAYOUT_ORIGINAL_ROUTE, \
	.payout_methods_after_window = ORIGINAL,                            \
	.payout_default_after_window = PAYOUT_ORIGINAL_ROUTE,               \
	.after_window = POLICY_AFTER_NONE, .review_sla_days = 3

/* 004: in the window, unused paid traffic, back by the original route. The
 * seed names no number of days; 7 is this test's. */
static const struct refund_policy traffic_package = {
	.product_type = "traffic_package", .version = 1, .refundable = true,
	.window_rule = POLICY_WINDOW_UNUSED_UNITS, .window_days = 7,
	.promo_refundable = true, ORIGINAL_ROUTE_ONLY,
};

/* Not from a seed: traffic_package with a 2 % handling fee. */
static const struct refund_policy traffic_package_fee = {
	.product_type = "traffic_package", .version = 2, .refundable = true,
	.window_rule = POLICY_WINDOW_UNUSED_UNITS, .window_days = 7,
	.handling_fee_bps = 200, .promo_refundable = true, ORIGINAL_ROUTE_ONLY,
};

/* 003: 5-day no-reason full refund, none after. */
static const struct refund_policy saas_app = {
	.product_type = "saas_app", .version = 1, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 5,
	.promo_refundable = true, .auto_approve_max = 50000, ORIGINAL_ROUTE_ONLY,
	.limits_currency = "CNY",
};

/* 003: full refund while the service is in progress. */
static const struct refund_policy marketplace_service = {
	.product_type = "marketplace_service", .version = 1, .refundable = true,
	.window_rule = POLICY_WINDOW_SERVICE, .window_days = 0,
	.promo_refundable = true, ORIGINAL_ROUTE_ONLY,
};

/* 003: 5 days and not in use. */
static const struct refund_policy image_subscription = {
	.product_type = "image_subscription", .version = 1, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 5,
	.window_requires_unused = true, .promo_refundable = true, ORIGINAL_ROUTE_ONLY,
};

/* ---- base orders; a case repeats only the fields it changes ---- */

#define ORDER(type, ...) {                                                  \
	.product_type = type, .status = ORDER_STATUS_PAID,                  \
	.billing_mode = ORDER_BILLING_ONE_TIME, .currency = "CNY",          \
	.paid_at = T0, .service_status = ORDER_SERVICE_NONE, __VA_ARGS__ }

/* 10 000.00 CNY for 1 000 000 API credits. */
#define CREDITS(...) ORDER("api_credits", .amount_paid = 1000000,           \
                           .quantity = 1000000, __VA_ARGS__)
/* 000 case 2: 500.00 CNY for 100 000 credits, 37 500 of them used. */
#define CREDITS_CASE_2(...) ORDER("api_credits", .amount_paid = 50000,      \
                                  .quantity = 100000, .used_quantity = 37500, __VA_ARGS__)
/* A year of a cloud server for 1 200.00 CNY, the period starting at payment. */
#define SERVER(...) ORDER("cloud_server", .billing_mode = ORDER_BILLING_SUBSCRIPTION, \
                          .amount_paid = 120000, .period_start = T0,        \
                          .period_end = T0 + YEAR, __VA_ARGS__)
/* 200.00 CNY for 100 GB of traffic, 50 GB more gifted. */
#define TRAFFIC(...) ORDER("traffic_package", .amount_paid = 20000,         \
                           .quantity = 100, .bonus_quantity = 50, __VA_ARGS__)

/* ---- the table of quotes ---- */

struct quote_case {
	const char                 *name;
	const struct refund_policy *policy;
	struct order_facts          order;
	int64_t                     already_refunded;
	int                         requests_this_month;
	int64_t                     now;
	/* the quote expected */
	bool                        eligible;
	enum policy_decision        decision;
	int64_t                     amount;
	enum policy_rule            rule;
	const char                 *lines;    /* "label:amount[@units] ..." */
	const char                 *reasons;  /* "code code ..." */
	enum policy_remedy          remedy;
	int64_t                     window_ends_at;  /* 0: no window of days */
	const char                 *payout;   /* "method,method", default starred */
};

static const struct quote_case quote_cases[] = {
	/* ---- api_credits, seed 000 ---- */
	{ "000 case 1: mistaken purchase, day 10: full refund by the original route",
	  &api_credits, CREDITS(), 0, 0, T0 + 10 * DAY,
	  true, POLICY_DECISION_FULL, 1000000, POLICY_RULE_WINDOW_FULL,
	  "paid:1000000", "", POLICY_REMEDY_NONE, T0 + 30 * DAY, "original_route*" },
	{ "000 case 1: no-reason window ignores credits used",
	  &api_credits, CREDITS(.used_quantity = 250000), 0, 0, T0 + 10 * DAY,
	  true, POLICY_DECISION_FULL, 1000000, POLICY_RULE_WINDOW_FULL,
	  "paid:1000000", "", POLICY_REMEDY_NONE, T0 + 30 * DAY, "original_route*" },
	{ "api_credits: exactly at the window's end is inside it",
	  &api_credits, CREDITS(.used_quantity = 250000), 0, 0, T0 + 30 * DAY,
	  true, POLICY_DECISION_FULL, 1000000, POLICY_RULE_WINDOW_FULL,
	  "paid:1000000", "", POLICY_REMEDY_NONE, T0 + 30 * DAY, "original_route*" },
	/* 1 000 000 * 750 000 / 1 000 000 = 750 000 */
	{ "api_credits: one second after the window: unused credits, to the balance",
	  &api_credits, CREDITS(.used_quantity = 250000), 0, 0, T0 + 30 * DAY + 1,
	  true, POLICY_DECISION_PARTIAL, 750000, POLICY_RULE_PRORATA_USAGE,
	  "paid:1000000 used_units:-250000@250000", "window_closed already_used",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	/* 50 000 * 62 500 / 100 000 = 31 250; used 50 000 * 37 500 / 100 000 = 18 750 */
	{ "000 case 2: 500.00 for 100000 credits, 37500 used, day 45: 312.50 to the balance",
	  &api_credits, CREDITS_CASE_2(), 0, 0, T0 + 45 * DAY,
	  true, POLICY_DECISION_PARTIAL, 31250, POLICY_RULE_PRORATA_USAGE,
	  "paid:50000 used_units:-18750@37500", "window_closed already_used",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	{ "api_credits: after the window with nothing used: all of it, to the balance",
	  &api_credits, CREDITS(), 0, 0, T0 + 31 * DAY,
	  true, POLICY_DECISION_FULL, 1000000, POLICY_RULE_PRORATA_USAGE,
	  "paid:1000000", "window_closed", POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	/* 10 000 * 2 / 3 = 6 666.67 -> 6 666; used 10 000 / 3 = 3 333.33 -> 3 333;
	 * 10 000 - 3 333 = 6 667, so one fen is kept: rounding -1 */
	{ "api_credits: 100.00 for 3 credits, 1 used: 66.66, one fen rounded down",
	  &api_credits, ORDER("api_credits", .amount_paid = 10000, .quantity = 3,
	                      .used_quantity = 1), 0, 0, T0 + 40 * DAY,
	  true, POLICY_DECISION_PARTIAL, 6666, POLICY_RULE_PRORATA_USAGE,
	  "paid:10000 used_units:-3333@1 rounding:-1", "window_closed already_used",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	/* 999 * 5 / 7 = 713.57 -> 713; used 999 * 2 / 7 = 285.43 -> 285; 999 - 285 = 714 */
	{ "api_credits in JPY (0 decimals): 999 yen for 7 credits, 2 used: 713 yen",
	  &api_credits, ORDER("api_credits", .currency = "JPY", .amount_paid = 999,
	                      .quantity = 7, .used_quantity = 2), 0, 0, T0 + 40 * DAY,
	  true, POLICY_DECISION_PARTIAL, 713, POLICY_RULE_PRORATA_USAGE,
	  "paid:999 used_units:-285@2 rounding:-1", "window_closed already_used",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	/* 000 case 2 in KWD (3 decimals): 12.345 KWD = 12345 fils for 7 credits,
	 * 2 used: 12345 * 5 / 7 -> 8817; used 12345 * 2 / 7 -> 3527;
	 * 12345 - 3527 = 8818: one fils kept. Minor units whatever the exponent. */
	{ "api_credits in KWD (3 decimals): 12.345 KWD for 7 credits, 2 used: 8.817",
	  &api_credits, ORDER("api_credits", .currency = "KWD", .amount_paid = 12345,
	                      .quantity = 7, .used_quantity = 2), 0, 0, T0 + 40 * DAY,
	  true, POLICY_DECISION_PARTIAL, 8817, POLICY_RULE_PRORATA_USAGE,
	  "paid:12345 used_units:-3527@2 rounding:-1", "window_closed already_used",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	{ "api_credits: all credits used: nothing left",
	  &api_credits, CREDITS_CASE_2(.used_quantity = 100000), 0, 0, T0 + 45 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_PRORATA_USAGE,
	  "paid:50000 used_units:-50000@100000", "window_closed already_used nothing_left",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	{ "api_credits: quantity 0: no unit price, a person decides",
	  &api_credits, CREDITS(.quantity = 0), 0, 0, T0 + 40 * DAY,
	  true, POLICY_DECISION_MANUAL_REVIEW, 0, POLICY_RULE_PRORATA_USAGE,
	  "", "window_closed cannot_prorate", POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	{ "api_credits: quantity 0 inside the window: the full refund needs no units",
	  &api_credits, CREDITS(.quantity = 0), 0, 0, T0 + 1 * DAY,
	  true, POLICY_DECISION_FULL, 1000000, POLICY_RULE_WINDOW_FULL,
	  "paid:1000000", "", POLICY_REMEDY_NONE, T0 + 30 * DAY, "original_route*" },
	/* INT64_MAX * 2 / 3 = 6 148 914 691 236 517 204.67; INT64_MAX / 3 =
	 * 3 074 457 345 618 258 602.33; INT64_MAX - that = ...205: rounding -1 */
	{ "api_credits: paid INT64_MAX: exact in 128 bits, no wrap",
	  &api_credits, ORDER("api_credits", .amount_paid = INT64_MAX, .quantity = 3,
	                      .used_quantity = 1), 0, 0, T0 + 40 * DAY,
	  true, POLICY_DECISION_PARTIAL, INT64_C(6148914691236517204), POLICY_RULE_PRORATA_USAGE,
	  "paid:9223372036854775807 used_units:-3074457345618258602@1 rounding:-1",
	  "window_closed already_used", POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	{ "api_credits: INT64_MAX paid for INT64_MAX credits, one left",
	  &api_credits, ORDER("api_credits", .amount_paid = INT64_MAX, .quantity = INT64_MAX,
	                      .used_quantity = INT64_MAX - 1), 0, 0, T0 + 40 * DAY,
	  true, POLICY_DECISION_PARTIAL, 1, POLICY_RULE_PRORATA_USAGE,
	  "paid:9223372036854775807 used_units:-9223372036854775806@9223372036854775806",
	  "window_closed already_used", POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	{ "api_credits: 3000.00 already refunded: the rest is a full refund of what is left",
	  &api_credits, CREDITS(), 300000, 0, T0 + 10 * DAY,
	  true, POLICY_DECISION_FULL, 700000, POLICY_RULE_WINDOW_FULL,
	  "paid:1000000 already_refunded:-300000", "already_refunded",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "original_route*" },
	{ "api_credits: refunded in full already: nothing left",
	  &api_credits, CREDITS(), 1000000, 0, T0 + 10 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_WINDOW_FULL,
	  "paid:1000000 already_refunded:-1000000", "already_refunded nothing_left",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "original_route*" },
	/* what was refunded counts against what the usage rule leaves:
	 * 31 250 - 10 000 = 21 250, not min(31 250, 50 000 - 10 000) */
	{ "000 case 2 after 100.00 already refunded: 212.50",
	  &api_credits, CREDITS_CASE_2(), 10000, 0, T0 + 45 * DAY,
	  true, POLICY_DECISION_PARTIAL, 21250, POLICY_RULE_PRORATA_USAGE,
	  "paid:50000 used_units:-18750@37500 already_refunded:-10000",
	  "window_closed already_used already_refunded", POLICY_REMEDY_NONE,
	  T0 + 30 * DAY, "balance*" },
	{ "000 case 2 after 400.00 already refunded: the line shows only what it took",
	  &api_credits, CREDITS_CASE_2(), 40000, 0, T0 + 45 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_PRORATA_USAGE,
	  "paid:50000 used_units:-18750@37500 already_refunded:-31250",
	  "window_closed already_used already_refunded nothing_left", POLICY_REMEDY_NONE,
	  T0 + 30 * DAY, "balance*" },
	{ "api_credits: a promotion purchase, where the policy allows it",
	  &api_credits, CREDITS(.promo = true), 0, 0, T0 + 1 * DAY,
	  true, POLICY_DECISION_FULL, 1000000, POLICY_RULE_WINDOW_FULL,
	  "paid:1000000", "", POLICY_REMEDY_NONE, T0 + 30 * DAY, "original_route*" },
	{ "api_credits: expired order",
	  &api_credits, CREDITS(.status = ORDER_STATUS_EXPIRED), 0, 0, T0 + 400 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_PRORATA_USAGE,
	  "", "order_expired window_closed", POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	{ "api_credits: cancelled order",
	  &api_credits, CREDITS(.status = ORDER_STATUS_CANCELLED), 0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NONE,
	  "", "order_cancelled", POLICY_REMEDY_NONE, 0, "original_route*" },
	{ "api_credits: unpaid order: cancel it instead",
	  &api_credits, CREDITS(.status = ORDER_STATUS_UNPAID), 0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NONE,
	  "", "order_unpaid", POLICY_REMEDY_CANCEL_UNPAID, 0, "original_route*" },
	{ "api_credits: paid at the last second RFC 3339 can show: no overflow",
	  &api_credits, CREDITS(.paid_at = POLICY_TIME_MAX), 0, 0, POLICY_TIME_MAX,
	  true, POLICY_DECISION_FULL, 1000000, POLICY_RULE_WINDOW_FULL,
	  "paid:1000000", "", POLICY_REMEDY_NONE, POLICY_TIME_MAX + 30 * DAY, "original_route*" },

	/* ---- the handling fee (api_credits_fee, 500 bps) ---- */
	/* 31 250 * 5 % = 1 562.5 -> 1 562; 31 250 * 95 % = 29 687.5 -> 29 687 */
	{ "fee: 5 % of 312.50 is 15.62, and the half fen is kept",
	  &api_credits_fee, CREDITS_CASE_2(), 0, 0, T0 + 45 * DAY,
	  true, POLICY_DECISION_PARTIAL, 29687, POLICY_RULE_PRORATA_USAGE,
	  "paid:50000 used_units:-18750@37500 handling_fee:-1562 rounding:-1",
	  "window_closed already_used handling_fee", POLICY_REMEDY_NONE,
	  T0 + 30 * DAY, "balance*" },
	/* 6 666 (one fen kept) * 5 % = 333.3 -> 333, * 95 % = 6 332.7 -> 6 332:
	 * 10 000 - 3 333 - 333 - 6 332 = 2 fen kept in all */
	{ "fee: unit and fee rounding together keep two fen",
	  &api_credits_fee, ORDER("api_credits", .amount_paid = 10000, .quantity = 3,
	                          .used_quantity = 1), 0, 0, T0 + 40 * DAY,
	  true, POLICY_DECISION_PARTIAL, 6332, POLICY_RULE_PRORATA_USAGE,
	  "paid:10000 used_units:-3333@1 handling_fee:-333 rounding:-2",
	  "window_closed already_used handling_fee", POLICY_REMEDY_NONE,
	  T0 + 30 * DAY, "balance*" },
	{ "fee: none on the window's no-reason full refund",
	  &api_credits_fee, CREDITS_CASE_2(.used_quantity = 0), 0, 0, T0 + 2 * DAY,
	  true, POLICY_DECISION_FULL, 50000, POLICY_RULE_WINDOW_FULL,
	  "paid:50000", "", POLICY_REMEDY_NONE, T0 + 30 * DAY, "original_route*" },
	/* DESIGN.md §3: the fee is "taken from partial refunds". Credits of which
	 * none were used come back whole after the window: that is not a partial
	 * refund, and a fee would make one of it. */
	{ "fee: none when nothing was used, after the window either",
	  &api_credits_fee, CREDITS_CASE_2(.used_quantity = 0), 0, 0, T0 + 45 * DAY,
	  true, POLICY_DECISION_FULL, 50000, POLICY_RULE_PRORATA_USAGE,
	  "paid:50000", "window_closed", POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },
	/* 004 with a 2 % fee: an untouched pack inside the window comes back whole */
	{ "fee: none on an unused traffic pack inside the window",
	  &traffic_package_fee, TRAFFIC(), 0, 0, T0 + 3 * DAY,
	  true, POLICY_DECISION_FULL, 20000, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000 bonus_units:0@50", "bonus_not_refundable",
	  POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	/* 30 of 100 GB used: 14 000; fee 2 % = 280 */
	{ "fee: taken once traffic was used",
	  &traffic_package_fee, TRAFFIC(.used_quantity = 30), 0, 0, T0 + 3 * DAY,
	  true, POLICY_DECISION_PARTIAL, 13720, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000 used_units:-6000@30 bonus_units:0@50 handling_fee:-280",
	  "already_used bonus_not_refundable handling_fee",
	  POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	/* 1 fen left; fee 0.05 -> 0, kept 0.95 -> 0 */
	{ "fee: on one fen both parts round to 0, the fen is kept",
	  &api_credits_fee, ORDER("api_credits", .amount_paid = 3, .quantity = 3,
	                          .used_quantity = 2), 0, 0, T0 + 40 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_PRORATA_USAGE,
	  "paid:3 used_units:-2@2 rounding:-1", "window_closed already_used nothing_left",
	  POLICY_REMEDY_NONE, T0 + 30 * DAY, "balance*" },

	/* ---- cloud_server, seeds 001 and 002 ---- */
	{ "001: day 3: 5-day no-reason full refund",
	  &cloud_server, SERVER(), 0, 0, T0 + 3 * DAY,
	  true, POLICY_DECISION_FULL, 120000, POLICY_RULE_WINDOW_FULL,
	  "paid:120000", "", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	{ "001: exactly at the end of day 5",
	  &cloud_server, SERVER(), 0, 0, T0 + 5 * DAY,
	  true, POLICY_DECISION_FULL, 120000, POLICY_RULE_WINDOW_FULL,
	  "paid:120000", "", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	/* Consumed time is counted in days from the period's start, a day begun
	 * counting as a day (policy.h): one second into day 6 is 6 days of 365.
	 * 120 000 * 359 / 365 = 118 027.40 -> 118 027; consumed 120 000 * 6 / 365 =
	 * 1 972.60 -> 1 972; 120 000 - 1 972 = 118 028: rounding -1 */
	{ "001: one second after day 5: unused time, negotiated with support",
	  &cloud_server, SERVER(), 0, 0, T0 + 5 * DAY + 1,
	  true, POLICY_DECISION_MANUAL_REVIEW, 118027, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 consumed_time:-1972@518400 rounding:-1", "window_closed already_used",
	  POLICY_REMEDY_CONTACT_SUPPORT, T0 + 5 * DAY, "original_route*,balance" },
	/* the 100th day has begun: the same quote as at its end (below), so what
	 * the customer is shown holds while they fill in the form */
	{ "001: day 99 and one second: the day begun counts, 871.23 as on day 100",
	  &cloud_server, SERVER(), 0, 0, T0 + 99 * DAY + 1,
	  true, POLICY_DECISION_MANUAL_REVIEW, 87123, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 consumed_time:-32876@8640000 rounding:-1", "window_closed already_used",
	  POLICY_REMEDY_CONTACT_SUPPORT, T0 + 5 * DAY, "original_route*,balance" },
	/* 101 days: 120 000 * 264 / 365 = 86 794.52 -> 86 794; consumed
	 * 33 205.48 -> 33 205; 120 000 - 33 205 = 86 795: rounding -1 */
	{ "001: one second into day 101: one day more is consumed",
	  &cloud_server, SERVER(), 0, 0, T0 + 100 * DAY + 1,
	  true, POLICY_DECISION_MANUAL_REVIEW, 86794, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 consumed_time:-33205@8726400 rounding:-1", "window_closed already_used",
	  POLICY_REMEDY_CONTACT_SUPPORT, T0 + 5 * DAY, "original_route*,balance" },
	/* 265 of 365 days left: 87 123.29 -> 87 123; consumed 32 876.71 -> 32 876 */
	{ "001: day 100 of 365: 871.23 of unused time to negotiate",
	  &cloud_server, SERVER(), 0, 0, T0 + 100 * DAY,
	  true, POLICY_DECISION_MANUAL_REVIEW, 87123, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 consumed_time:-32876@8640000 rounding:-1", "window_closed already_used",
	  POLICY_REMEDY_CONTACT_SUPPORT, T0 + 5 * DAY, "original_route*,balance" },
	/* 001 in KWD: 1 200.000 KWD a year, day 100: 1200000 * 265 / 365 -> 871232;
	 * consumed 1200000 * 100 / 365 -> 328767; one fils kept */
	{ "001 in KWD (3 decimals): day 100 of 365, unused time to negotiate",
	  &cloud_server, SERVER(.currency = "KWD", .amount_paid = 1200000), 0, 0, T0 + 100 * DAY,
	  true, POLICY_DECISION_MANUAL_REVIEW, 871232, POLICY_RULE_PRORATA_TIME,
	  "paid:1200000 consumed_time:-328767@8640000 rounding:-1", "window_closed already_used",
	  POLICY_REMEDY_CONTACT_SUPPORT, T0 + 5 * DAY, "original_route*,balance" },
	{ "001: third-party and hardware costs deducted, even in the window",
	  &cloud_server, SERVER(.third_party_cost = 20000), 0, 0, T0 + 2 * DAY,
	  true, POLICY_DECISION_PARTIAL, 100000, POLICY_RULE_WINDOW_FULL,
	  "paid:120000 third_party_cost:-20000", "third_party_cost",
	  POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	{ "001: third-party cost above the price: the line shows what it took",
	  &cloud_server, SERVER(.third_party_cost = 200000), 0, 0, T0 + 2 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_WINDOW_FULL,
	  "paid:120000 third_party_cost:-120000", "third_party_cost nothing_left",
	  POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	{ "001: promotion purchases excluded",
	  &cloud_server, SERVER(.promo = true), 0, 0, T0 + 2 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_WINDOW_FULL,
	  "", "promo_purchase", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	{ "001: one refund request per account per month",
	  &cloud_server, SERVER(), 0, 1, T0 + 2 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_WINDOW_FULL,
	  "", "monthly_limit", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	{ "001: every applicable reason at once",
	  &cloud_server, SERVER(.promo = true), 0, 3, T0 + 10 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_PRORATA_TIME,
	  "", "promo_purchase monthly_limit window_closed", POLICY_REMEDY_NONE,
	  T0 + 5 * DAY, "original_route*,balance" },
	{ "001: the period is over: consumed time is never refunded",
	  &cloud_server, SERVER(), 0, 0, T0 + 400 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 consumed_time:-120000@31536000", "window_closed already_used nothing_left",
	  POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	{ "cloud_server: zero-length period: a person decides",
	  &cloud_server, SERVER(.period_start = T0, .period_end = T0), 0, 0, T0 + 10 * DAY,
	  true, POLICY_DECISION_MANUAL_REVIEW, 0, POLICY_RULE_PRORATA_TIME,
	  "", "window_closed cannot_prorate", POLICY_REMEDY_CONTACT_SUPPORT,
	  T0 + 5 * DAY, "original_route*,balance" },
	{ "cloud_server: a renewal paid before its period: nothing consumed yet",
	  &cloud_server, SERVER(.period_start = T0 + 30 * DAY, .period_end = T0 + 30 * DAY + YEAR),
	  0, 0, T0 + 10 * DAY,
	  true, POLICY_DECISION_MANUAL_REVIEW, 120000, POLICY_RULE_PRORATA_TIME,
	  "paid:120000", "window_closed", POLICY_REMEDY_CONTACT_SUPPORT,
	  T0 + 5 * DAY, "original_route*,balance" },
	{ "002: unpaid subscription order: cancel it instead",
	  &cloud_server, SERVER(.status = ORDER_STATUS_UNPAID), 0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NONE,
	  "", "order_unpaid", POLICY_REMEDY_CANCEL_UNPAID, 0, "original_route*,balance" },

	/* 001: "若涉及第三方服务或硬件成本等额外支出,则需扣除相应费用后再行结算":
	 * the cost is taken off first, then the rest is settled pro rata. Pro-rating
	 * the whole price and then taking the cost off as well would charge the
	 * consumed share of the cost twice (here 50.00 * 100 / 365 = 13.70 more).
	 * 115 000 * 265 / 365 = 83 493.15 -> 83 493; consumed 115 000 * 100 / 365 =
	 * 31 506.85 -> 31 506; 115 000 - 31 506 = 83 494: rounding -1 */
	{ "001: day 100, 50.00 third-party cost: taken off before the unused time is counted",
	  &cloud_server, SERVER(.third_party_cost = 5000), 0, 0, T0 + 100 * DAY,
	  true, POLICY_DECISION_MANUAL_REVIEW, 83493, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 third_party_cost:-5000 consumed_time:-31506@8640000 rounding:-1",
	  "window_closed already_used third_party_cost", POLICY_REMEDY_CONTACT_SUPPORT,
	  T0 + 5 * DAY, "original_route*,balance" },
	/* the cost takes everything: nothing is left to pro-rate, no time line */
	{ "001: third-party cost above the price after the window: nothing left",
	  &cloud_server, SERVER(.third_party_cost = 200000), 0, 0, T0 + 100 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 third_party_cost:-120000", "window_closed third_party_cost nothing_left",
	  POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	/* by units the same way: 50 000 - 10 000 = 40 000; used 40 000 * 37 500 /
	 * 100 000 = 15 000; left 25 000 (not 31 250 - 10 000 = 21 250) */
	{ "000 case 2 with a 100.00 third-party cost: the cost first, then the unused credits",
	  &api_credits_resold, CREDITS_CASE_2(.third_party_cost = 10000), 0, 0, T0 + 45 * DAY,
	  true, POLICY_DECISION_PARTIAL, 25000, POLICY_RULE_PRORATA_USAGE,
	  "paid:50000 third_party_cost:-10000 used_units:-15000@37500",
	  "window_closed already_used third_party_cost", POLICY_REMEDY_NONE,
	  T0 + 30 * DAY, "balance*" },

	/* ---- plain pro-rata time (cloud_server_prorata: 10 % fee) ---- */
	/* 83 493 (as above); fee 8 349.3 -> 8 349; kept 75 143.7 -> 75 143 */
	{ "prorata_time: day 100, 50.00 third-party cost, 10 % fee",
	  &cloud_server_prorata, SERVER(.third_party_cost = 5000), 0, 0, T0 + 100 * DAY,
	  true, POLICY_DECISION_PARTIAL, 75143, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 third_party_cost:-5000 consumed_time:-31506@8640000 "
	  "handling_fee:-8349 rounding:-2",
	  "window_closed already_used third_party_cost handling_fee", POLICY_REMEDY_NONE,
	  T0 + 5 * DAY, "original_route*,balance" },
	/* 83 493 - 10 000 = 73 493; fee 7 349.3 -> 7 349; kept 66 143.7 -> 66 143 */
	{ "prorata_time: the same with 100.00 already refunded: fee on what is paid now",
	  &cloud_server_prorata, SERVER(.third_party_cost = 5000), 10000, 0, T0 + 100 * DAY,
	  true, POLICY_DECISION_PARTIAL, 66143, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 third_party_cost:-5000 consumed_time:-31506@8640000 "
	  "already_refunded:-10000 handling_fee:-7349 rounding:-2",
	  "window_closed already_used third_party_cost already_refunded handling_fee",
	  POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	/* a period of 10.5 days, one second into day 11: the day begun reaches
	 * past the period's end, so all of it (907 200 s) is consumed */
	{ "prorata_time: the last, partial day begun: nothing is left",
	  &cloud_server_prorata, SERVER(.period_end = T0 + 10 * DAY + DAY / 2), 0, 0,
	  T0 + 10 * DAY + 1,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_PRORATA_TIME,
	  "paid:120000 consumed_time:-120000@907200", "window_closed already_used nothing_left",
	  POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*,balance" },
	{ "prorata_time: no period at all: a person decides, no negotiation remedy",
	  &cloud_server_prorata, SERVER(.period_start = 0, .period_end = 0), 0, 0, T0 + 10 * DAY,
	  true, POLICY_DECISION_MANUAL_REVIEW, 0, POLICY_RULE_PRORATA_TIME,
	  "", "window_closed cannot_prorate", POLICY_REMEDY_NONE,
	  T0 + 5 * DAY, "original_route*,balance" },

	/* ---- cloud_server_payg, seed 002 ---- */
	{ "002: pay-as-you-go: billed after use, nothing to refund",
	  &cloud_server_payg, ORDER("cloud_server_payg", .billing_mode = ORDER_BILLING_PAYG,
	                            .amount_paid = 3456), 0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NOT_REFUNDABLE,
	  "", "not_refundable_type", POLICY_REMEDY_PAYG_CANCEL_UNPAID, 0, "original_route*" },
	{ "002: unpaid pay-as-you-go order: cancel it",
	  &cloud_server_payg, ORDER("cloud_server_payg", .billing_mode = ORDER_BILLING_PAYG,
	                            .status = ORDER_STATUS_UNPAID), 0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NOT_REFUNDABLE,
	  "", "order_unpaid not_refundable_type", POLICY_REMEDY_CANCEL_UNPAID, 0,
	  "original_route*" },

	/* ---- traffic_package, seed 004 ---- */
	/* 70 unused paid GB of 100: 20 000 * 70 / 100 = 14 000 */
	{ "004: 30 of 100 paid GB used, 50 GB gifted: 140.00 by the original route",
	  &traffic_package, TRAFFIC(.used_quantity = 30), 0, 0, T0 + 3 * DAY,
	  true, POLICY_DECISION_PARTIAL, 14000, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000 used_units:-6000@30 bonus_units:0@50", "already_used bonus_not_refundable",
	  POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	{ "004: exactly at the window's end",
	  &traffic_package, TRAFFIC(.used_quantity = 30), 0, 0, T0 + 7 * DAY,
	  true, POLICY_DECISION_PARTIAL, 14000, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000 used_units:-6000@30 bonus_units:0@50", "already_used bonus_not_refundable",
	  POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	{ "004: one second after the window: nothing",
	  &traffic_package, TRAFFIC(.used_quantity = 30), 0, 0, T0 + 7 * DAY + 1,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NONE,
	  "", "window_closed", POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	{ "004: nothing used: all that was paid; the gift is forfeited",
	  &traffic_package, TRAFFIC(), 0, 0, T0 + 3 * DAY,
	  true, POLICY_DECISION_FULL, 20000, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000 bonus_units:0@50", "bonus_not_refundable",
	  POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	{ "004: no gift, nothing used",
	  &traffic_package, TRAFFIC(.bonus_quantity = 0), 0, 0, T0 + 3 * DAY,
	  true, POLICY_DECISION_FULL, 20000, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000", "", POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	{ "004: use counts against paid GB first: 120 used = 100 paid + 20 gifted",
	  &traffic_package, TRAFFIC(.used_quantity = 120), 0, 0, T0 + 3 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000 used_units:-20000@100 bonus_units:0@30",
	  "already_used bonus_not_refundable nothing_left", POLICY_REMEDY_NONE,
	  T0 + 7 * DAY, "original_route*" },
	{ "004: all paid GB used, no gift",
	  &traffic_package, TRAFFIC(.bonus_quantity = 0, .used_quantity = 100), 0, 0, T0 + 3 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000 used_units:-20000@100", "already_used nothing_left",
	  POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	{ "004: more used than paid and gifted together (billing overuse)",
	  &traffic_package, TRAFFIC(.used_quantity = 200), 0, 0, T0 + 3 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_USAGE_WINDOW,
	  "paid:20000 used_units:-20000@100", "already_used nothing_left",
	  POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	/* 20.00 for 10 GB + 100 GB gifted, 5 used: 2 000 * 5 / 10 = 1 000 */
	{ "004: a gift larger than the paid quantity",
	  &traffic_package, TRAFFIC(.amount_paid = 2000, .quantity = 10, .bonus_quantity = 100,
	                            .used_quantity = 5), 0, 0, T0 + 3 * DAY,
	  true, POLICY_DECISION_PARTIAL, 1000, POLICY_RULE_USAGE_WINDOW,
	  "paid:2000 used_units:-1000@5 bonus_units:0@100", "already_used bonus_not_refundable",
	  POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },
	{ "004: quantity 0: a person decides",
	  &traffic_package, TRAFFIC(.quantity = 0, .bonus_quantity = 0), 0, 0, T0 + 3 * DAY,
	  true, POLICY_DECISION_MANUAL_REVIEW, 0, POLICY_RULE_USAGE_WINDOW,
	  "", "cannot_prorate", POLICY_REMEDY_NONE, T0 + 7 * DAY, "original_route*" },

	/* ---- seed 003: SaaS, services, images, the not refundable ---- */
	{ "003: SaaS app, day 4: full refund",
	  &saas_app, ORDER("saas_app", .amount_paid = 9900), 0, 0, T0 + 4 * DAY,
	  true, POLICY_DECISION_FULL, 9900, POLICY_RULE_WINDOW_FULL,
	  "paid:9900", "", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*" },
	{ "003: SaaS app, day 6: none",
	  &saas_app, ORDER("saas_app", .amount_paid = 9900), 0, 0, T0 + 6 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NONE,
	  "", "window_closed", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*" },
	{ "003: service in progress on day 60: full refund",
	  &marketplace_service, ORDER("marketplace_service", .amount_paid = 500000,
	                              .service_status = ORDER_SERVICE_IN_PROGRESS),
	  0, 0, T0 + 60 * DAY,
	  true, POLICY_DECISION_FULL, 500000, POLICY_RULE_SERVICE_IN_PROGRESS,
	  "paid:500000", "", POLICY_REMEDY_NONE, 0, "original_route*" },
	{ "003: service completed: none",
	  &marketplace_service, ORDER("marketplace_service", .amount_paid = 500000,
	                              .service_status = ORDER_SERVICE_COMPLETED),
	  0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NONE,
	  "", "service_completed", POLICY_REMEDY_NONE, 0, "original_route*" },
	{ "003: image, day 2, not in use: full refund",
	  &image_subscription, ORDER("image_subscription", .amount_paid = 30000), 0, 0, T0 + 2 * DAY,
	  true, POLICY_DECISION_FULL, 30000, POLICY_RULE_WINDOW_FULL,
	  "paid:30000", "", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*" },
	{ "003: image in use inside the window: stop the instance or change its OS",
	  &image_subscription, ORDER("image_subscription", .amount_paid = 30000, .in_use = true),
	  0, 0, T0 + 2 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_WINDOW_FULL,
	  "", "image_in_use", POLICY_REMEDY_STOP_INSTANCE, T0 + 5 * DAY, "original_route*" },
	{ "003: image after 5 days",
	  &image_subscription, ORDER("image_subscription", .amount_paid = 30000), 0, 0, T0 + 6 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NONE,
	  "", "window_closed", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*" },
	{ "003: image in use after 5 days: stopping would not help",
	  &image_subscription, ORDER("image_subscription", .amount_paid = 30000, .in_use = true),
	  0, 0, T0 + 6 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NONE,
	  "", "window_closed image_in_use", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*" },
	{ "image in use and the order expired: no remedy",
	  &image_subscription, ORDER("image_subscription", .amount_paid = 30000, .in_use = true,
	                             .status = ORDER_STATUS_EXPIRED), 0, 0, T0 + 2 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_WINDOW_FULL,
	  "", "order_expired image_in_use", POLICY_REMEDY_NONE, T0 + 5 * DAY, "original_route*" },
	{ "003: pay-as-you-go image: not refundable",
	  &image_payg, ORDER("image_payg", .billing_mode = ORDER_BILLING_PAYG, .amount_paid = 800),
	  0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NOT_REFUNDABLE,
	  "", "not_refundable_type", POLICY_REMEDY_PAYG_CANCEL_UNPAID, 0, "original_route*" },
	{ "003: API product: not refundable",
	  &api_product, ORDER("api_product", .amount_paid = 800), 0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NOT_REFUNDABLE,
	  "", "not_refundable_type", POLICY_REMEDY_NONE, 0, "original_route*" },
	{ "003: tool download: not refundable",
	  &tool_download, ORDER("tool_download", .amount_paid = 800), 0, 0, T0 + 1 * DAY,
	  false, POLICY_DECISION_NONE, 0, POLICY_RULE_NOT_REFUNDABLE,
	  "", "not_refundable_type", POLICY_REMEDY_NONE, 0, "original_route*" },
};

/* ---- helpers ---- */

__attribute__((format(printf, 3, 4)))
static void append(char *buf, size_t size, const char *format, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(buf + used, size - used, format, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < size - used);
}

static void describe_lines(const struct quote *q, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < q->n_lines; i++) {
		const struct quote_line *l = &q->lines[i];

		append(buf, size, "%s%s:%lld", i > 0 ? " " : "",
		       policy_line_name(l->label), (long long)l->amount);
		if (l->units != 0)
			append(buf, size, "@%lld", (long long)l->units);
	}
}

static void describe_reasons(const struct quote *q, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < q->n_reasons; i++)
		append(buf, size, "%s%s", i > 0 ? " " : "", policy_reason_name(q->reasons[i]));
}

static void describe_payout(const struct quote *q, char *buf, size_t size)
{
	buf[0] = '\0';
	for (unsigned m = 0; m < PAYOUT__MAX; m++)
		if (q->payout_methods & PAYOUT_BIT(m))
			append(buf, size, "%s%s%s", buf[0] != '\0' ? "," : "",
			       payout_method_name((enum payout_method)m),
			       q->payout_default == m ? "*" : "");
}

/* These fail naming the case, so a broken row is found at once. */
static void expect_i64(const char *name, const char *what, int64_t got, int64_t want)
{
	if (got != want)
		fail_msg("%s: %s is %lld, want %lld", name, what, (long long)got, (long long)want);
}

static void expect_str(const char *name, const char *what, const char *got,
                       const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s: %s is \"%s\", want \"%s\"", name, what, got, want);
}

static void expect_code(const char *name, const char *what, const char *got,
                        const char *want)
{
	expect_str(name, what, got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}

static struct quote quote_of(const struct quote_case *c)
{
	struct quote q;
	enum policy_err err = policy_quote(&c->order, c->policy, c->already_refunded,
	                                   c->requests_this_month, c->now, &q);

	if (err != POLICY_OK)
		fail_msg("%s: policy_quote failed: %s", c->name, policy_err_code(err));
	return q;
}

/* ---- the quote table ---- */

static void check_quote_case(const struct quote_case *c, const struct quote *q)
{
	char got[512];

	expect_i64(c->name, "eligible", q->eligible, c->eligible);
	expect_code(c->name, "decision", policy_decision_name(q->decision),
	            policy_decision_name(c->decision));
	expect_i64(c->name, "amount", q->amount, c->amount);
	expect_code(c->name, "rule", policy_rule_name(q->rule), policy_rule_name(c->rule));
	describe_lines(q, got, sizeof got);
	expect_str(c->name, "lines", got, c->lines);
	describe_reasons(q, got, sizeof got);
	expect_str(c->name, "reasons", got, c->reasons);
	expect_code(c->name, "remedy", policy_remedy_name(q->remedy), policy_remedy_name(c->remedy));
	expect_i64(c->name, "has_window", q->has_window, c->window_ends_at != 0);
	expect_i64(c->name, "window_ends_at", q->has_window ? q->window_ends_at : 0,
	           c->window_ends_at);
	describe_payout(q, got, sizeof got);
	expect_str(c->name, "payout", got, c->payout);
	expect_str(c->name, "currency", q->currency, c->order.currency);
	expect_i64(c->name, "policy_version", q->policy_version, c->policy->version);
}

static void test_quote_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(quote_cases); i++) {
		struct quote q = quote_of(&quote_cases[i]);

		check_quote_case(&quote_cases[i], &q);
	}
}

/* The table exercises every rule, reason, remedy, decision and line label:
 * removing the last case of one makes this fail. */
static void test_quote_table_covers_every_code(void **state)
{
	bool rule[POLICY_RULE__MAX] = { 0 }, reason[POLICY_REASON__MAX] = { 0 };
	bool remedy[POLICY_REMEDY__MAX] = { 0 }, decision[POLICY_DECISION__MAX] = { 0 };
	bool line[POLICY_LINE__MAX] = { 0 };

	(void)state;
	for (size_t i = 0; i < COUNT(quote_cases); i++) {
		struct quote q = quote_of(&quote_cases[i]);

		rule[q.rule] = remedy[q.remedy] = decision[q.decision] = true;
		for (size_t r = 0; r < q.n_reasons; r++)
			reason[q.reasons[r]] = true;
		for (size_t l = 0; l < q.n_lines; l++)
			line[q.lines[l].label] = true;
	}
	for (unsigned v = 0; v < POLICY_RULE__MAX; v++)
		if (!rule[v])
			fail_msg("no case for rule %s", policy_rule_name(v));
	for (unsigned v = 0; v < POLICY_REASON__MAX; v++)
		if (!reason[v])
			fail_msg("no case for reason %s", policy_reason_name(v));
	for (unsigned v = 0; v < POLICY_REMEDY__MAX; v++)
		if (!remedy[v])
			fail_msg("no case for remedy %s", policy_remedy_name(v));
	for (unsigned v = 0; v < POLICY_DECISION__MAX; v++)
		if (!decision[v])
			fail_msg("no case for decision %s", policy_decision_name(v));
	for (unsigned v = 0; v < POLICY_LINE__MAX; v++)
		if (!line[v])
			fail_msg("no case for line %s", policy_line_name(v));
}

/* ---- invariants over a sweep ---- */

static void check_invariants(const char *name, const struct order_facts *o,
                             int64_t already_refunded, const struct quote *q)
{
	int64_t sum = 0;

	for (size_t i = 0; i < q->n_lines; i++) {
		const struct quote_line *l = &q->lines[i];

		sum += l->amount;  /* |amounts| <= amount_paid: cannot overflow here */
		if (i == 0 ? l->label != POLICY_LINE_PAID : l->amount > 0)
			fail_msg("%s: line %zu (%s) out of place or positive", name, i,
			         policy_line_name(l->label));
		if (l->label == POLICY_LINE_ROUNDING && (l->amount < -2 || l->amount > -1))
			fail_msg("%s: rounding %lld", name, (long long)l->amount);
		if (i > 0 && l->label <= q->lines[i - 1].label)
			fail_msg("%s: line labels repeat or out of order", name);
	}
	for (size_t i = 1; i < q->n_reasons; i++)
		if (q->reasons[i] <= q->reasons[i - 1])
			fail_msg("%s: reasons repeat or out of order", name);
	expect_i64(name, "sum of lines", sum, q->amount);
	if (q->amount < 0 || q->amount > o->amount_paid - already_refunded)
		fail_msg("%s: amount %lld breaks the cap", name, (long long)q->amount);
	expect_i64(name, "eligible", q->eligible, q->decision != POLICY_DECISION_NONE);
	if (q->amount > 0 && !q->eligible)
		fail_msg("%s: an amount that may not be asked for", name);
	if (q->decision == POLICY_DECISION_FULL)
		expect_i64(name, "full amount", q->amount, o->amount_paid - already_refunded);
}

static const struct refund_policy *const sweep_policies[] = {
	&api_credits, &api_credits_fee, &cloud_server, &cloud_server_prorata,
	&traffic_package, &saas_app, &image_subscription, &cloud_server_payg,
};

static const int64_t sweep_times[] = {
	T0 - DAY, T0, T0 + 1, T0 + 5 * DAY, T0 + 5 * DAY + 1, T0 + 7 * DAY + 1,
	T0 + 30 * DAY, T0 + 30 * DAY + 1, T0 + 100 * DAY, T0 + 364 * DAY, T0 + 400 * DAY,
};
static const int64_t sweep_paid[] = { 0, 1, 3, 9999, 120000, INT64_MAX };
static const int64_t sweep_used[] = { 0, 1, 33, 99, 100, 149, 150, 1000 };
static const int64_t sweep_third_party[] = { 0, 7, 5000, INT64_MAX };

/* already refunded, as a fraction of the amount paid: none, a little,
 * half, all but one unit, all */
static int64_t already_of(int64_t paid, size_t k)
{
	const int64_t shares[] = { 0, paid / 97, paid / 2, paid > 0 ? paid - 1 : 0, paid };

	return shares[k];
}
#define ALREADY_SHARES 5

static struct order_facts sweep_order(const struct refund_policy *p, int64_t paid,
                                      int64_t used, int64_t third_party)
{
	struct order_facts o = SERVER(.amount_paid = paid, .quantity = 100,
	                              .bonus_quantity = 50, .used_quantity = used,
	                              .third_party_cost = third_party,
	                              .in_use = used % 2 == 1);

	memcpy(o.product_type, p->product_type, sizeof o.product_type);
	return o;
}

/* The same inputs give the same answer, field for field. */
static void check_same(const char *name, const struct quote *a, const struct quote *b)
{
	char da[512], db[512];

	expect_i64(name, "repeat amount", a->amount, b->amount);
	expect_i64(name, "repeat decision", a->decision, b->decision);
	describe_lines(a, da, sizeof da);
	describe_lines(b, db, sizeof db);
	expect_str(name, "repeat lines", da, db);
	describe_reasons(a, da, sizeof da);
	describe_reasons(b, db, sizeof db);
	expect_str(name, "repeat reasons", da, db);
}

static void sweep_one(const struct refund_policy *p, const struct order_facts *o,
                      int64_t already, int64_t now)
{
	char name[160];
	struct quote q, again;

	snprintf(name, sizeof name, "%s v%d paid %lld used %lld tp %lld already %lld at T0%+lld",
	         p->product_type, p->version, (long long)o->amount_paid,
	         (long long)o->used_quantity, (long long)o->third_party_cost,
	         (long long)already, (long long)(now - T0));
	if (policy_quote(o, p, already, 0, now, &q) != POLICY_OK ||
	    policy_quote(o, p, already, 0, now, &again) != POLICY_OK)
		fail_msg("%s: policy_quote failed", name);
	check_invariants(name, o, already, &q);
	check_same(name, &q, &again);
}

static void test_invariants_sweep(void **state)
{
	size_t quotes = 0;

	(void)state;
	for (size_t p = 0; p < COUNT(sweep_policies); p++)
	for (size_t a = 0; a < COUNT(sweep_paid); a++)
	for (size_t u = 0; u < COUNT(sweep_used); u++)
	for (size_t t = 0; t < COUNT(sweep_third_party); t++) {
		struct order_facts o = sweep_order(sweep_policies[p], sweep_paid[a],
		                                   sweep_used[u], sweep_third_party[t]);

		for (size_t k = 0; k < ALREADY_SHARES; k++)
			for (size_t n = 0; n < COUNT(sweep_times); n++, quotes++)
				sweep_one(sweep_policies[p], &o, already_of(sweep_paid[a], k),
				          sweep_times[n]);
	}
	assert_true(quotes > 10000);
}

/* The invariants also hold for every row of the hand-written table. */
static void test_invariants_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(quote_cases); i++) {
		const struct quote_case *c = &quote_cases[i];
		struct quote q = quote_of(c);

		check_invariants(c->name, &c->order, c->already_refunded, &q);
	}
}

/* ---- errors ---- */

struct error_case {
	const char                 *name;
	const struct refund_policy *policy;
	struct order_facts          order;
	int64_t                     already_refunded;
	int                         requests_this_month;
	int64_t                     now;
	enum policy_err             err;
};

static const struct error_case error_cases[] = {
	{ "policy of another product type", &api_credits, SERVER(), 0, 0, T0,
	  POLICY_PRODUCT_MISMATCH },
	{ "already refunded below zero", &cloud_server, SERVER(), -1, 0, T0,
	  POLICY_INVALID_ARGUMENT },
	{ "already refunded above the amount paid", &cloud_server, SERVER(), 120001, 0, T0,
	  POLICY_INVALID_ARGUMENT },
	{ "already refunded equal to the amount paid is fine", &cloud_server, SERVER(), 120000,
	  0, T0, POLICY_OK },
	{ "requests this month below zero", &cloud_server, SERVER(), 0, -1, T0,
	  POLICY_INVALID_ARGUMENT },
	{ "now before 1970", &cloud_server, SERVER(), 0, 0, -1, POLICY_INVALID_ARGUMENT },
	{ "now after year 9999", &cloud_server, SERVER(), 0, 0, POLICY_TIME_MAX + 1,
	  POLICY_INVALID_ARGUMENT },
	{ "now at the last second of year 9999", &cloud_server, SERVER(), 0, 0, POLICY_TIME_MAX,
	  POLICY_OK },
	{ "amount paid below zero", &cloud_server, SERVER(.amount_paid = -1), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "third-party cost below zero", &cloud_server, SERVER(.third_party_cost = -1), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "quantity below zero", &api_credits, CREDITS(.quantity = -1), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "bonus below zero", &traffic_package, TRAFFIC(.bonus_quantity = -1), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "used below zero", &traffic_package, TRAFFIC(.used_quantity = -1), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "paid before 1970", &cloud_server, SERVER(.paid_at = -1), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "paid after year 9999", &cloud_server, SERVER(.paid_at = POLICY_TIME_MAX + 1), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "period ends before it starts", &cloud_server, SERVER(.period_end = T0 - 1), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "period start out of range", &cloud_server, SERVER(.period_start = -5), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "unknown currency", &cloud_server, SERVER(.currency = "XXX"), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "lower-case currency", &cloud_server, SERVER(.currency = "cny"), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "no currency", &cloud_server, SERVER(.currency = ""), 0, 0, T0, POLICY_INVALID_ORDER },
	{ "status out of range", &cloud_server, SERVER(.status = (enum order_status)99), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "billing mode out of range", &cloud_server,
	  SERVER(.billing_mode = (enum order_billing)99), 0, 0, T0, POLICY_INVALID_ORDER },
	{ "service status out of range", &cloud_server,
	  SERVER(.service_status = (enum order_service)99), 0, 0, T0, POLICY_INVALID_ORDER },
	{ "empty product type", &cloud_server, SERVER(.product_type = ""), 0, 0, T0,
	  POLICY_INVALID_ORDER },
	{ "a service policy and no service status", &marketplace_service,
	  ORDER("marketplace_service", .amount_paid = 100), 0, 0, T0, POLICY_INVALID_ORDER },
	{ "an invalid policy", &(const struct refund_policy){ .product_type = "cloud_server" },
	  SERVER(), 0, 0, T0, POLICY_INVALID_POLICY },
};

static void test_quote_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct quote q, before;
		enum policy_err err;

		memset(&q, 0xa5, sizeof q);
		before = q;
		err = policy_quote(&c->order, c->policy, c->already_refunded,
		                   c->requests_this_month, c->now, &q);
		expect_code(c->name, "error", policy_err_code(err), policy_err_code(c->err));
		if (err != POLICY_OK && memcmp(&q, &before, sizeof q) != 0)
			fail_msg("%s: the quote was written on error", c->name);
	}
}

static void test_quote_null_and_unterminated(void **state)
{
	struct order_facts o = SERVER();
	struct refund_policy p = cloud_server;
	struct quote q;

	(void)state;
	assert_int_equal(policy_quote(NULL, &cloud_server, 0, 0, T0, &q), POLICY_INVALID_ORDER);
	assert_int_equal(policy_quote(&o, NULL, 0, 0, T0, &q), POLICY_INVALID_POLICY);
	assert_int_equal(policy_validate(NULL), POLICY_INVALID_POLICY);
	assert_int_equal(order_facts_validate(NULL), POLICY_INVALID_ORDER);
	memset(o.product_type, 'a', sizeof o.product_type);
	assert_int_equal(order_facts_validate(&o), POLICY_INVALID_ORDER);
	o = (struct order_facts)SERVER();
	memset(o.currency, 'C', sizeof o.currency);
	assert_int_equal(order_facts_validate(&o), POLICY_INVALID_ORDER);
	memset(p.product_type, 'a', sizeof p.product_type);
	assert_int_equal(policy_validate(&p), POLICY_INVALID_POLICY);
}

/* A valid policy, and one field at a time made invalid. */
#define VALID_POLICY                                                        \
	.product_type = "cloud_server", .version = 1, .refundable = true,  \
	.window_rule = POLICY_WINDOW_FULL, .window_days = 5,               \
	.after_window = POLICY_AFTER_NEGOTIATE,                             \
	.payout_methods = ORIGINAL | BALANCE, .payout_default = PAYOUT_BALANCE, \
	.payout_methods_after_window = BALANCE,                             \
	.payout_default_after_window = PAYOUT_BALANCE

static const struct {
	const char          *name;
	struct refund_policy policy;
	enum policy_err      err;
} validate_cases[] = {
	{ "valid", { VALID_POLICY }, POLICY_OK },
	{ "empty product type", { VALID_POLICY, .product_type = "" }, POLICY_INVALID_POLICY },
	{ "version 0", { VALID_POLICY, .version = 0 }, POLICY_INVALID_POLICY },
	{ "window days below 0", { VALID_POLICY, .window_days = -1 }, POLICY_INVALID_POLICY },
	{ "window days at the maximum", { VALID_POLICY, .window_days = 3650 }, POLICY_OK },
	{ "window days above the maximum", { VALID_POLICY, .window_days = 3651 },
	  POLICY_INVALID_POLICY },
	{ "no window", { VALID_POLICY, .window_days = 0 }, POLICY_OK },
	{ "window rule out of range", { VALID_POLICY, .window_rule = (enum policy_window)3 },
	  POLICY_INVALID_POLICY },
	{ "after-window rule out of range",
	  { VALID_POLICY, .after_window = (enum policy_after_window)4 }, POLICY_INVALID_POLICY },
	{ "service window with days", { VALID_POLICY, .window_rule = POLICY_WINDOW_SERVICE },
	  POLICY_INVALID_POLICY },
	{ "service window without days",
	  { VALID_POLICY, .window_rule = POLICY_WINDOW_SERVICE, .window_days = 0 }, POLICY_OK },
	{ "fee below 0", { VALID_POLICY, .handling_fee_bps = -1 }, POLICY_INVALID_POLICY },
	{ "fee of 100 %", { VALID_POLICY, .handling_fee_bps = 10000 }, POLICY_OK },
	{ "fee above 100 %", { VALID_POLICY, .handling_fee_bps = 10001 }, POLICY_INVALID_POLICY },
	{ "monthly limit below 0", { VALID_POLICY, .monthly_limit = -1 }, POLICY_INVALID_POLICY },
	{ "review SLA below 0", { VALID_POLICY, .review_sla_days = -1 }, POLICY_INVALID_POLICY },
	{ "no payout method", { VALID_POLICY, .payout_methods = 0 }, POLICY_INVALID_POLICY },
	{ "unknown payout method bit", { VALID_POLICY, .payout_methods = ORIGINAL | BALANCE | 4u },
	  POLICY_INVALID_POLICY },
	{ "default not among the methods",
	  { VALID_POLICY, .payout_methods = ORIGINAL }, POLICY_INVALID_POLICY },
	{ "default out of range", { VALID_POLICY, .payout_default = (enum payout_method)2 },
	  POLICY_INVALID_POLICY },
	{ "no after-window payout method", { VALID_POLICY, .payout_methods_after_window = 0 },
	  POLICY_INVALID_POLICY },
	{ "after-window default not among its methods",
	  { VALID_POLICY, .payout_default_after_window = PAYOUT_ORIGINAL_ROUTE },
	  POLICY_INVALID_POLICY },
	{ "auto-approve maximum below 0", { VALID_POLICY, .auto_approve_max = -1 },
	  POLICY_INVALID_POLICY },
	{ "second-approval threshold below 0", { VALID_POLICY, .second_approval_over = -1 },
	  POLICY_INVALID_POLICY },
};

static void test_policy_validate(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(validate_cases); i++)
		expect_code(validate_cases[i].name, "error",
		            policy_err_code(policy_validate(&validate_cases[i].policy)),
		            policy_err_code(validate_cases[i].err));
}

/* Every policy of the seed table above is itself valid. */
static void test_seed_policies_valid(void **state)
{
	const struct refund_policy *const all[] = {
		&api_credits, &api_credits_fee, &cloud_server, &cloud_server_prorata,
		&cloud_server_payg, &image_payg, &api_product, &tool_download,
		&traffic_package, &saas_app, &marketplace_service, &image_subscription,
	};

	(void)state;
	for (size_t i = 0; i < COUNT(all); i++)
		expect_code(all[i]->product_type, "validate", policy_err_code(policy_validate(all[i])),
		            "ok");
}

/* ---- approvals ---- */

/* The rule alone, on quotes written out: only an eligible full refund
 * under a window rule, at most auto_approve_max (saas_app: 500.00). */
/* saas_app with its limits set in yen. */
static const struct refund_policy saas_app_jpy = {
	.product_type = "saas_app", .version = 2, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 5,
	.promo_refundable = true, .auto_approve_max = 50000, ORIGINAL_ROUTE_ONLY,
	.limits_currency = "JPY",
};

static void test_auto_approvable(void **state)
{
	static const struct {
		const char                 *name;
		const struct refund_policy *policy;
		const char                 *currency;
		struct quote                quote;
		bool                        expected;
	} cases[] = {
		{ "full in the window, under the maximum", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 9900,
		    .rule = POLICY_RULE_WINDOW_FULL }, true },
		{ "exactly the maximum", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 50000,
		    .rule = POLICY_RULE_WINDOW_FULL }, true },
		{ "one fen over the maximum", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 50001,
		    .rule = POLICY_RULE_WINDOW_FULL }, false },
		{ "service in progress", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 100,
		    .rule = POLICY_RULE_SERVICE_IN_PROGRESS }, true },
		{ "all unused units in the window", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 100,
		    .rule = POLICY_RULE_USAGE_WINDOW }, true },
		{ "full, but after the window (usage)", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 100,
		    .rule = POLICY_RULE_PRORATA_USAGE }, false },
		{ "full, but after the window (time)", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 100,
		    .rule = POLICY_RULE_PRORATA_TIME }, false },
		{ "partial in the window", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_PARTIAL, .amount = 100,
		    .rule = POLICY_RULE_WINDOW_FULL }, false },
		{ "manual review", &saas_app, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_MANUAL_REVIEW, .amount = 100,
		    .rule = POLICY_RULE_WINDOW_FULL }, false },
		{ "not eligible", &saas_app, "CNY",
		  { .eligible = false, .decision = POLICY_DECISION_FULL, .amount = 100,
		    .rule = POLICY_RULE_WINDOW_FULL }, false },
		{ "maximum 0 means never", &api_credits, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 1,
		    .rule = POLICY_RULE_WINDOW_FULL }, false },
		/* 9900 minor units of JPY are not 99.00 CNY: limits set in CNY hold
		 * for nothing else (022). */
		{ "another currency than the limits'", &saas_app, "JPY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 9900,
		    .rule = POLICY_RULE_WINDOW_FULL }, false },
		{ "limits set in JPY, a JPY order", &saas_app_jpy, "JPY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 9900,
		    .rule = POLICY_RULE_WINDOW_FULL }, true },
		{ "limits set in JPY, a CNY order", &saas_app_jpy, "CNY",
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 9900,
		    .rule = POLICY_RULE_WINDOW_FULL }, false },
		{ "no currency", &saas_app, NULL,
		  { .eligible = true, .decision = POLICY_DECISION_FULL, .amount = 9900,
		    .rule = POLICY_RULE_WINDOW_FULL }, false },
	};
	struct quote q;

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++)
		expect_i64(cases[i].name, "auto-approvable",
		           policy_auto_approvable(cases[i].policy, cases[i].currency, &cases[i].quote),
		           cases[i].expected);
	/* and end to end: 001 day 1, 1 200.00 under cloud_server's 2 000.00 */
	assert_int_equal(policy_quote(&(struct order_facts)SERVER(), &cloud_server, 0, 0,
	                              T0 + DAY, &q), POLICY_OK);
	assert_true(policy_auto_approvable(&cloud_server, "CNY", &q));
}

static void test_second_approval(void **state)
{
	static const struct {
		const struct refund_policy *policy;
		const char                 *currency;
		int64_t                     amount;
		bool                        expected;
	} cases[] = {
		{ &cloud_server, "CNY", 500000, false },
		{ &cloud_server, "CNY", 500001, true },
		{ &cloud_server, "CNY", 0, false },
		{ &api_credits, "CNY", 100000, false },
		{ &api_credits, "CNY", 100001, true },
		{ &saas_app, "CNY", 1, true },   /* threshold 0: every approval above 0 */
		{ &cloud_server, "JPY", 1, true },  /* limits in CNY: two approvers for JPY */
		{ &cloud_server, "KWD", 1, true },
		{ &cloud_server, "JPY", 0, false },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++)
		expect_i64(cases[i].policy->product_type, "second approval",
		           policy_needs_second_approval(cases[i].policy, cases[i].currency,
		                                        cases[i].amount),
		           cases[i].expected);
}

/* ---- stable codes ---- */

/* Adapters so one table can hold every enum's name and parse functions. */
#define ADAPT(fn_name, fn_parse, type)                                      \
	static const char *fn_name##_u(unsigned v) { return fn_name((type)v); } \
	static enum policy_err fn_parse##_u(const char *s, unsigned *v)     \
	{                                                                   \
		type t = (type)0xdead;                                      \
		enum policy_err err = fn_parse(s, &t);                      \
		*v = (unsigned)t;                                           \
		return err;                                                 \
	}
ADAPT(order_status_name, order_status_parse, enum order_status)
ADAPT(order_billing_name, order_billing_parse, enum order_billing)
ADAPT(order_service_name, order_service_parse, enum order_service)
ADAPT(policy_window_name, policy_window_parse, enum policy_window)
ADAPT(policy_after_window_name, policy_after_window_parse, enum policy_after_window)
ADAPT(payout_method_name, payout_method_parse, enum payout_method)
ADAPT(policy_decision_name, policy_decision_parse, enum policy_decision)
ADAPT(policy_rule_name, policy_rule_parse, enum policy_rule)
ADAPT(policy_reason_name, policy_reason_parse, enum policy_reason)
ADAPT(policy_line_name, policy_line_parse, enum policy_line)
ADAPT(policy_remedy_name, policy_remedy_parse, enum policy_remedy)

/* The codes are an interface (JSON, database rows): written out here. */
static const struct {
	const char *(*name)(unsigned);
	enum policy_err (*parse)(const char *, unsigned *);
	const char *codes[POLICY_REASON__MAX + 1];   /* NULL-terminated */
} code_tables[] = {
	{ order_status_name_u, order_status_parse_u,
	  { "unpaid", "paid", "cancelled", "expired" } },
	{ order_billing_name_u, order_billing_parse_u, { "subscription", "payg", "one_time" } },
	{ order_service_name_u, order_service_parse_u, { "none", "in_progress", "completed" } },
	{ policy_window_name_u, policy_window_parse_u,
	  { "full", "unused_units", "service_in_progress" } },
	{ policy_after_window_name_u, policy_after_window_parse_u,
	  { "none", "prorata_time", "prorata_usage", "negotiate" } },
	{ payout_method_name_u, payout_method_parse_u, { "original_route", "balance" } },
	{ policy_decision_name_u, policy_decision_parse_u,
	  { "full", "partial", "none", "manual_review" } },
	{ policy_rule_name_u, policy_rule_parse_u,
	  { "none", "not_refundable", "window_full", "usage_window", "service_in_progress",
	    "prorata_time", "prorata_usage" } },
	{ policy_reason_name_u, policy_reason_parse_u,
	  { "order_unpaid", "order_cancelled", "order_expired", "not_refundable_type",
	    "promo_purchase", "monthly_limit", "window_closed", "service_completed",
	    "image_in_use", "cannot_prorate", "already_used", "bonus_not_refundable",
	    "third_party_cost", "already_refunded", "handling_fee", "nothing_left" } },
	{ policy_line_name_u, policy_line_parse_u,
	  { "paid", "third_party_cost", "consumed_time", "used_units", "bonus_units",
	    "already_refunded", "handling_fee", "rounding" } },
	{ policy_remedy_name_u, policy_remedy_parse_u,
	  { "none", "stop_instance_or_change_os", "cancel_unpaid_order", "payg_cancel_unpaid",
	    "contact_support_negotiate" } },
};

static void test_codes_round_trip(void **state)
{
	(void)state;
	for (size_t t = 0; t < COUNT(code_tables); t++) {
		unsigned n = 0;

		for (; code_tables[t].codes[n] != NULL; n++) {
			const char *code = code_tables[t].codes[n];
			unsigned parsed = 0;

			expect_code(code, "name", code_tables[t].name(n), code);
			expect_code(code, "parse", policy_err_code(code_tables[t].parse(code, &parsed)),
			            "ok");
			expect_i64(code, "parsed", parsed, n);
		}
		/* one past the last code is out of range */
		if (code_tables[t].name(n) != NULL)
			fail_msg("table %zu: a code past \"%s\"", t, code_tables[t].codes[n - 1]);
	}
}

static void test_codes_unknown(void **state)
{
	static const char *const unknown[] = {
		"", "FULL", "full ", " full", "ful", "fulll", "Paid", "original-route",
		"window full", NULL,
	};
	(void)state;
	for (size_t t = 0; t < COUNT(code_tables); t++) {
		for (size_t i = 0; i < COUNT(unknown); i++) {
			unsigned v = 77;

			expect_code(unknown[i] ? unknown[i] : "(null)", "parse",
			            policy_err_code(code_tables[t].parse(unknown[i], &v)), "unknown_code");
			expect_i64(unknown[i] ? unknown[i] : "(null)", "untouched", v, 0xdead);
		}
	}
	expect_code("err", "code", policy_err_code(POLICY_ERR__MAX), NULL);
	expect_code("err", "code", policy_err_code(POLICY_OVERFLOW), "overflow");
}

static void test_remedy_texts(void **state)
{
	static const struct {
		enum policy_remedy remedy;
		const char        *zh_has;   /* NULL: no text */
		const char        *en_has;
	} cases[] = {
		{ POLICY_REMEDY_NONE, NULL, NULL },
		{ POLICY_REMEDY_STOP_INSTANCE, "更换其他操作系统", "Stop the instance" },
		{ POLICY_REMEDY_CANCEL_UNPAID, "取消这笔未支付的订单", "Cancel the unpaid order" },
		{ POLICY_REMEDY_PAYG_CANCEL_UNPAID, "按量付费", "billed after use" },
		{ POLICY_REMEDY_CONTACT_SUPPORT, "协商", "negotiate" },
		{ POLICY_REMEDY__MAX, NULL, NULL },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		const char *zh = policy_remedy_text(cases[i].remedy, POLICY_LANG_ZH_CN);
		const char *en = policy_remedy_text(cases[i].remedy, POLICY_LANG_EN);

		if ((zh == NULL) != (cases[i].zh_has == NULL) || (zh && !strstr(zh, cases[i].zh_has)))
			fail_msg("remedy %zu zh: \"%s\"", i, zh ? zh : "(null)");
		if ((en == NULL) != (cases[i].en_has == NULL) || (en && !strstr(en, cases[i].en_has)))
			fail_msg("remedy %zu en: \"%s\"", i, en ? en : "(null)");
	}
	assert_null(policy_remedy_text(POLICY_REMEDY_STOP_INSTANCE, POLICY_LANG__MAX));
}

static void test_has_reason(void **state)
{
	struct quote q;

	(void)state;
	assert_int_equal(policy_quote(&(struct order_facts)SERVER(.promo = true), &cloud_server,
	                              0, 3, T0 + 10 * DAY, &q), POLICY_OK);
	assert_true(policy_quote_has_reason(&q, POLICY_REASON_PROMO_PURCHASE));
	assert_true(policy_quote_has_reason(&q, POLICY_REASON_MONTHLY_LIMIT));
	assert_true(policy_quote_has_reason(&q, POLICY_REASON_WINDOW_CLOSED));
	assert_false(policy_quote_has_reason(&q, POLICY_REASON_IMAGE_IN_USE));
}

/* ---- the window in the reseller's time zone ---- */

/* A window of N days ends at the same local clock reading N calendar days
 * after the payment (003: "订单支付完成后5天内"; 001: from the moment of
 * payment), in app.timezone. China has no DST, but the zone is
 * configurable: where the clocks change inside the window, N * 86400 s
 * would end it an hour before or after the time the customer reads. The
 * SaaS policy of seed 003 (5 days), in Europe/Berlin, 2026. */
struct zone_case {
	const char *name;
	int64_t     paid_at, now, window_ends_at;
	bool        eligible;
};

static void check_zone_case(const struct zone_case *c)
{
	struct order_facts o = ORDER("saas_app", .amount_paid = 9900, .paid_at = c->paid_at);
	struct quote q;

	if (policy_quote(&o, &saas_app, 0, 0, c->now, &q) != POLICY_OK)
		fail_msg("%s: policy_quote failed", c->name);
	expect_i64(c->name, "window_ends_at", q.window_ends_at, c->window_ends_at);
	expect_i64(c->name, "eligible", q.eligible, c->eligible);
}

static void test_window_in_zone(void **state)
{
	static const struct zone_case berlin[] = {
		/* 10:00 CEST Thursday 2026-10-22 (08:00Z); clocks go back on the
		 * 25th: the window ends 10:00 CET on the 27th (09:00Z), and 09:30
		 * CET that day is inside it (5 * 86400 s would have closed at 09:00) */
		{ "Berlin, autumn: 5 days end at 10:00 local, after the clocks went back",
		  INT64_C(1792656000), INT64_C(1793089800), INT64_C(1793091600), true },
		/* 10:00 CET Friday 2026-03-27 (09:00Z); clocks go forward on the
		 * 29th: the window ends 10:00 CEST on 1 April (08:00Z), and 10:30
		 * CEST is after it (5 * 86400 s would have run to 11:00) */
		{ "Berlin, spring: 5 days end at 10:00 local, after the clocks went forward",
		  INT64_C(1774602000), INT64_C(1775032200), INT64_C(1775030400), false },
	};
	/* No DST: exactly 5 * 86400 s, 10:00 to 10:00 Beijing time. */
	static const struct zone_case shanghai[] = {
		{ "Shanghai: 5 days are 432 000 s, the last second inside",
		  INT64_C(1792634400), INT64_C(1793066400), INT64_C(1793066400), true },
		{ "Shanghai: one second later the window is closed",
		  INT64_C(1792634400), INT64_C(1793066401), INT64_C(1793066400), false },
	};
	char err[256];

	(void)state;
	if (localzone_set("Europe/Berlin", err, sizeof err) != 0)
		fail_msg("Europe/Berlin: %s (is tzdata installed?)", err);
	for (size_t i = 0; i < COUNT(berlin); i++)
		check_zone_case(&berlin[i]);
	if (localzone_set("Asia/Shanghai", err, sizeof err) != 0)
		fail_msg("Asia/Shanghai: %s", err);
	for (size_t i = 0; i < COUNT(shanghai); i++)
		check_zone_case(&shanghai[i]);
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_table),
		cmocka_unit_test(test_quote_table_covers_every_code),
		cmocka_unit_test(test_invariants_table),
		cmocka_unit_test(test_invariants_sweep),
		cmocka_unit_test(test_quote_errors),
		cmocka_unit_test(test_quote_null_and_unterminated),
		cmocka_unit_test(test_policy_validate),
		cmocka_unit_test(test_seed_policies_valid),
		cmocka_unit_test(test_auto_approvable),
		cmocka_unit_test(test_second_approval),
		cmocka_unit_test(test_codes_round_trip),
		cmocka_unit_test(test_codes_unknown),
		cmocka_unit_test(test_remedy_texts),
		cmocka_unit_test(test_has_reason),
		cmocka_unit_test(test_window_in_zone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
