/* refund_state.c -- the refund request state machine (DESIGN.md §3): an edge
 * table of who may move a request where, plus the money rules that can
 * refuse or divert an approval. Pure: the decisions behind every choice are
 * listed in refund_state.h. */
#include "refund_state.h"

#include <stddef.h>
#include <string.h>

#define CUSTOMER   REFUND_ROLE_BIT(REFUND_ROLE_CUSTOMER)
#define SUPPORT    REFUND_ROLE_BIT(REFUND_ROLE_SUPPORT)
#define SUPERVISOR REFUND_ROLE_BIT(REFUND_ROLE_SUPERVISOR)
#define FINANCE    REFUND_ROLE_BIT(REFUND_ROLE_FINANCE)
#define SYSTEM     REFUND_ROLE_BIT(REFUND_ROLE_SYSTEM)
#define STAFF      (SUPPORT | SUPERVISOR)

#define EDGE(from, action, to, roles) \
	{ REFUND_STATE_##from, REFUND_ACTION_##action, REFUND_STATE_##to, roles }

/* The diagram of DESIGN.md §3, one row per arrow, plus the choices noted in
 * refund_state.h (re-claim, reject from needs_info / second approval). */
static const struct refund_edge edges[] = {
	EDGE(NONE,                     SUBMIT,         SUBMITTED,  CUSTOMER),
	EDGE(SUBMITTED,                AUTO_APPROVE,   APPROVED,   SYSTEM),
	EDGE(SUBMITTED,                CLAIM,          IN_REVIEW,  STAFF),
	EDGE(IN_REVIEW,                CLAIM,          IN_REVIEW,  STAFF),
	EDGE(IN_REVIEW,                REQUEST_INFO,   NEEDS_INFO, STAFF),
	EDGE(NEEDS_INFO,               CUSTOMER_REPLY, IN_REVIEW,  CUSTOMER),
	EDGE(IN_REVIEW,                APPROVE,        APPROVED,   STAFF),
	EDGE(AWAITING_SECOND_APPROVAL, APPROVE,        APPROVED,   SUPERVISOR),
	EDGE(APPEALED,                 APPROVE,        APPROVED,   SUPERVISOR),
	EDGE(IN_REVIEW,                REJECT,         REJECTED,   STAFF),
	EDGE(NEEDS_INFO,               REJECT,         REJECTED,   STAFF),
	EDGE(AWAITING_SECOND_APPROVAL, REJECT,         REJECTED,   SUPERVISOR),
	EDGE(APPEALED,                 REJECT,         REJECTED,   SUPERVISOR),
	EDGE(SUBMITTED,                WITHDRAW,       WITHDRAWN,  CUSTOMER),
	EDGE(IN_REVIEW,                WITHDRAW,       WITHDRAWN,  CUSTOMER),
	EDGE(NEEDS_INFO,               WITHDRAW,       WITHDRAWN,  CUSTOMER),
	EDGE(REJECTED,                 APPEAL,         APPEALED,   CUSTOMER),
	EDGE(AWAITING_CONFIRMATION,    CONFIRM,        APPROVED,   CUSTOMER),
	EDGE(AWAITING_CONFIRMATION,    DECLINE,        APPEALED,   CUSTOMER),
	EDGE(APPROVED,                 PAYOUT_START,   PAYING,     FINANCE),
	EDGE(PAYING,                   PAYOUT_SETTLED, PAID,       SYSTEM | FINANCE),
	EDGE(PAYING,                   PAYOUT_FAILED,  APPROVED,   SYSTEM | FINANCE),
	/* A payout reported failed that the channel paid after all, while no
	 * other payout is live (handlers_payouts.c settle_late checks that). */
	EDGE(APPROVED,                 PAYOUT_SETTLED, PAID,       SYSTEM | FINANCE),
};

#define EDGE_COUNT (sizeof edges / sizeof edges[0])

const struct refund_edge *refund_edges(unsigned *count)
{
	if (count != NULL)
		*count = (unsigned)EDGE_COUNT;
	return edges;
}

static const struct refund_edge *find_edge(enum refund_state from, enum refund_action action)
{
	size_t i;

	for (i = 0; i < EDGE_COUNT; i++)
		if (edges[i].from == from && edges[i].action == action)
			return &edges[i];
	return NULL;
}

/* Every role that may take this action from some state. */
static unsigned action_roles(enum refund_action action)
{
	unsigned roles = 0;
	size_t i;

	for (i = 0; i < EDGE_COUNT; i++)
		if (edges[i].action == action)
			roles |= edges[i].roles;
	return roles;
}

/* ---- the money rules ---------------------------------------------------- */

static enum refund_refusal allow(struct refund_outcome *out, enum refund_state next)
{
	out->next = next;
	return REFUND_OK;
}

/* DESIGN.md §3: the customer's submission confirms only the amount and
 * method they were quoted; less, or another route, waits for them. */
static enum refund_state approved_or_confirmation(const struct refund_facts *f)
{
	if (f->approve_amount < f->quoted_amount || f->approve_method != f->submitted_method)
		return REFUND_STATE_AWAITING_CONFIRMATION;
	return REFUND_STATE_APPROVED;
}

/* approve from in_review or appealed. */
static enum refund_refusal first_approval(const struct refund_facts *f, enum refund_role role,
                                          struct refund_outcome *out)
{
	if (f->quoted_amount < 0)
		return REFUND_ERR_INVALID_ARGUMENT;
	if (f->approve_amount <= 0)
		return REFUND_ERR_INVALID_AMOUNT;
	if (f->approve_amount > f->quoted_amount) {
		/* DESIGN.md §2: decisions outside policy are a supervisor's, with a reason. */
		if (role != REFUND_ROLE_SUPERVISOR)
			return REFUND_ERR_AMOUNT_ABOVE_QUOTE;
		if (!f->has_note)
			return REFUND_ERR_NOTE_REQUIRED;
	}
	/* An offer other than what the customer submitted goes to them for
	 * confirmation; the note is where they read why (it is on their page). */
	if ((f->approve_amount < f->quoted_amount || f->approve_method != f->submitted_method) &&
	    !f->has_note)
		return REFUND_ERR_NOTE_REQUIRED;
	if (f->approve_amount > f->second_approval_over) {
		out->records_first_approval = true;
		return allow(out, REFUND_STATE_AWAITING_SECOND_APPROVAL);
	}
	return allow(out, approved_or_confirmation(f));
}

/* approve from awaiting_second_approval: "a second, different approver".
 * Unknown subs cannot be shown to differ, so they are refused. */
static enum refund_refusal second_approval(const struct refund_facts *f,
                                           struct refund_outcome *out)
{
	if (f->actor_sub == NULL || f->first_approver_sub == NULL || f->actor_sub[0] == '\0' ||
	    strcmp(f->actor_sub, f->first_approver_sub) == 0)
		return REFUND_ERR_SAME_APPROVER;
	if (f->approve_amount <= 0)
		return REFUND_ERR_INVALID_AMOUNT;
	return allow(out, approved_or_confirmation(f));
}

static enum refund_refusal auto_approval(const struct refund_facts *f,
                                         struct refund_outcome *out)
{
	if (!f->quote_full_in_window || f->quoted_amount <= 0 ||
	    f->quoted_amount > f->auto_approve_max ||
	    f->quoted_amount > f->second_approval_over)
		return REFUND_ERR_NOT_AUTO_APPROVABLE;
	return allow(out, REFUND_STATE_APPROVED);
}

static enum refund_refusal claim(const struct refund_facts *f, enum refund_role role,
                                 struct refund_outcome *out)
{
	if (f->state == REFUND_STATE_IN_REVIEW && role != REFUND_ROLE_SUPERVISOR)
		return REFUND_ERR_ALREADY_CLAIMED;
	return allow(out, REFUND_STATE_IN_REVIEW);
}

/* Declining an offer is the customer's one appeal; once that is used, the
 * request ends (they may file a new one for the order). */
static enum refund_refusal decline(const struct refund_facts *f, struct refund_outcome *out)
{
	if (f->appeal_used)
		return allow(out, REFUND_STATE_REJECTED);
	out->consumes_appeal = true;
	return allow(out, REFUND_STATE_APPEALED);
}

static enum refund_refusal appeal(const struct refund_facts *f, struct refund_outcome *out)
{
	if (f->appeal_used)
		return REFUND_ERR_APPEAL_USED;
	out->consumes_appeal = true;
	return allow(out, REFUND_STATE_APPEALED);
}

static enum refund_refusal apply_rules(const struct refund_edge *edge,
                                       const struct refund_facts *f, enum refund_role role,
                                       struct refund_outcome *out)
{
	switch (edge->action) {
	case REFUND_ACTION_AUTO_APPROVE:
		return auto_approval(f, out);
	case REFUND_ACTION_CLAIM:
		return claim(f, role, out);
	case REFUND_ACTION_REQUEST_INFO:
		return f->has_note ? allow(out, edge->to) : REFUND_ERR_NOTE_REQUIRED;
	case REFUND_ACTION_APPROVE:
		if (f->state == REFUND_STATE_AWAITING_SECOND_APPROVAL)
			return second_approval(f, out);
		return first_approval(f, role, out);
	case REFUND_ACTION_APPEAL:
		return appeal(f, out);
	case REFUND_ACTION_DECLINE:
		return decline(f, out);
	default:
		return allow(out, edge->to);
	}
}

/* The steps after which the refund is, or is being, paid out. */
static bool commits_money(enum refund_action action)
{
	return action == REFUND_ACTION_APPROVE || action == REFUND_ACTION_AUTO_APPROVE ||
	       action == REFUND_ACTION_CONFIRM || action == REFUND_ACTION_PAYOUT_START;
}

static bool facts_valid(const struct refund_facts *f, enum refund_action action,
                        enum refund_role role)
{
	return (unsigned)f->state < REFUND_STATE__MAX &&
	       (unsigned)f->submitted_method < REFUND_PAYOUT__MAX &&
	       (unsigned)f->approve_method < REFUND_PAYOUT__MAX &&
	       (unsigned)action < REFUND_ACTION__MAX && (unsigned)role < REFUND_ROLE__MAX;
}

enum refund_refusal refund_transition(const struct refund_facts *facts,
                                      enum refund_action action, enum refund_role role,
                                      struct refund_outcome *out)
{
	const struct refund_edge *edge;

	if (out == NULL)
		return REFUND_ERR_INVALID_ARGUMENT;
	memset(out, 0, sizeof *out);
	if (facts == NULL || !facts_valid(facts, action, role))
		return REFUND_ERR_INVALID_ARGUMENT;
	out->next = facts->state;
	/* Order matters; see "Refusal precedence" in refund_state.h. */
	if (!(action_roles(action) & REFUND_ROLE_BIT(role)))
		return REFUND_ERR_FORBIDDEN_ROLE;
	if (role == REFUND_ROLE_CUSTOMER && !facts->actor_is_owner)
		return REFUND_ERR_NOT_OWNER;
	edge = find_edge(facts->state, action);
	if (edge == NULL)
		return REFUND_ERR_INVALID_TRANSITION;
	if (!(edge->roles & REFUND_ROLE_BIT(role)))
		return REFUND_ERR_FORBIDDEN_ROLE;
	if (facts->order_voided && commits_money(action))
		return REFUND_ERR_ORDER_NOT_PAID;
	return apply_rules(edge, facts, role, out);
}

/* ---- names ----------------------------------------------------------------- */

static const char *const state_names[REFUND_STATE__MAX] = {
	[REFUND_STATE_NONE] = "none",
	[REFUND_STATE_SUBMITTED] = "submitted",
	[REFUND_STATE_IN_REVIEW] = "in_review",
	[REFUND_STATE_NEEDS_INFO] = "needs_info",
	[REFUND_STATE_AWAITING_SECOND_APPROVAL] = "awaiting_second_approval",
	[REFUND_STATE_AWAITING_CONFIRMATION] = "awaiting_confirmation",
	[REFUND_STATE_APPROVED] = "approved",
	[REFUND_STATE_PAYING] = "paying",
	[REFUND_STATE_PAID] = "paid",
	[REFUND_STATE_REJECTED] = "rejected",
	[REFUND_STATE_APPEALED] = "appealed",
	[REFUND_STATE_WITHDRAWN] = "withdrawn",
};

static const char *const action_names[REFUND_ACTION__MAX] = {
	[REFUND_ACTION_SUBMIT] = "submit",
	[REFUND_ACTION_AUTO_APPROVE] = "auto_approve",
	[REFUND_ACTION_CLAIM] = "claim",
	[REFUND_ACTION_REQUEST_INFO] = "request_info",
	[REFUND_ACTION_CUSTOMER_REPLY] = "customer_reply",
	[REFUND_ACTION_APPROVE] = "approve",
	[REFUND_ACTION_REJECT] = "reject",
	[REFUND_ACTION_WITHDRAW] = "withdraw",
	[REFUND_ACTION_APPEAL] = "appeal",
	[REFUND_ACTION_CONFIRM] = "confirm",
	[REFUND_ACTION_DECLINE] = "decline",
	[REFUND_ACTION_PAYOUT_START] = "payout_start",
	[REFUND_ACTION_PAYOUT_SETTLED] = "payout_settled",
	[REFUND_ACTION_PAYOUT_FAILED] = "payout_failed",
};

static const char *const role_names[REFUND_ROLE__MAX] = {
	[REFUND_ROLE_CUSTOMER] = "customer",
	[REFUND_ROLE_SUPPORT] = "support",
	[REFUND_ROLE_SUPERVISOR] = "supervisor",
	[REFUND_ROLE_FINANCE] = "finance",
	[REFUND_ROLE_ADMIN] = "admin",
	[REFUND_ROLE_SYSTEM] = "system",
};

static const char *const payout_names[REFUND_PAYOUT__MAX] = {
	[REFUND_PAYOUT_ORIGINAL_ROUTE] = "original_route",
	[REFUND_PAYOUT_BALANCE] = "balance",
};

static const char *name_of(const char *const *names, unsigned count, unsigned value)
{
	return value < count ? names[value] : NULL;
}

/* Index of name in names[first..count), or -1. Exact, case-sensitive. */
static int index_of(const char *const *names, int first, int count, const char *name)
{
	int i;

	for (i = first; name != NULL && i < count; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

const char *refund_state_name(enum refund_state s)
{
	return name_of(state_names, REFUND_STATE__MAX, (unsigned)s);
}

bool refund_state_parse(const char *name, enum refund_state *out)
{
	/* From 1: "none" is not a state a request can be in. */
	int i = index_of(state_names, REFUND_STATE_SUBMITTED, REFUND_STATE__MAX, name);

	if (i < 0 || out == NULL)
		return false;
	*out = (enum refund_state)i;
	return true;
}

const char *refund_action_name(enum refund_action a)
{
	return name_of(action_names, REFUND_ACTION__MAX, (unsigned)a);
}

bool refund_action_parse(const char *name, enum refund_action *out)
{
	int i = index_of(action_names, 0, REFUND_ACTION__MAX, name);

	if (i < 0 || out == NULL)
		return false;
	*out = (enum refund_action)i;
	return true;
}

const char *refund_role_name(enum refund_role r)
{
	return name_of(role_names, REFUND_ROLE__MAX, (unsigned)r);
}

bool refund_role_parse(const char *name, enum refund_role *out)
{
	int i = index_of(role_names, 0, REFUND_ROLE__MAX, name);

	if (i < 0 || out == NULL)
		return false;
	*out = (enum refund_role)i;
	return true;
}

const char *refund_payout_method_name(enum refund_payout_method m)
{
	return name_of(payout_names, REFUND_PAYOUT__MAX, (unsigned)m);
}

bool refund_payout_method_parse(const char *name, enum refund_payout_method *out)
{
	int i = index_of(payout_names, 0, REFUND_PAYOUT__MAX, name);

	if (i < 0 || out == NULL)
		return false;
	*out = (enum refund_payout_method)i;
	return true;
}

/* ---- refusals --------------------------------------------------------------- */

static const struct {
	const char *code;
	int         status;
	const char *text;   /* the problem's detail: what to do differently */
} refusals[REFUND_ERR__MAX] = {
	[REFUND_OK] = { "ok", 200, "ok" },
	[REFUND_ERR_INVALID_ARGUMENT] = { "invalid_argument", 500,
		"the request's stored facts are inconsistent" },
	[REFUND_ERR_FORBIDDEN_ROLE] = { "forbidden_role", 403,
		"your role may not take this step of the request" },
	[REFUND_ERR_NOT_OWNER] = { "not_owner", 404, "no such refund request" },
	[REFUND_ERR_INVALID_TRANSITION] = { "invalid_transition", 409,
		"this action is not possible in the request's current state" },
	[REFUND_ERR_ALREADY_CLAIMED] = { "already_claimed", 409,
		"another reviewer has claimed this request" },
	[REFUND_ERR_INVALID_AMOUNT] = { "invalid_amount", 422,
		"the amount to approve must be more than zero" },
	[REFUND_ERR_AMOUNT_ABOVE_QUOTE] = { "amount_above_quote", 403,
		"only a supervisor, with a note, may approve more than the quote" },
	[REFUND_ERR_NOTE_REQUIRED] = { "note_required", 422,
		"add a note saying why: it goes with this decision" },
	[REFUND_ERR_SAME_APPROVER] = { "same_approver", 403,
		"the second approval must come from another supervisor" },
	[REFUND_ERR_APPEAL_USED] = { "appeal_used", 409, "the request's one appeal is used" },
	[REFUND_ERR_NOT_AUTO_APPROVABLE] = { "not_auto_approvable", 409,
		"the request does not qualify for automatic approval" },
	[REFUND_ERR_ORDER_NOT_PAID] = { "order_not_paid", 409,
		"billing has the order cancelled or unpaid: its money may have gone back already;"
		" reject the request, or have billing correct the order first" },
};

const char *refund_refusal_text(enum refund_refusal r)
{
	return (unsigned)r < REFUND_ERR__MAX ? refusals[r].text : refusals[REFUND_ERR_INVALID_ARGUMENT].text;
}

const char *refund_refusal_code(enum refund_refusal r)
{
	return (unsigned)r < REFUND_ERR__MAX ? refusals[r].code : "invalid_argument";
}

int refund_refusal_http_status(enum refund_refusal r)
{
	return (unsigned)r < REFUND_ERR__MAX ? refusals[r].status : 500;
}
