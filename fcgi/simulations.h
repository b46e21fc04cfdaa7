/* simulations.h -- the SQL of the policy simulation: streams one product
 * type's requests submitted in [from, to) with their stored quotes and
 * frozen inputs into the pure core (simulate.h). Errors come back as
 * values; the handler makes them problems. */
#ifndef REFUNDD_SIMULATIONS_H
#define REFUNDD_SIMULATIONS_H

#include <stdint.h>
#include "db.h"
#include "simulate.h"

enum simulations_err {
	SIMULATIONS_OK = 0,
	SIMULATIONS_NO_POLICY,   /* the product type has no policy to change */
	SIMULATIONS_DB,          /* the database failed: db_last_error() says how */
};

/* BEGIN, the caller's identity, READ ONLY (a simulation writes nothing,
 * and the database holds it to that), and the product type's current
 * policy version, in one round trip. On any error the transaction is
 * rolled back. */
enum simulations_err simulations_begin(struct db *db, const struct db_identity *who,
                                       const char *product_type, int *current_version);

/* Runs inside the caller's (read-only) transaction. from, to: unix s. */
enum simulations_err simulations_run(struct db *db, const char *product_type, int64_t from,
                                     int64_t to, struct sim_state *s);

#endif
