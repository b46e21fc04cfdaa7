/* simulations.c -- see simulations.h. The only SQL of the simulation. */
#include "simulations.h"

#include <stdio.h>
#include <string.h>

#include "quote.h"

/* Typed columns out of the frozen JSON, so the worker reads numbers, not
 * documents (100 000 rows in well under the 2 s the issue allows). Served
 * by refund_requests_created (sql/012; 014 dropped the index on the product
 * type and the date, one fewer for every write to keep up). Columns: the request 0..5,
 * inputs present 6, the order's facts 7..21 (in quote_read_order_facts' order),
 * the rest of the inputs 22..25. */
#define EPOCH(x) "coalesce(extract(epoch FROM (" x ")::timestamptz), 0)::bigint"
static const struct db_stmt q_rows = { "simulations_rows",
	"SELECT r.id, r.order_id, coalesce(r.quote->>'decision', ''),"
	" coalesce(r.quote->>'eligible', 'true')::boolean, r.quoted_amount, r.policy_version,"
	" r.quote_inputs IS NOT NULL,"
	" o->>'product_type', o->>'status', o->>'billing_mode', o->>'amount_paid', o->>'currency',"
	" " EPOCH("o->>'paid_at'") ", " EPOCH("o->>'period_start'") ", " EPOCH("o->>'period_end'") ","
	" o->>'quantity', o->>'bonus_quantity', o->>'used_quantity', (o->>'in_use')::boolean,"
	" o->>'service_status', (o->>'promo')::boolean, o->>'third_party_cost',"
	" r.quote_inputs->>'already_refunded', r.quote_inputs->>'requests_this_month',"
	" " EPOCH("r.quote_inputs->>'quoted_at'") ", (r.quote_inputs->>'reconstructed')::boolean"
	" FROM refund_requests r CROSS JOIN LATERAL (SELECT r.quote_inputs->'order' AS o) x"
	" WHERE r.product_type = $1 AND r.created_at >= to_timestamp($2::bigint)"
	" AND r.created_at < to_timestamp($3::bigint)" };

static const struct db_stmt q_read_only = { "simulations_read_only", "SET TRANSACTION READ ONLY" };
static const struct db_stmt q_current = { "simulations_current",
	"SELECT max(version) FROM refund_policies WHERE product_type = $1" };

enum simulations_err simulations_begin(struct db *db, const struct db_identity *who,
                                       const char *product_type, int *current_version)
{
	const char *params[1] = { product_type };
	struct db_step steps[2] = { { &q_read_only, 0, NULL, NULL }, { &q_current, 1, params, NULL } };
	enum simulations_err err = SIMULATIONS_OK;

	if (db_begin_with(db, who, steps, 2) != ERR_NONE)
		return SIMULATIONS_DB;
	if (PQgetisnull(steps[1].res, 0, 0))
		err = SIMULATIONS_NO_POLICY;
	*current_version = (int)db_int(steps[1].res, 0, 0);
	db_steps_clear(steps, 2);
	if (err != SIMULATIONS_OK)
		db_rollback(db);
	return err;
}

/* db_row_fn: one request into the core. A row refundd cannot read is
 * counted as skipped by the core, not an error: one odd old row must not
 * hide what the draft does to the others. */
static int add_row(void *ctx, const PGresult *r)
{
	struct sim_state *s = ctx;
	struct sim_row row;

	memset(&row, 0, sizeof row);
	row.refund_id = db_int(r, 0, 0);
	row.order_id = PQgetvalue(r, 0, 1);
	row.before.eligible = db_bool(r, 0, 3);
	row.before.amount = db_int(r, 0, 4);
	row.before.policy_version = (int)db_int(r, 0, 5);
	row.has_inputs = db_bool(r, 0, 6) &&
	                 policy_decision_parse(db_text(r, 0, 2), &row.before.decision) == POLICY_OK &&
	                 quote_read_order_facts(r, 7, &row.in.order);
	row.in.already_refunded = db_int(r, 0, 22);
	row.in.requests_this_month = (int)db_int(r, 0, 23);
	row.in.quoted_at = db_int(r, 0, 24);
	row.in.reconstructed = db_bool(r, 0, 25);
	sim_add(s, &row);
	return 0;
}

enum simulations_err simulations_run(struct db *db, const char *product_type, int64_t from,
                                     int64_t to, struct sim_state *s)
{
	char f[24], t[24];
	const char *params[3] = { product_type, f, t };

	snprintf(f, sizeof f, "%lld", (long long)from);
	snprintf(t, sizeof t, "%lld", (long long)to);
	return db_stream(db, &q_rows, 3, params, add_row, s) == ERR_NONE ? SIMULATIONS_OK
	                                                                 : SIMULATIONS_DB;
}
