/* server.h -- the pool of FastCGI worker threads. */
#ifndef REFUNDD_SERVER_H
#define REFUNDD_SERVER_H

#include "config.h"

/* Serves on listen_fd with cfg->threads threads until SIGTERM or SIGINT,
 * then finishes the requests in flight (bounded by a deadline) and
 * returns 0. The signals must already be blocked in the calling thread. */
int server_run(const struct config *cfg, int listen_fd);

#endif
