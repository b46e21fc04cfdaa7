/* listener.c -- we open the socket ourselves instead of FCGX_OpenSocket(),
 * which listens on every interface for ":9000", deletes whatever file sits
 * at a unix path, and calls exit() when bind fails (PITFALLS.md). */
#include "listener.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BACKLOG 128

/* Whether something listens on the socket: a connection it queues (or a
 * full backlog, EAGAIN: non-blocking, so a busy listener cannot hold up
 * our start) says so; a stale file of a process that is gone refuses it. */
static bool socket_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0 || errno == EAGAIN;
	close(fd);
	return live;
}

static int open_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* Only a stale socket may be replaced, never another kind of file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket", path);
			return -1;
		}
		if (socket_in_use(&sa)) {
			snprintf(err, errlen, "%s: in use by a running process (another refundd?)", path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	/* 0660: nginx reaches it through the group, nobody else at all. */
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || listen(fd, BACKLOG) != 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* "host:port" with an explicit numeric host: never every interface. */
static int open_tcp(const char *spec, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int fd = -1, one = 1;

	if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof host) {
		snprintf(err, errlen, "%s: expected a socket path or host:port", spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		snprintf(err, errlen, "%s: not a numeric host:port", spec);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, BACKLOG) != 0) {
		snprintf(err, errlen, "%s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* A whole decimal number, or -1 (LISTEN_FDS and LISTEN_PID are never negative). */
static long env_long(const char *s)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' ? -1 : v;
}

static int open_inherited(char *err, size_t errlen)
{
	const char *fds = getenv("LISTEN_FDS");
	const char *pid = getenv("LISTEN_PID");
	int fd = 0, type = 0;
	socklen_t len = sizeof type;

	/* sd_listen_fds(3): the first inherited socket is fd 3 */
	if (fds && pid && env_long(fds) >= 1 && env_long(pid) == (long)getpid())
		fd = 3;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
		snprintf(err, errlen, "listen = inherit, but fd %d is not a stream socket", fd);
		return -1;
	}
	return fd;
}

int listener_open(const char *spec, char *err, size_t errlen)
{
	if (strcmp(spec, "inherit") == 0)
		return open_inherited(err, errlen);
	if (spec[0] == '/' || spec[0] == '.' || strchr(spec, ':') == NULL)
		return open_unix(spec, err, errlen);
	return open_tcp(spec, err, errlen);
}

int listener_chown(const char *spec, unsigned uid, unsigned gid, char *err, size_t errlen)
{
	if (strcmp(spec, "inherit") == 0 || (spec[0] != '/' && spec[0] != '.' &&
	                                      strchr(spec, ':') != NULL))
		return 0;
	if (chown(spec, uid, gid) != 0) {
		snprintf(err, errlen, "%s: chown: %s", spec, strerror(errno));
		return -1;
	}
	return 0;
}
