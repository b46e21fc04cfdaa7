/* log.h -- one JSON object per line on stderr (DESIGN.md §5). */
#ifndef REFUNDD_LOG_H
#define REFUNDD_LOG_H

#include <stdint.h>

struct log_request {
	const char *request_id;
	const char *method;
	const char *route;        /* the pattern, not the raw path */
	int         status;
	int64_t     duration_us;
	const char *account;      /* JWT sub, or NULL */
	const char *code;         /* problem code, or NULL */
};

void log_request(const struct log_request *r);
/* level "info" | "warn" | "error"; what is a short event name. Inside a
 * request (log_set_request), the line carries its request_id too. */
void log_event(const char *level, const char *what, const char *msg);
/* The request this thread serves now (NULL: none). The pointer is kept,
 * not copied: clear it before the id goes away. */
void log_set_request(const char *request_id);

#endif
