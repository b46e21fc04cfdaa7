/* webhook_http.c -- see webhook_http.h. */
#include "webhook_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

struct webhook_http {
	const struct config              *cfg;
	CURL                             *curl;
	size_t                            received;   /* body bytes of the current answer */
	const struct webhook_http_cancel *cancel;     /* of the current post, or NULL */
};

struct webhook_http *webhook_http_new(const struct config *cfg)
{
	struct webhook_http *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->cfg = cfg;
	if ((h->curl = curl_easy_init()) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void webhook_http_free(struct webhook_http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

/* The answer's body is not ours to keep: count it, stop past the cap
 * (returning less than given makes libcurl abort the transfer). */
/* The type is libcurl's CURLOPT_WRITEFUNCTION: data cannot be const. */
// NOLINTNEXTLINE(readability-non-const-parameter)
static size_t discard(char *data, size_t size, size_t n, void *user)
{
	struct webhook_http *h = user;

	(void)data;
	h->received += size * n;
	return h->received > WEBHOOK_HTTP_BODY_CAP ? 0 : size * n;
}

/* libcurl's CURLOPT_XFERINFOFUNCTION: non-zero aborts the transfer
 * (CURLE_ABORTED_BY_CALLBACK). Without it a stopping process waited up to
 * webhook.timeout_ms on a slow receiver after its requests were done. */
static int check_cancel(void *user, curl_off_t dltotal, curl_off_t dlnow,
                        curl_off_t ultotal, curl_off_t ulnow)
{
	const struct webhook_http *h = user;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return h->cancel != NULL && h->cancel->stop(h->cancel->arg);
}

static int set_options(struct webhook_http *h, const char *body, size_t len,
                       struct curl_slist *headers, char *errbuf)
{
	CURL *c = h->curl;
	const struct config *cfg = h->cfg;

	curl_easy_reset(c);   /* drops the last post's options */
	return (curl_easy_setopt(c, CURLOPT_URL, cfg->webhook_url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    /* A fresh connection per event: on a reused one that the portal
	     * closed, libcurl silently sends the request again, and one
	     * attempt would become two. */
	    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L) ||
	    /* threads: no SIGALRM for DNS timeouts */
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->webhook_timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->webhook_connect_timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "refundd/" REFUNDD_VERSION) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, h) ||
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) ||
	    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_cancel) ||
	    curl_easy_setopt(c, CURLOPT_XFERINFODATA, h) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf)) ? -1 : 0;
}

static struct curl_slist *make_headers(const char *signature, const char *event_id)
{
	char sig[WEBHOOK_SIGNATURE_MAX + 32], id[64];
	struct curl_slist *list = NULL, *next;
	const char *fixed[] = { "Content-Type: application/json",
	                        "Expect:" /* no 100-continue round trip */ };

	snprintf(sig, sizeof sig, "Refundd-Signature: %s", signature);
	snprintf(id, sizeof id, "Refundd-Event-Id: %s", event_id);
	const char *all[] = { fixed[0], fixed[1], sig, id };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if ((next = curl_slist_append(list, all[i])) == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

int webhook_http_post(struct webhook_http *h, const char *body, size_t len,
                      const char *signature, const char *event_id,
                      const struct webhook_http_cancel *cancel,
                      struct webhook_http_result *out)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = make_headers(signature, event_id);
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	memset(out, 0, sizeof *out);
	h->received = 0;
	h->cancel = cancel;
	if (headers != NULL && set_options(h, body, len, headers, errbuf) != 0)
		rc = CURLE_FAILED_INIT;
	else if (headers != NULL) {
		rc = curl_easy_perform(h->curl);
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &out->status);
	}
	/* An answer over the cap still answered: its status counts. */
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && out->status > 0))
		out->status = 0;
	out->cancelled = rc == CURLE_ABORTED_BY_CALLBACK;
	h->cancel = NULL;
	if (out->status == 0)
		snprintf(out->error, sizeof out->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	/* The error buffer and headers are ours: unhook them before they go. */
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	return out->status > 0 ? 0 : -1;
}
