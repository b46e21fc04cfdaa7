/* sealer.c -- see sealer.h. A round every audit.seal_interval_ms: seal in
 * batches until nothing committed is left, and every
 * audit.checkpoint_interval seconds sign the head if it moved. Polling, not
 * LISTEN/NOTIFY: a NOTIFY in the writers' transactions would take the global
 * notify-queue lock at their commit, the very serialisation this replaces. */
#include "sealer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "audit.h"
#include "db.h"
#include "log.h"
#include "ticker.h"

#define SEAL_BATCH 1000

struct sealer {
	const struct config *cfg;
	struct db           *db;
	struct ticker       *ticker;
	time_t               last_checkpoint;
};

/* Seals until a batch comes back short. Returns false when this process
 * is not the sealer (or the database is away). */
static bool seal_all(struct sealer *s)
{
	int sealed = 0;

	do {
		if (audit_seal_round(s->db, SEAL_BATCH, &sealed) != ERR_NONE)
			return false;
	} while (sealed == SEAL_BATCH);
	return sealed >= 0;
}

static void maybe_checkpoint(struct sealer *s)
{
	time_t now = time(NULL);
	long long id = 0;

	if (s->cfg->audit_key == NULL || now - s->last_checkpoint < s->cfg->audit_checkpoint_interval_s)
		return;
	if (audit_checkpoint(s->db, s->cfg, "sealer", &id) == ERR_NONE)
		s->last_checkpoint = now;
	else
		log_event("error", "audit_checkpoint", "could not sign the chain head");
}

static void round_of(void *arg, struct ticker *t)
{
	struct sealer *s = arg;

	(void)t;
	if (seal_all(s))
		maybe_checkpoint(s);
}

/* What the workers committed while we were stopping. */
static void last_round(void *arg)
{
	seal_all(arg);
}

struct sealer *sealer_start(const struct config *cfg)
{
	struct sealer *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	/* The first checkpoint comes one interval after start, not at once:
	 * restarts should not each add one. */
	s->last_checkpoint = time(NULL);
	struct ticker_work work = { round_of, last_round, s, cfg->audit_seal_interval_ms };
	if ((s->db = db_new(cfg)) == NULL || (s->ticker = ticker_start(&work)) == NULL) {
		db_free(s->db);
		free(s);
		return NULL;
	}
	return s;
}

void sealer_stop(struct sealer *s)
{
	if (s == NULL)
		return;
	ticker_stop(s->ticker);
	db_free(s->db);
	free(s);
}
