/* fuzz_config.c -- libFuzzer target for the configuration file parser
 * (config_load: inih, then the key table, then the cross-checks). The input
 * is the whole INI file; config_load wants a path, so the bytes go into a
 * memfd read back as /proc/self/fd/N. REFUNDD_* variables are removed
 * first: only the file may decide.
 *
 * Invariants (abort on violation): a refusal says why; an accepted file
 * leaves every text setting NUL-terminated in its buffer, the numbers in
 * the ranges config.c documents, jwt_pin matching jwt_alg, a listen
 * address, and nothing allocated; the same bytes give the same settings. */
#define _GNU_SOURCE   /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

extern char **environ;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_config: %s failed at line %d\n", #cond, __LINE__); \
	abort(); } } while (0)

static void drop_refundd_env(void)
{
	char name[256];

	for (size_t i = 0; environ[i] != NULL;) {
		const char *eq = strchr(environ[i], '=');
		size_t n = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		if (strncmp(environ[i], "REFUNDD_", 8) == 0 && n < sizeof name) {
			memcpy(name, environ[i], n);
			name[n] = '\0';
			unsetenv(name);   /* environ shifts: look at slot i again */
			continue;
		}
		i++;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	drop_refundd_env();
	fd = memfd_create("refundd-fuzz-config", 0);
	CHECK(fd >= 0);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

#define TERMINATED(field) CHECK(memchr((field), '\0', sizeof(field)) != NULL)

static void check_loaded(const struct config *c)
{
	TERMINATED(c->listen);
	TERMINATED(c->user);
	TERMINATED(c->db_conninfo);
	TERMINATED(c->db_password_file);
	TERMINATED(c->db_owner_conninfo);
	TERMINATED(c->db_owner_password_file);
	TERMINATED(c->jwt_alg);
	TERMINATED(c->jwt_key_file);
	TERMINATED(c->jwt_issuer);
	TERMINATED(c->jwt_audience);
	TERMINATED(c->audit_key_file);
	TERMINATED(c->webhook_url);
	TERMINATED(c->webhook_secret_file);
	TERMINATED(c->timezone);
	TERMINATED(c->sql_dir);
	TERMINATED(c->portal_url);
	CHECK(c->listen[0] != '\0');
	CHECK(c->threads >= 1 && c->threads <= 256);
	CHECK(c->max_body >= 256 && c->max_body <= 16L * 1024 * 1024);
	CHECK(c->jwt_leeway_s >= 0 && c->jwt_leeway_s <= 3600);
	CHECK(c->webhook_give_up_s >= 1);
	CHECK(c->webhook_url[0] == '\0' || c->webhook_retry_cap_ms >= c->webhook_retry_base_ms);
	CHECK((strcmp(c->jwt_alg, "HS256") == 0 && c->jwt_pin == JWT_PIN_HS256) ||
	      (strcmp(c->jwt_alg, "RS256") == 0 && c->jwt_pin == JWT_PIN_RS256) ||
	      (strcmp(c->jwt_alg, "ES256") == 0 && c->jwt_pin == JWT_PIN_ES256));
	/* secrets are read later, by config_load_secrets */
	CHECK(c->jwt_key == NULL && c->db_password == NULL && c->audit_key == NULL &&
	      c->db_owner_password == NULL && c->webhook_secret == NULL);
}

static int load(const uint8_t *data, size_t size, struct config *cfg, char *err, size_t errlen)
{
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
	err[0] = '\0';
	return config_load(cfg, path, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config a, b;   /* 10 kB each: not on the stack */
	char err_a[256], err_b[256];
	int rc = load(data, size, &a, err_a, sizeof err_a);

	CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		check_loaded(&a);
	else
		CHECK(err_a[0] != '\0' && memchr(err_a, '\0', sizeof err_a) != NULL);
	CHECK(load(data, size, &b, err_b, sizeof err_b) == rc);
	if (rc == 0)
		CHECK(memcmp(&a, &b, sizeof a) == 0);
	else
		CHECK(strcmp(err_a, err_b) == 0);
	config_free(&a);
	config_free(&b);
	return 0;
}
