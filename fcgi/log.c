/* log.c -- structured log lines. Each line is built whole with jansson and
 * written with one fputs on unbuffered stderr, so lines from different
 * threads do not interleave. */
#include "log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Per thread: an error logged deep in the database layer names the
 * request it happened in without every caller passing the id down. */
static _Thread_local const char *current_request;

void log_set_request(const char *request_id)
{
	current_request = request_id;
}

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		base[0] = '\0';
	snprintf(buf, len, "%.20s.%06dZ", base, (int)(ts.tv_nsec / 1000 % 1000000));
}

static void emit(json_t *line)
{
	char time_buf[48];
	char *text;

	now_rfc3339(time_buf, sizeof time_buf);
	json_object_set_new(line, "time", json_string(time_buf));
	text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	json_decref(line);
	if (text == NULL)
		return;
	fprintf(stderr, "%s\n", text);
	free(text);
}

void log_request(const struct log_request *r)
{
	json_t *line = json_object();
	json_object_set_new(line, "request_id", json_string(r->request_id));
	json_object_set_new(line, "method", json_string(r->method ? r->method : ""));
	json_object_set_new(line, "route", json_string(r->route ? r->route : ""));
	json_object_set_new(line, "status", json_integer(r->status));
	json_object_set_new(line, "us", json_integer(r->duration_us));
	json_object_set_new(line, "account", r->account ? json_string(r->account) : json_null());
	if (r->code)
		json_object_set_new(line, "code", json_string(r->code));
	emit(line);
}

void log_event(const char *level, const char *what, const char *msg)
{
	json_t *line = json_object();
	char clean[512];

	/* PostgreSQL messages end with a newline; keep one event per line. */
	snprintf(clean, sizeof clean, "%s", msg ? msg : "");
	clean[strcspn(clean, "\n")] = '\0';
	json_object_set_new(line, "level", json_string(level));
	json_object_set_new(line, "event", json_string(what));
	json_object_set_new(line, "msg", json_string(clean));
	if (json_object_get(line, "msg") == NULL) /* invalid UTF-8 from outside */
		json_object_set_new(line, "msg", json_string("(unprintable)"));
	if (current_request != NULL)
		json_object_set_new(line, "request_id", json_string(current_request));
	emit(line);
}
