/* listener.h -- the FastCGI listening socket. */
#ifndef REFUNDD_LISTENER_H
#define REFUNDD_LISTENER_H

#include <stddef.h>

/* spec: "/path/to.sock", "127.0.0.1:9000", "[::1]:9000" or "inherit"
 * (spawn-fcgi hands the socket over as fd 0, systemd as fd 3 with
 * LISTEN_FDS). Returns the fd, or -1 with err filled. */
int listener_open(const char *spec, char *err, size_t errlen);
/* Gives a unix socket to the user the worker drops to (no-op for TCP). */
int listener_chown(const char *spec, unsigned uid, unsigned gid, char *err, size_t errlen);

#endif
