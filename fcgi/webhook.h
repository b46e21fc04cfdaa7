/* webhook.h -- the pure rules of webhooks to the portal (DESIGN.md §8), no
 * I/O: the Refundd-Signature header, the retry schedule and the check of
 * the target address. The sender (webhook_sender.c) and the tests use them.
 *
 * Signature: the scheme Stripe documents, so a portal can reuse its
 * verifier: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> with
 * the shared secret (webhook.secret_file). */
#ifndef REFUNDD_WEBHOOK_H
#define REFUNDD_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "t=" + 20 digits + ",v1=" + 64 hex + NUL */
#define WEBHOOK_SIGNATURE_MAX 96

/* Writes the header value into out (at least WEBHOOK_SIGNATURE_MAX bytes).
 * Returns false when the HMAC cannot be computed. */
bool webhook_sign(const unsigned char *secret, size_t secret_len, int64_t t,
                  const char *body, size_t body_len, char *out, size_t outlen);

/* Retry schedule: after the n-th failed attempt (n >= 1) the next one is
 * base * 2^(n-1) later, never more than cap, and never later than give_up
 * after the first attempt (a longer step is cut short to land there); a
 * failure at or after give_up is the last: the delivery has failed. The real
 * schedule is 1 s doubling to 1 h, for 24 h (webhook.retry_base_ms,
 * retry_cap_ms, give_up; tests use small values). */
struct webhook_schedule {
	int64_t base_ms;
	int64_t cap_ms;
	int64_t give_up_ms;
};

enum webhook_next { WEBHOOK_RETRY, WEBHOOK_GIVE_UP };

/* failures: attempts failed so far, this one included (>= 1);
 * elapsed_ms: from the first attempt to now. On WEBHOOK_RETRY, *delay_ms
 * is how long from now to the next attempt. */
enum webhook_next webhook_next_attempt(const struct webhook_schedule *s, int failures,
                                       int64_t elapsed_ms, int64_t *delay_ms);

/* Only http:// and https:// addresses with a host, and no byte that would
 * need escaping (blank, control, non-ASCII, quotes). */
bool webhook_url_ok(const char *url);

#endif
