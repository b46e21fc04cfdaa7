/* sealer.h -- the thread that links committed audit events into the hash
 * chain and signs checkpoints of its head. Every refundd process runs one;
 * a session advisory lock elects the single one that seals per database, and
 * another takes over within a round when that process or its connection
 * dies (sql/007_audit_sealer.sql). */
#ifndef REFUNDD_SEALER_H
#define REFUNDD_SEALER_H

#include "config.h"

struct sealer;

/* Starts the thread (with its own database connection); NULL on failure. */
struct sealer *sealer_start(const struct config *cfg);
/* Seals what the workers committed last, then stops and frees. */
void sealer_stop(struct sealer *s);

#endif
