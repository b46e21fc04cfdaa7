/* server.c -- worker threads, each looping on FCGX_Accept_r with its own
 * database connection, and the translation between libfcgi and struct
 * http_request / http_response.
 *
 * libfcgi notes (../shared/PITFALLS.md, "libfcgi 2.4.2 in a thread pool"):
 * no mutex around FCGX_Accept_r on Linux; a thread parked on a kept
 * connection never sees FCGX_ShutdownPending, so we check our own
 * `stopping` flag before each accept; shutdown(listen_fd) wakes threads
 * blocked in accept (close() does not); FCGX_GetParam pointers die at
 * FCGX_Finish_r, so nothing here outlives one request. */
#include "server.h"

#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "log.h"
#include "metrics.h"
#include "sealer.h"
#include "webhook_sender.h"

#define SHUTDOWN_DEADLINE_S 20

struct server {
	const struct config *cfg;
	int                  listen_fd;
	atomic_bool          stopping;
	atomic_int           running;    /* threads still in their loop */
	struct metrics      *metrics;
};

static int64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* X-Request-Id from nginx when it is sane, otherwise 128 random bits. */
static void set_request_id(struct http_request *r, const char *given)
{
	unsigned char raw[16];
	size_t n = given ? strlen(given) : 0;

	if (n > 0 && n < sizeof r->request_id &&
	    strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n) {
		memcpy(r->request_id, given, n + 1);
		return;
	}
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		memset(raw, 0, sizeof raw);
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(r->request_id + 2 * i, 3, "%02x", raw[i]);
}

/* Splits REQUEST_URI (still percent-encoded, so "%2F" stays inside one
 * segment) into path and query. */
static void split_uri(const char *uri, char *path, size_t len, const char **query)
{
	const char *q = strchr(uri, '?');
	size_t n = q ? (size_t)(q - uri) : strlen(uri);

	if (n >= len)
		n = len - 1;
	memcpy(path, uri, n);
	path[n] = '\0';
	*query = q ? q + 1 : "";
}

static const char *uri_or_root(const char *uri)
{
	return uri != NULL && uri[0] == '/' ? uri : "/";
}

/* Reads the body: at most max bytes; fewer than announced is 400, more is
 * 413 (PITFALLS.md, "Request bodies"). */
static enum app_err read_body(FCGX_Request *fr, struct http_request *r, long max)
{
	long announced;
	enum http_length rc = http_parse_content_length(
		FCGX_GetParam("CONTENT_LENGTH", fr->envp), max, &announced);
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	int chunked = cl == NULL || *cl == '\0';
	long want = chunked ? max + 1 : announced;
	long got = 0;

	if (rc == HTTP_LENGTH_INVALID)
		return ERR_BAD_REQUEST;
	if (rc == HTTP_LENGTH_TOO_LARGE)
		return ERR_PAYLOAD_TOO_LARGE;
	r->body = malloc((size_t)want + 1);
	if (r->body == NULL)
		return ERR_INTERNAL;
	while (got < want) {
		int n = FCGX_GetStr(r->body + got, (int)(want - got), fr->in);
		if (n <= 0)
			break;
		got += n;
	}
	r->body[got] = '\0';
	r->body_len = (size_t)got;
	if (chunked && got > max)
		return ERR_PAYLOAD_TOO_LARGE;
	return !chunked && got < announced ? ERR_BAD_REQUEST : ERR_NONE;
}

/* After an early answer the unread body must not confuse the next request
 * on a kept connection (PITFALLS.md): discard a bounded amount, enough for
 * the largest body nginx passes (an evidence upload): closing a socket
 * with unread bytes makes the kernel send a reset, which could reach nginx
 * before our answer does. */
static void drain_body(FCGX_Request *fr)
{
	char buf[4096];
	long budget = ROUTE_BODY_LARGE_MAX / (long)sizeof buf + 2;
	while (budget-- > 0 && FCGX_GetStr(buf, sizeof buf, fr->in) > 0)
		;
}

static enum app_err authenticate(struct app_ctx *c)
{
	const struct config *cfg = c->cfg;
	struct auth_verifier v = { cfg->jwt_pin, cfg->jwt_key, cfg->jwt_key_len,
	                           cfg->jwt_issuer, cfg->jwt_audience, cfg->jwt_leeway_s };
	const char *token = NULL;
	size_t len = 0;
	enum auth_err rc = auth_parse_bearer(c->req->authorization, &token, &len);

	if (rc == AUTH_OK)
		rc = auth_verify(&v, token, len, c->now, &c->who);
	if (rc != AUTH_OK) {
		http_add_header(c->resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		return app_fail(c, ERR_UNAUTHORIZED, NULL, "%s", auth_err_text(rc));
	}
	if ((c->match->route->roles & c->who.role) == 0)
		return app_fail(c, ERR_FORBIDDEN, NULL, "role %s may not call %s %s",
		                auth_role_name(c->who.role), c->req->method,
		                c->match->route->pattern);
	return ERR_NONE;
}

static enum app_err parse_body(struct app_ctx *c, FCGX_Request *fr)
{
	struct http_request *r = (struct http_request *)c->req;
	json_error_t jerr;
	enum app_err err;
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);

	if ((c->match->route->flags & ROUTE_BODY_OPTIONAL) && (cl == NULL || cl[0] == '\0' || strcmp(cl, "0") == 0) &&
	    (r->content_type == NULL || r->content_type[0] == '\0'))
		return ERR_NONE;   /* no body at all: c->body stays NULL */
	if (!http_is_json_type(r->content_type))
		return app_fail(c, ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
		                "send the body as application/json");
	if ((err = read_body(fr, r, c->cfg->max_body)) != ERR_NONE)
		return app_fail(c, err, NULL, err == ERR_PAYLOAD_TOO_LARGE
		                ? "body over %ld bytes" : "body shorter than Content-Length (%ld)",
		                c->cfg->max_body);
	if (!http_utf8_valid(r->body, r->body_len))
		return app_fail(c, ERR_INVALID_UTF8, NULL, "body is not valid UTF-8");
	c->body = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (c->body == NULL)
		return app_fail(c, ERR_INVALID_JSON, NULL, "line %d: %s", jerr.line, jerr.text);
	if (!json_is_object(c->body))
		return app_fail(c, ERR_INVALID_JSON, NULL, "body must be a JSON object");
	return ERR_NONE;
}

/* A route that takes no body refuses one it would otherwise ignore, as
 * routes with a body refuse members they do not take: {"assignee": ...}
 * sent to claim must not look accepted. An empty JSON object passes (a
 * client that always sends one); anything else is what parse_body and an
 * empty field table make of it (415, 400, 422 unknown_field). */
static enum app_err refuse_body(struct app_ctx *c, FCGX_Request *fr)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	struct field_value none[1];
	enum app_err err;

	if (cl == NULL || cl[0] == '\0' || strcmp(cl, "0") == 0)
		return ERR_NONE;
	if ((err = parse_body(c, fr)) != ERR_NONE)
		return err;
	return app_body(c, NULL, 0, none);
}

/* A raw body (ROUTE_BODY_LARGE), read whole before the handler runs and
 * still bounded: the handler judges its type and bytes. */
static enum app_err read_raw_body(struct app_ctx *c, FCGX_Request *fr)
{
	enum app_err err = read_body(fr, (struct http_request *)c->req, ROUTE_BODY_LARGE_MAX);

	if (err != ERR_NONE)
		return app_fail(c, err, NULL, err == ERR_PAYLOAD_TOO_LARGE
		                ? "body over %ld bytes (5 MiB)" : "body shorter than Content-Length (limit %ld)",
		                ROUTE_BODY_LARGE_MAX);
	return ERR_NONE;
}

/* Whether the Idempotency-Key header came more than once: nginx before
 * 1.23 passes each line of a header it does not know as its own
 * parameter, and FCGX_GetParam takes the first, so two keys (two retry
 * layers each adding one) ran under the first. Apache, lighttpd and newer
 * nginx join the lines with ", ", which the key's own check refuses; a
 * repeated Authorization nginx refuses itself (400 bad_request), the
 * others join it into a token that does not verify. */
static bool idempotency_key_repeated(char **envp)
{
	static const char param[] = "HTTP_IDEMPOTENCY_KEY=";
	int seen = 0;

	for (char **e = envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, param, sizeof param - 1) == 0 && ++seen > 1)
			return true;
	return false;
}

/* A query parameter the route does not read, or one given twice: 400
 * before the handler, naming it and the ones the route takes. */
static enum app_err check_query(struct app_ctx *c, const struct route *r)
{
	char name[64], detail[192];
	enum route_query q = router_check_query(r, c->req->query, name, sizeof name);

	if (q == ROUTE_QUERY_OK)
		return ERR_NONE;
	if (q == ROUTE_QUERY_REPEATED) {
		snprintf(detail, sizeof detail, "query parameter '%s' given more than once", name);
		return app_fail_with(c, ERR_BAD_REQUEST, "repeated_parameter",
		                     json_pack("{s:s}", "field", name), detail);
	}
	if (r->query != NULL)
		snprintf(detail, sizeof detail, "unknown query parameter '%s'; this takes: %s", name,
		         r->query);
	else
		snprintf(detail, sizeof detail, "unknown query parameter '%s'; this takes none", name);
	return app_fail_with(c, ERR_BAD_REQUEST, "unknown_parameter",
	                     json_pack("{s:s}", "field", name), detail);
}

static enum app_err dispatch(struct app_ctx *c, FCGX_Request *fr)
{
	struct route_match *m = (struct route_match *)c->match;
	enum route_result found = router_match(app_routes, app_route_count,
	                                       c->req->method, c->req->path, m);
	enum app_err err;

	if (found == ROUTE_NOT_FOUND)
		return app_fail(c, ERR_NOT_FOUND, NULL, "no such resource");
	if (found == ROUTE_METHOD_NOT_ALLOWED) {
		http_add_header(c->resp, "Allow", m->allow);
		return app_fail(c, ERR_METHOD_NOT_ALLOWED, NULL, "allowed: %s", m->allow);
	}
	if (!(m->route->flags & ROUTE_PUBLIC) && (err = authenticate(c)) != ERR_NONE)
		return err;
	if ((err = check_query(c, m->route)) != ERR_NONE)
		return err;
	if ((m->route->flags & ROUTE_BODY) && (err = parse_body(c, fr)) != ERR_NONE)
		return err;
	if ((m->route->flags & ROUTE_BODY_LARGE) && (err = read_raw_body(c, fr)) != ERR_NONE)
		return err;
	if (!(m->route->flags & (ROUTE_BODY | ROUTE_BODY_LARGE)) && (err = refuse_body(c, fr)) != ERR_NONE)
		return err;
	return m->route->handler(c);
}

/* The head is formatted with snprintf: libfcgi's own FCGX_FPrintF knows no
 * %zu and silently writes nothing for it. */
static void write_response(FCGX_Request *fr, const struct http_request *r,
                           const struct http_response *resp)
{
	char head[3072];
	int n = snprintf(head, sizeof head,
	                 "Status: %d\r\nX-Request-Id: %s\r\nCache-Control: no-store\r\n"
	                 "%s%s%s%sContent-Length: %zu\r\n\r\n",
	                 resp->status, r->request_id, resp->headers,
	                 resp->body ? "Content-Type: " : "",
	                 resp->body ? resp->content_type : "", resp->body ? "\r\n" : "",
	                 resp->body ? resp->body_len : 0);

	if (n < 0 || (size_t)n >= sizeof head)
		n = snprintf(head, sizeof head, "Status: 500\r\nContent-Length: 0\r\n\r\n");
	FCGX_PutStr(head, n, fr->out);
	if (resp->body != NULL)
		FCGX_PutStr(resp->body, (int)resp->body_len, fr->out);
}

static void handle(struct server *s, struct db *db, FCGX_Request *fr)
{
	int64_t start = monotonic_us();
	char path[2048];
	struct http_request req = { 0 };
	struct http_response resp = { 0 };
	struct route_match match;
	struct app_ctx c = { .cfg = s->cfg, .req = &req, .resp = &resp, .db = db,
	                     .match = &match, .now = (int64_t)time(NULL),
	                     .metrics = s->metrics };

	req.method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	split_uri(uri_or_root(FCGX_GetParam("REQUEST_URI", fr->envp)), path, sizeof path, &req.query);
	req.path = path;
	req.content_type = FCGX_GetParam("CONTENT_TYPE", fr->envp);
	req.authorization = FCGX_GetParam("HTTP_AUTHORIZATION", fr->envp);
	req.accept = FCGX_GetParam("HTTP_ACCEPT", fr->envp);
	req.idempotency_key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", fr->envp);
	req.idempotency_key_repeated = req.idempotency_key != NULL &&
	                               idempotency_key_repeated(fr->envp);
	req.remote_addr = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	if (req.method == NULL)
		req.method = "GET";
	set_request_id(&req, FCGX_GetParam("HTTP_X_REQUEST_ID", fr->envp));
	log_set_request(req.request_id);
	memset(&match, 0, sizeof match);

	enum app_err err = dispatch(&c, fr);
	if (err != ERR_NONE || c.problem.err != ERR_NONE) {
		/* An error value nobody turned into a problem (a data-layer
		 * failure passed straight up) answers as its kind's default. */
		if (c.problem.err == ERR_NONE)
			c.problem.err = err;
		http_respond_problem(&resp, req.request_id, &c.problem);
		drain_body(fr);
	}
	db_after_request(db);
	write_response(fr, &req, &resp);

	struct log_request line = {
		req.request_id, req.method, match.route ? match.route->pattern : req.path,
		resp.status, monotonic_us() - start, c.who.sub[0] ? c.who.sub : NULL,
		c.problem.err != ERR_NONE ? (c.problem.code ? c.problem.code : http_err_code(c.problem.err)) : NULL,
	};
	log_request(&line);
	metrics_observe(s->metrics, match.route ? (size_t)(match.route - app_routes) : app_route_count,
	                resp.status, line.duration_us);
	if (c.problem.err == ERR_DB_UNAVAILABLE || c.problem.err == ERR_DB_TIMEOUT ||
	    c.problem.err == ERR_DB_BUSY)
		metrics_db_error(s->metrics);
	json_decref(c.body);
	json_decref(c.problem.extra);
	free(req.body);
	http_response_reset(&resp);
	log_set_request(NULL);
}

/* FCGX_Accept_r fails for EMFILE, ENFILE, ENOBUFS and ENOMEM (libfcgi
 * retries only the errors of one connection): all pass, so the worker
 * waits and tries again rather than ending, which left a process up that
 * no one served. Logged when a run of failures starts and every 100th. */
static void accept_failed(int rc, long failures)
{
	char why[128];

	if (failures % 100 == 1) {
		/* rc is -errno, or -9999 when libfcgi had no errno to give */
		if (rc <= -9999 || strerror_r(-rc, why, sizeof why) != 0)
			snprintf(why, sizeof why, "FCGX_Accept_r returned %d", rc);
		log_event("error", "accept", why);
	}
	(void)nanosleep(&(struct timespec){ .tv_nsec = 100L * 1000 * 1000 }, NULL);
}

static void *worker(void *arg)
{
	struct server *s = arg;
	struct db *db = db_new(s->cfg);
	FCGX_Request fr;
	long failures = 0;

	if (db == NULL || FCGX_InitRequest(&fr, s->listen_fd, 0) != 0) {
		log_event("error", "worker_start", "out of memory");
		goto out;
	}
	while (!atomic_load(&s->stopping)) {
		int rc = FCGX_Accept_r(&fr);
		if (rc < 0) {
			if (atomic_load(&s->stopping))
				break;
			accept_failed(rc, ++failures);
			continue;
		}
		failures = 0;
		handle(s, db, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
out:
	db_free(db);
	atomic_fetch_sub(&s->running, 1);
	return NULL;
}

static int wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigwait(&set, &sig);
	return sig;
}

/* Waits for the workers to finish their requests in flight, but never
 * longer than the deadline: a thread stuck on a client must not keep the
 * process alive forever. */
static int stop_workers(struct server *s, pthread_t *threads, int n)
{
	atomic_store(&s->stopping, true);
	FCGX_ShutdownPending();
	shutdown(s->listen_fd, SHUT_RDWR);
	for (int waited = 0; atomic_load(&s->running) > 0 && waited < SHUTDOWN_DEADLINE_S * 10; waited++)
		(void)nanosleep(&(struct timespec){ .tv_nsec = 100L * 1000 * 1000 }, NULL);
	if (atomic_load(&s->running) > 0) {
		log_event("warn", "shutdown", "deadline passed with requests in flight");
		return -1;
	}
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	return 0;
}

int server_run(const struct config *cfg, int listen_fd)
{
	struct server s = { .cfg = cfg, .listen_fd = listen_fd,
	                    .metrics = metrics_new(app_route_count) };
	pthread_t *threads = calloc((size_t)cfg->threads, sizeof *threads);
	pthread_attr_t attr;
	int started = 0;
	char msg[400];

	if (threads == NULL || s.metrics == NULL || FCGX_Init() != 0) {
		free(threads);
		metrics_free(s.metrics);
		return -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)1024 * 1024);
	for (; started < cfg->threads; started++) {
		atomic_fetch_add(&s.running, 1);
		if (pthread_create(&threads[started], &attr, worker, &s) != 0) {
			atomic_fetch_sub(&s.running, 1);
			break;
		}
	}
	pthread_attr_destroy(&attr);
	/* The audit sealer runs beside the workers in every process; only one
	 * per database seals (sealer.h). */
	struct sealer *sealer = started > 0 ? sealer_start(cfg) : NULL;
	/* So is the webhook sender, when there is a portal to send to; rows
	 * are claimed with SKIP LOCKED, so processes share the work
	 * (webhook_sender.h). */
	bool want_sender = cfg->webhook_url[0] != '\0';
	struct webhook_sender *sender = started > 0 && want_sender ? webhook_sender_start(cfg) : NULL;
	bool up = started > 0 && sealer != NULL && (!want_sender || sender != NULL);
	snprintf(msg, sizeof msg, "%d threads on %s%s", started, cfg->listen,
	         sender ? ", sending webhooks" : "");
	log_event("info", "started", msg);
	int sig = up ? wait_for_signal() : 0;
	snprintf(msg, sizeof msg, "signal %d: finishing requests in flight", sig);
	log_event("info", "stopping", msg);
	/* Threads still stuck past the deadline keep using s.metrics, so it is
	 * freed only after a clean join. */
	int stopped = stop_workers(&s, threads, started);
	webhook_sender_stop(sender);
	sealer_stop(sealer);
	if (stopped == 0)
		metrics_free(s.metrics);
	free(threads);
	return up ? 0 : -1;
}
