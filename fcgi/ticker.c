/* ticker.c -- see ticker.h. A condition variable, not sleep(): stop wakes
 * the thread at once instead of after up to one interval. */
#include "ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct ticker {
	struct ticker_work work;
	pthread_t          thread;
	pthread_mutex_t    lock;
	pthread_cond_t     wake;
	bool               stopping;   /* under lock */
};

bool ticker_stopping(struct ticker *t)
{
	pthread_mutex_lock(&t->lock);
	bool stop = t->stopping;
	pthread_mutex_unlock(&t->lock);
	return stop;
}

/* Sleeps one interval unless stopped; returns whether to go on. */
static bool wait_round(struct ticker *t)
{
	struct timespec until;
	bool go_on;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += t->work.interval_ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&t->lock);
	while (!t->stopping && pthread_cond_timedwait(&t->wake, &t->lock, &until) != ETIMEDOUT)
		;
	go_on = !t->stopping;
	pthread_mutex_unlock(&t->lock);
	return go_on;
}

static void *run(void *arg)
{
	struct ticker *t = arg;

	do
		t->work.round(t->work.arg, t);
	while (wait_round(t));
	if (t->work.last != NULL)
		t->work.last(t->work.arg);
	return NULL;
}

struct ticker *ticker_start(const struct ticker_work *work)
{
	struct ticker *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->work = *work;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	if (pthread_create(&t->thread, NULL, run, t) != 0) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return NULL;
	}
	return t;
}

void ticker_stop(struct ticker *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
