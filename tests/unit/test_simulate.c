/* test_simulate.c -- cmocka tests of the policy simulation core
 * (fcgi/simulate.c) over frozen inputs (fcgi/frozen.c): the same policy
 * recomputes every stored quote exactly (nothing changes); a shorter
 * api_credits window flips exactly the requests between the two window
 * ends; a handling fee moves the partial refunds by the fee and nothing
 * else; the page of changed requests is in id order, bounded, and resumes
 * after the cursor; rows without inputs are skipped; the frozen JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frozen.h"
#include "simulate.h"

#define DAY  INT64_C(86400)
#define HOUR INT64_C(3600)
/* 2026-06-01T04:00:00Z: every request below was quoted then. */
#define T0   INT64_C(1780286400)

#define ORIGINAL PAYOUT_BIT(PAYOUT_ORIGINAL_ROUTE)
#define BALANCE  PAYOUT_BIT(PAYOUT_BALANCE)

/* Seed 000 as shipped (sql/demo): 30 days full, then unused credits. */
static const struct refund_policy credits = {
	.product_type = "api_credits", .version = 1, .refundable = true,
	.window_rule = POLICY_WINDOW_FULL, .window_days = 30,
	.after_window = POLICY_AFTER_PRORATA_USAGE, .promo_refundable = true,
	.payout_methods = ORIGINAL, .payout_default = PAYOUT_ORIGINAL_ROUTE,
	.payout_methods_after_window = BALANCE, .payout_default_after_window = PAYOUT_BALANCE,
	.review_sla_days = 3, .second_approval_over = 500000,
};

/* Paid days_ago days (and an hour, off every boundary) before T0; 1000.00
 * CNY for 100 000 credits, used of them used. */
static struct frozen_inputs credits_inputs(int64_t days_ago, int64_t used)
{
	struct frozen_inputs in = {
		.order = { .product_type = "api_credits", .status = ORDER_STATUS_PAID,
		           .billing_mode = ORDER_BILLING_ONE_TIME, .amount_paid = 100000,
		           .currency = "CNY", .paid_at = T0 - days_ago * DAY - HOUR,
		           .quantity = 100000, .used_quantity = used,
		           .service_status = ORDER_SERVICE_NONE },
		.quoted_at = T0,
	};
	return in;
}

/* The requests of the tests: ids 1.., their days since payment and use. */
static const struct { int64_t days, used; } sample[] = {
	{ 2, 0 }, { 9, 5000 }, { 19, 20000 }, { 21, 10000 }, { 24, 30000 }, { 29, 1000 },
	{ 31, 25000 }, { 45, 37500 }, { 60, 100000 }, { 12, 0 },
};
#define N_SAMPLE ((int)(sizeof sample / sizeof sample[0]))

/* A stored request as submission makes it: the quote of the time under
 * the policy then in force. */
static struct sim_row stored(int i, const struct refund_policy *then)
{
	struct sim_row row = { .refund_id = i + 1, .order_id = "ORDER", .has_inputs = true,
	                       .in = credits_inputs(sample[i].days, sample[i].used) };
	struct quote q;

	assert_int_equal(frozen_quote(&row.in, then, &q), POLICY_OK);
	row.before = (struct sim_before){ q.eligible, q.decision, q.eligible ? q.amount : 0,
	                                  q.policy_version };
	return row;
}

/* The CNY money of a run (every sample request is CNY). */
static const struct sim_money *cny(const struct sim_state *s)
{
	const struct sim_money *m = sim_money_of(&s->sum, "CNY");

	assert_non_null(m);
	return m;
}

static struct sim_state *run(const struct refund_policy *draft, int64_t after_id, int limit)
{
	struct sim_state *s = malloc(sizeof *s);

	assert_non_null(s);
	sim_init(s, draft, after_id, limit);
	for (int i = 0; i < N_SAMPLE; i++) {
		struct sim_row row = stored(i, &credits);
		sim_add(s, &row);
	}
	return s;
}

static void test_same_policy_changes_nothing(void **state)
{
	(void)state;
	struct sim_state *s = run(&credits, 0, 100);

	assert_int_equal(s->sum.requests, N_SAMPLE);
	assert_int_equal(s->sum.skipped, 0);
	assert_int_equal(s->sum.changed, 0);
	assert_int_equal(s->n_items, 0);
	assert_int_equal(cny(s)->amount_before, cny(s)->amount_after);
	for (int d = 0; d < POLICY_DECISION__MAX; d++)
		assert_int_equal(cny(s)->count_before[d], cny(s)->count_after[d]);
	free(s);
}

/* 30 -> 20 days: the requests paid 21, 24 and 29 days before their quote
 * leave the window (full -> the unused credits, to the balance); those at
 * 2, 9, 12 and 19 days stay in it, those at 31+ were already out. */
static void test_shorter_window_flips_exactly_those_inside(void **state)
{
	(void)state;
	struct refund_policy draft = credits;
	draft.window_days = 20;
	struct sim_state *s = run(&draft, 0, 100);
	const int64_t flipped[] = { 4, 5, 6 };   /* ids of 21, 24, 29 days */

	assert_int_equal(s->sum.requests, N_SAMPLE);
	assert_int_equal(s->n_items, 3);
	for (int i = 0; i < 3; i++) {
		const struct sim_item *it = &s->items[i];
		assert_int_equal(it->refund_id, flipped[i]);
		assert_int_equal(it->before.decision, POLICY_DECISION_FULL);
		assert_int_equal(it->before.amount, 100000);
		assert_int_equal(it->after.rule, POLICY_RULE_PRORATA_USAGE);
		assert_true(policy_quote_has_reason(&it->after, POLICY_REASON_WINDOW_CLOSED));
		/* paid * unused / paid units: 1000.00 * (100 000 - used) / 100 000 */
		int64_t used = sample[flipped[i] - 1].used;
		assert_int_equal(it->after.amount, 100000 - used);
	}
	assert_int_equal(s->items[0].after.decision, POLICY_DECISION_PARTIAL);
	assert_int_equal(s->sum.changed, 3);
	assert_int_equal(s->sum.newly_refused, 0);
	assert_int_equal(cny(s)->amount_before - cny(s)->amount_after, 10000 + 30000 + 1000);
	assert_int_equal(cny(s)->count_after[POLICY_DECISION_FULL],
	                 cny(s)->count_before[POLICY_DECISION_FULL] - 3);
	free(s);
}

/* No window at all and nothing after it: every request is refused. */
static void test_closing_everything_refuses_all(void **state)
{
	(void)state;
	struct refund_policy draft = credits;
	draft.window_days = 0;
	draft.after_window = POLICY_AFTER_NONE;
	struct sim_state *s = run(&draft, 0, 100);

	/* The one at 60 days had nothing left (all used): it was never eligible. */
	assert_int_equal(s->sum.newly_refused, N_SAMPLE - 1);
	assert_int_equal(cny(s)->amount_after, 0);
	free(s);
}

/* A 5 % fee is taken from partial refunds only: each request after the
 * window moves by exactly its fee line, the window refunds do not move. */
static void test_fee_moves_partials_by_the_fee(void **state)
{
	(void)state;
	struct refund_policy draft = credits;
	draft.handling_fee_bps = 500;
	struct sim_state *s = run(&draft, 0, 100);
	int64_t fees = 0;

	assert_int_equal(s->n_items, 2);   /* 31 and 45 days; 60 had nothing left */
	for (int i = 0; i < s->n_items; i++) {
		const struct sim_item *it = &s->items[i];
		int64_t fee = 0;
		for (size_t l = 0; l < it->after.n_lines; l++)
			if (it->after.lines[l].label == POLICY_LINE_HANDLING_FEE)
				fee = -it->after.lines[l].amount;
		assert_true(fee > 0);
		assert_int_equal(it->before.amount - it->after.amount, fee);
		/* 5 % of what was left, rounded down in the reseller's favour */
		assert_int_equal(fee, it->before.amount * 500 / 10000);
		assert_int_equal(it->after.decision, it->before.decision);
		fees += fee;
	}
	assert_int_equal(s->items[0].refund_id, 7);
	assert_int_equal(s->items[1].refund_id, 8);
	assert_int_equal(cny(s)->amount_before - cny(s)->amount_after, fees);
	assert_int_equal(s->sum.changed, 2);
	free(s);
}

/* Items are the smallest ids above the cursor, in order, limit + 1 of
 * them at most (the extra one says that a next page exists), whatever the
 * order the rows arrive in. */
static void test_page_is_keyset_in_id_order(void **state)
{
	(void)state;
	struct refund_policy draft = credits;
	/* Every request from 2 to 29 days leaves the window; those with nothing
	 * used (ids 1 and 10) get the same amount by usage: not a change. */
	draft.window_days = 1;
	struct sim_state *s = malloc(sizeof *s);
	const int order[] = { 9, 3, 0, 5, 1, 8, 4, 2, 7, 6 };

	sim_init(s, &draft, 0, 2);
	for (int k = 0; k < N_SAMPLE; k++) {
		struct sim_row row = stored(order[k], &credits);
		sim_add(s, &row);
	}
	assert_int_equal(s->sum.changed, 5);
	assert_int_equal(s->n_items, 3);
	assert_int_equal(s->items[0].refund_id, 2);
	assert_int_equal(s->items[1].refund_id, 3);
	assert_int_equal(s->items[2].refund_id, 4);

	sim_init(s, &draft, 5, 2);
	for (int k = 0; k < N_SAMPLE; k++) {
		struct sim_row row = stored(order[k], &credits);
		sim_add(s, &row);
	}
	assert_int_equal(s->sum.changed, 5);   /* the summary is the whole range's */
	assert_int_equal(s->n_items, 1);       /* 6 only: no page after */
	assert_int_equal(s->items[0].refund_id, 6);
	free(s);
}

static void test_rows_without_inputs_are_skipped(void **state)
{
	(void)state;
	struct sim_state *s = malloc(sizeof *s);
	struct sim_row none = { .refund_id = 1, .order_id = "X", .has_inputs = false };
	struct sim_row other = stored(0, &credits);
	snprintf(other.in.order.product_type, POLICY_CODE_SIZE, "%s", "cloud_server");

	sim_init(s, &credits, 0, 20);
	sim_add(s, &none);
	sim_add(s, &other);
	assert_int_equal(s->sum.requests, 2);
	assert_int_equal(s->sum.skipped, 2);
	assert_int_equal(s->sum.changed, 0);
	assert_int_equal(s->sum.n_money, 0);   /* skipped rows count in no currency */
	free(s);
}

/* Requests in CNY, JPY and KWD: each currency keeps its own amounts, by
 * decision too, and nothing adds minor units of one to another (D3: the
 * explorer's 120000 CNY + 12000 JPY came out as 132000). Items carry their
 * currency. */
static void test_amounts_by_currency(void **state)
{
	(void)state;
	struct sim_state *s = malloc(sizeof *s);
	static const char *const cur[3] = { "CNY", "JPY", "KWD" };
	struct refund_policy draft = credits;
	int64_t before[3] = { 0 }, after[3] = { 0 };

	assert_non_null(s);
	draft.window_days = 20;
	sim_init(s, &draft, 0, 100);
	for (int i = 0; i < N_SAMPLE; i++) {
		struct sim_row row = stored(i, &credits);
		struct quote q;
		memcpy(row.in.order.currency, cur[i % 3], MONEY_CURRENCY_SIZE);
		assert_int_equal(frozen_quote(&row.in, &draft, &q), POLICY_OK);
		before[i % 3] += row.before.amount;
		after[i % 3] += q.eligible ? q.amount : 0;
		sim_add(s, &row);
	}
	assert_int_equal(s->sum.requests, N_SAMPLE);
	assert_int_equal(s->sum.n_money, 3);
	for (int c = 0; c < 3; c++) {
		const struct sim_money *m = sim_money_of(&s->sum, cur[c]);
		int64_t by_before = 0, by_after = 0, n = 0;
		assert_non_null(m);
		assert_string_equal(m->currency, cur[c]);
		assert_int_equal(m->requests, (N_SAMPLE + 2 - c) / 3);
		assert_int_equal(m->amount_before, before[c]);
		assert_int_equal(m->amount_after, after[c]);
		for (int d = 0; d < POLICY_DECISION__MAX; d++) {
			by_before += m->amount_before_by[d], by_after += m->amount_after_by[d];
			n += m->count_before[d];
		}
		assert_int_equal(by_before, before[c]);
		assert_int_equal(by_after, after[c]);
		assert_int_equal(n, m->requests);
	}
	assert_null(sim_money_of(&s->sum, "USD"));
	for (int i = 0; i < s->n_items; i++)
		assert_string_equal(s->items[i].currency, cur[(s->items[i].refund_id - 1) % 3]);
	assert_true(s->n_items > 0);
	free(s);
}

/* The currencies come out in order of their codes, whichever request the
 * scan meets first: two requests submitted in one instant arrive in either
 * order, and the answer must not change with it (a CI run saw JPY first). */
static void test_currencies_in_code_order(void **state)
{
	(void)state;
	static const char *const seen[4] = { "KWD", "CNY", "USD", "JPY" };
	static const char *const sorted[4] = { "CNY", "JPY", "KWD", "USD" };
	struct sim_state *s = malloc(sizeof *s);

	assert_non_null(s);
	sim_init(s, &credits, 0, 100);
	for (int i = 0; i < 8; i++) {
		struct sim_row row = stored(i % N_SAMPLE, &credits);
		memcpy(row.in.order.currency, seen[i % 4], MONEY_CURRENCY_SIZE);
		sim_add(s, &row);
	}
	assert_int_equal(s->sum.n_money, 4);
	for (int c = 0; c < 4; c++) {
		assert_string_equal(s->sum.money[c].currency, sorted[c]);
		assert_int_equal(s->sum.money[c].requests, 2);
	}
	free(s);
}

static void test_frozen_json(void **state)
{
	(void)state;
	struct frozen_inputs in = credits_inputs(10, 500);
	in.already_refunded = 200;
	in.requests_this_month = 2;
	json_t *j = frozen_to_json(&in);
	json_t *o = json_object_get(j, "order");

	assert_non_null(j);
	assert_false(json_is_true(json_object_get(j, "reconstructed")));
	assert_string_equal(json_string_value(json_object_get(j, "quoted_at")), "2026-06-01T04:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(j, "already_refunded")), 200);
	assert_int_equal(json_integer_value(json_object_get(j, "requests_this_month")), 2);
	assert_string_equal(json_string_value(json_object_get(o, "paid_at")), "2026-05-22T03:00:00Z");
	assert_true(json_is_null(json_object_get(o, "period_start")));
	assert_string_equal(json_string_value(json_object_get(o, "status")), "paid");
	assert_string_equal(json_string_value(json_object_get(o, "service_status")), "none");
	assert_int_equal(json_integer_value(json_object_get(o, "used_quantity")), 500);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_policy_changes_nothing),
		cmocka_unit_test(test_shorter_window_flips_exactly_those_inside),
		cmocka_unit_test(test_closing_everything_refuses_all),
		cmocka_unit_test(test_fee_moves_partials_by_the_fee),
		cmocka_unit_test(test_page_is_keyset_in_id_order),
		cmocka_unit_test(test_rows_without_inputs_are_skipped),
		cmocka_unit_test(test_amounts_by_currency),
		cmocka_unit_test(test_currencies_in_code_order),
		cmocka_unit_test(test_frozen_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
