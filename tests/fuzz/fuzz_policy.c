/* fuzz_policy.c -- libFuzzer target for the refund policy engine
 * (policy_quote) over random orders and policies built from the input
 * bytes. Each number is drawn as "zero", "the bound", "small", "within the
 * bound", "anything" or "-1", so most inputs pass validation and reach the
 * arithmetic while the edges stay reachable; times are drawn relative to
 * one another (paid, then the period, then now) so windows and periods are
 * hit from both sides.
 *
 * Invariants (abort on violation), from policy.h:
 *   - an answer other than POLICY_OK leaves *out unchanged;
 *   - 0 <= amount <= amount_paid - already_refunded, and 0 unless eligible;
 *   - the breakdown adds up to the amount exactly: "paid" first and equal
 *     to amount_paid, the other lines <= 0, each label once, rounding
 *     -1 or -2 at most;
 *   - a full refund is everything still paid; reasons in enum order, once;
 *   - the same inputs give the same quote (a second call on copies) and
 *     the same JSON (quote_to_json never fails on a quote). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy.h"
#include "quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_policy: %s failed at line %d\n", #cond, __LINE__); \
	abort(); } } while (0)

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct reader *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t u64(struct reader *r)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | u8(r);
	return v;
}

/* A number for a field bounded by max (>= 1); sometimes out of bounds. */
static int64_t number(struct reader *r, int64_t max)
{
	uint64_t span = (uint64_t)max + 1;   /* max <= INT64_MAX: no wrap */

	switch (u8(r) % 16) {
	case 0:
		return 0;
	case 1:
		return max;
	case 2:
		return 1;
	case 3: case 4: case 5:
		return (int64_t)(u64(r) % span);
	case 6:
		return (int64_t)u64(r);
	case 7:
		return -1;
	default: {
		uint64_t small = u8(r);
		return (int64_t)((small << 8 | u8(r)) % span);
	}
	}
}

/* A time delta in seconds: around a day, a window, or anything. */
static int64_t delta(struct reader *r)
{
	switch (u8(r) % 4) {
	case 0:
		return number(r, 30 * 86400);
	case 1:
		return (int64_t)(u8(r) % 40) * 86400 + (u8(r) % 3) - 1;
	case 2: {
		int64_t d = number(r, 30 * 86400);
		return d == INT64_MIN ? INT64_MAX : -d;
	}
	default:
		return number(r, POLICY_TIME_MAX);
	}
}

/* One of max values, or (1 in 32) the first value past them. */
static unsigned pick(struct reader *r, unsigned max)
{
	uint8_t v = u8(r);
	return v % 32 == 31 ? max : v % max;
}

static int64_t clamp_add(int64_t a, int64_t b)
{
	if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return a + b;
}

/* the last of each is refused, drawn 1 in 32 */
static const char *const types[] = { "cloud_server", "image", "marketplace_service",
                                     "credits", "" };
static const char *const currencies[] = { "CNY", "JPY", "KWD", "USD", "XXX" };

static void copy_code(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static void build_order(struct reader *r, struct order_facts *o)
{
	memset(o, 0, sizeof *o);
	copy_code(o->product_type, sizeof o->product_type, types[pick(r, 4)]);
	copy_code(o->currency, sizeof o->currency, currencies[pick(r, 4)]);
	o->status = (enum order_status)pick(r, ORDER_STATUS__MAX);
	o->billing_mode = (enum order_billing)pick(r, ORDER_BILLING__MAX);
	o->service_status = (enum order_service)pick(r, ORDER_SERVICE__MAX);
	o->amount_paid = number(r, INT64_C(100000000000000));
	o->paid_at = clamp_add(INT64_C(1700000000), delta(r));
	o->period_start = u8(r) % 4 == 0 ? 0 : clamp_add(o->paid_at, delta(r));
	o->period_end = o->period_start == 0 ? 0 : clamp_add(o->period_start, delta(r));
	o->quantity = number(r, INT64_C(1000000000000));
	o->bonus_quantity = number(r, INT64_C(1000000000000));
	o->used_quantity = number(r, INT64_C(2000000000000));
	o->third_party_cost = number(r, INT64_C(100000000000000));
	uint8_t flags = u8(r);
	o->in_use = flags & 1;
	o->promo = flags & 2;
}

static void build_policy(struct reader *r, const struct order_facts *o, struct refund_policy *p)
{
	memset(p, 0, sizeof *p);
	uint8_t flags = u8(r);
	/* mostly the order's own product type: a mismatch is refused early */
	copy_code(p->product_type, sizeof p->product_type,
	          flags & 0x80 ? types[pick(r, 4)] : o->product_type);
	p->version = (int)number(r, 1000000);
	p->refundable = flags & 1;
	p->window_requires_unused = flags & 2;
	p->deduct_third_party = flags & 4;
	p->promo_refundable = flags & 8;
	p->window_rule = (enum policy_window)pick(r, POLICY_WINDOW__MAX);
	p->window_days = p->window_rule == POLICY_WINDOW_SERVICE && (flags & 0x10)
	                 ? 0 : (int)number(r, POLICY_WINDOW_DAYS_MAX);
	p->after_window = (enum policy_after_window)pick(r, POLICY_AFTER__MAX);
	p->handling_fee_bps = (int)number(r, MONEY_BPS_WHOLE);
	p->monthly_limit = (int)number(r, 10);
	p->payout_methods = pick(r, PAYOUT_ALL + 1);   /* 0 is refused, 4 too */
	p->payout_default = (enum payout_method)pick(r, PAYOUT__MAX);
	p->payout_methods_after_window = pick(r, PAYOUT_ALL + 1);
	p->payout_default_after_window = (enum payout_method)pick(r, PAYOUT__MAX);
	p->review_sla_days = (int)number(r, 60);
	p->auto_approve_max = number(r, INT64_C(100000000000000));
	p->second_approval_over = number(r, INT64_C(100000000000000));
}

static void check_breakdown(const struct quote *q, const struct order_facts *o)
{
	int64_t sum = 0;
	unsigned seen = 0;

	if (q->n_lines == 0)
		return;
	CHECK(q->n_lines <= POLICY_LINE__MAX);
	CHECK(q->lines[0].label == POLICY_LINE_PAID && q->lines[0].amount == o->amount_paid);
	for (size_t i = 0; i < q->n_lines; i++) {
		const struct quote_line *l = &q->lines[i];
		CHECK((unsigned)l->label < POLICY_LINE__MAX && !(seen & (1u << l->label)));
		seen |= 1u << l->label;
		CHECK(i == 0 || l->amount <= 0);
		CHECK(l->label != POLICY_LINE_ROUNDING || (l->amount >= -2 && l->amount < 0));
		CHECK(l->label != POLICY_LINE_BONUS_UNITS || l->amount == 0);
		CHECK(!__builtin_add_overflow(sum, l->amount, &sum));
	}
	CHECK(sum == q->amount);
}

static void check_quote(const struct quote *q, const struct order_facts *o,
                        int64_t already_refunded)
{
	int64_t cap = o->amount_paid - already_refunded;

	CHECK(q->amount >= 0 && q->amount <= cap);
	CHECK(q->eligible || q->amount == 0);
	CHECK((unsigned)q->decision < POLICY_DECISION__MAX);
	CHECK(q->eligible == (q->decision != POLICY_DECISION_NONE));
	CHECK(q->decision != POLICY_DECISION_FULL || q->amount == cap);
	CHECK(strcmp(q->currency, o->currency) == 0);
	check_breakdown(q, o);
	CHECK(q->n_reasons <= POLICY_REASON__MAX);
	for (size_t i = 1; i < q->n_reasons; i++)
		CHECK(q->reasons[i - 1] < q->reasons[i]);
}

static bool same_quote(const struct quote *a, const struct quote *b)
{
	if (a->eligible != b->eligible || a->decision != b->decision || a->amount != b->amount ||
	    strcmp(a->currency, b->currency) != 0 || a->rule != b->rule ||
	    a->n_lines != b->n_lines || a->n_reasons != b->n_reasons || a->remedy != b->remedy ||
	    a->has_window != b->has_window || a->window_ends_at != b->window_ends_at ||
	    a->payout_methods != b->payout_methods || a->payout_default != b->payout_default ||
	    a->policy_version != b->policy_version)
		return false;
	for (size_t i = 0; i < a->n_lines; i++)
		if (a->lines[i].label != b->lines[i].label || a->lines[i].amount != b->lines[i].amount ||
		    a->lines[i].units != b->lines[i].units)
			return false;
	return memcmp(a->reasons, b->reasons, a->n_reasons * sizeof a->reasons[0]) == 0;
}

static char *render(const struct quote *q, const struct quote_inputs *in)
{
	json_t *j = quote_to_json(q, in);
	char *text;

	CHECK(j != NULL);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	CHECK(text != NULL);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct quote_inputs in, in2;
	struct reader r = { data, size };
	struct quote q, q2, untouched;

	memset(&in, 0, sizeof in);
	snprintf(in.order_id, sizeof in.order_id, "ord_fuzz");
	build_order(&r, &in.order);
	build_policy(&r, &in.order, &in.policy);
	in.has_policy = true;
	in.already_refunded = number(&r, in.order.amount_paid > 0 ? in.order.amount_paid : 1);
	in.requests_this_month = (int)number(&r, 20);
	int64_t now = clamp_add(in.order.paid_at, delta(&r));

	memset(&q, 0xa5, sizeof q);
	untouched = q;
	enum policy_err err = policy_quote(&in.order, &in.policy, in.already_refunded,
	                                   in.requests_this_month, now, &q);
	CHECK((unsigned)err < POLICY_ERR__MAX && policy_err_code(err) != NULL);
	if (err != POLICY_OK) {
		CHECK(memcmp(&q, &untouched, sizeof q) == 0);
		return 0;
	}
	check_quote(&q, &in.order, in.already_refunded);

	in2 = in;   /* same values, other addresses */
	CHECK(policy_quote(&in2.order, &in2.policy, in2.already_refunded,
	                   in2.requests_this_month, now, &q2) == POLICY_OK);
	CHECK(same_quote(&q, &q2));
	char *a = render(&q, &in), *b = render(&q2, &in2);
	CHECK(strcmp(a, b) == 0);
	free(a);
	free(b);
	return 0;
}
