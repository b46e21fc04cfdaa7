/* metrics.c -- see metrics.h. Status codes are counted in a fixed set of
 * slots (the codes refundd answers with) plus "other", so the memory is
 * known at start and nothing allocates per request. */
#include "metrics.h"
#include "router.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int status_slots[] = { 200, 201, 400, 401, 403, 404, 405, 406, 409, 413,
                                    415, 422, 429, 500, 503 };
#define NSTATUS (sizeof status_slots / sizeof status_slots[0] + 1)
static const int64_t bucket_us[] = { 1000, 5000, 10000, 25000, 50000, 100000, 250000,
                                     500000, 1000000, 5000000 };
#define NBUCKET (sizeof bucket_us / sizeof bucket_us[0])

struct route_metrics {
	_Atomic uint64_t by_status[NSTATUS];
	/* Per bucket, the last one past the largest bound; cumulative and the
	 * count only at render time, from one read of each: a count kept apart
	 * could be read before a bucket that had already counted the same
	 * request, and le="+Inf" then fell below le="5" (invalid exposition). */
	_Atomic uint64_t buckets[NBUCKET + 1];
	_Atomic uint64_t sum_us;
};

struct metrics {
	size_t               nroutes;        /* + 1 slot for unmatched */
	_Atomic uint64_t     db_errors;
	struct route_metrics routes[];
};

struct metrics *metrics_new(size_t nroutes)
{
	struct metrics *m = calloc(1, sizeof *m + (nroutes + 1) * sizeof m->routes[0]);
	if (m != NULL)
		m->nroutes = nroutes;
	return m;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static size_t status_slot(int status)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (status_slots[i] == status)
			return i;
	return NSTATUS - 1;
}

void metrics_observe(struct metrics *m, size_t route, int status, int64_t us)
{
	struct route_metrics *r = &m->routes[route < m->nroutes ? route : m->nroutes];
	size_t b = 0;

	while (b < NBUCKET && us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&r->by_status[status_slot(status)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->sum_us, (uint64_t)(us > 0 ? us : 0), memory_order_relaxed);
}

void metrics_db_error(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->db_errors, 1, memory_order_relaxed);
}

struct out { char *buf; size_t len, cap; int failed; };

__attribute__((format(printf, 2, 3)))
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	for (int tries = 0; tries < 2 && !o->failed; tries++) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) { o->failed = 1; return; }
		if ((size_t)n < o->cap - o->len) { o->len += (size_t)n; return; }
		size_t cap = (o->cap + (size_t)n + 1) * 2;
		char *grown = realloc(o->buf, cap);
		if (grown == NULL) { o->failed = 1; return; }
		o->buf = grown;
		o->cap = cap;
	}
}

static void render_counts(struct out *o, const struct route_metrics *r, const char *name,
                          const char *method)
{
	for (size_t s = 0; s < NSTATUS; s++) {
		uint64_t v = atomic_load_explicit(&r->by_status[s], memory_order_relaxed);
		if (v == 0)
			continue;
		if (s < NSTATUS - 1)
			emit(o, "refundd_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
			     method, name, status_slots[s], (unsigned long long)v);
		else
			emit(o, "refundd_requests_total{method=\"%s\",route=\"%s\",status=\"other\"} %llu\n",
			     method, name, (unsigned long long)v);
	}
}

static void render_histogram(struct out *o, const struct route_metrics *r, const char *name,
                             const char *method)
{
	uint64_t in[NBUCKET + 1], cumulative = 0, count = 0;

	for (size_t b = 0; b <= NBUCKET; b++)
		count += in[b] = atomic_load_explicit(&r->buckets[b], memory_order_relaxed);
	if (count == 0)
		return;
	for (size_t b = 0; b < NBUCKET; b++) {
		cumulative += in[b];
		emit(o, "refundd_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
		     method, name, (double)bucket_us[b] / 1e6, (unsigned long long)cumulative);
	}
	emit(o, "refundd_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
	     method, name, (unsigned long long)count);
	emit(o, "refundd_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n", method, name,
	     (double)atomic_load_explicit(&r->sum_us, memory_order_relaxed) / 1e6);
	emit(o, "refundd_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n", method,
	     name, (unsigned long long)count);
}

typedef void (*render_fn)(struct out *, const struct route_metrics *, const char *, const char *);

/* One family's samples for every route, the unmatched slot last. */
static void render_family(struct out *o, const struct metrics *m, const struct route *routes,
                          render_fn render)
{
	for (size_t i = 0; i <= m->nroutes; i++)
		render(o, &m->routes[i], i < m->nroutes ? routes[i].pattern : "unmatched",
		       i < m->nroutes ? routes[i].method : "any");
}

static void render_gauges(struct out *o, const struct metrics_gauges *g)
{
	emit(o, "# HELP refundd_queue_depth Open refund requests waiting for staff.\n"
	        "# TYPE refundd_queue_depth gauge\nrefundd_queue_depth %ld\n", g->queue_depth);
	emit(o, "# HELP refundd_audit_unsealed_events Audit events not yet linked into the chain.\n"
	        "# TYPE refundd_audit_unsealed_events gauge\nrefundd_audit_unsealed_events %ld\n",
	     g->audit_unsealed);
	emit(o, "# HELP refundd_audit_unsealed_oldest_seconds Age of the oldest unsealed audit event"
	        " (0: none; audit/verify fails past audit.unsealed_grace).\n"
	        "# TYPE refundd_audit_unsealed_oldest_seconds gauge\n"
	        "refundd_audit_unsealed_oldest_seconds %.3f\n", g->audit_unsealed_oldest_s);
	if (g->has_checkpoint)
		emit(o, "# HELP refundd_audit_checkpoint_age_seconds Time since the newest signed checkpoint.\n"
		        "# TYPE refundd_audit_checkpoint_age_seconds gauge\n"
		        "refundd_audit_checkpoint_age_seconds %.3f\n", g->audit_checkpoint_age_s);
	emit(o, "# HELP refundd_webhook_deliveries Webhook deliveries not delivered, by status.\n"
	        "# TYPE refundd_webhook_deliveries gauge\n"
	        "refundd_webhook_deliveries{status=\"pending\"} %ld\n"
	        "refundd_webhook_deliveries{status=\"retrying\"} %ld\n"
	        "refundd_webhook_deliveries{status=\"failed\"} %ld\n",
	     g->webhooks_pending, g->webhooks_retrying, g->webhooks_failed);
	emit(o, "# HELP refundd_payouts_unsettled Payout instructions not settled yet, by status.\n"
	        "# TYPE refundd_payouts_unsettled gauge\n"
	        "refundd_payouts_unsettled{status=\"pending\"} %ld\n"
	        "refundd_payouts_unsettled{status=\"sent\"} %ld\n",
	     g->payouts_pending, g->payouts_sent);
}

/* The text exposition format wants each family as one group: its HELP and
 * TYPE, then all of its samples. Strict parsers (Python's prometheus_client)
 * read samples that come after another family's TYPE as untyped. */
char *metrics_render(const struct metrics *m, const struct route *routes,
                     const struct metrics_gauges *gauges)
{
	struct out o = { malloc(4096), 0, 4096, 0 };

	if (o.buf == NULL)
		return NULL;
	o.buf[0] = '\0';
	emit(&o, "# HELP refundd_requests_total Requests answered, by route and status.\n"
	         "# TYPE refundd_requests_total counter\n");
	render_family(&o, m, routes, render_counts);
	emit(&o, "# HELP refundd_request_duration_seconds Time from accept to response.\n"
	         "# TYPE refundd_request_duration_seconds histogram\n");
	render_family(&o, m, routes, render_histogram);
	emit(&o, "# HELP refundd_db_errors_total Requests that failed on the database.\n"
	         "# TYPE refundd_db_errors_total counter\nrefundd_db_errors_total %llu\n",
	     (unsigned long long)atomic_load_explicit(&m->db_errors, memory_order_relaxed));
	if (gauges != NULL)
		render_gauges(&o, gauges);
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}
