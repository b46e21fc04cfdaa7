/* sealer.c -- see sealer.h. A round every audit.seal_interval_ms: seal in
 * batches until nothing committed is left, and every
 * audit.checkpoint_interval seconds sign the head if it moved. Polling, not
 * LISTEN/NOTIFY: a NOTIFY in the writers' transactions would take the global
 * notify-queue lock at their commit, the very serialisation this replaces. */
#include "sealer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "audit.h"
#include "db.h"
#include "log.h"

#define SEAL_BATCH 1000

struct sealer {
	const struct config *cfg;
	struct db           *db;
	pthread_t            thread;
	pthread_mutex_t      lock;
	pthread_cond_t       wake;
	bool                 stopping;   /* under lock */
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

/* Sleeps one interval unless stopped; returns whether to go on. */
static bool wait_round(struct sealer *s)
{
	struct timespec until;
	bool go_on;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)s->cfg->audit_seal_interval_ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
		;
	go_on = !s->stopping;
	pthread_mutex_unlock(&s->lock);
	return go_on;
}

static void *run(void *arg)
{
	struct sealer *s = arg;

	/* The first checkpoint comes one interval after start, not at once:
	 * restarts should not each add one. */
	s->last_checkpoint = time(NULL);
	do {
		if (seal_all(s))
			maybe_checkpoint(s);
	} while (wait_round(s));
	seal_all(s);   /* what the workers committed while we were stopping */
	return NULL;
}

struct sealer *sealer_start(const struct config *cfg)
{
	struct sealer *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if ((s->db = db_new(cfg)) == NULL || pthread_create(&s->thread, NULL, run, s) != 0) {
		db_free(s->db);
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

void sealer_stop(struct sealer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	db_free(s->db);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
