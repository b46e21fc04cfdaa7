/* simulate.h -- a draft refund policy tried on past requests (DESIGN.md §8):
 * each request's frozen inputs (frozen.h) go through the one policy engine
 * with the draft, at the instant of the request's own quote, and the answer
 * is compared with the quote the request was submitted with. Pure: rows go
 * in one at a time (the SQL module streams them), the summary and the first
 * page of changed requests come out; no I/O, no allocation.
 *
 * "Before" is the stored quote (what the customer was shown), not a
 * recomputation: for a reconstructed request the stored quote is the truth.
 * A request counts as changed when its eligibility, decision or amount
 * differs. Only eligible quotes are ever stored (a refused one makes no
 * request), so newly_eligible stays 0 on real data; it is counted all the
 * same, for requests whose stored quote says otherwise. */
#ifndef REFUNDD_SIMULATE_H
#define REFUNDD_SIMULATE_H

#include <stdbool.h>
#include <stdint.h>

#include "frozen.h"
#include "policy.h"

/* A page of changed requests holds at most this many (?limit= <= 100),
 * plus one to know that a next page exists. */
#define SIM_PAGE_MAX 100

struct sim_before {
	bool                 eligible;
	enum policy_decision decision;
	int64_t              amount;
	int                  policy_version;
};

struct sim_row {
	int64_t              refund_id;
	const char          *order_id;     /* copied when the row is kept */
	struct sim_before    before;
	bool                 has_inputs;   /* false: nothing frozen (skipped) */
	struct frozen_inputs in;
};

struct sim_item {
	int64_t           refund_id;
	char              order_id[80];
	char              currency[MONEY_CURRENCY_SIZE];   /* of both amounts */
	struct sim_before before;
	struct quote      after;
};

/* More than money.c knows today (21); a currency beyond the last slot is
 * counted as skipped rather than added to another one. */
#define SIM_CURRENCIES_MAX 32

/* The money of the requests in one currency: amounts of different
 * currencies are never added together. */
struct sim_money {
	char    currency[MONEY_CURRENCY_SIZE];
	int64_t requests;        /* requests counted in this currency */
	int64_t amount_before;   /* sum of the stored amounts (eligible ones) */
	int64_t amount_after;    /* sum of the draft's amounts (eligible ones) */
	int64_t count_before[POLICY_DECISION__MAX];
	int64_t count_after[POLICY_DECISION__MAX];
	int64_t amount_before_by[POLICY_DECISION__MAX];
	int64_t amount_after_by[POLICY_DECISION__MAX];
};

struct sim_summary {
	int64_t requests;        /* rows seen, skipped ones included */
	int64_t skipped;         /* without frozen inputs, or refused by the engine */
	int64_t changed;
	int64_t newly_refused;   /* eligible before, not after */
	int64_t newly_eligible;  /* not eligible before, eligible after */
	int              n_money;  /* currencies seen, in order of their codes */
	struct sim_money money[SIM_CURRENCIES_MAX];
};

struct sim_state {
	struct refund_policy draft;
	int64_t              after_id;     /* keyset cursor: items with a larger id */
	int                  limit;        /* 1..SIM_PAGE_MAX */
	struct sim_summary   sum;
	int                  n_items;      /* <= limit + 1, ascending refund_id */
	struct sim_item      items[SIM_PAGE_MAX + 1];
};

/* draft: a policy that passed policy_validate(). limit is clamped. */
void sim_init(struct sim_state *s, const struct refund_policy *draft, int64_t after_id,
              int limit);
/* One request of the draft's product type. A row the engine refuses
 * (another product type, facts out of range) is counted as skipped. */
void sim_add(struct sim_state *s, const struct sim_row *row);
/* The money of one currency, or NULL when the summary has none of it. */
const struct sim_money *sim_money_of(const struct sim_summary *m, const char *currency);
/* True when a and b differ in what the simulation reports. */
bool sim_changed(const struct sim_before *before, const struct quote *after);

#endif
