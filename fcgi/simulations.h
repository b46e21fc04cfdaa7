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
	SIMULATIONS_DB,          /* the database failed: db_last_error() says how */
};

/* Runs inside the caller's (read-only) transaction. from, to: unix s. */
enum simulations_err simulations_run(struct db *db, const char *product_type, int64_t from,
                                     int64_t to, struct sim_state *s);

#endif
