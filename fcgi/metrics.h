/* metrics.h -- request counters and latency histograms for GET /metrics
 * (Prometheus text format 0.0.4). One struct per process, owned by the
 * server and handed to handlers; lock-free (relaxed atomics). */
#ifndef REFUNDD_METRICS_H
#define REFUNDD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct metrics;
struct route;

/* nroutes: routes in the table; one more slot counts unmatched paths. */
struct metrics *metrics_new(size_t nroutes);
void            metrics_free(struct metrics *m);
void            metrics_observe(struct metrics *m, size_t route, int status, int64_t us);
void            metrics_db_error(struct metrics *m);
/* Renders everything; routes is the table whose indexes were observed.
 * queue_depth < 0: not known (database down). Heap string (free) or NULL. */
char           *metrics_render(const struct metrics *m, const struct route *routes,
                               long queue_depth);

#endif
