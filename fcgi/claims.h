/* claims.h -- the reseller's claims at its providers, as stored
 * (provider_claims, provider_statements; sql/011): the inputs of the
 * provider engine for an order, opening a claim when a refund is approved,
 * listing, marking filed, closing claims from a statement, and the margin
 * report. All SQL about them lives here; functions return an enum
 * claims_err and never answer HTTP (handlers_claims.c does). */
#ifndef REFUNDD_CLAIMS_H
#define REFUNDD_CLAIMS_H

#include "app.h"
#include "provider_quote.h"
#include "statement.h"

enum claims_err {
	CLAIMS_OK = 0,
	CLAIMS_NOT_FOUND,     /* no such claim (or order) */
	CLAIMS_NOT_TO_FILE,   /* the claim is not waiting to be filed */
	CLAIMS_REF_TAKEN,     /* another claim at this provider has this claim_ref */
	CLAIMS_UNREADABLE,    /* a stored value refundd does not understand */
	CLAIMS_NOMEM,
	CLAIMS_DB             /* the database failed: db_last_error() says how */
};

/* What the provider engine needs of an order, besides its customer facts. */
struct claim_inputs {
	char                     order_id[80];
	char                     provider[POLICY_CODE_SIZE];
	char                     product_type[POLICY_CODE_SIZE];
	char                     currency[MONEY_CURRENCY_SIZE];
	char                     upstream_ref[136];
	bool                     has_upstream;     /* upstream_ref is set */
	struct upstream_purchase up;
	bool                     has_policy;       /* a provider policy exists */
	struct provider_policy   policy;           /* its latest version */
	int64_t                  already_recovered; /* other claims of the order expect this */
};

/* refund_id: the refund whose own claim is left out of already_recovered
 * (NULL: none). */
enum claims_err claims_inputs_load(struct app_ctx *c, const char *order_id,
                                   const char *refund_id, struct claim_inputs *in);
/* The claim of a refund as JSON text (free()); *out NULL when it has none. */
enum claims_err claims_of_refund(struct app_ctx *c, const char *refund_id, char **out);

/* A claim about to be opened: everything frozen at approval. */
struct claim_new {
	const char *refund_id;
	int64_t     expected;
	int64_t     customer_amount;
	int         policy_version;  /* 0: no provider policy (stored NULL) */
	const char *breakdown;   /* JSON text */
	const char *reasons;     /* JSON text */
};
/* Opens the refund's claim unless it has one (an approval after a failed
 * payout is the same approval); *after: the new claim's JSON text, or NULL
 * when one existed. */
enum claims_err claims_open(struct app_ctx *c, const struct claim_inputs *in,
                            const struct claim_new *n, char **after, char *id, size_t id_len);

/* One page of claims, newest first: column 0 JSON, column 1 the cursor.
 * status, provider, cursor: NULL for any (or the first page). */
enum claims_err claims_list(struct app_ctx *c, const char *status, const char *provider,
                            const char *cursor, int limit, PGresult **out);
/* The filing list for CSV: claims to_file (of provider, or any). Columns:
 * id, refund_id, order_id, provider, product_type, upstream_ref,
 * expected_amount, currency, policy_version, created_at. */
enum claims_err claims_to_file(struct app_ctx *c, const char *provider, PGresult **out);
/* to_file -> filed with the provider's claim reference; *before and *after: JSON text. */
enum claims_err claims_mark_filed(struct app_ctx *c, const char *id, const char *claim_ref,
                                  char **before, char **after);

/* ---- statements ---- */

/* What identifies an import (sql/018): the same file read in another
 * currency is another import. */
struct claim_statement {
	const char *provider;
	const char *currency;
	const char *sha256;
};

/* Serialises the imports of the provider's statements and answers the
 * stored result of an earlier import of this file in this currency
 * (*result NULL when new). */
enum claims_err claims_statement_seen(struct app_ctx *c, const struct claim_statement *st,
                                      char **result);

struct claim_match {
	bool    found;          /* a claim with this ref exists at the provider */
	bool    open;           /* ... and one of them is still open (locked) */
	char    id[24];
	int64_t id_num;         /* the same id as a number, for JSON */
	char    currency[MONEY_CURRENCY_SIZE];
	int64_t expected;
	char   *before;         /* its JSON text when open (free()) */
};
/* The open claim whose upstream_ref or claim_ref is the line's ref,
 * locked: the oldest expecting the line's amount in currency, else the
 * oldest; a closed one when none is open. */
enum claims_err claims_match(struct app_ctx *c, const char *provider, const char *currency,
                             const struct statement_line *l, struct claim_match *m);
/* Stores the statement's result; *id its id. */
enum claims_err claims_statement_add(struct app_ctx *c, const struct claim_statement *st,
                                     const char *result, char *id, size_t id_len);
/* Whether an earlier import applied this line already: *claim_id the
 * claim that its l->occurrence-th copy closed, 0 when none did (then the
 * line is new, and closes an open claim). */
enum claims_err claims_line_seen(struct app_ctx *c, const char *provider, const char *currency,
                                 const struct statement_line *l, int64_t *claim_id);
/* Closes a claim from a statement line (its amount, fee, and identity
 * for claims_line_seen): status recovered, partially_recovered or
 * refused; *after its JSON text. */
enum claims_err claims_close(struct app_ctx *c, const char *id, const char *status,
                             const struct statement_line *l, char **after);
/* Names the statement that closed claims ("1,2,3"). */
enum claims_err claims_statement_link(struct app_ctx *c, const char *statement_id,
                                      const char *claim_ids);

/* ---- report ---- */

/* Rows, one per key and currency (amounts of two currencies are never
 * added): key, currency, customer_refunds_paid, expected_recovery,
 * actual_recovery, fees, net_loss, open_claims. from/to: dates YYYY-MM-DD, both included,
 * in the reseller's time zone. group:
 * provider, product_type or month (in the reseller's time zone). */
enum claims_err claims_margin_report(struct app_ctx *c, const char *from, const char *to,
                                     const char *group, PGresult **out);

#endif
