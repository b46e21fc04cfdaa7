/* bare_fcgi.c -- the "bare FastCGI" yardstick of tests/bench/run.sh: the
 * least a libfcgi thread pool can do per request. Same shape as refundd's
 * server.c (N threads, each looping on FCGX_Accept_r with no mutex around
 * it -- PITFALLS.md, "libfcgi 2.4.2 in a thread pool"), same kind of head
 * (Status, Cache-Control, Content-Type, Content-Length), a fixed small JSON
 * body, and nothing else: no routing, no JWT, no database, no log line.
 *
 *   bare_fcgi SOCKET_PATH [THREADS]      (THREADS defaults to 4)
 *
 * Build: cc -O2 -Wall -Wextra -o bare_fcgi bare_fcgi.c -lfcgi -lpthread
 * SIGTERM or SIGINT ends it at once: FCGX_Init() installs its own SIGTERM
 * handler that only sets a flag threads blocked in accept never see, so the
 * signals are blocked before the threads start and the main thread waits
 * for them with sigwait() and exits (requests in flight are not finished:
 * this is a yardstick, not a server). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcgiapp.h>

static const char reply[] =
	"Status: 200\r\n"
	"Cache-Control: no-store\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 15\r\n"
	"\r\n"
	"{\"status\":\"ok\"}";

static int listen_fd = -1;

/* Our own bind, as refundd's listener.c does: FCGX_OpenSocket() calls exit()
 * when bind fails and sets no mode (PITFALLS.md). 0660, like refundd. */
static int open_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "bare_fcgi: %s: socket path too long\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || listen(fd, 128) != 0) {
		fprintf(stderr, "bare_fcgi: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void *worker(void *arg)
{
	FCGX_Request req;

	(void)arg;
	if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(reply, (int)sizeof reply - 1, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 2 ? atoi(argv[2]) : 4;

	if (argc < 2 || threads < 1 || threads > 1024) {
		fprintf(stderr, "usage: bare_fcgi SOCKET_PATH [THREADS]\n");
		return 2;
	}
	sigset_t stop;
	int sig = 0;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	if (FCGX_Init() != 0 || (listen_fd = open_unix(argv[1])) < 0)
		return 1;

	pthread_t *tid = calloc((size_t)threads, sizeof *tid);
	pthread_attr_t attr;

	if (tid == NULL)
		return 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&tid[i], &attr, worker, NULL) != 0) {
			fprintf(stderr, "bare_fcgi: cannot start thread %d\n", i);
			return 1;
		}
	}
	fprintf(stderr, "bare_fcgi: %d threads on %s\n", threads, argv[1]);
	sigwait(&stop, &sig);
	fprintf(stderr, "bare_fcgi: signal %d, exiting\n", sig);
	unlink(argv[1]);
	_exit(0);
}
