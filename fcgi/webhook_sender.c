/* webhook_sender.c -- see webhook_sender.h. A round every
 * webhook.poll_interval_ms: deliver due events in batches until none is
 * due. Polling, not LISTEN/NOTIFY, for the reason sealer.c gives. */
#include "webhook_sender.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "ticker.h"
#include "webhook.h"
#include "webhook_http.h"
#include "webhooks.h"

/* Deliveries claimed per transaction, and how long a batch may keep
 * sending before it commits what it has (its rows are locked meanwhile:
 * the admin's retry of one of them answers 409). */
#define BATCH           16
#define BATCH_BUDGET_MS 2000
/* Added to the longest a batch can keep its transaction idle (the budget,
 * then one more POST of up to webhook.timeout_ms) before PostgreSQL may
 * end it (webhooks_claim's hold_ms). */
#define HOLD_MARGIN_MS  5000

struct webhook_sender {
	const struct config *cfg;
	struct db           *db;
	struct webhook_http *http;
	struct ticker       *ticker;
};

/* What an attempt means for the row: 2xx delivered; anything else (no
 * answer, 3xx -- redirects are not followed --, 4xx, 5xx) retried on the
 * schedule, until it gives up. */
static void judge(const struct config *cfg, struct webhook_claim *cl,
                  const struct webhook_http_result *r)
{
	struct webhook_schedule sched = { cfg->webhook_retry_base_ms, cfg->webhook_retry_cap_ms,
	                                  (int64_t)cfg->webhook_give_up_s * 1000 };
	struct webhook_outcome *out = &cl->out;

	cl->tried = true;
	out->http_status = r->status;
	if (r->status >= 200 && r->status < 300) {
		out->status = "delivered";
		return;
	}
	if (r->status > 0)
		snprintf(out->error, sizeof out->error, "HTTP %ld", r->status);
	else
		snprintf(out->error, sizeof out->error, "%s", r->error);
	out->status = webhook_next_attempt(&sched, cl->failures + 1, cl->elapsed_ms,
	                                   &out->next_delay_ms) == WEBHOOK_RETRY
	              ? "retrying" : "failed";
	char msg[512];
	snprintf(msg, sizeof msg, "delivery %.23s (%.31s) attempt %d: %.299s; %.9s", cl->id, cl->event_id,
	         cl->attempts + 1, out->error, out->status);
	log_event(strcmp(out->status, "failed") == 0 ? "error" : "warn", "webhook_attempt", msg);
}

static int64_t realtime_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool stopping(void *ticker)
{
	return ticker_stopping(ticker);
}

static void send_one(struct webhook_sender *s, struct ticker *t, struct webhook_claim *cl)
{
	const struct webhook_http_cancel cancel = { stopping, t };
	struct webhook_http_result r;
	char sig[WEBHOOK_SIGNATURE_MAX];
	size_t len = strlen(cl->body);

	/* Signed at the moment of sending: the receiver checks t is recent. */
	if (!webhook_sign(s->cfg->webhook_secret, s->cfg->webhook_secret_len,
	                  (int64_t)time(NULL), cl->body, len, sig, sizeof sig)) {
		log_event("error", "webhook_sign", "could not compute the signature");
		return;   /* not tried: stays due */
	}
	webhook_http_post(s->http, cl->body, len, sig, cl->event_id, &cancel, &r);
	if (r.cancelled)
		return;   /* the process is stopping: not tried, stays due */
	cl->out.at_us = realtime_us();
	judge(s->cfg, cl, &r);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A batch of due deliveries (at most one per refund), sent one after the
 * other while their rows stay locked, then every outcome in one commit.
 * Sending stops early when the batch has taken BATCH_BUDGET_MS or the
 * process is stopping: the rows not tried stay due, for anyone. Returns
 * whether a full batch was done (so more may be due at once). */
static bool deliver_batch(struct webhook_sender *s, struct ticker *t)
{
	struct webhook_claim cl[BATCH];
	int n = 0, tried = 0;
	int64_t started = monotonic_ms();
	long hold_ms = BATCH_BUDGET_MS + (long)s->cfg->webhook_timeout_ms + HOLD_MARGIN_MS;

	if (webhooks_claim(s->db, BATCH, hold_ms, cl, &n) != ERR_NONE || n == 0)
		return false;
	for (; tried < n && (tried == 0 || (monotonic_ms() - started < BATCH_BUDGET_MS &&
	                                    !ticker_stopping(t))); tried++)
		send_one(s, t, &cl[tried]);
	enum app_err err = webhooks_finish(s->db, cl, n);
	if (err != ERR_NONE)
		log_event("error", "webhook_finish", "outcomes not recorded: those events go again");
	webhooks_release(s->db, cl, n);
	return err == ERR_NONE && n == BATCH;
}

static void round_of(void *arg, struct ticker *t)
{
	while (!ticker_stopping(t) && deliver_batch(arg, t))
		;
}

static void destroy(struct webhook_sender *s)
{
	webhook_http_free(s->http);
	db_free(s->db);
	free(s);
}

struct webhook_sender *webhook_sender_start(const struct config *cfg)
{
	struct webhook_sender *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	struct ticker_work work = { round_of, NULL, s, cfg->webhook_poll_interval_ms };
	if ((s->db = db_new(cfg)) == NULL || (s->http = webhook_http_new(cfg)) == NULL ||
	    (s->ticker = ticker_start(&work)) == NULL) {
		destroy(s);
		return NULL;
	}
	return s;
}

void webhook_sender_stop(struct webhook_sender *s)
{
	if (s == NULL)
		return;
	ticker_stop(s->ticker);
	destroy(s);
}
