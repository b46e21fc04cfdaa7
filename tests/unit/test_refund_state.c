/* test_refund_state.c -- the refund request state machine (DESIGN.md §3):
 * every state x action x role combination against a table written out
 * below, then the rules that need particular facts: approval limits and
 * notes, the second, different approver, the customer's confirm/decline,
 * one appeal, auto-approval, and the names of everything. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "refund_state.h"

/* ---- the full table -------------------------------------------------------- */

/* A cell: the next state (>= 0) or a refusal (negated). */
#define FR   (-(int)REFUND_ERR_FORBIDDEN_ROLE)
#define IT   (-(int)REFUND_ERR_INVALID_TRANSITION)
#define AC   (-(int)REFUND_ERR_ALREADY_CLAIMED)
#define SUB  REFUND_STATE_SUBMITTED
#define REV  REFUND_STATE_IN_REVIEW
#define INFO REFUND_STATE_NEEDS_INFO
#define APR  REFUND_STATE_APPROVED
#define PAYG REFUND_STATE_PAYING
#define PAID REFUND_STATE_PAID
#define REJ  REFUND_STATE_REJECTED
#define APL  REFUND_STATE_APPEALED
#define WDR  REFUND_STATE_WITHDRAWN
#define T(s) REFUND_STATE_##s
#define A(a) REFUND_ACTION_##a

struct table_row {
	enum refund_state  state;
	enum refund_action action;
	int                cell[REFUND_ROLE__MAX];
};

/* With facts under which every rule passes (see benign_facts): the owner
 * acts, amount = quote, same method, a note, thresholds far away.
 * Columns: customer, support, supervisor, finance, admin, system. */
static const struct table_row expected[] = {
	/* none */
	{ T(NONE),                    A(SUBMIT),         { SUB,  FR,   FR,   FR,   FR,   FR } },
	{ T(NONE),                    A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(NONE),                    A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(NONE),                    A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(NONE),                    A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NONE),                    A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(NONE),                    A(REJECT),         { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(NONE),                    A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NONE),                    A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NONE),                    A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NONE),                    A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NONE),                    A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(NONE),                    A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(NONE),                    A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* submitted */
	{ T(SUBMITTED),               A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   APR } },
	{ T(SUBMITTED),               A(CLAIM),          { FR,   REV,  REV,  FR,   FR,   FR } },
	{ T(SUBMITTED),               A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(REJECT),         { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(WITHDRAW),       { WDR,  FR,   FR,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(SUBMITTED),               A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(SUBMITTED),               A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(SUBMITTED),               A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* in_review */
	{ T(IN_REVIEW),               A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(IN_REVIEW),               A(CLAIM),          { FR,   AC,   REV,  FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(REQUEST_INFO),   { FR,   INFO, INFO, FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(APPROVE),        { FR,   APR,  APR,  FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(REJECT),         { FR,   REJ,  REJ,  FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(WITHDRAW),       { WDR,  FR,   FR,   FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(IN_REVIEW),               A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(IN_REVIEW),               A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(IN_REVIEW),               A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* needs_info */
	{ T(NEEDS_INFO),              A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(NEEDS_INFO),              A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(CUSTOMER_REPLY), { REV,  FR,   FR,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(REJECT),         { FR,   REJ,  REJ,  FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(WITHDRAW),       { WDR,  FR,   FR,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(NEEDS_INFO),              A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(NEEDS_INFO),              A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(NEEDS_INFO),              A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* awaiting_second_approval */
	{ T(AWAITING_SECOND_APPROVAL), A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(AWAITING_SECOND_APPROVAL), A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(APPROVE),        { FR,   FR,   APR,  FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(REJECT),         { FR,   FR,   REJ,  FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(AWAITING_SECOND_APPROVAL), A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(AWAITING_SECOND_APPROVAL), A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* awaiting_confirmation */
	{ T(AWAITING_CONFIRMATION),   A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(AWAITING_CONFIRMATION),   A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(REJECT),         { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(CONFIRM),        { APR,  FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(DECLINE),        { APL,  FR,   FR,   FR,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(AWAITING_CONFIRMATION),   A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(AWAITING_CONFIRMATION),   A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* approved */
	{ T(APPROVED),                A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPROVED),                A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(APPROVED),                A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(APPROVED),                A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(APPROVED),                A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPROVED),                A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(APPROVED),                A(REJECT),         { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(APPROVED),                A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPROVED),                A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPROVED),                A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPROVED),                A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPROVED),                A(PAYOUT_START),   { FR,   FR,   FR,   PAYG, FR,   FR } },
	{ T(APPROVED),                A(PAYOUT_SETTLED), { FR,   FR,   FR,   PAID, FR,   PAID } },
	{ T(APPROVED),                A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* paying */
	{ T(PAYING),                  A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAYING),                  A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(PAYING),                  A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(PAYING),                  A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(PAYING),                  A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAYING),                  A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(PAYING),                  A(REJECT),         { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(PAYING),                  A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAYING),                  A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAYING),                  A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAYING),                  A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAYING),                  A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(PAYING),                  A(PAYOUT_SETTLED), { FR,   FR,   FR,   PAID, FR,   PAID } },
	{ T(PAYING),                  A(PAYOUT_FAILED),  { FR,   FR,   FR,   APR,  FR,   APR } },
	/* paid */
	{ T(PAID),                    A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAID),                    A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(PAID),                    A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(PAID),                    A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(PAID),                    A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAID),                    A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(PAID),                    A(REJECT),         { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(PAID),                    A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAID),                    A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAID),                    A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAID),                    A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(PAID),                    A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(PAID),                    A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(PAID),                    A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* rejected */
	{ T(REJECTED),                A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(REJECTED),                A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(REJECTED),                A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(REJECTED),                A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(REJECTED),                A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(REJECTED),                A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(REJECTED),                A(REJECT),         { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(REJECTED),                A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(REJECTED),                A(APPEAL),         { APL,  FR,   FR,   FR,   FR,   FR } },
	{ T(REJECTED),                A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(REJECTED),                A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(REJECTED),                A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(REJECTED),                A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(REJECTED),                A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* appealed */
	{ T(APPEALED),                A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPEALED),                A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(APPEALED),                A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(APPEALED),                A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(APPEALED),                A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPEALED),                A(APPROVE),        { FR,   FR,   APR,  FR,   FR,   FR } },
	{ T(APPEALED),                A(REJECT),         { FR,   FR,   REJ,  FR,   FR,   FR } },
	{ T(APPEALED),                A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPEALED),                A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPEALED),                A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPEALED),                A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(APPEALED),                A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(APPEALED),                A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(APPEALED),                A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
	/* withdrawn */
	{ T(WITHDRAWN),               A(SUBMIT),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(AUTO_APPROVE),   { FR,   FR,   FR,   FR,   FR,   IT } },
	{ T(WITHDRAWN),               A(CLAIM),          { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(REQUEST_INFO),   { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(CUSTOMER_REPLY), { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(APPROVE),        { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(REJECT),         { FR,   IT,   IT,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(WITHDRAW),       { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(APPEAL),         { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(CONFIRM),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(DECLINE),        { IT,   FR,   FR,   FR,   FR,   FR } },
	{ T(WITHDRAWN),               A(PAYOUT_START),   { FR,   FR,   FR,   IT,   FR,   FR } },
	{ T(WITHDRAWN),               A(PAYOUT_SETTLED), { FR,   FR,   FR,   IT,   FR,   IT } },
	{ T(WITHDRAWN),               A(PAYOUT_FAILED),  { FR,   FR,   FR,   IT,   FR,   IT } },
};

#define ROWS (sizeof expected / sizeof expected[0])

static struct refund_facts benign_facts(enum refund_state state)
{
	struct refund_facts f;

	memset(&f, 0, sizeof f);
	f.state = state;
	f.quoted_amount = 10000;
	f.submitted_method = REFUND_PAYOUT_ORIGINAL_ROUTE;
	f.approve_amount = 10000;
	f.approve_method = REFUND_PAYOUT_ORIGINAL_ROUTE;
	f.has_note = true;
	f.second_approval_over = 1000000;
	f.auto_approve_max = 20000;
	f.quote_full_in_window = true;
	f.first_approver_sub = "sup-1";
	f.actor_sub = "sup-2";
	f.appeal_used = false;
	f.actor_is_owner = true;
	return f;
}

static const char *cell_text(int cell)
{
	return cell >= 0 ? refund_state_name((enum refund_state)cell)
	                 : refund_refusal_code((enum refund_refusal)-cell);
}

static int run_cell(const struct refund_facts *f, enum refund_action a, enum refund_role r)
{
	struct refund_outcome out;
	enum refund_refusal rc = refund_transition(f, a, r, &out);

	if (rc != REFUND_OK) {
		/* A refusal changes nothing. */
		assert_int_equal(out.next, f->state);
		assert_false(out.consumes_appeal);
		assert_false(out.records_first_approval);
		return -(int)rc;
	}
	return (int)out.next;
}

/* The table has one row per (state, action), in enum order, so a new state
 * or action fails here until the table is extended. */
static void test_table_is_complete(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(ROWS, (size_t)REFUND_STATE__MAX * REFUND_ACTION__MAX);
	for (i = 0; i < ROWS; i++) {
		assert_int_equal(expected[i].state, i / REFUND_ACTION__MAX);
		assert_int_equal(expected[i].action, i % REFUND_ACTION__MAX);
	}
}

static void test_full_table(void **state)
{
	size_t i;
	int r, failures = 0;

	(void)state;
	for (i = 0; i < ROWS; i++) {
		struct refund_facts f = benign_facts(expected[i].state);

		for (r = 0; r < REFUND_ROLE__MAX; r++) {
			int got = run_cell(&f, expected[i].action, (enum refund_role)r);

			if (got == expected[i].cell[r])
				continue;
			print_error("%s + %s by %s: %s, want %s\n",
			            refund_state_name(expected[i].state),
			            refund_action_name(expected[i].action),
			            refund_role_name((enum refund_role)r), cell_text(got),
			            cell_text(expected[i].cell[r]));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* A customer acting on another account's request learns nothing, whatever
 * its state: not_owner for every customer action, forbidden_role for the
 * rest. Staff do not own requests, so the flag changes nothing for them. */
static bool is_customer_action(enum refund_action a)
{
	static const enum refund_action customer_actions[] = {
		A(SUBMIT), A(CUSTOMER_REPLY), A(WITHDRAW), A(APPEAL), A(CONFIRM), A(DECLINE),
	};
	size_t i;

	for (i = 0; i < sizeof customer_actions / sizeof customer_actions[0]; i++)
		if (customer_actions[i] == a)
			return true;
	return false;
}

static void test_not_owner_everywhere(void **state)
{
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < ROWS; i++) {
		struct refund_facts f = benign_facts(expected[i].state);
		int want = is_customer_action(expected[i].action) ? -(int)REFUND_ERR_NOT_OWNER : FR;

		f.actor_is_owner = false;
		assert_int_equal(run_cell(&f, expected[i].action, REFUND_ROLE_CUSTOMER), want);
		for (r = 1; r < REFUND_ROLE__MAX; r++)
			assert_int_equal(run_cell(&f, expected[i].action, (enum refund_role)r),
			                 expected[i].cell[r]);
	}
}

/* The exported edge list agrees with the table: each edge succeeds for
 * exactly its roles with benign facts (claim by support aside), and no
 * (from, action) pair appears twice. */
static void test_edges_match_table(void **state)
{
	const struct refund_edge *edges;
	unsigned count, i, j;

	(void)state;
	edges = refund_edges(&count);
	assert_int_equal(count, 23);
	for (i = 0; i < count; i++) {
		const struct table_row *row = &expected[edges[i].from * REFUND_ACTION__MAX +
		                                        edges[i].action];

		assert_true(edges[i].roles != 0);
		for (j = 0; j < count; j++)
			assert_false(j != i && edges[j].from == edges[i].from &&
			             edges[j].action == edges[i].action);
		for (j = 0; j < REFUND_ROLE__MAX; j++) {
			bool allowed = (edges[i].roles & REFUND_ROLE_BIT(j)) != 0;

			assert_int_equal(row->cell[j] != FR, allowed);
			if (row->cell[j] >= 0)
				assert_int_equal(row->cell[j], edges[i].to);
		}
	}
}

/* ---- approval rules ------------------------------------------------------------ */

struct approve_case {
	const char         *what;
	enum refund_state   state;
	enum refund_role    role;
	int64_t             quote, amount, second_over;
	enum refund_payout_method submitted, method;
	bool                note;
	enum refund_refusal want;
	enum refund_state   next;
	bool                records_first;
};

#define ORIG REFUND_PAYOUT_ORIGINAL_ROUTE
#define BAL  REFUND_PAYOUT_BALANCE
#define SUPPORT REFUND_ROLE_SUPPORT
#define SUPERVISOR REFUND_ROLE_SUPERVISOR
#define OK REFUND_OK

static const struct approve_case approve_cases[] = {
	{ "support, the quote", T(IN_REVIEW), SUPPORT, 10000, 10000, 50000, ORIG, ORIG, false,
	  OK, APR, false },
	{ "support, less than the quote", T(IN_REVIEW), SUPPORT, 10000, 9999, 50000, ORIG, ORIG,
	  true, OK, T(AWAITING_CONFIRMATION), false },
	{ "support, less than the quote without a note", T(IN_REVIEW), SUPPORT, 10000, 9999,
	  50000, ORIG, ORIG, false, REFUND_ERR_NOTE_REQUIRED, T(IN_REVIEW), false },
	{ "support, the quote to balance instead", T(IN_REVIEW), SUPPORT, 10000, 10000, 50000,
	  ORIG, BAL, true, OK, T(AWAITING_CONFIRMATION), false },
	{ "support, another method without a note", T(IN_REVIEW), SUPPORT, 10000, 10000, 50000,
	  ORIG, BAL, false, REFUND_ERR_NOTE_REQUIRED, T(IN_REVIEW), false },
	{ "support, balance as submitted", T(IN_REVIEW), SUPPORT, 10000, 10000, 50000,
	  BAL, BAL, false, OK, APR, false },
	{ "support, above the quote", T(IN_REVIEW), SUPPORT, 10000, 10001, 50000, ORIG, ORIG,
	  true, REFUND_ERR_AMOUNT_ABOVE_QUOTE, T(IN_REVIEW), false },
	{ "supervisor, above the quote without a note", T(IN_REVIEW), SUPERVISOR, 10000, 10001,
	  50000, ORIG, ORIG, false, REFUND_ERR_NOTE_REQUIRED, T(IN_REVIEW), false },
	{ "supervisor, above the quote with a note", T(IN_REVIEW), SUPERVISOR, 10000, 10001,
	  50000, ORIG, ORIG, true, OK, APR, false },
	{ "supervisor, above the quote, other method", T(IN_REVIEW), SUPERVISOR, 10000, 12000,
	  50000, ORIG, BAL, true, OK, T(AWAITING_CONFIRMATION), false },
	{ "supervisor, the quote, no note needed", T(IN_REVIEW), SUPERVISOR, 10000, 10000, 50000,
	  ORIG, ORIG, false, OK, APR, false },
	{ "manual review quote of 0: support cannot", T(IN_REVIEW), SUPPORT, 0, 5000, 50000,
	  ORIG, ORIG, true, REFUND_ERR_AMOUNT_ABOVE_QUOTE, T(IN_REVIEW), false },
	{ "manual review quote of 0: supervisor with note", T(IN_REVIEW), SUPERVISOR, 0, 5000,
	  50000, ORIG, ORIG, true, OK, APR, false },
	{ "exactly the threshold is not above it", T(IN_REVIEW), SUPPORT, 50000, 50000, 50000,
	  ORIG, ORIG, false, OK, APR, false },
	{ "one above the threshold", T(IN_REVIEW), SUPPORT, 50001, 50001, 50000, ORIG, ORIG,
	  false, OK, T(AWAITING_SECOND_APPROVAL), true },
	{ "above the threshold and partial: second approval first", T(IN_REVIEW), SUPPORT,
	  90000, 60000, 50000, ORIG, ORIG, true, OK, T(AWAITING_SECOND_APPROVAL), true },
	{ "above the threshold and partial, without a note", T(IN_REVIEW), SUPPORT, 90000, 60000,
	  50000, ORIG, ORIG, false, REFUND_ERR_NOTE_REQUIRED, T(IN_REVIEW), false },
	{ "supervisor above the threshold too", T(IN_REVIEW), SUPERVISOR, 90000, 90000, 50000,
	  ORIG, ORIG, false, OK, T(AWAITING_SECOND_APPROVAL), true },
	{ "threshold 0: every approval needs two", T(IN_REVIEW), SUPPORT, 100, 1, 0, ORIG, ORIG,
	  true, OK, T(AWAITING_SECOND_APPROVAL), true },
	{ "zero amount", T(IN_REVIEW), SUPPORT, 10000, 0, 50000, ORIG, ORIG, true,
	  REFUND_ERR_INVALID_AMOUNT, T(IN_REVIEW), false },
	{ "negative amount", T(IN_REVIEW), SUPERVISOR, 10000, -1, 50000, ORIG, ORIG, true,
	  REFUND_ERR_INVALID_AMOUNT, T(IN_REVIEW), false },
	{ "negative quote is a caller bug", T(IN_REVIEW), SUPPORT, -5, 10, 50000, ORIG, ORIG,
	  true, REFUND_ERR_INVALID_ARGUMENT, T(IN_REVIEW), false },
	{ "appeal: supervisor, less than the quote", T(APPEALED), SUPERVISOR, 10000, 8000, 50000,
	  ORIG, ORIG, true, OK, T(AWAITING_CONFIRMATION), false },
	{ "appeal: less than the quote without a note", T(APPEALED), SUPERVISOR, 10000, 8000,
	  50000, ORIG, ORIG, false, REFUND_ERR_NOTE_REQUIRED, T(APPEALED), false },
	{ "appeal: supervisor, above the threshold", T(APPEALED), SUPERVISOR, 90000, 90000,
	  50000, ORIG, ORIG, false, OK, T(AWAITING_SECOND_APPROVAL), true },
	{ "appeal: supervisor, above the quote without a note", T(APPEALED), SUPERVISOR, 10000,
	  20000, 50000, ORIG, ORIG, false, REFUND_ERR_NOTE_REQUIRED, T(APPEALED), false },
	{ "appeal: support may not decide", T(APPEALED), SUPPORT, 10000, 10000, 50000, ORIG, ORIG,
	  true, REFUND_ERR_FORBIDDEN_ROLE, T(APPEALED), false },
};

static void test_approval_rules(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof approve_cases / sizeof approve_cases[0]; i++) {
		const struct approve_case *c = &approve_cases[i];
		struct refund_facts f = benign_facts(c->state);
		struct refund_outcome out;
		enum refund_refusal rc;

		f.quoted_amount = c->quote;
		f.approve_amount = c->amount;
		f.second_approval_over = c->second_over;
		f.submitted_method = c->submitted;
		f.approve_method = c->method;
		f.has_note = c->note;
		rc = refund_transition(&f, A(APPROVE), c->role, &out);
		if (rc != c->want || out.next != c->next ||
		    out.records_first_approval != c->records_first || out.consumes_appeal)
			fail_msg("%s: %s -> %s (records %d)", c->what, refund_refusal_code(rc),
			         refund_state_name(out.next), out.records_first_approval);
	}
}

struct second_case {
	const char         *what;
	enum refund_role    role;
	const char         *first, *actor;
	int64_t             amount;
	enum refund_payout_method method;
	enum refund_refusal want;
	enum refund_state   next;
};

static const struct second_case second_cases[] = {
	{ "another supervisor", SUPERVISOR, "sup-1", "sup-2", 60000, ORIG, OK, APR },
	{ "the same person", SUPERVISOR, "sup-1", "sup-1", 60000, ORIG,
	  REFUND_ERR_SAME_APPROVER, T(AWAITING_SECOND_APPROVAL) },
	{ "subs are case-sensitive (RFC 7519)", SUPERVISOR, "sup-1", "Sup-1", 60000, ORIG, OK, APR },
	{ "first approver unknown", SUPERVISOR, NULL, "sup-2", 60000, ORIG,
	  REFUND_ERR_SAME_APPROVER, T(AWAITING_SECOND_APPROVAL) },
	{ "actor unknown", SUPERVISOR, "sup-1", NULL, 60000, ORIG,
	  REFUND_ERR_SAME_APPROVER, T(AWAITING_SECOND_APPROVAL) },
	{ "actor empty", SUPERVISOR, "", "", 60000, ORIG,
	  REFUND_ERR_SAME_APPROVER, T(AWAITING_SECOND_APPROVAL) },
	{ "pending approval below the quote", SUPERVISOR, "sup-1", "sup-2", 55000, ORIG, OK,
	  T(AWAITING_CONFIRMATION) },
	{ "pending approval to balance", SUPERVISOR, "sup-1", "sup-2", 60000, BAL, OK,
	  T(AWAITING_CONFIRMATION) },
	{ "support cannot give a second approval", SUPPORT, "sup-1", "sup-2", 60000, ORIG,
	  REFUND_ERR_FORBIDDEN_ROLE, T(AWAITING_SECOND_APPROVAL) },
	{ "pending amount zero", SUPERVISOR, "sup-1", "sup-2", 0, ORIG,
	  REFUND_ERR_INVALID_AMOUNT, T(AWAITING_SECOND_APPROVAL) },
};

static void test_second_approver(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof second_cases / sizeof second_cases[0]; i++) {
		const struct second_case *c = &second_cases[i];
		struct refund_facts f = benign_facts(T(AWAITING_SECOND_APPROVAL));
		struct refund_outcome out;
		enum refund_refusal rc;

		f.quoted_amount = 60000;
		f.second_approval_over = 50000;
		f.first_approver_sub = c->first;
		f.actor_sub = c->actor;
		f.approve_amount = c->amount;
		f.approve_method = c->method;
		f.has_note = false;
		rc = refund_transition(&f, A(APPROVE), c->role, &out);
		if (rc != c->want || out.next != c->next || out.records_first_approval)
			fail_msg("%s: %s -> %s", c->what, refund_refusal_code(rc),
			         refund_state_name(out.next));
	}
}

/* ---- the customer's side: confirm, decline, appeal once ----------------------------- */

struct customer_case {
	const char         *what;
	enum refund_state   state;
	enum refund_action  action;
	bool                appeal_used;
	enum refund_refusal want;
	enum refund_state   next;
	bool                consumes_appeal;
};

static const struct customer_case customer_cases[] = {
	{ "confirm a changed offer", T(AWAITING_CONFIRMATION), A(CONFIRM), false, OK, APR, false },
	{ "confirm after the appeal", T(AWAITING_CONFIRMATION), A(CONFIRM), true, OK, APR, false },
	{ "decline: the one appeal", T(AWAITING_CONFIRMATION), A(DECLINE), false, OK, APL, true },
	{ "decline after the appeal: ends", T(AWAITING_CONFIRMATION), A(DECLINE), true, OK, REJ,
	  false },
	{ "appeal a rejection", T(REJECTED), A(APPEAL), false, OK, APL, true },
	{ "appeal twice", T(REJECTED), A(APPEAL), true, REFUND_ERR_APPEAL_USED, REJ, false },
	{ "appeal while appealed", T(APPEALED), A(APPEAL), false, REFUND_ERR_INVALID_TRANSITION,
	  APL, false },
	{ "reply to a question", T(NEEDS_INFO), A(CUSTOMER_REPLY), false, OK, REV, false },
	{ "withdraw while waiting for confirmation", T(AWAITING_CONFIRMATION), A(WITHDRAW),
	  false, REFUND_ERR_INVALID_TRANSITION, T(AWAITING_CONFIRMATION), false },
	{ "withdraw once approved", T(APPROVED), A(WITHDRAW), false,
	  REFUND_ERR_INVALID_TRANSITION, APR, false },
};

static void test_customer_rules(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof customer_cases / sizeof customer_cases[0]; i++) {
		const struct customer_case *c = &customer_cases[i];
		struct refund_facts f = benign_facts(c->state);
		struct refund_outcome out;
		enum refund_refusal rc;

		f.appeal_used = c->appeal_used;
		f.has_note = false;
		rc = refund_transition(&f, c->action, REFUND_ROLE_CUSTOMER, &out);
		if (rc != c->want || out.next != c->next || out.consumes_appeal != c->consumes_appeal)
			fail_msg("%s: %s -> %s", c->what, refund_refusal_code(rc),
			         refund_state_name(out.next));
	}
}

/* ---- whole journeys: outcomes fed back as the handler would store them ---------- */

struct step {
	enum refund_action  action;
	enum refund_role    role;
	const char         *sub;
	int64_t             amount;      /* approve; 0 keeps the pending one */
	enum refund_refusal want;
	enum refund_state   state_after;
};

struct journey {
	const char  *what;
	int64_t      quote, second_over, auto_max;
	bool         full_in_window;
	struct step  steps[12];
};

#define CUST REFUND_ROLE_CUSTOMER
#define SYS  REFUND_ROLE_SYSTEM
#define FIN  REFUND_ROLE_FINANCE
#define END  { REFUND_ACTION__MAX, 0, NULL, 0, OK, 0 }

static const struct journey journeys[] = {
	{ "declined offer, appeal used up, rejection is final", 10000, 50000, 0, false, {
		{ A(SUBMIT), CUST, "c-1", 0, OK, SUB },
		{ A(AUTO_APPROVE), SYS, "billing", 0, REFUND_ERR_NOT_AUTO_APPROVABLE, SUB },
		{ A(CLAIM), SUPPORT, "agent-1", 0, OK, REV },
		{ A(APPROVE), SUPPORT, "agent-1", 6000, OK, T(AWAITING_CONFIRMATION) },
		{ A(DECLINE), CUST, "c-1", 0, OK, APL },
		{ A(REJECT), SUPERVISOR, "sup-1", 0, OK, REJ },
		{ A(APPEAL), CUST, "c-1", 0, REFUND_ERR_APPEAL_USED, REJ },
		END } },
	{ "auto-approved, payout fails once, then settles", 5000, 50000, 20000, true, {
		{ A(SUBMIT), CUST, "c-2", 0, OK, SUB },
		{ A(AUTO_APPROVE), SYS, "billing", 0, OK, APR },
		{ A(PAYOUT_START), FIN, "fin-1", 0, OK, PAYG },
		{ A(PAYOUT_FAILED), SYS, "channel", 0, OK, APR },
		{ A(PAYOUT_START), FIN, "fin-1", 0, OK, PAYG },
		{ A(PAYOUT_SETTLED), SYS, "channel", 0, OK, PAID },
		{ A(PAYOUT_START), FIN, "fin-1", 0, REFUND_ERR_INVALID_TRANSITION, PAID },
		{ A(WITHDRAW), CUST, "c-2", 0, REFUND_ERR_INVALID_TRANSITION, PAID },
		END } },
	{ "large refund: two different supervisors", 80000, 50000, 0, false, {
		{ A(SUBMIT), CUST, "c-3", 0, OK, SUB },
		{ A(CLAIM), SUPPORT, "agent-1", 0, OK, REV },
		{ A(CLAIM), SUPPORT, "agent-2", 0, REFUND_ERR_ALREADY_CLAIMED, REV },
		{ A(CLAIM), SUPERVISOR, "sup-1", 0, OK, REV },
		{ A(APPROVE), SUPERVISOR, "sup-1", 80000, OK, T(AWAITING_SECOND_APPROVAL) },
		{ A(APPROVE), SUPERVISOR, "sup-1", 0, REFUND_ERR_SAME_APPROVER,
		  T(AWAITING_SECOND_APPROVAL) },
		{ A(WITHDRAW), CUST, "c-3", 0, REFUND_ERR_INVALID_TRANSITION,
		  T(AWAITING_SECOND_APPROVAL) },
		{ A(APPROVE), SUPERVISOR, "sup-2", 0, OK, APR },
		{ A(PAYOUT_START), FIN, "fin-1", 0, OK, PAYG },
		END } },
	{ "question, answer, withdraw", 10000, 50000, 0, false, {
		{ A(SUBMIT), CUST, "c-4", 0, OK, SUB },
		{ A(CLAIM), SUPPORT, "agent-1", 0, OK, REV },
		{ A(REQUEST_INFO), SUPPORT, "agent-1", 0, OK, INFO },
		{ A(CUSTOMER_REPLY), CUST, "c-4", 0, OK, REV },
		{ A(WITHDRAW), CUST, "c-4", 0, OK, WDR },
		{ A(APPROVE), SUPPORT, "agent-1", 10000, REFUND_ERR_INVALID_TRANSITION, WDR },
		END } },
};

/* What the handler would store after an accepted action. */
static void store_outcome(struct refund_facts *f, const struct refund_outcome *out,
                          const struct step *s, const char **first_approver)
{
	f->state = out->next;
	if (out->consumes_appeal)
		f->appeal_used = true;
	if (out->records_first_approval)
		*first_approver = s->sub;
}

static void run_journey(const struct journey *j)
{
	struct refund_facts f = benign_facts(T(NONE));
	const char *first_approver = NULL;
	size_t i;

	f.quoted_amount = j->quote;
	f.second_approval_over = j->second_over;
	f.auto_approve_max = j->auto_max;
	f.quote_full_in_window = j->full_in_window;
	for (i = 0; j->steps[i].action != REFUND_ACTION__MAX; i++) {
		const struct step *s = &j->steps[i];
		struct refund_outcome out;
		enum refund_refusal rc;

		f.actor_sub = s->sub;
		f.first_approver_sub = first_approver;
		if (s->amount != 0)
			f.approve_amount = s->amount;
		rc = refund_transition(&f, s->action, s->role, &out);
		if (rc != s->want || out.next != s->state_after)
			fail_msg("%s, step %zu (%s): %s -> %s", j->what, i, refund_action_name(s->action),
			         refund_refusal_code(rc), refund_state_name(out.next));
		if (rc == REFUND_OK)
			store_outcome(&f, &out, s, &first_approver);
	}
}

static void test_journeys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof journeys / sizeof journeys[0]; i++)
		run_journey(&journeys[i]);
}

/* ---- auto-approval and notes ------------------------------------------------------ */

struct auto_case {
	const char *what;
	bool        full_in_window;
	int64_t     quote, auto_max, second_over;
	enum refund_refusal want;
};

static const struct auto_case auto_cases[] = {
	{ "full, in window, under the limit", true, 5000, 20000, 50000, OK },
	{ "exactly the limit", true, 20000, 20000, 50000, OK },
	{ "one over the limit", true, 20001, 20000, 50000, REFUND_ERR_NOT_AUTO_APPROVABLE },
	{ "limit 0 means never", true, 1, 0, 50000, REFUND_ERR_NOT_AUTO_APPROVABLE },
	{ "partial or outside the window", false, 5000, 20000, 50000,
	  REFUND_ERR_NOT_AUTO_APPROVABLE },
	{ "nothing to pay", true, 0, 20000, 50000, REFUND_ERR_NOT_AUTO_APPROVABLE },
	{ "would skip the second approver", true, 30000, 40000, 25000,
	  REFUND_ERR_NOT_AUTO_APPROVABLE },
};

static void test_auto_approve(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof auto_cases / sizeof auto_cases[0]; i++) {
		const struct auto_case *c = &auto_cases[i];
		struct refund_facts f = benign_facts(SUB);
		struct refund_outcome out;
		enum refund_refusal rc;

		f.quote_full_in_window = c->full_in_window;
		f.quoted_amount = c->quote;
		f.approve_amount = c->quote;
		f.auto_approve_max = c->auto_max;
		f.second_approval_over = c->second_over;
		rc = refund_transition(&f, A(AUTO_APPROVE), SYS, &out);
		if (rc != c->want || out.next != (rc == OK ? APR : SUB))
			fail_msg("%s: %s", c->what, refund_refusal_code(rc));
	}
}

/* ---- an order billing voided ---------------------------------------------------- */

/* Every edge, by every role it allows, with the order cancelled or unpaid
 * in billing: the steps that commit money are refused with order_not_paid,
 * every other step answers exactly as it does for a paid order. */
static void test_order_voided(void **state)
{
	static const enum refund_action money[] = { A(APPROVE), A(AUTO_APPROVE), A(CONFIRM),
	                                             A(PAYOUT_START) };
	const struct refund_edge *edges;
	unsigned count, refused = 0;

	(void)state;
	edges = refund_edges(&count);
	for (unsigned i = 0; i < count; i++) {
		bool commits = false;
		for (size_t m = 0; m < sizeof money / sizeof money[0]; m++)
			commits |= edges[i].action == money[m];
		for (int r = 0; r < REFUND_ROLE__MAX; r++) {
			struct refund_facts paid = benign_facts(edges[i].from), voided = paid;
			struct refund_outcome out_paid, out_voided;
			if (!(edges[i].roles & REFUND_ROLE_BIT(r)))
				continue;
			voided.order_voided = true;
			enum refund_refusal want = refund_transition(&paid, edges[i].action,
			                                             (enum refund_role)r, &out_paid);
			enum refund_refusal got = refund_transition(&voided, edges[i].action,
			                                            (enum refund_role)r, &out_voided);
			if (commits && (got != REFUND_ERR_ORDER_NOT_PAID || out_voided.next != edges[i].from))
				fail_msg("%s by %s from %s: %s", refund_action_name(edges[i].action),
				         refund_role_name((enum refund_role)r),
				         refund_state_name(edges[i].from), refund_refusal_code(got));
			if (!commits && (got != want || out_voided.next != out_paid.next))
				fail_msg("%s from %s changed with the order voided",
				         refund_action_name(edges[i].action), refund_state_name(edges[i].from));
			refused += commits;
		}
	}
	assert_true(refused >= 5);   /* approve x2 states x2 roles at least, confirm, payout */
	/* The structure still comes first: a customer acting on another
	 * account's request is not told about its order. */
	struct refund_facts f = benign_facts(REFUND_STATE_AWAITING_CONFIRMATION);
	struct refund_outcome out;
	f.order_voided = true;
	f.actor_is_owner = false;
	assert_int_equal(refund_transition(&f, A(CONFIRM), REFUND_ROLE_CUSTOMER, &out),
	                 REFUND_ERR_NOT_OWNER);
	f = benign_facts(REFUND_STATE_PAID);
	f.order_voided = true;
	assert_int_equal(refund_transition(&f, A(APPROVE), REFUND_ROLE_SUPERVISOR, &out),
	                 REFUND_ERR_INVALID_TRANSITION);
}

static void test_request_info_needs_note(void **state)
{
	struct refund_facts f = benign_facts(REV);
	struct refund_outcome out;

	(void)state;
	f.has_note = false;
	assert_int_equal(refund_transition(&f, A(REQUEST_INFO), SUPPORT, &out),
	                 REFUND_ERR_NOTE_REQUIRED);
	assert_int_equal(out.next, REV);
	f.has_note = true;
	assert_int_equal(refund_transition(&f, A(REQUEST_INFO), SUPERVISOR, &out), OK);
	assert_int_equal(out.next, INFO);
}

static void test_invalid_arguments(void **state)
{
	struct refund_facts f = benign_facts(REV);
	struct refund_outcome out;

	(void)state;
	assert_int_equal(refund_transition(NULL, A(CLAIM), SUPERVISOR, &out),
	                 REFUND_ERR_INVALID_ARGUMENT);
	assert_int_equal(refund_transition(&f, A(CLAIM), SUPERVISOR, NULL),
	                 REFUND_ERR_INVALID_ARGUMENT);
	assert_int_equal(refund_transition(&f, REFUND_ACTION__MAX, SUPERVISOR, &out),
	                 REFUND_ERR_INVALID_ARGUMENT);
	assert_int_equal(refund_transition(&f, A(CLAIM), REFUND_ROLE__MAX, &out),
	                 REFUND_ERR_INVALID_ARGUMENT);
	assert_int_equal(refund_transition(&f, A(CLAIM), (enum refund_role)-1, &out),
	                 REFUND_ERR_INVALID_ARGUMENT);
	f.state = REFUND_STATE__MAX;
	assert_int_equal(refund_transition(&f, A(CLAIM), SUPERVISOR, &out),
	                 REFUND_ERR_INVALID_ARGUMENT);
	f = benign_facts(REV);
	f.approve_method = REFUND_PAYOUT__MAX;
	assert_int_equal(refund_transition(&f, A(APPROVE), SUPERVISOR, &out),
	                 REFUND_ERR_INVALID_ARGUMENT);
	f = benign_facts(REV);
	f.submitted_method = (enum refund_payout_method)7;
	assert_int_equal(refund_transition(&f, A(APPROVE), SUPERVISOR, &out),
	                 REFUND_ERR_INVALID_ARGUMENT);
}

/* ---- names ------------------------------------------------------------------------ */

static const char *const state_names[] = {
	"none", "submitted", "in_review", "needs_info", "awaiting_second_approval",
	"awaiting_confirmation", "approved", "paying", "paid", "rejected", "appealed",
	"withdrawn",
};

static const char *const action_names[] = {
	"submit", "auto_approve", "claim", "request_info", "customer_reply", "approve",
	"reject", "withdraw", "appeal", "confirm", "decline", "payout_start",
	"payout_settled", "payout_failed",
};

static const char *const role_names[] = {
	"customer", "support", "supervisor", "finance", "admin", "system",
};

static const char *const unknown_names[] = {
	"", "Submitted", "SUBMIT", " claim", "claim ", "in-review", "customer\n", "root",
	"approvedx", "original route",
};

static void test_state_names(void **state)
{
	enum refund_state s;
	int i;

	(void)state;
	assert_int_equal(sizeof state_names / sizeof state_names[0], REFUND_STATE__MAX);
	for (i = 0; i < REFUND_STATE__MAX; i++) {
		assert_string_equal(refund_state_name((enum refund_state)i), state_names[i]);
		if (i == REFUND_STATE_NONE)
			continue;
		assert_true(refund_state_parse(state_names[i], &s));
		assert_int_equal(s, i);
	}
	s = REFUND_STATE_PAID;
	assert_false(refund_state_parse("none", &s));   /* never stored */
	assert_int_equal(s, REFUND_STATE_PAID);
	assert_null(refund_state_name(REFUND_STATE__MAX));
}

static void test_action_and_role_names(void **state)
{
	enum refund_action a;
	enum refund_role r;
	int i;

	(void)state;
	assert_int_equal(sizeof action_names / sizeof action_names[0], REFUND_ACTION__MAX);
	assert_int_equal(sizeof role_names / sizeof role_names[0], REFUND_ROLE__MAX);
	for (i = 0; i < REFUND_ACTION__MAX; i++) {
		assert_string_equal(refund_action_name((enum refund_action)i), action_names[i]);
		assert_true(refund_action_parse(action_names[i], &a));
		assert_int_equal(a, i);
	}
	for (i = 0; i < REFUND_ROLE__MAX; i++) {
		assert_string_equal(refund_role_name((enum refund_role)i), role_names[i]);
		assert_true(refund_role_parse(role_names[i], &r));
		assert_int_equal(r, i);
	}
	assert_null(refund_action_name(REFUND_ACTION__MAX));
	assert_null(refund_role_name(REFUND_ROLE__MAX));
	assert_null(refund_role_name((enum refund_role)-1));
}

static void test_payout_method_names(void **state)
{
	enum refund_payout_method m;

	(void)state;
	assert_true(refund_payout_method_parse("original_route", &m));
	assert_int_equal(m, REFUND_PAYOUT_ORIGINAL_ROUTE);
	assert_true(refund_payout_method_parse("balance", &m));
	assert_int_equal(m, REFUND_PAYOUT_BALANCE);
	assert_string_equal(refund_payout_method_name(REFUND_PAYOUT_BALANCE), "balance");
	assert_null(refund_payout_method_name(REFUND_PAYOUT__MAX));
}

/* Unknown strings are errors everywhere, and leave *out alone. */
static void test_unknown_names(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof unknown_names / sizeof unknown_names[0]; i++) {
		enum refund_state s = REFUND_STATE_PAID;
		enum refund_action a = A(CLAIM);
		enum refund_role r = REFUND_ROLE_ADMIN;
		enum refund_payout_method m = BAL;

		assert_false(refund_state_parse(unknown_names[i], &s));
		assert_false(refund_action_parse(unknown_names[i], &a));
		assert_false(refund_role_parse(unknown_names[i], &r));
		assert_false(refund_payout_method_parse(unknown_names[i], &m));
		assert_true(s == REFUND_STATE_PAID && a == A(CLAIM) && r == REFUND_ROLE_ADMIN &&
		            m == BAL);
	}
	assert_false(refund_state_parse(NULL, &(enum refund_state){ SUB }));
	assert_false(refund_role_parse(NULL, &(enum refund_role){ CUST }));
	assert_false(refund_action_parse("claim", NULL));
}

struct refusal_case {
	enum refund_refusal refusal;
	const char *code;
	int status;
};

static const struct refusal_case refusal_cases[] = {
	{ REFUND_OK, "ok", 200 },
	{ REFUND_ERR_INVALID_ARGUMENT, "invalid_argument", 500 },
	{ REFUND_ERR_FORBIDDEN_ROLE, "forbidden_role", 403 },
	{ REFUND_ERR_NOT_OWNER, "not_owner", 404 },
	{ REFUND_ERR_INVALID_TRANSITION, "invalid_transition", 409 },
	{ REFUND_ERR_ALREADY_CLAIMED, "already_claimed", 409 },
	{ REFUND_ERR_INVALID_AMOUNT, "invalid_amount", 422 },
	{ REFUND_ERR_AMOUNT_ABOVE_QUOTE, "amount_above_quote", 403 },
	{ REFUND_ERR_NOTE_REQUIRED, "note_required", 422 },
	{ REFUND_ERR_SAME_APPROVER, "same_approver", 403 },
	{ REFUND_ERR_APPEAL_USED, "appeal_used", 409 },
	{ REFUND_ERR_NOT_AUTO_APPROVABLE, "not_auto_approvable", 409 },
	{ REFUND_ERR_ORDER_NOT_PAID, "order_not_paid", 409 },
};

/* The codes are an API: they must not change by accident. */
static void test_refusal_codes(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(sizeof refusal_cases / sizeof refusal_cases[0], REFUND_ERR__MAX);
	for (i = 0; i < sizeof refusal_cases / sizeof refusal_cases[0]; i++) {
		assert_int_equal(refusal_cases[i].refusal, i);
		assert_string_equal(refund_refusal_code(refusal_cases[i].refusal),
		                    refusal_cases[i].code);
		assert_int_equal(refund_refusal_http_status(refusal_cases[i].refusal),
		                 refusal_cases[i].status);
	}
	/* every refusal says what was wrong in its own words */
	for (i = 1; i < REFUND_ERR__MAX; i++)
		for (size_t j = i + 1; j < REFUND_ERR__MAX; j++)
			if (strcmp(refund_refusal_text((enum refund_refusal)i),
			           refund_refusal_text((enum refund_refusal)j)) == 0)
				fail_msg("refusals %zu and %zu share a text", i, j);
	assert_string_equal(refund_refusal_text(REFUND_ERR__MAX),
	                    refund_refusal_text(REFUND_ERR_INVALID_ARGUMENT));
	assert_string_equal(refund_refusal_code(REFUND_ERR__MAX), "invalid_argument");
	assert_int_equal(refund_refusal_http_status((enum refund_refusal)-1), 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_complete),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_not_owner_everywhere),
		cmocka_unit_test(test_edges_match_table),
		cmocka_unit_test(test_approval_rules),
		cmocka_unit_test(test_second_approver),
		cmocka_unit_test(test_customer_rules),
		cmocka_unit_test(test_journeys),
		cmocka_unit_test(test_auto_approve),
		cmocka_unit_test(test_order_voided),
		cmocka_unit_test(test_request_info_needs_note),
		cmocka_unit_test(test_invalid_arguments),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_action_and_role_names),
		cmocka_unit_test(test_payout_method_names),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_refusal_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
