/* metrics.h -- request counters and latency histograms for GET /metrics
 * (Prometheus text format 0.0.4). One struct per process, owned by the
 * server and handed to handlers; lock-free (relaxed atomics). */
#ifndef REFUNDD_METRICS_H
#define REFUNDD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct metrics;
struct route;

/* nroutes: routes in the table; one more slot counts unmatched paths. */
struct metrics *metrics_new(size_t nroutes);
void            metrics_free(struct metrics *m);
void            metrics_observe(struct metrics *m, size_t route, int status, int64_t us);
void            metrics_db_error(struct metrics *m);
/* What the database says at scrape time: the work waiting on people and
 * on refundd's own background threads, the things an operator alerts on. */
struct metrics_gauges {
	long   queue_depth;             /* open refund requests waiting for staff */
	long   audit_unsealed;          /* events the sealer has not linked yet */
	double audit_unsealed_oldest_s; /* age of the oldest of them; 0: none */
	bool   has_checkpoint;
	double audit_checkpoint_age_s;  /* since the newest signed checkpoint */
	long   webhooks_pending, webhooks_retrying, webhooks_failed;
	long   payouts_pending, payouts_sent;   /* instructions not settled yet */
};

/* Renders everything; routes is the table whose indexes were observed.
 * gauges NULL: not known (database down), left out. Heap string (free) or
 * NULL. */
char           *metrics_render(const struct metrics *m, const struct route *routes,
                               const struct metrics_gauges *gauges);

#endif
