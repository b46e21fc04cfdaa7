/* webhook_http.h -- the one HTTP client of refundd (libcurl): POSTs a
 * signed event to webhook.url. Careful with where it may go and how long
 * it may take: only http and https, no redirects followed, connect and
 * whole-request timeouts from the config, the answer's body read at most
 * WEBHOOK_HTTP_BODY_CAP bytes and thrown away. One client per thread (a
 * libcurl easy handle is not shared between threads), a new connection
 * for every post (webhook_http.c says why). */
#ifndef REFUNDD_WEBHOOK_HTTP_H
#define REFUNDD_WEBHOOK_HTTP_H

#include <stddef.h>
#include "config.h"

#define WEBHOOK_HTTP_BODY_CAP ((size_t)64 * 1024)

struct webhook_http;

/* curl_global_init must have run (main.c, before any thread). */
struct webhook_http *webhook_http_new(const struct config *cfg);
void webhook_http_free(struct webhook_http *h);

struct webhook_http_result {
	long status;        /* HTTP status; 0 when none came back */
	char error[256];    /* why not, when status is 0 */
};

/* Returns 0 when an answer came back (any status), -1 otherwise. */
int webhook_http_post(struct webhook_http *h, const char *body, size_t len,
                      const char *signature, const char *event_id,
                      struct webhook_http_result *out);

#endif
