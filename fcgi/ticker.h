/* ticker.h -- a background thread that does one round of work, then sleeps
 * an interval or until it is stopped, and again: the shape of the audit
 * sealer and the webhook sender. The round runs on the ticker's thread;
 * it may ask ticker_stopping() to cut a long round short. */
#ifndef REFUNDD_TICKER_H
#define REFUNDD_TICKER_H

#include <stdbool.h>

struct ticker;

struct ticker_work {
	void (*round)(void *arg, struct ticker *t);   /* every interval */
	void (*last)(void *arg);                      /* once after stop; may be NULL */
	void  *arg;
	long   interval_ms;
};

/* Starts the thread (the first round at once). NULL when it could not. */
struct ticker *ticker_start(const struct ticker_work *work);
bool           ticker_stopping(struct ticker *t);
/* Wakes the thread, waits for its round and `last`, frees the ticker. */
void           ticker_stop(struct ticker *t);

#endif
