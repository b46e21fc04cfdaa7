/* provider_policies.h -- the providers' refund rules as stored: versioned
 * rows of provider_policies (sql/011), one series per (provider,
 * product_type). All SQL about them lives in provider_policies.c. Functions
 * return an enum pp_err; handlers_provider_policies.c turns it into a
 * problem. */
#ifndef REFUNDD_PROVIDER_POLICIES_H
#define REFUNDD_PROVIDER_POLICIES_H

#include "app.h"
#include "provider_quote.h"

enum pp_err {
	PP_OK = 0,
	PP_NOT_FOUND,   /* no such provider policy or version */
	PP_NOMEM,
	PP_DB           /* the database failed: db_last_error() says how */
};

/* The current version of every (provider, product_type): a result whose
 * column 0 is a policy's JSON text (PQclear it). */
enum pp_err provider_policies_current(struct app_ctx *c, PGresult **out);
/* One policy (version 0: the latest) with its version history, as JSON
 * text (free()). */
enum pp_err provider_policy_get(struct app_ctx *c, const char *provider,
                                const char *product_type, int version, char **out);
/* Adds the next version of pp (pp->version is ignored) unless the latest
 * one already says the same, note included (*added false then: a PUT sent
 * again adds nothing); *out: that row's JSON text (free()). Inside the
 * caller's transaction. */
enum pp_err provider_policy_add(struct app_ctx *c, const struct provider_policy *pp,
                                const char *note, char **out, bool *added);

#endif
