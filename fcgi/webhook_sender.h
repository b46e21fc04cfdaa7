/* webhook_sender.h -- the thread of `refundd serve` that delivers webhook
 * events to webhook.url (started only when that is set). Any number of
 * processes may run one against the same database: each claims due rows
 * with FOR UPDATE SKIP LOCKED and keeps the lock through the POST and the
 * recording of its outcome, so no delivery is sent by two at once, and
 * none is lost when a process dies mid-send (its transaction rolls back;
 * the event goes again: at least once, receivers de-duplicate by id). */
#ifndef REFUNDD_WEBHOOK_SENDER_H
#define REFUNDD_WEBHOOK_SENDER_H

#include "config.h"

struct webhook_sender;

/* Starts the thread (own database connection, own HTTP client); NULL on
 * failure. */
struct webhook_sender *webhook_sender_start(const struct config *cfg);
/* Finishes the delivery in flight (bounded by webhook.timeout_ms), stops
 * and frees. */
void webhook_sender_stop(struct webhook_sender *s);

#endif
