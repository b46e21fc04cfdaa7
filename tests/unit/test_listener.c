/* test_listener.c -- the FastCGI socket: what FCGX_OpenSocket gets wrong
 * (PITFALLS.md) we must get right: never replace a file that is not a
 * socket, create unix sockets 0660, replace only a stale socket, refuse a
 * TCP address without an explicit host, report errors instead of exit(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listener.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/refundd-listener.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void unix_socket_is_0660_and_listens(void **state)
{
	char path[128], err[256];
	struct stat st;
	(void)state;

	snprintf(path, sizeof path, "%s/a.sock", dir);
	int fd = listener_open(path, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	/* A stale socket of a previous run is replaced. */
	close(fd);
	fd = listener_open(path, err, sizeof err);
	assert_true(fd >= 0);
	close(fd);
}

/* A socket someone still listens on is not stale: a second refundd
 * started on the same path took it over (unlink, bind), and the first,
 * still running, no longer got a request. */
static void live_socket_is_not_taken_over(void **state)
{
	char path[128], err[256] = "";
	struct stat before, after;
	(void)state;

	snprintf(path, sizeof path, "%s/live.sock", dir);
	int fd = listener_open(path, err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(listener_open(path, err, sizeof err), -1);
	if (strstr(err, "in use") == NULL)
		fail_msg("'%s' does not say the socket is in use", err);
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino == after.st_ino);
	/* once its listener is gone it is stale, and replaced */
	close(fd);
	fd = listener_open(path, err, sizeof err);
	assert_true(fd >= 0);
	close(fd);
}

static void regular_file_is_never_replaced(void **state)
{
	char path[128], err[256];
	(void)state;

	snprintf(path, sizeof path, "%s/precious", dir);
	int f = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(f >= 0);
	assert_int_equal(write(f, "data", 4), 4);
	close(f);
	assert_int_equal(listener_open(path, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a socket"));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4);
}

static void bad_specs_are_refused_with_a_reason(void **state)
{
	static const struct { const char *spec; const char *why; } cases[] = {
		{ ":9000", "host:port" },                   /* every interface: refused */
		{ "localhost:9000", "numeric" },            /* names are not resolved */
		{ "127.0.0.1:notaport", "numeric" },
		{ "/nonexistent-dir/x/y.sock", "No such file" },
	};
	char err[256];
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		assert_int_equal(listener_open(cases[i].spec, err, sizeof err), -1);
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("%s: '%s' does not say '%s'", cases[i].spec, err, cases[i].why);
	}
}

static void tcp_on_loopback_only(void **state)
{
	char err[256];
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	(void)state;

	int fd = listener_open("127.0.0.1:0", err, sizeof err);
	assert_true(fd >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	close(fd);
}

static void inherit_needs_a_socket(void **state)
{
	char err[256];
	int saved = dup(0);
	(void)state;

	int devnull = open("/dev/null", O_RDONLY);
	assert_true(devnull >= 0);
	dup2(devnull, 0);
	assert_int_equal(listener_open("inherit", err, sizeof err), -1);
	assert_non_null(strstr(err, "not a stream socket"));
	dup2(saved, 0);
	close(saved);
	close(devnull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unix_socket_is_0660_and_listens),
		cmocka_unit_test(live_socket_is_not_taken_over),
		cmocka_unit_test(regular_file_is_never_replaced),
		cmocka_unit_test(bad_specs_are_refused_with_a_reason),
		cmocka_unit_test(tcp_on_loopback_only),
		cmocka_unit_test(inherit_needs_a_socket),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
