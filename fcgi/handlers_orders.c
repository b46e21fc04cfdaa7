/* handlers_orders.c -- GET /api/v1/orders[/{id}], GET .../quote,
 * POST .../cancel (customer), PUT /api/v1/orders/{id} and POST .../usage
 * (billing sync, role system). A customer only ever sees their own orders:
 * every statement takes the owner as a parameter, NULL for staff, and
 * another account's order is simply not found (404). */
#include "handlers_orders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "money.h"
#include "policy.h"
#include "problems.h"
#include "provider_figures.h"
#include "quote.h"

/* One order as JSON: its columns, timestamps in UTC, and its items. The
 * reseller's purchase upstream (what it paid the provider) is its own
 * business: when customer_view (an SQL boolean) is true the upstream_*
 * members are left out. Only the view follows the caller: a staff filter
 * by account still sees them, and the audit trail keeps the whole order. */
#define ORDER_JSON(customer_view) \
	"(to_jsonb(o) - 'created_at' - CASE WHEN " customer_view " THEN" \
	" ARRAY['upstream_ref', 'upstream_cost', 'upstream_voucher', 'upstream_paid_at'," \
	" 'upstream_quantity', 'upstream_used_quantity'] ELSE '{}'::text[] END" \
	" || jsonb_build_object('items', (SELECT coalesce(" \
	" jsonb_agg(to_jsonb(i) - 'order_id' ORDER BY i.item_no), '[]') FROM order_items i" \
	" WHERE i.order_id = o.id)))::text"

static const struct db_stmt q_list = { "orders_list",
	"SELECT " ORDER_JSON("$4::boolean") ", o.id FROM orders o"
	" WHERE ($1::text IS NULL OR o.account = $1) AND o.id > $2"
	" ORDER BY o.id LIMIT $3::int + 1" };
static const struct db_stmt q_get = { "orders_get",
	"SELECT " ORDER_JSON("$2::text IS NOT NULL") " FROM orders o"
	" WHERE o.id = $1 AND ($2::text IS NULL OR o.account = $2)" };
/* The order as a change left it: whole for its audit event, and as the
 * caller sees it ($2: a customer) for the answer. */
static const struct db_stmt q_after = { "orders_after",
	"SELECT " ORDER_JSON("false") ", " ORDER_JSON("$2::boolean") " FROM orders o WHERE o.id = $1" };
static const struct db_stmt q_lock = { "orders_lock",
	"SELECT " ORDER_JSON("false") ", o.status FROM orders o"
	" WHERE o.id = $1 AND ($2::text IS NULL OR o.account = $2) FOR UPDATE" };
static const struct db_stmt q_cancel = { "orders_cancel",
	"WITH items AS (UPDATE order_items SET status = 'cancelled'"
	"   WHERE order_id = $1 AND status = 'unpaid')"
	" UPDATE orders SET status = 'cancelled', updated_at = now()"
	" WHERE id = $1 AND status = 'unpaid' RETURNING id" };
static const struct db_stmt q_policy_exists = { "orders_policy_exists",
	"SELECT 1 FROM refund_policies WHERE product_type = $1 LIMIT 1" };
static const struct db_stmt q_upsert = { "orders_upsert",
	"INSERT INTO orders (id, account, provider, product_type, product_name, billing_mode,"
	" status, amount_paid, currency, payment_method, payment_ref, paid_at, period_start,"
	" period_end, quantity, bonus_quantity, used_quantity, in_use, service_status, promo,"
	" third_party_cost, upstream_ref, upstream_cost, upstream_voucher, upstream_paid_at,"
	" upstream_quantity, upstream_used_quantity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
	" to_timestamp($12::bigint), to_timestamp($13::bigint), to_timestamp($14::bigint),"
	" $15, $16, $17, $18, $19, $20, $21, $22, $23::bigint, coalesce($24::bigint, 0),"
	" to_timestamp($25::bigint), $26::bigint, $27::bigint)"
	" ON CONFLICT (id) DO UPDATE SET account = EXCLUDED.account, provider = EXCLUDED.provider,"
	" product_type = EXCLUDED.product_type, product_name = EXCLUDED.product_name,"
	" billing_mode = EXCLUDED.billing_mode, status = EXCLUDED.status,"
	" amount_paid = EXCLUDED.amount_paid, currency = EXCLUDED.currency,"
	" payment_method = EXCLUDED.payment_method, payment_ref = EXCLUDED.payment_ref,"
	" paid_at = EXCLUDED.paid_at, period_start = EXCLUDED.period_start,"
	" period_end = EXCLUDED.period_end, quantity = EXCLUDED.quantity,"
	" bonus_quantity = EXCLUDED.bonus_quantity, used_quantity = EXCLUDED.used_quantity,"
	" in_use = EXCLUDED.in_use, service_status = EXCLUDED.service_status,"
	" promo = EXCLUDED.promo, third_party_cost = EXCLUDED.third_party_cost,"
	" upstream_ref = EXCLUDED.upstream_ref, upstream_cost = EXCLUDED.upstream_cost,"
	" upstream_voucher = EXCLUDED.upstream_voucher, upstream_paid_at = EXCLUDED.upstream_paid_at,"
	" upstream_quantity = EXCLUDED.upstream_quantity,"
	" upstream_used_quantity = EXCLUDED.upstream_used_quantity, updated_at = now()"
	" RETURNING (xmax = 0)" };
static const struct db_stmt q_items_clear = { "orders_items_clear",
	"DELETE FROM order_items WHERE order_id = $1" };
static const struct db_stmt q_items_insert = { "orders_items_insert",
	"INSERT INTO order_items (order_id, item_no, name, status, amount)"
	" SELECT $1, x.item_no, x.name, x.status, x.amount FROM jsonb_to_recordset($2::jsonb)"
	" AS x(item_no int, name text, status text, amount bigint)" };
static const struct db_stmt q_usage = { "orders_usage",
	"UPDATE orders SET used_quantity = coalesce($2::bigint, used_quantity),"
	" in_use = coalesce($3::boolean, in_use),"
	" service_status = coalesce($4::text, service_status), updated_at = now()"
	" WHERE id = $1 RETURNING id" };

/* ?account= is an account as an order's own is (order_fields): text of
 * 1..127 characters, no control characters. */
static const struct field_spec account_query[] = {
	{ "account", FIELD_STRING, false, false, 1, 127, NULL },
};
FIELD_TABLE(account_query);

enum app_err handle_orders_list(struct app_ctx *c)
{
	char cursor[80], account[128 * 4], limit_text[8];
	int limit;
	PGresult *res = NULL;
	enum app_err err;
	const char *owner = app_owner_filter(c);
	struct field_value v;

	if ((err = app_page_params(c, &limit, cursor, sizeof cursor)) != ERR_NONE)
		return err;
	int found = http_query_param(c->req->query, "account", account, sizeof account);
	if (found < 0 || (found && validate_text(account, &account_query[0], &v) != VALIDATE_OK))
		return app_fail(c, ERR_BAD_REQUEST, "invalid_account", "account is not valid");
	if (found && owner == NULL)
		owner = account;
	snprintf(limit_text, sizeof limit_text, "%d", limit);
	const char *params[4] = { owner, cursor, limit_text,
	                          c->who.role == AUTH_ROLE_CUSTOMER ? "true" : "false" };
	if ((err = db_exec(c->db, &q_list, 4, params, &res)) != ERR_NONE)
		return app_fail(c, err, NULL, "could not list orders");
	err = app_page_reply(c, res, limit);
	PQclear(res);
	return err;
}

enum app_err handle_order_get(struct app_ctx *c)
{
	const char *params[2] = { app_param(c, 0), app_owner_filter(c) };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_get, 2, params, &res);

	if (err != ERR_NONE)
		return app_fail(c, err, NULL, "could not load the order");
	err = app_reply_row(c, res, "order_not_found", "order");
	PQclear(res);
	return err;
}

enum app_err handle_order_quote(struct app_ctx *c)
{
	struct quote_inputs in;
	struct quote q;
	enum app_err err;

	json_t *body, *figures = NULL;

	if ((err = quote_fail(c, quote_load(c, app_param(c, 0), false, &in), app_param(c, 0), &in)) != ERR_NONE ||
	    (err = quote_fail(c, quote_compute(&in, c->now, &q), app_param(c, 0), &in)) != ERR_NONE)
		return err;
	/* Staff see the provider side next to it (DESIGN.md §8); customers never. */
	if (c->who.role != AUTH_ROLE_CUSTOMER &&
	    (err = claims_fail(c, provider_figures_for(c, &in.order, in.order_id, NULL, q.amount,
	                                               &figures), in.order_id)) != ERR_NONE)
		return err;
	body = quote_to_json(&q, &in);
	if (figures)
		json_object_set_new(body, "provider", figures);
	return app_reply(c, 200, body);
}

/* Locks the order (a customer's own only), answers 404 as needed; *res:
 * the whole order's JSON (for the audit event) and its status. */
static enum app_err lock_order(struct app_ctx *c, PGresult **res)
{
	const char *params[2] = { app_param(c, 0), app_owner_filter(c) };
	enum app_err err = db_exec(c->db, &q_lock, 2, params, res);

	if (err != ERR_NONE)
		return app_fail(c, err, NULL, "could not load the order");
	if (PQntuples(*res) == 0)
		return app_fail(c, ERR_NOT_FOUND, "order_not_found", "no order %s", app_param(c, 0));
	return ERR_NONE;
}

/* Shared tail of every order change: the audit event, the commit, and the
 * order as it is now. */
static enum app_err finish_change(struct app_ctx *c, const char *action,
                                  const char *before, int status)
{
	const char *params[2] = { app_param(c, 0),
	                          c->who.role == AUTH_ROLE_CUSTOMER ? "true" : "false" };
	PGresult *res = NULL;
	enum app_err err = db_exec(c->db, &q_after, 2, params, &res);

	if (err == ERR_NONE && PQntuples(res) == 1)
		err = audit_record(c, action, "order", app_param(c, 0), before, PQgetvalue(res, 0, 0));
	if (err == ERR_NONE)
		err = db_commit(c->db);
	if (err != ERR_NONE) {
		PQclear(res);
		return c->problem.err ? c->problem.err : app_fail(c, err, NULL, "could not save");
	}
	err = app_reply(c, status, json_loads(PQgetvalue(res, 0, 1), 0, NULL));
	PQclear(res);
	return err;
}

enum app_err handle_order_cancel(struct app_ctx *c)
{
	struct db_identity who = app_identity(c);
	const char *params[1] = { app_param(c, 0) };
	PGresult *before = NULL, *res = NULL;
	enum app_err err;

	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = lock_order(c, &before)) != ERR_NONE)
		goto out;
	if (strcmp(PQgetvalue(before, 0, 1), "unpaid") != 0) {
		err = app_fail_with(c, ERR_CONFLICT, "order_not_unpaid",
		                    json_pack("{s:s}", "state", PQgetvalue(before, 0, 1)),
		                    "only an unpaid order can be cancelled");
		goto out;
	}
	if ((err = db_exec(c->db, &q_cancel, 1, params, &res)) != ERR_NONE) {
		err = app_fail(c, err, NULL, "could not cancel the order");
		goto out;
	}
	err = finish_change(c, "order.cancel", PQgetvalue(before, 0, 0), 200);
out:
	PQclear(before);
	PQclear(res);
	return err;
}

static const char *const billing_modes[] = { "subscription", "payg", "one_time", NULL };
static const char *const order_statuses[] = { "unpaid", "paid", "cancelled", "expired", NULL };
static const char *const payment_methods[] = { "card", "alipay", "wechat", "bank_transfer",
                                               "balance", NULL };
static const char *const service_statuses[] = { "in_progress", "completed", NULL };


enum order_field {
	OF_ACCOUNT, OF_PROVIDER, OF_PRODUCT_TYPE, OF_PRODUCT_NAME, OF_BILLING_MODE, OF_STATUS,
	OF_AMOUNT_PAID, OF_CURRENCY, OF_PAYMENT_METHOD, OF_PAYMENT_REF, OF_PAID_AT,
	OF_PERIOD_START, OF_PERIOD_END, OF_QUANTITY, OF_BONUS_QUANTITY, OF_USED_QUANTITY,
	OF_IN_USE, OF_SERVICE_STATUS, OF_PROMO, OF_THIRD_PARTY_COST, OF_UPSTREAM_REF,
	OF_UPSTREAM_COST, OF_UPSTREAM_VOUCHER, OF_UPSTREAM_PAID_AT, OF_UPSTREAM_QUANTITY,
	OF_UPSTREAM_USED_QUANTITY, OF_ITEMS, OF__MAX
};

static const struct field_spec order_fields[OF__MAX] = {
	[OF_ACCOUNT]          = { "account", FIELD_STRING, true, false, 1, 127, NULL },
	[OF_PROVIDER]         = { "provider", FIELD_CODE, true, false, 1, 31, NULL },
	[OF_PRODUCT_TYPE]     = { "product_type", FIELD_CODE, true, false, 1, 31, NULL },
	[OF_PRODUCT_NAME]     = { "product_name", FIELD_STRING, true, false, 1, 200, NULL },
	[OF_BILLING_MODE]     = { "billing_mode", FIELD_ENUM, true, false, 0, 16, billing_modes },
	[OF_STATUS]           = { "status", FIELD_ENUM, true, false, 0, 16, order_statuses },
	[OF_AMOUNT_PAID]      = { "amount_paid", FIELD_INT, true, false, 0, MONEY_AMOUNT_MAX, NULL },
	[OF_CURRENCY]         = { "currency", FIELD_STRING, true, false, 3, 3, NULL },
	[OF_PAYMENT_METHOD]   = { "payment_method", FIELD_ENUM, true, false, 0, 16, payment_methods },
	[OF_PAYMENT_REF]      = { "payment_ref", FIELD_STRING, false, true, 0, 128, NULL },
	[OF_PAID_AT]          = { "paid_at", FIELD_TIME, false, true, 0, 0, NULL },
	[OF_PERIOD_START]     = { "period_start", FIELD_TIME, false, true, 0, 0, NULL },
	[OF_PERIOD_END]       = { "period_end", FIELD_TIME, false, true, 0, 0, NULL },
	[OF_QUANTITY]         = { "quantity", FIELD_INT, false, false, 0, INT64_C(1000000000000), NULL },
	[OF_BONUS_QUANTITY]   = { "bonus_quantity", FIELD_INT, false, false, 0, INT64_C(1000000000000), NULL },
	[OF_USED_QUANTITY]    = { "used_quantity", FIELD_INT, false, false, 0, INT64_C(2000000000000), NULL },
	[OF_IN_USE]           = { "in_use", FIELD_BOOL, false, false, 0, 0, NULL },
	[OF_SERVICE_STATUS]   = { "service_status", FIELD_ENUM, false, true, 0, 16, service_statuses },
	[OF_PROMO]            = { "promo", FIELD_BOOL, false, false, 0, 0, NULL },
	[OF_THIRD_PARTY_COST] = { "third_party_cost", FIELD_INT, false, false, 0, MONEY_AMOUNT_MAX, NULL },
	/* The reseller's own purchase from the provider (DESIGN.md §8). */
	[OF_UPSTREAM_REF]     = { "upstream_ref", FIELD_ID, false, true, 1, 128, NULL },
	[OF_UPSTREAM_COST]    = { "upstream_cost", FIELD_INT, false, true, 0, MONEY_AMOUNT_MAX, NULL },
	[OF_UPSTREAM_VOUCHER] = { "upstream_voucher", FIELD_INT, false, true, 0, MONEY_AMOUNT_MAX, NULL },
	[OF_UPSTREAM_PAID_AT] = { "upstream_paid_at", FIELD_TIME, false, true, 0, 0, NULL },
	[OF_UPSTREAM_QUANTITY] = { "upstream_quantity", FIELD_INT, false, true, 0, INT64_C(1000000000000), NULL },
	[OF_UPSTREAM_USED_QUANTITY] = { "upstream_used_quantity", FIELD_INT, false, true, 0, INT64_C(2000000000000), NULL },
	[OF_ITEMS]            = { "items", FIELD_ARRAY, false, false, 0, 0, NULL },
};
FIELD_TABLE(order_fields);

/* An upstream purchase is whole or absent: a claim needs the provider's
 * reference, what was paid and when (the provider's window runs from it). */
static enum app_err check_upstream(struct app_ctx *c, const struct field_value *v)
{
	bool any = false;

	for (int i = OF_UPSTREAM_REF; i <= OF_UPSTREAM_USED_QUANTITY; i++)
		any = any || v[i].present;
	if (!any)
		return ERR_NONE;
	if (!v[OF_UPSTREAM_REF].present || !v[OF_UPSTREAM_COST].present ||
	    !v[OF_UPSTREAM_PAID_AT].present)
		return app_fail(c, ERR_VALIDATION, "invalid_upstream",
		                "an upstream purchase needs upstream_ref, upstream_cost and upstream_paid_at");
	if (v[OF_UPSTREAM_VOUCHER].num > v[OF_UPSTREAM_COST].num)
		return app_fail(c, ERR_VALIDATION, "invalid_upstream",
		                "upstream_voucher cannot exceed upstream_cost");
	return ERR_NONE;
}

enum item_field { IF_ITEM_NO, IF_NAME, IF_STATUS, IF_AMOUNT, IF__MAX };
static const struct field_spec item_fields[IF__MAX] = {
	[IF_ITEM_NO] = { "item_no", FIELD_INT, true, false, 1, 1000, NULL },
	[IF_NAME]    = { "name", FIELD_STRING, true, false, 1, 200, NULL },
	[IF_STATUS]  = { "status", FIELD_ENUM, true, false, 0, 16, order_statuses },
	[IF_AMOUNT]  = { "amount", FIELD_INT, true, false, 0, MONEY_AMOUNT_MAX, NULL },
};
FIELD_TABLE(item_fields);

/* Cross-field rules the engine relies on, checked by the engine's own
 * validator so the two can never disagree. */
static enum app_err check_order_facts(struct app_ctx *c, const struct field_value *v)
{
	struct order_facts o = { 0 };
	int exponent;

	if (money_currency_exponent(v[OF_CURRENCY].str, &exponent) != MONEY_OK)
		return app_fail_with(c, ERR_VALIDATION, "unknown_currency",
		                     json_pack("{s:s}", "field", "currency"), "unknown currency");
	snprintf(o.product_type, sizeof o.product_type, "%s", v[OF_PRODUCT_TYPE].str);
	snprintf(o.currency, sizeof o.currency, "%s", v[OF_CURRENCY].str);
	order_status_parse(v[OF_STATUS].str, &o.status);
	order_billing_parse(v[OF_BILLING_MODE].str, &o.billing_mode);
	o.service_status = ORDER_SERVICE_NONE;
	if (v[OF_SERVICE_STATUS].present)
		order_service_parse(v[OF_SERVICE_STATUS].str, &o.service_status);
	o.amount_paid = v[OF_AMOUNT_PAID].num;
	o.paid_at = v[OF_PAID_AT].num;
	o.period_start = v[OF_PERIOD_START].num;
	o.period_end = v[OF_PERIOD_END].num;
	o.quantity = v[OF_QUANTITY].num;
	o.bonus_quantity = v[OF_BONUS_QUANTITY].num;
	o.used_quantity = v[OF_USED_QUANTITY].num;
	o.third_party_cost = v[OF_THIRD_PARTY_COST].num;
	if (v[OF_PERIOD_START].present != v[OF_PERIOD_END].present)
		return app_fail(c, ERR_VALIDATION, "invalid_period", "give both period_start and period_end");
	if ((o.status == ORDER_STATUS_PAID || o.status == ORDER_STATUS_EXPIRED) && !v[OF_PAID_AT].present)
		return app_fail(c, ERR_VALIDATION, "missing_paid_at", "a paid order needs paid_at");
	/* Units used can never exceed the units sold and given (sql/002: orders_used). */
	if (order_facts_validate(&o) != POLICY_OK || o.used_quantity > o.quantity + o.bonus_quantity)
		return app_fail(c, ERR_VALIDATION, "invalid_order",
		                "inconsistent order: check the period, quantities and amounts");
	return ERR_NONE;
}

/* Billing's clock may run a little ahead of ours. */
#define PAID_AT_SKEW_S 300

/* A payment is in the past: a paid_at in the future would open a refund
 * window that has not started (and at 9999-12-31 one that ends in a year
 * no RFC 3339 time can name). The upstream purchase likewise. */
static enum app_err check_paid_times(struct app_ctx *c, const struct field_value *v)
{
	static const int fields[] = { OF_PAID_AT, OF_UPSTREAM_PAID_AT };

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (v[fields[i]].present && v[fields[i]].num > c->now + PAID_AT_SKEW_S)
			return app_fail_with(c, ERR_VALIDATION, "invalid_order",
			                     json_pack("{s:s}", "field", order_fields[fields[i]].name),
			                     "a payment time cannot be in the future");
	return ERR_NONE;
}

static enum app_err check_items(struct app_ctx *c, json_t *items)
{
	size_t i;
	json_t *item;
	struct field_value iv[IF__MAX];
	struct validate_error verr;

	if (json_array_size(items) > 100)
		return app_fail(c, ERR_VALIDATION, "too_many_items", "at most 100 items");
	json_array_foreach(items, i, item)
		if (validate_object(item, item_fields, IF__MAX, iv, &verr) != VALIDATE_OK)
			return app_fail_with(c, ERR_VALIDATION, validate_err_code(verr.err),
			                     json_pack("{s:s, s:i}", "field", verr.field, "item", (int)i),
			                     "invalid item");
	return ERR_NONE;
}

static void num_text(char *buf, size_t len, const struct field_value *v)
{
	if (v->present)
		snprintf(buf, len, "%lld", (long long)v->num);
	else
		buf[0] = '\0';
}

static enum app_err upsert_order(struct app_ctx *c, const struct field_value *v, bool *created)
{
	char nums[OF__MAX][24];
	const char *p[27];
	PGresult *res = NULL;
	enum app_err err;

	for (int i = 0; i < OF__MAX; i++)
		num_text(nums[i], sizeof nums[i], &v[i]);
	p[0] = app_param(c, 0);
	for (int i = OF_ACCOUNT; i <= OF_PAYMENT_REF; i++)
		p[i + 1] = v[i].present ? (v[i].str ? v[i].str : nums[i]) : NULL;
	p[OF_AMOUNT_PAID + 1] = nums[OF_AMOUNT_PAID];
	for (int i = OF_PAID_AT; i <= OF_THIRD_PARTY_COST; i++)
		p[i + 1] = v[i].present ? nums[i] : NULL;
	p[OF_QUANTITY + 1] = v[OF_QUANTITY].present ? nums[OF_QUANTITY] : "0";
	p[OF_BONUS_QUANTITY + 1] = v[OF_BONUS_QUANTITY].present ? nums[OF_BONUS_QUANTITY] : "0";
	p[OF_USED_QUANTITY + 1] = v[OF_USED_QUANTITY].present ? nums[OF_USED_QUANTITY] : "0";
	p[OF_IN_USE + 1] = v[OF_IN_USE].num ? "true" : "false";
	p[OF_SERVICE_STATUS + 1] = v[OF_SERVICE_STATUS].present ? v[OF_SERVICE_STATUS].str : NULL;
	p[OF_PROMO + 1] = v[OF_PROMO].num ? "true" : "false";
	p[OF_THIRD_PARTY_COST + 1] = v[OF_THIRD_PARTY_COST].present ? nums[OF_THIRD_PARTY_COST] : "0";
	p[OF_UPSTREAM_REF + 1] = v[OF_UPSTREAM_REF].present ? v[OF_UPSTREAM_REF].str : NULL;
	for (int i = OF_UPSTREAM_COST; i <= OF_UPSTREAM_USED_QUANTITY; i++)
		p[i + 1] = v[i].present ? nums[i] : NULL;
	if ((err = db_exec(c->db, &q_upsert, 27, p, &res)) != ERR_NONE &&
	    strcmp(db_constraint(c->db), "orders_refunds_covered") == 0)
		return app_fail(c, ERR_CONFLICT, "refunds_exceed_amount_paid",
		                "more is already approved or refunded than the new amount paid");
	if (err != ERR_NONE && strcmp(db_constraint(c->db), "orders_refund_terms_fixed") == 0)
		return app_fail(c, ERR_CONFLICT, "order_has_refunds",
		                "the order has refund requests: its account and currency cannot change");
	if (err != ERR_NONE && strcmp(db_constraint(c->db), "orders_paid_while_refund_due") == 0)
		return app_fail_with(c, ERR_CONFLICT, "order_has_refunds", json_pack("{s:s}", "field", "status"),
		                     "a refund of this order is approved or being paid: the order stays"
		                     " paid while that refund is due");
	if (err != ERR_NONE)
		return app_fail(c, err == ERR_CONFLICT ? ERR_VALIDATION : err, "constraint_violated",
		                "the order breaks a rule of the database (%s)", db_constraint(c->db));
	*created = db_bool(res, 0, 0);
	PQclear(res);
	return ERR_NONE;
}

static enum app_err replace_items(struct app_ctx *c, json_t *items)
{
	const char *id = app_param(c, 0);
	char *text = items ? json_dumps(items, JSON_COMPACT) : NULL;
	const char *params[2] = { id, text };
	PGresult *res = NULL;
	enum app_err err = ERR_NONE;

	if (items == NULL)
		return ERR_NONE;   /* not sent: items stay as they are */
	err = db_exec(c->db, &q_items_clear, 1, params, &res);
	PQclear(res);
	res = NULL;
	if (err == ERR_NONE && text != NULL)
		err = db_exec(c->db, &q_items_insert, 2, params, &res);
	PQclear(res);
	free(text);
	return err == ERR_NONE ? ERR_NONE
	                       : app_fail(c, err == ERR_CONFLICT ? ERR_VALIDATION : err,
	                                  "invalid_items", "items break a rule (duplicate item_no?)");
}

enum app_err handle_order_put(struct app_ctx *c)
{
	struct field_value v[OF__MAX];
	struct db_identity who = app_identity(c);
	const char *params[2] = { NULL, NULL };
	PGresult *before = NULL, *res = NULL;
	bool created = false;
	enum app_err err;

	static const struct field_spec id_spec = { "id", FIELD_ID, true, false, 1, 64, NULL };
	struct field_value idv;

	if (validate_text(app_param(c, 0), &id_spec, &idv) != VALIDATE_OK)
		return app_fail(c, ERR_VALIDATION, "invalid_order_id",
		                "an order id is 1 to 64 letters, digits, '_', '.', ':' or '-'");
	if ((err = app_body(c, order_fields, OF__MAX, v)) != ERR_NONE ||
	    (err = check_order_facts(c, v)) != ERR_NONE ||
	    (err = check_paid_times(c, v)) != ERR_NONE ||
	    (err = check_upstream(c, v)) != ERR_NONE ||
	    (v[OF_ITEMS].present && (err = check_items(c, v[OF_ITEMS].json)) != ERR_NONE))
		return err;
	params[0] = v[OF_PRODUCT_TYPE].str;
	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = db_exec(c->db, &q_policy_exists, 1, params, &res)) != ERR_NONE ||
	    PQntuples(res) == 0) {
		err = app_fail(c, err ? err : ERR_VALIDATION, "unknown_product_type",
		               "no refund policy for product type %s", params[0]);
		goto out;
	}
	params[0] = app_param(c, 0);
	if ((err = db_exec(c->db, &q_get, 2, params, &before)) != ERR_NONE ||
	    (err = upsert_order(c, v, &created)) != ERR_NONE ||
	    (err = replace_items(c, v[OF_ITEMS].present ? v[OF_ITEMS].json : NULL)) != ERR_NONE)
		goto out;
	err = finish_change(c, created ? "order.create" : "order.update",
	                    PQntuples(before) ? PQgetvalue(before, 0, 0) : NULL,
	                    created ? 201 : 200);
out:
	PQclear(before);
	PQclear(res);
	return c->problem.err ? c->problem.err : err;
}

enum usage_field { UF_USED_QUANTITY, UF_IN_USE, UF_SERVICE_STATUS, UF__MAX };
static const struct field_spec usage_fields[UF__MAX] = {
	[UF_USED_QUANTITY]  = { "used_quantity", FIELD_INT, false, false, 0, INT64_C(2000000000000), NULL },
	[UF_IN_USE]         = { "in_use", FIELD_BOOL, false, false, 0, 0, NULL },
	[UF_SERVICE_STATUS] = { "service_status", FIELD_ENUM, false, false, 0, 16, service_statuses },
};
FIELD_TABLE(usage_fields);

enum app_err handle_order_usage(struct app_ctx *c)
{
	struct field_value v[UF__MAX];
	struct db_identity who = app_identity(c);
	char used[24];
	PGresult *before = NULL, *res = NULL;
	enum app_err err;

	if ((err = app_body(c, usage_fields, UF__MAX, v)) != ERR_NONE)
		return err;
	if (!v[UF_USED_QUANTITY].present && !v[UF_IN_USE].present && !v[UF_SERVICE_STATUS].present)
		return app_fail(c, ERR_VALIDATION, "missing_field",
		                "send used_quantity, in_use or service_status");
	num_text(used, sizeof used, &v[UF_USED_QUANTITY]);
	const char *params[4] = { app_param(c, 0), v[UF_USED_QUANTITY].present ? used : NULL,
	                          v[UF_IN_USE].present ? (v[UF_IN_USE].num ? "true" : "false") : NULL,
	                          v[UF_SERVICE_STATUS].present ? v[UF_SERVICE_STATUS].str : NULL };
	if ((err = db_begin(c->db, &who)) != ERR_NONE)
		return app_fail(c, err, NULL, "database unavailable");
	if ((err = lock_order(c, &before)) != ERR_NONE)
		goto out;
	if ((err = db_exec(c->db, &q_usage, 4, params, &res)) != ERR_NONE) {
		err = app_fail(c, err == ERR_CONFLICT ? ERR_VALIDATION : err,
		               strcmp(db_constraint(c->db), "orders_used") == 0
		               ? "used_exceeds_quantity" : "constraint_violated",
		               "usage breaks a rule of the order (%s)", db_constraint(c->db));
		goto out;
	}
	err = finish_change(c, "order.usage", PQgetvalue(before, 0, 0), 200);
out:
	PQclear(before);
	PQclear(res);
	return err;
}
