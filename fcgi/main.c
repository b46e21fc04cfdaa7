/* main.c -- refundd's entry point: read the configuration once, then
 *   refundd [-c FILE] serve          run the FastCGI worker pool (default)
 *   refundd [-c FILE] migrate        apply sql/NNN_*.sql as the schema owner
 *   refundd [-c FILE] token --sub S --role R [--ttl SECONDS]
 *                                    mint a dev HS256 token (local runs, tests)
 * Signals are blocked before any thread starts so that only server_run's
 * sigwait sees SIGTERM/SIGINT (PITFALLS.md, graceful shutdown). */
#include <curl/curl.h>
#include <errno.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "listener.h"
#include "migrate.h"
#include "localzone.h"
#include "server.h"

static int usage(void)
{
	fprintf(stderr, "usage: refundd [-c config] [serve | migrate | "
	                "token --sub S --role R [--ttl SECONDS]]\n");
	return 2;
}

/* Started as root (a container or CI): give the socket to server.user and
 * become that user; never serve as root. Then no process we could ever
 * exec gains privileges (PR_SET_NO_NEW_PRIVS). */
static int drop_privileges(const struct config *cfg, char *err, size_t errlen)
{
	if (getuid() == 0 || geteuid() == 0) {
		/* Once, before any thread starts: getpwnam_r buys nothing here. */
		// cppcheck-suppress getpwnamCalled
		struct passwd *pw = cfg->user[0] ? getpwnam(cfg->user) : NULL;
		if (pw == NULL || pw->pw_uid == 0) {
			snprintf(err, errlen, "started as root: set server.user to an unprivileged user");
			return -1;
		}
		if (listener_chown(cfg->listen, pw->pw_uid, pw->pw_gid, err, errlen) != 0)
			return -1;
		if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
			snprintf(err, errlen, "dropping to %s: %s", cfg->user, strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void block_signals(void)
{
	sigset_t set;

	(void)signal(SIGPIPE, SIG_IGN);   /* cannot fail for a valid signal */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int cmd_serve(struct config *cfg)
{
	char err[512];
	int fd;

	/* Business days and "this month" are the reseller's: TZ is set here,
	 * once, before any thread starts (setenv is not thread-safe), and
	 * never again. An unknown zone stops refundd rather than quietly
	 * becoming UTC. */
	if (localzone_set(cfg->timezone, err, sizeof err) != 0) {
		fprintf(stderr, "refundd: app.timezone: %s\n", err);
		return 1;
	}
	if (config_load_secrets(cfg, err, sizeof err) != 0 ||
	    (fd = listener_open(cfg->listen, err, sizeof err)) < 0 ||
	    drop_privileges(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "refundd: %s\n", err);
		return 1;
	}
	block_signals();
	/* libcurl's global state (webhook_http.c) is set up once, before any
	 * thread: curl_global_init is not thread-safe. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "refundd: curl_global_init failed\n");
		return 1;
	}
	int rc = server_run(cfg, fd) == 0 ? 0 : 1;
	curl_global_cleanup();
	return rc;
}

static int cmd_migrate(struct config *cfg)
{
	char err[1024];
	const char *conninfo = cfg->db_owner_conninfo[0] ? cfg->db_owner_conninfo
	                                                 : cfg->db_conninfo;

	if (config_load_owner_secret(cfg, err, sizeof err) != 0 ||
	    migrate_run(conninfo, cfg->db_owner_password, cfg->sql_dir, err, sizeof err) != 0) {
		fprintf(stderr, "refundd migrate: %s\n", err);
		return 1;
	}
	return 0;
}

static int cmd_token(struct config *cfg, int argc, char **argv)
{
	const char *sub = NULL, *role = NULL;
	long ttl = 3600;
	char err[512];

	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--sub") == 0) sub = argv[i + 1];
		else if (strcmp(argv[i], "--role") == 0) role = argv[i + 1];
		else if (strcmp(argv[i], "--ttl") == 0) ttl = strtol(argv[i + 1], NULL, 10);
		else return usage();
	}
	if (argc % 2 != 0 || sub == NULL || role == NULL || ttl <= 0 ||
	    auth_role_parse(role) == AUTH_ROLE_NONE) {
		fprintf(stderr, "refundd token: need --sub, a known --role and a positive --ttl\n");
		return 2;
	}
	if (cfg->jwt_pin != JWT_PIN_HS256 || config_load_secrets(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "refundd token: %s\n", cfg->jwt_pin != JWT_PIN_HS256
		        ? "minting needs jwt.alg = HS256" : err);
		return 1;
	}
	char *tok = auth_mint_hs256(cfg->jwt_key, cfg->jwt_key_len, sub, role,
	                            (long long)time(NULL), ttl, cfg->jwt_issuer,
	                            cfg->jwt_audience);
	if (tok == NULL)
		return 1;
	printf("%s\n", tok);
	free(tok);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("REFUNDD_CONFIG");
	struct config cfg;
	char err[512];
	int i = 1, rc;

	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		path = argv[2];
		i = 3;
	}
	const char *cmd = i < argc ? argv[i++] : "serve";
	/* jansson's hash seed must be set once before threads start. */
	json_object_seed(0);
	if (config_load(&cfg, path, err, sizeof err) != 0) {
		fprintf(stderr, "refundd: config: %s\n", err);
		return 1;
	}
	if (strcmp(cmd, "serve") == 0 && i == argc)
		rc = cmd_serve(&cfg);
	else if (strcmp(cmd, "migrate") == 0 && i == argc)
		rc = cmd_migrate(&cfg);
	else if (strcmp(cmd, "token") == 0)
		rc = cmd_token(&cfg, argc - i, argv + i);
	else
		rc = usage();
	config_free(&cfg);
	return rc;
}
