/* webhook_http.h -- the one HTTP client of refundd (libcurl): POSTs a
 * signed event to webhook.url. Careful with where it may go and how long
 * it may take: only http and https, no redirects followed, connect and
 * whole-request timeouts from the config, the answer's body read at most
 * WEBHOOK_HTTP_BODY_CAP bytes and thrown away. One client per thread (a
 * libcurl easy handle is not shared between threads), a new connection
 * for every post (webhook_http.c says why). */
#ifndef REFUNDD_WEBHOOK_HTTP_H
#define REFUNDD_WEBHOOK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"

#define WEBHOOK_HTTP_BODY_CAP ((size_t)64 * 1024)

struct webhook_http;

/* curl_global_init must have run (main.c, before any thread). */
struct webhook_http *webhook_http_new(const struct config *cfg);
void webhook_http_free(struct webhook_http *h);

struct webhook_http_result {
	long status;        /* HTTP status; 0 when none came back */
	bool cancelled;     /* given up because the process is stopping */
	char error[256];    /* why not, when status is 0 */
};

/* Asked while a post waits on its receiver (libcurl's progress callback,
 * about once a second and on every byte): true gives the post up. */
struct webhook_http_cancel {
	bool (*stop)(void *arg);
	void *arg;
};

/* Returns 0 when an answer came back (any status), -1 otherwise. A post
 * that cancel (may be NULL) stopped has out->cancelled set: it was not an
 * attempt the receiver answered or failed, only one we walked away from. */
int webhook_http_post(struct webhook_http *h, const char *body, size_t len,
                      const char *signature, const char *event_id,
                      const struct webhook_http_cancel *cancel,
                      struct webhook_http_result *out);

#endif
