/* problems.c -- see problems.h. A database failure keeps its kind
 * (unavailable and timeout answer 503, a conflict 409) from db_last_error. */
#include "problems.h"

enum app_err refund_fail(struct app_ctx *c, enum refunds_err e, const char *id)
{
	switch (e) {
	case REFUNDS_OK:
		return ERR_NONE;
	case REFUNDS_NOT_FOUND:
		return app_fail(c, ERR_NOT_FOUND, "refund_not_found", "no refund request %s", id);
	case REFUNDS_ORDER_CAP:
		return app_fail(c, ERR_CONFLICT, "exceeds_order_cap",
		                "the order has no more than that left to refund");
	case REFUNDS_OPEN_EXISTS:
		return app_fail(c, ERR_CONFLICT, "open_request_exists",
		                "another request for this order is open");
	case REFUNDS_UNREADABLE:
		return app_fail(c, ERR_INTERNAL, NULL, "stored refund request %s not understood", id);
	case REFUNDS_MOVED:
		return app_fail(c, ERR_INTERNAL, NULL, "refund request %s changed under a lock", id);
	case REFUNDS_NOMEM:
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	case REFUNDS_DB:
		break;
	}
	return app_fail(c, db_last_error(c->db), NULL, "the database failed on refund request %s", id);
}

enum app_err quote_fail(struct app_ctx *c, enum quote_err e, const char *order_id,
                        const struct quote_inputs *in)
{
	switch (e) {
	case QUOTE_OK:
		return ERR_NONE;
	case QUOTE_NOT_FOUND:
		return app_fail(c, ERR_NOT_FOUND, "order_not_found", "no order %s", order_id);
	case QUOTE_NO_POLICY:
		return app_fail(c, ERR_VALIDATION, "no_policy",
		                "no refund policy for product type %s", in->order.product_type);
	case QUOTE_NO_SERVICE_STATUS:
		return app_fail(c, ERR_VALIDATION, "service_status_required",
		                "the refund policy for %s decides by the service's status, and order %s"
		                " has none: billing must send its service_status", in->order.product_type,
		                order_id);
	case QUOTE_UNREADABLE:
		return app_fail(c, ERR_INTERNAL, NULL, "stored order or policy not understood");
	case QUOTE_ENGINE:
		return app_fail(c, ERR_INTERNAL, NULL, "the policy engine refused order %s", order_id);
	case QUOTE_DB:
		break;
	}
	return app_fail(c, db_last_error(c->db), NULL, "could not load order %s", order_id);
}

enum app_err workdays_fail(struct app_ctx *c, enum workdays_err e)
{
	switch (e) {
	case WORKDAYS_OK:
		return ERR_NONE;
	case WORKDAYS_RANGE:
		break;
	}
	/* The holidays are read by the caller's own pipeline (workdays_step),
	 * whose failure it reports; only the calendar's answer is left here. */
	return app_fail(c, ERR_INTERNAL, NULL, "could not compute business days");
}

enum app_err claims_fail(struct app_ctx *c, enum claims_err e, const char *id)
{
	switch (e) {
	case CLAIMS_OK:
		return ERR_NONE;
	case CLAIMS_NOT_FOUND:
		return app_fail(c, ERR_NOT_FOUND, "claim_not_found", "no provider claim %s", id);
	case CLAIMS_NOT_TO_FILE:
		return app_fail(c, ERR_CONFLICT, "claim_not_to_file",
		                "provider claim %s is not waiting to be filed", id);
	case CLAIMS_REF_TAKEN:
		return app_fail(c, ERR_CONFLICT, "claim_ref_taken",
		                "another claim at this provider has this claim_ref");
	case CLAIMS_UNREADABLE:
		return app_fail(c, ERR_INTERNAL, NULL, "stored claim inputs of %s not understood", id);
	case CLAIMS_NOMEM:
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	case CLAIMS_DB:
		break;
	}
	return app_fail(c, db_last_error(c->db), NULL, "the database failed on provider claim %s", id);
}

enum app_err payouts_fail(struct app_ctx *c, enum payouts_err e, const char *id)
{
	switch (e) {
	case PAYOUTS_OK:
		return ERR_NONE;
	case PAYOUTS_NOT_FOUND:
		return app_fail(c, ERR_NOT_FOUND, "payout_not_found", "no payout %s", id);
	case PAYOUTS_EXISTS:
		return app_fail(c, ERR_CONFLICT, "payout_exists",
		                "refund request %s has a payout that has not failed", id);
	case PAYOUTS_ORDER_CAP:
		return app_fail(c, ERR_CONFLICT, "exceeds_order_cap",
		                "the order's payouts would exceed what it paid");
	case PAYOUTS_NOMEM:
		return app_fail(c, ERR_INTERNAL, NULL, "out of memory");
	case PAYOUTS_DB:
		break;
	}
	return app_fail(c, db_last_error(c->db), NULL, "the database failed (payout %s)", id);
}
