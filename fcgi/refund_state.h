/* refund_state.h -- the refund request state machine of DESIGN.md §3: which
 * action, by which role, moves a request from which state to which, and the
 * money rules on the way (approval limits, second approver, the customer's
 * confirmation of a changed amount or route, one appeal).
 *
 * PURE: the handler reads the facts (request row, policy, claims) inside its
 * transaction, asks refund_transition, and on REFUND_OK stores out->next
 * with a conditional UPDATE (... WHERE state = <facts.state>) and its audit
 * event. On a refusal it answers with refund_refusal_code() and
 * refund_refusal_http_status(), changing nothing.
 *
 * Decisions where DESIGN.md is silent (each has a test):
 *  - Roles per action: customer: submit, customer_reply, withdraw, appeal,
 *    confirm, decline. support and supervisor: claim, request_info,
 *    approve, reject. finance: payout_start. system and finance:
 *    payout_settled, payout_failed. system: auto_approve. admin: none (it
 *    edits policies, holidays and reads the audit; separation of duties).
 *  - Refusal precedence: forbidden_role (role never does this action),
 *    then not_owner (a customer acting on another account's request: answer
 *    404 and reveal nothing, not even the state), then invalid_transition
 *    (no such edge from this state), then forbidden_role (edge exists but
 *    not for this role, e.g. support deciding an appeal), then the rules.
 *  - submit starts from REFUND_STATE_NONE, a pseudo-state for "no request
 *    yet" that is never stored (refund_state_parse refuses "none").
 *  - claim from submitted; re-claim of an in_review request is a
 *    supervisor's reassignment to themselves; support gets already_claimed.
 *    The handler stores the actor as assignee.
 *  - request_info needs a note (the message to the customer).
 *  - reject is allowed from in_review and needs_info (a customer who never
 *    answers) by support or supervisor, and from awaiting_second_approval
 *    and appealed by a supervisor.
 *  - Every approval (in_review, appealed) follows the same money rules:
 *    amount > 0; above the quote only a supervisor with a note; above
 *    second_approval_over -> awaiting_second_approval (a DIFFERENT
 *    supervisor then approves); otherwise below the quote or another payout
 *    method -> awaiting_confirmation; else approved. second_approval_over is
 *    read literally: 0 means every approval needs a second approver. The
 *    limits given here are already those of the request's currency
 *    (policy_limits_for: none in a currency the policy did not set them in).
 *  - No step that commits money (approve, auto_approve, confirm,
 *    payout_start) while billing has the order cancelled or unpaid: its
 *    money went back or was voided there, and paying the refund would pay
 *    the customer twice (order_not_paid, after the structural checks).
 *    Rejecting, withdrawing and declining stay open, so the request can
 *    still end. sql/021 keeps billing from voiding an order whose refund is
 *    already approved or being paid.
 *  - decline after the appeal was already used ends the request: rejected.
 *  - auto_approve (system, from submitted): a full refund inside the window
 *    with 0 < quoted_amount <= auto_approve_max and not above
 *    second_approval_over (a policy cannot skip the second approver that
 *    way). It pays the submitted amount by the submitted method.
 *  - payout_settled also from approved: a payout reported failed that its
 *    channel paid after all, while no other payout is live (the handler
 *    checks that; handlers_payouts.c settle_late).
 *  - The cap "never more than amount_paid minus what is refunded" is not a
 *    fact here: the handler and the database constraint enforce it. */
#ifndef REFUNDD_REFUND_STATE_H
#define REFUNDD_REFUND_STATE_H

#include <stdbool.h>
#include <stdint.h>

/* Names (refund_state_name) are the values stored in the database. */
enum refund_state {
	REFUND_STATE_NONE = 0,    /* "none": before submit; never stored */
	REFUND_STATE_SUBMITTED,
	REFUND_STATE_IN_REVIEW,
	REFUND_STATE_NEEDS_INFO,
	REFUND_STATE_AWAITING_SECOND_APPROVAL,
	REFUND_STATE_AWAITING_CONFIRMATION,
	REFUND_STATE_APPROVED,
	REFUND_STATE_PAYING,
	REFUND_STATE_PAID,
	REFUND_STATE_REJECTED,
	REFUND_STATE_APPEALED,
	REFUND_STATE_WITHDRAWN,
	REFUND_STATE__MAX
};

enum refund_action {
	REFUND_ACTION_SUBMIT = 0,
	REFUND_ACTION_AUTO_APPROVE,
	REFUND_ACTION_CLAIM,
	REFUND_ACTION_REQUEST_INFO,
	REFUND_ACTION_CUSTOMER_REPLY,
	REFUND_ACTION_APPROVE,
	REFUND_ACTION_REJECT,
	REFUND_ACTION_WITHDRAW,
	REFUND_ACTION_APPEAL,
	REFUND_ACTION_CONFIRM,
	REFUND_ACTION_DECLINE,
	REFUND_ACTION_PAYOUT_START,
	REFUND_ACTION_PAYOUT_SETTLED,
	REFUND_ACTION_PAYOUT_FAILED,
	REFUND_ACTION__MAX
};

/* The JWT "role" claim values (DESIGN.md §2), in that order. Prefixed so it
 * cannot clash with the auth module's own enum; convert by name. */
enum refund_role {
	REFUND_ROLE_CUSTOMER = 0,
	REFUND_ROLE_SUPPORT,
	REFUND_ROLE_SUPERVISOR,
	REFUND_ROLE_FINANCE,
	REFUND_ROLE_ADMIN,
	REFUND_ROLE_SYSTEM,
	REFUND_ROLE__MAX
};

#define REFUND_ROLE_BIT(r) (1u << (r))

enum refund_payout_method {
	REFUND_PAYOUT_ORIGINAL_ROUTE = 0,
	REFUND_PAYOUT_BALANCE,
	REFUND_PAYOUT__MAX
};

/* Why an action was refused; refund_refusal_code() gives the stable code. */
enum refund_refusal {
	REFUND_OK = 0,
	REFUND_ERR_INVALID_ARGUMENT,   /* "invalid_argument": NULL or enum out of range */
	REFUND_ERR_FORBIDDEN_ROLE,     /* "forbidden_role" */
	REFUND_ERR_NOT_OWNER,          /* "not_owner" */
	REFUND_ERR_INVALID_TRANSITION, /* "invalid_transition" */
	REFUND_ERR_ALREADY_CLAIMED,    /* "already_claimed" */
	REFUND_ERR_INVALID_AMOUNT,     /* "invalid_amount": approve_amount <= 0 */
	REFUND_ERR_AMOUNT_ABOVE_QUOTE, /* "amount_above_quote": support over the quote */
	REFUND_ERR_NOTE_REQUIRED,      /* "note_required" */
	REFUND_ERR_SAME_APPROVER,      /* "same_approver" */
	REFUND_ERR_APPEAL_USED,        /* "appeal_used" */
	REFUND_ERR_NOT_AUTO_APPROVABLE,/* "not_auto_approvable" */
	REFUND_ERR_ORDER_NOT_PAID,     /* "order_not_paid": billing voided the order */
	REFUND_ERR__MAX
};

/* What the handler knows when an action arrives. Amounts in minor units. */
struct refund_facts {
	enum refund_state state;                      /* current, as locked */
	int64_t quoted_amount;                        /* the quote the request was submitted with */
	enum refund_payout_method submitted_method;   /* chosen at submission */
	/* approve: what the actor approves. From awaiting_second_approval: the
	 * pending first approval's amount and method (a second approver
	 * confirms those, not new ones). */
	int64_t approve_amount;
	enum refund_payout_method approve_method;
	bool has_note;                                /* a non-empty note/message came with it */
	int64_t second_approval_over;                 /* policy */
	int64_t auto_approve_max;                     /* policy; 0 = never */
	bool quote_full_in_window;                    /* quote decision full, rule window_full */
	const char *first_approver_sub;               /* awaiting_second_approval: who approved first */
	const char *actor_sub;                        /* JWT sub of the caller */
	bool appeal_used;                             /* the customer already appealed or declined */
	bool actor_is_owner;                          /* caller's sub is the request's account */
	bool order_voided;                            /* billing has the order cancelled or unpaid now */
};

struct refund_outcome {
	enum refund_state next;          /* state to store; = facts->state when refused */
	bool consumes_appeal;            /* store appeal_used = true (appeal; decline to appealed) */
	bool records_first_approval;     /* store actor_sub, approve_amount and approve_method
	                                    as the pending first approval */
};

/* Decides one action. out is always filled. */
enum refund_refusal refund_transition(const struct refund_facts *facts,
                                      enum refund_action action, enum refund_role role,
                                      struct refund_outcome *out);

/* The structure of the machine, before the money rules: one row per
 * (from, action) pair that can ever succeed. `to` is the usual target;
 * approve and decline may divert (awaiting_second_approval,
 * awaiting_confirmation; rejected). For documentation and tests: a test can
 * walk every state x action x role through refund_transition. */
struct refund_edge {
	enum refund_state  from;
	enum refund_action action;
	enum refund_state  to;
	unsigned           roles;        /* REFUND_ROLE_BIT mask */
};
const struct refund_edge *refund_edges(unsigned *count);

/* Names <-> enums. *_name returns NULL for an out-of-range value; *_parse
 * returns false for an unknown or NULL string and leaves *out alone.
 * refund_state_parse refuses "none" (it is not a stored state). */
const char *refund_state_name(enum refund_state s);
bool        refund_state_parse(const char *name, enum refund_state *out);
const char *refund_action_name(enum refund_action a);
bool        refund_action_parse(const char *name, enum refund_action *out);
const char *refund_role_name(enum refund_role r);
bool        refund_role_parse(const char *name, enum refund_role *out);
const char *refund_payout_method_name(enum refund_payout_method m);
bool        refund_payout_method_parse(const char *name, enum refund_payout_method *out);

/* Stable code for problem+json ("ok" for REFUND_OK); never NULL. */
const char *refund_refusal_code(enum refund_refusal r);
/* A sentence for the problem's detail: what was wrong; never NULL. */
const char *refund_refusal_text(enum refund_refusal r);
/* Suggested status: forbidden_role, same_approver, amount_above_quote 403;
 * not_owner 404 (DESIGN.md §2); invalid_transition, already_claimed,
 * appeal_used, not_auto_approvable, order_not_paid 409; invalid_amount, note_required 422;
 * invalid_argument 500 (a bug); ok 200. */
int         refund_refusal_http_status(enum refund_refusal r);

#endif
