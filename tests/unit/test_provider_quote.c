/* test_provider_quote.c -- cmocka tests of the provider side
 * (fcgi/provider_quote.c): the seeds' provider rules applied to the
 * reseller's own purchase, through the same engine as the customer quote.
 * Amounts are worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "provider_quote.h"

#define DAY  INT64_C(86400)
#define YEAR (365 * DAY)
/* 2025-03-01T02:00:00Z: every purchase below was paid then. */
#define T0   INT64_C(1740794400)

/* Seed 001 from the reseller's seat: Alibaba Cloud refunds a cloud server
 * in full within 5 days of payment; after that the unused time only;
 * vouchers are not returned. */
static const struct provider_policy aliyun_ecs = {
	.provider = "aliyun", .product_type = "cloud_server", .version = 1,
	.refundable = true, .window_rule = POLICY_WINDOW_FULL, .window_days = 5,
	.after_window = POLICY_AFTER_PRORATA_TIME, .fee_bps = 0,
	.vouchers_refundable = false,
};
/* Seed 004: Huawei Cloud refunds unused paid traffic in the window (7
 * days: the seed names none), used traffic never, nothing after. */
static const struct provider_policy huawei_traffic = {
	.provider = "huaweicloud", .product_type = "traffic_package", .version = 1,
	.refundable = true, .window_rule = POLICY_WINDOW_UNUSED_UNITS, .window_days = 7,
	.after_window = POLICY_AFTER_NONE,
};
/* Seed 003: pay-as-you-go images are not refundable. */
static const struct provider_policy aliyun_image_payg = {
	.provider = "aliyun", .product_type = "image_payg", .version = 1,
	.refundable = false, .window_rule = POLICY_WINDOW_FULL,
	.after_window = POLICY_AFTER_NONE,
};

/* The customer's year of ECS, sold for 1,200.00, bought upstream for 1,000.00. */
static struct order_facts ecs_order(void)
{
	struct order_facts o = {
		.product_type = "cloud_server", .status = ORDER_STATUS_PAID,
		.billing_mode = ORDER_BILLING_SUBSCRIPTION, .amount_paid = 120000,
		.currency = "CNY", .paid_at = T0, .period_start = T0, .period_end = T0 + YEAR,
		.promo = true, .third_party_cost = 5000,
	};
	return o;
}

static const struct upstream_purchase ecs_bought = { .cost = 100000, .paid_at = T0 };

static void test_day3_full_recovery(void **state)
{
	(void)state;
	struct order_facts o = ecs_order();
	struct provider_quote pq;

	/* Day 3 of the provider's 5-day window: all 1,000.00 comes back; the
	 * customer's promo and third-party cost are the reseller's rules, not
	 * the provider's, and change nothing here. */
	assert_int_equal(provider_quote(&o, &ecs_bought, &aliyun_ecs, 0, T0 + 3 * DAY, &pq), POLICY_OK);
	assert_true(pq.q.eligible);
	assert_int_equal(pq.q.rule, POLICY_RULE_WINDOW_FULL);
	assert_int_equal(pq.expected, 100000);
	assert_int_equal(pq.voucher_kept, 0);
	assert_int_equal(pq.q.policy_version, 1);
}

static void test_after_window_unused_time(void **state)
{
	(void)state;
	struct order_facts o = ecs_order();
	struct provider_quote pq;

	/* Day 73 of 365: 292 days unused of 1,000.00 = 800.00 exactly. */
	assert_int_equal(provider_quote(&o, &ecs_bought, &aliyun_ecs, 0, T0 + 73 * DAY, &pq), POLICY_OK);
	assert_int_equal(pq.q.rule, POLICY_RULE_PRORATA_TIME);
	assert_int_equal(pq.expected, 80000);
	assert_true(policy_quote_has_reason(&pq.q, POLICY_REASON_WINDOW_CLOSED));
	assert_true(policy_quote_has_reason(&pq.q, POLICY_REASON_ALREADY_USED));
}

static void test_voucher_not_returned(void **state)
{
	(void)state;
	struct order_facts o = ecs_order();
	struct upstream_purchase up = { .cost = 100000, .voucher = 30000, .paid_at = T0 };
	struct provider_policy with_vouchers = aliyun_ecs;
	struct provider_quote pq;

	/* In the window: the 700.00 cash comes back, the 300.00 voucher does not. */
	assert_int_equal(provider_quote(&o, &up, &aliyun_ecs, 0, T0 + 2 * DAY, &pq), POLICY_OK);
	assert_int_equal(pq.expected, 70000);
	assert_int_equal(pq.voucher_kept, 30000);
	/* After it, the cut applies to the cash part: 700.00 * 292/365 = 560.00. */
	assert_int_equal(provider_quote(&o, &up, &aliyun_ecs, 0, T0 + 73 * DAY, &pq), POLICY_OK);
	assert_int_equal(pq.expected, 56000);
	/* A provider that returns vouchers gives back all of it. */
	with_vouchers.vouchers_refundable = true;
	assert_int_equal(provider_quote(&o, &up, &with_vouchers, 0, T0 + 2 * DAY, &pq), POLICY_OK);
	assert_int_equal(pq.expected, 100000);
	assert_int_equal(pq.voucher_kept, 0);
}

static void test_traffic_used_units(void **state)
{
	(void)state;
	struct order_facts o = {
		.product_type = "traffic_package", .status = ORDER_STATUS_PAID,
		.billing_mode = ORDER_BILLING_ONE_TIME, .amount_paid = 30000, .currency = "CNY",
		.paid_at = T0, .quantity = 100, .bonus_quantity = 50, .used_quantity = 30,
	};
	struct upstream_purchase up = { .cost = 20000, .paid_at = T0 };
	struct upstream_purchase own_units = { .cost = 20000, .paid_at = T0, .has_quantity = true,
		.quantity = 200, .has_used = true, .used_quantity = 50 };
	struct provider_quote pq;

	/* 30 of 100 GB used: 70 % of 200.00 = 140.00. */
	assert_int_equal(provider_quote(&o, &up, &huawei_traffic, 0, T0 + DAY, &pq), POLICY_OK);
	assert_int_equal(pq.q.rule, POLICY_RULE_USAGE_WINDOW);
	assert_int_equal(pq.expected, 14000);
	/* The provider's own count: 50 of 200 used, 75 % = 150.00. */
	assert_int_equal(provider_quote(&o, &own_units, &huawei_traffic, 0, T0 + DAY, &pq), POLICY_OK);
	assert_int_equal(pq.expected, 15000);
	/* After the window: nothing. */
	assert_int_equal(provider_quote(&o, &up, &huawei_traffic, 0, T0 + 8 * DAY, &pq), POLICY_OK);
	assert_false(pq.q.eligible);
	assert_int_equal(pq.expected, 0);
}

static void test_not_refundable_and_cap(void **state)
{
	(void)state;
	struct order_facts o = ecs_order();
	struct provider_quote pq;

	memcpy(o.product_type, "image_payg", sizeof "image_payg");
	o.billing_mode = ORDER_BILLING_PAYG;
	assert_int_equal(provider_quote(&o, &ecs_bought, &aliyun_image_payg, 0, T0 + DAY, &pq), POLICY_OK);
	assert_false(pq.q.eligible);
	assert_int_equal(pq.expected, 0);
	assert_true(policy_quote_has_reason(&pq.q, POLICY_REASON_NOT_REFUNDABLE_TYPE));
	/* An earlier claim of 600.00 leaves 400.00; more than paid is capped. */
	o = ecs_order();
	assert_int_equal(provider_quote(&o, &ecs_bought, &aliyun_ecs, 60000, T0 + DAY, &pq), POLICY_OK);
	assert_int_equal(pq.expected, 40000);
	assert_int_equal(provider_quote(&o, &ecs_bought, &aliyun_ecs, 500000, T0 + DAY, &pq), POLICY_OK);
	assert_int_equal(pq.expected, 0);
}

static void test_fee(void **state)
{
	(void)state;
	struct order_facts o = ecs_order();
	struct provider_policy fee = aliyun_ecs;
	struct provider_quote pq;

	/* A 10 % fee on the partial refund: 800.00 - 80.00 = 720.00; none in the window. */
	fee.fee_bps = 1000;
	assert_int_equal(provider_quote(&o, &ecs_bought, &fee, 0, T0 + 73 * DAY, &pq), POLICY_OK);
	assert_int_equal(pq.expected, 72000);
	assert_int_equal(provider_quote(&o, &ecs_bought, &fee, 0, T0 + DAY, &pq), POLICY_OK);
	assert_int_equal(pq.expected, 100000);
}

/* The mapping is the only thing that differs from the customer quote: the
 * same engine on the mapped inputs gives the same answer. */
static void test_same_engine(void **state)
{
	(void)state;
	struct order_facts o = ecs_order(), mapped;
	struct refund_policy p;
	struct provider_quote pq;
	struct quote direct;

	assert_int_equal(provider_map_order(&o, &ecs_bought, &aliyun_ecs, &mapped), POLICY_OK);
	assert_int_equal(provider_map_policy(&aliyun_ecs, o.product_type, &p), POLICY_OK);
	assert_int_equal(mapped.amount_paid, 100000);
	assert_false(mapped.promo);
	assert_int_equal(mapped.third_party_cost, 0);
	assert_int_equal(policy_quote(&mapped, &p, 0, 0, T0 + 73 * DAY, &direct), POLICY_OK);
	assert_int_equal(provider_quote(&o, &ecs_bought, &aliyun_ecs, 0, T0 + 73 * DAY, &pq), POLICY_OK);
	assert_memory_equal(&direct, &pq.q, sizeof direct);
}

static void test_invalid(void **state)
{
	(void)state;
	struct order_facts o = ecs_order();
	struct upstream_purchase bad = { .cost = 100, .voucher = 200, .paid_at = T0 };
	struct provider_policy negotiate = aliyun_ecs;
	struct provider_quote pq;

	assert_int_equal(provider_quote(&o, &bad, &aliyun_ecs, 0, T0, &pq), POLICY_INVALID_ORDER);
	negotiate.after_window = POLICY_AFTER_NEGOTIATE;
	assert_int_equal(provider_quote(&o, &ecs_bought, &negotiate, 0, T0, &pq), POLICY_INVALID_POLICY);
	negotiate = aliyun_ecs;
	negotiate.fee_bps = 10001;
	assert_int_equal(provider_policy_validate(&negotiate), POLICY_INVALID_POLICY);
	assert_int_equal(provider_quote(&o, &ecs_bought, &aliyun_ecs, -1, T0, &pq), POLICY_INVALID_ARGUMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day3_full_recovery),
		cmocka_unit_test(test_after_window_unused_time),
		cmocka_unit_test(test_voucher_not_returned),
		cmocka_unit_test(test_traffic_used_units),
		cmocka_unit_test(test_not_refundable_and_cap),
		cmocka_unit_test(test_fee),
		cmocka_unit_test(test_same_engine),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
