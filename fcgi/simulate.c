/* simulate.c -- see simulate.h. */
#include "simulate.h"

#include <stdio.h>
#include <string.h>

void sim_init(struct sim_state *s, const struct refund_policy *draft, int64_t after_id,
              int limit)
{
	memset(s, 0, sizeof *s);
	s->draft = *draft;
	s->after_id = after_id;
	s->limit = limit < 1 ? 1 : limit > SIM_PAGE_MAX ? SIM_PAGE_MAX : limit;
}

bool sim_changed(const struct sim_before *before, const struct quote *after)
{
	int64_t amount = after->eligible ? after->amount : 0;
	return before->eligible != after->eligible || before->decision != after->decision ||
	       before->amount != amount;
}

/* Keeps the limit + 1 smallest refund ids above the cursor, in order: rows
 * arrive by submission time, which is nearly but not exactly id order. */
static void keep(struct sim_state *s, const struct sim_row *row, const struct quote *after)
{
	int cap = s->limit + 1, at = s->n_items;

	if (row->refund_id <= s->after_id ||
	    (s->n_items == cap && row->refund_id >= s->items[cap - 1].refund_id))
		return;
	if (s->n_items < cap)
		s->n_items++;
	else
		at = cap - 1;   /* the largest id drops out */
	while (at > 0 && s->items[at - 1].refund_id > row->refund_id) {
		s->items[at] = s->items[at - 1];
		at--;
	}
	struct sim_item *it = &s->items[at];
	it->refund_id = row->refund_id;
	snprintf(it->order_id, sizeof it->order_id, "%s", row->order_id ? row->order_id : "");
	memcpy(it->currency, row->in.order.currency, sizeof it->currency);
	it->before = row->before;
	it->after = *after;
}

static int money_index(const struct sim_summary *m, const char *currency)
{
	for (int i = 0; i < m->n_money; i++)
		if (strncmp(m->money[i].currency, currency, sizeof m->money[i].currency) == 0)
			return i;
	return -1;
}

const struct sim_money *sim_money_of(const struct sim_summary *m, const char *currency)
{
	int i = money_index(m, currency);
	return i < 0 ? NULL : &m->money[i];
}

/* The slot of a currency, taken when first seen and kept in order of the
 * currency code, so the answer does not depend on which request the scan
 * met first (two submitted in one instant come in either order); NULL when
 * all are taken. */
static struct sim_money *money_slot(struct sim_summary *m, const char *currency)
{
	int i = money_index(m, currency), at;

	if (i >= 0)
		return &m->money[i];
	if (m->n_money == SIM_CURRENCIES_MAX)
		return NULL;
	for (at = m->n_money; at > 0 &&
	     strncmp(m->money[at - 1].currency, currency, sizeof m->money[at].currency) > 0; at--)
		m->money[at] = m->money[at - 1];
	m->n_money++;
	memset(&m->money[at], 0, sizeof m->money[at]);
	memcpy(m->money[at].currency, currency, sizeof m->money[at].currency);
	m->money[at].currency[sizeof m->money[at].currency - 1] = '\0';
	return &m->money[at];
}

static void count_money(struct sim_money *s, const struct sim_before *b, const struct quote *q)
{
	int64_t after = q->eligible ? q->amount : 0;
	int64_t before = b->eligible ? b->amount : 0;

	s->requests++;
	s->amount_before += before;
	s->amount_after += after;
	if (b->decision < POLICY_DECISION__MAX) {
		s->count_before[b->decision]++;
		s->amount_before_by[b->decision] += before;
	}
	s->count_after[q->decision]++;
	s->amount_after_by[q->decision] += after;
}

static void count(struct sim_summary *m, const struct sim_before *b, const struct quote *q)
{
	if (!sim_changed(b, q))
		return;
	m->changed++;
	if (b->eligible && !q->eligible)
		m->newly_refused++;
	if (!b->eligible && q->eligible)
		m->newly_eligible++;
}

void sim_add(struct sim_state *s, const struct sim_row *row)
{
	struct quote after;
	struct sim_money *money;

	s->sum.requests++;
	if (!row->has_inputs || frozen_quote(&row->in, &s->draft, &after) != POLICY_OK ||
	    (money = money_slot(&s->sum, row->in.order.currency)) == NULL) {
		s->sum.skipped++;
		return;
	}
	count_money(money, &row->before, &after);
	count(&s->sum, &row->before, &after);
	if (sim_changed(&row->before, &after))
		keep(s, row, &after);
}
