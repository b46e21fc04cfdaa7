/* test_config.c -- cmocka tests of fcgi/config.c: INI parsing (temporary
 * files made with mkstemp under /tmp), refusal of unknown keys, malformed
 * and out-of-range numbers and unknown jwt.alg values, REFUNDD_<SECTION>_<KEY>
 * environment variables beating the file, and the secret files: an HS256
 * secret under 32 bytes, a missing key file, and newline stripping of
 * secrets and passwords (DESIGN.md §2 and §5, PITFALLS.md "libjwt"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

extern char **environ;

/* Every REFUNDD_ variable (config_load() reads them) is removed before
 * each test, so neither the caller's environment (scripts/dev-stack
 * exports some) nor an earlier test leaks in. Removing shifts environ, so
 * each pass starts again from the top. */
static void clear_refundd_env(void)
{
	char name[128];
	bool again = true;

	while (again) {
		again = false;
		for (char **e = environ; *e; e++) {
			const char *eq = strchr(*e, '=');
			size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
			if (strncmp(*e, "REFUNDD_", 8) == 0 && n < sizeof name) {
				memcpy(name, *e, n);
				name[n] = '\0';
				unsetenv(name);
				again = true;
				break;
			}
		}
	}
}

/* Temporary files of the running test, removed by teardown. */
static char temp_paths[16][32];
static size_t temp_count;

static int setup(void **state)
{
	(void)state;
	clear_refundd_env();
	temp_count = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < temp_count; i++)
		unlink(temp_paths[i]);
	temp_count = 0;
	return setup(state);
}

/* Writes len bytes into a new /tmp file; returns its path. */
static const char *temp_file(const void *data, size_t len)
{
	char *path;
	int fd;

	assert_true(temp_count < COUNT(temp_paths));
	path = temp_paths[temp_count];
	strcpy(path, "/tmp/refundd-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	temp_count++;
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

static const char *temp_text(const char *text)
{
	return temp_file(text, strlen(text));
}

/* Loads text as the config file; fails the test when the outcome differs. */
static void load_text(const char *what, const char *text, int want_rc,
                      const char *want_err, struct config *cfg)
{
	char err[256] = "";
	int rc = config_load(cfg, temp_text(text), err, sizeof err);

	unlink(temp_paths[--temp_count]);

	if (rc != want_rc)
		fail_msg("%s: config_load returned %d (%s), want %d", what, rc, err, want_rc);
	if (want_err != NULL && strstr(err, want_err) == NULL)
		fail_msg("%s: error \"%s\" lacks \"%s\"", what, err, want_err);
}

/* ---- the file -------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
	assert_string_equal(cfg.listen, "var/run/refundd.sock");
	assert_int_equal(cfg.threads, 4);
	assert_int_equal(cfg.max_body, 64 * 1024);
	assert_string_equal(cfg.db_conninfo, "dbname=refundd");
	assert_int_equal(cfg.db_statement_timeout_ms, 5000);
	assert_string_equal(cfg.jwt_alg, "HS256");
	assert_int_equal(cfg.jwt_pin, JWT_PIN_HS256);
	assert_int_equal(cfg.jwt_leeway_s, 30);
	assert_string_equal(cfg.jwt_issuer, "");
	assert_string_equal(cfg.timezone, "Asia/Shanghai");
	assert_string_equal(cfg.sql_dir, "sql");
	assert_null(cfg.jwt_key);
	/* an empty file changes nothing */
	load_text("empty", "", 0, NULL, &cfg);
	assert_int_equal(cfg.threads, 4);
}

static void test_full_file(void **state)
{
	struct config cfg;

	(void)state;
	load_text("full",
	          "; refundd.conf as deployed\n"
	          "[server]\n"
	          "listen = 127.0.0.1:9000\n"
	          "threads = 16\n"
	          "user=refundd\n"
	          "max_body = 1048576\n"
	          "\n"
	          "[db]\n"
	          "conninfo = host=/run/postgresql dbname=refund user=app\n"
	          "password_file = /etc/refundd/db-password\n"
	          "statement_timeout_ms = 2500\n"
	          "[jwt]\n"
	          "alg = ES256\n"
	          "key_file = /etc/refundd/jwt.pem\n"
	          "issuer = https://portal.example\n"
	          "audience = refundd\n"
	          "leeway = 0\n"
	          "[app]\n"
	          "timezone = Europe/Berlin\n"
	          "sql_dir = /usr/share/refundd/sql\n", 0, NULL, &cfg);
	assert_string_equal(cfg.listen, "127.0.0.1:9000");
	assert_int_equal(cfg.threads, 16);
	assert_string_equal(cfg.user, "refundd");
	assert_int_equal(cfg.max_body, 1048576);
	assert_string_equal(cfg.db_conninfo, "host=/run/postgresql dbname=refund user=app");
	assert_string_equal(cfg.db_password_file, "/etc/refundd/db-password");
	assert_int_equal(cfg.db_statement_timeout_ms, 2500);
	assert_int_equal(cfg.jwt_pin, JWT_PIN_ES256);
	assert_string_equal(cfg.jwt_key_file, "/etc/refundd/jwt.pem");
	assert_string_equal(cfg.jwt_issuer, "https://portal.example");
	assert_string_equal(cfg.jwt_audience, "refundd");
	assert_int_equal(cfg.jwt_leeway_s, 0);
	assert_string_equal(cfg.timezone, "Europe/Berlin");
	assert_string_equal(cfg.sql_dir, "/usr/share/refundd/sql");
}

/* Anything the table does not list is refused, never ignored: a typo in a
 * security setting must stop the start. */
static void test_refusals(void **state)
{
	static const struct { const char *text, *err; } rows[] = {
		{ "[server]\nthread = 4\n", "unknown setting [server] thread" },
		{ "[sever]\nthreads = 4\n", "unknown setting [sever] threads" },
		{ "threads = 4\n", "unknown setting [] threads" },
		{ "[jwt]\nalgorithm = HS256\n", "unknown setting" },
		{ "[jwt]\nsecret = hunter2hunter2hunter2hunter2hunter2\n", "unknown setting" },
		{ "[server]\nthreads = 4\n[db]\npassword = x\n", "unknown setting [db] password" },
		{ "[server\n", "syntax error" },
		{ "[server]\njust words\n", "syntax error" },
		{ "[server]\nlisten =\n", "server.listen: empty" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct config cfg;
		char what[32];
		snprintf(what, sizeof what, "refusal row %zu", i);
		load_text(what, rows[i].text, -1, rows[i].err, &cfg);
	}
}

/* A refusal names the file and the line, as a syntax error does: "unknown
 * setting [server] thread" alone left the reader to search the file (and
 * the environment) for it. */
static void test_refusal_names_file_and_line(void **state)
{
	static const struct { const char *text, *err; } rows[] = {
		{ "[server]\nthreads = 4\n\nthread = 4\n", ":4: unknown setting [server] thread" },
		{ "; refundd\n[db]\nstatement_timeout_ms = 5s\n", ":3: db.statement_timeout_ms: '5s'" },
		{ "[provider.aliyun]\nstatement_columns = nonsense\n", ":2: [provider.aliyun] statement_columns" },
		{ "[server]\nthread = 4\nuser = x\nthreads = y\n", ":2: unknown setting [server] thread" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct config cfg;
		char err[256] = "", want[160];
		const char *path = temp_text(rows[i].text);

		assert_int_equal(config_load(&cfg, path, err, sizeof err), -1);
		snprintf(want, sizeof want, "%s%s", path, rows[i].err);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("row %zu: error \"%s\" does not start \"%s\"", i, err, want);
	}
}

/* A value refused from the environment names the variable: the file may
 * not even hold the key. */
static void test_env_refusal_names_variable(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	setenv("REFUNDD_SERVER_THREADS", "many", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), -1);
	if (strstr(err, "REFUNDD_SERVER_THREADS") == NULL || strstr(err, "server.threads") == NULL)
		fail_msg("error \"%s\" names neither the variable nor the key", err);
}

static void test_case_and_comments(void **state)
{
	struct config cfg;

	(void)state;
	load_text("case", "# comment\n[SERVER]\nTHREADS = 8\n  ; another\n[Jwt]\nLeeway=5\n",
	          0, NULL, &cfg);
	assert_int_equal(cfg.threads, 8);
	assert_int_equal(cfg.jwt_leeway_s, 5);
}

static void test_missing_file(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_load(&cfg, "/nonexistent/refundd.conf", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/refundd.conf"));
}

/* Numbers: the whole value, in range, or the start is refused. */
static const struct {
	const char *section, *key, *value;
	int ok;
} number_rows[] = {
	{ "server", "threads", "1", 1 },
	{ "server", "threads", "256", 1 },
	{ "server", "threads", "0", 0 },
	{ "server", "threads", "257", 0 },
	{ "server", "threads", "-1", 0 },
	{ "server", "threads", "abc", 0 },
	{ "server", "threads", "4x", 0 },
	{ "server", "threads", "4.0", 0 },
	{ "server", "threads", "1e1", 0 },
	{ "server", "threads", "0x10", 0 },
	{ "server", "threads", "+8", 0 },
	{ "server", "threads", "4 4", 0 },
	{ "server", "threads", "99999999999999999999", 0 },
	{ "server", "threads", "4294967300", 0 },
	{ "server", "max_body", "256", 1 },
	{ "server", "max_body", "16777216", 1 },
	{ "server", "max_body", "255", 0 },
	{ "server", "max_body", "16777217", 0 },
	{ "server", "max_body", "-9223372036854775808", 0 },
	{ "db", "statement_timeout_ms", "10", 1 },
	{ "db", "statement_timeout_ms", "9", 0 },
	{ "db", "statement_timeout_ms", "600001", 0 },
	{ "jwt", "leeway", "0", 1 },
	{ "jwt", "leeway", "3600", 1 },
	{ "jwt", "leeway", "3601", 0 },
	{ "jwt", "leeway", "-30", 0 },
};

static void test_numbers(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(number_rows); i++) {
		struct config cfg;
		char text[256], what[32];
		snprintf(text, sizeof text, "[%s]\n%s = %s\n", number_rows[i].section,
		         number_rows[i].key, number_rows[i].value);
		snprintf(what, sizeof what, "number row %zu", i);
		load_text(what, text, number_rows[i].ok ? 0 : -1,
		          number_rows[i].ok ? NULL : "is not an integer", &cfg);
	}
}

/* An empty number is refused too (inih hands us ""). */
static void test_empty_number(void **state)
{
	struct config cfg;

	(void)state;
	load_text("empty threads", "[server]\nthreads =\n", -1, "server.threads", &cfg);
}

/* listen holds 255 bytes and its NUL. inih reads lines of at most 200
 * bytes, so long values come through the environment; a longer line in
 * the file must stop the start rather than be cut short quietly. */
static void test_long_string(void **state)
{
	struct config cfg;
	char value[300], text[600], err[256] = "";

	(void)state;
	snprintf(value, sizeof value, "%0255d", 0);
	setenv("REFUNDD_SERVER_LISTEN", value, 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
	assert_string_equal(cfg.listen, value);
	snprintf(value, sizeof value, "%0256d", 0);
	setenv("REFUNDD_SERVER_LISTEN", value, 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "server.listen: value too long"));
	unsetenv("REFUNDD_SERVER_LISTEN");
	snprintf(text, sizeof text, "[server]\nlisten = %0256d\n", 0);
	load_text("long line", text, -1, NULL, &cfg);
}

static void test_jwt_alg(void **state)
{
	static const struct { const char *alg; int ok; enum jwt_pin pin; } rows[] = {
		{ "HS256", 1, JWT_PIN_HS256 }, { "RS256", 1, JWT_PIN_RS256 },
		{ "ES256", 1, JWT_PIN_ES256 }, { "none", 0, 0 }, { "hs256", 0, 0 },
		{ "HS512", 0, 0 }, { "RS384", 0, 0 }, { "ES256K", 0, 0 }, { "PS256", 0, 0 },
		{ "HS256 ", 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct config cfg;
		char err[256] = "";
		/* through the environment: inih would trim the trailing space */
		setenv("REFUNDD_JWT_ALG", rows[i].alg, 1);
		int rc = config_load(&cfg, NULL, err, sizeof err);
		if (rc != (rows[i].ok ? 0 : -1))
			fail_msg("alg row %zu (%s): rc %d (%s)", i, rows[i].alg, rc, err);
		if (rows[i].ok && cfg.jwt_pin != rows[i].pin)
			fail_msg("alg row %zu: pin %d, want %d", i, cfg.jwt_pin, rows[i].pin);
		if (!rows[i].ok && strstr(err, "jwt.alg") == NULL)
			fail_msg("alg row %zu: error \"%s\"", i, err);
	}
	unsetenv("REFUNDD_JWT_ALG");
	struct config cfg;
	load_text("file alg", "[jwt]\nalg = none\n", -1, "jwt.alg", &cfg);
}

/* app.portal_url ends up in GET /api/v1/config and an href on the pages: an
 * http(s) address without anything JSON or HTML would need escaped. */
static void test_portal_url(void **state)
{
	static const struct { const char *url; int ok; } rows[] = {
		{ "", 1 }, { "https://portal.example.com/login?next=desk", 1 },
		{ "http://127.0.0.1:9000/", 1 }, { "javascript:alert(1)", 0 },
		{ "ftp://portal.example.com/", 0 }, { "https://a.example/\"x", 0 },
		{ "https://a.example/<b>", 0 }, { "https://a.example/ b", 0 },
		{ "https://a.example/\\", 0 }, { "https://例え.jp/", 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct config cfg;
		char err[256] = "";
		setenv("REFUNDD_APP_PORTAL_URL", rows[i].url, 1);
		int rc = config_load(&cfg, NULL, err, sizeof err);
		if (rc != (rows[i].ok ? 0 : -1))
			fail_msg("portal_url row %zu (%s): rc %d (%s)", i, rows[i].url, rc, err);
		if (rows[i].ok)
			assert_string_equal(cfg.portal_url, rows[i].url);
		else if (strstr(err, "app.portal_url") == NULL)
			fail_msg("portal_url row %zu: error \"%s\"", i, err);
	}
	unsetenv("REFUNDD_APP_PORTAL_URL");
}

/* ---- the environment ------------------------------------------------- */

static const char base_file[] =
	"[server]\nthreads = 8\nmax_body = 4096\nlisten = /run/a.sock\n"
	"[db]\nconninfo = dbname=file\n"
	"[jwt]\nalg = HS256\nissuer = file-issuer\nleeway = 30\n"
	"[app]\ntimezone = Asia/Shanghai\n";

static void test_env_beats_file(void **state)
{
	struct config cfg;

	(void)state;
	setenv("REFUNDD_SERVER_THREADS", "16", 1);
	setenv("REFUNDD_SERVER_MAX_BODY", "1024", 1);
	setenv("REFUNDD_SERVER_LISTEN", "127.0.0.1:9001", 1);
	setenv("REFUNDD_DB_CONNINFO", "host=db dbname=env", 1);
	setenv("REFUNDD_JWT_ALG", "RS256", 1);
	setenv("REFUNDD_JWT_ISSUER", "", 1);      /* set but empty: clears it */
	setenv("REFUNDD_JWT_LEEWAY", "0", 1);
	setenv("REFUNDD_APP_TIMEZONE", "UTC", 1);
	load_text("env", base_file, 0, NULL, &cfg);
	assert_int_equal(cfg.threads, 16);
	assert_int_equal(cfg.max_body, 1024);
	assert_string_equal(cfg.listen, "127.0.0.1:9001");
	assert_string_equal(cfg.db_conninfo, "host=db dbname=env");
	assert_int_equal(cfg.jwt_pin, JWT_PIN_RS256);
	assert_string_equal(cfg.jwt_issuer, "");
	assert_int_equal(cfg.jwt_leeway_s, 0);
	assert_string_equal(cfg.timezone, "UTC");
}

/* Without the variables the file's values stand. */
static void test_file_without_env(void **state)
{
	struct config cfg;

	(void)state;
	load_text("no env", base_file, 0, NULL, &cfg);
	assert_int_equal(cfg.threads, 8);
	assert_int_equal(cfg.max_body, 4096);
	assert_string_equal(cfg.jwt_issuer, "file-issuer");
	assert_string_equal(cfg.db_conninfo, "dbname=file");
}

/* A bad value in the environment stops the start even when the file is fine. */
static void test_env_refused(void **state)
{
	static const struct { const char *name, *value, *err; } rows[] = {
		{ "REFUNDD_SERVER_THREADS", "abc", "server.threads" },
		{ "REFUNDD_SERVER_THREADS", "", "server.threads" },
		{ "REFUNDD_SERVER_THREADS", " 8", "server.threads" },
		{ "REFUNDD_SERVER_THREADS", "8 ", "server.threads" },
		{ "REFUNDD_SERVER_THREADS", "1000", "server.threads" },
		{ "REFUNDD_SERVER_MAX_BODY", "1k", "server.max_body" },
		{ "REFUNDD_JWT_LEEWAY", "-1", "jwt.leeway" },
		{ "REFUNDD_JWT_ALG", "none", "jwt.alg" },
		{ "REFUNDD_SERVER_LISTEN", "", "server.listen" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct config cfg;
		char what[32];
		setenv(rows[i].name, rows[i].value, 1);
		snprintf(what, sizeof what, "env row %zu", i);
		load_text(what, base_file, -1, rows[i].err, &cfg);
		unsetenv(rows[i].name);
	}
}

/* ---- secrets --------------------------------------------------------- */

/* Loads a config whose jwt.key_file holds key[0..len) and returns the rc of
 * config_load_secrets; the caller config_free()s. */
static int load_key(const char *alg, const void *key, size_t len, struct config *cfg,
                    char *err, size_t errlen)
{
	setenv("REFUNDD_JWT_ALG", alg, 1);
	setenv("REFUNDD_JWT_KEY_FILE", temp_file(key, len), 1);
	assert_int_equal(config_load(cfg, NULL, err, errlen), 0);
	return config_load_secrets(cfg, err, errlen);
}

static void test_hs256_secret_length(void **state)
{
	static const struct { const char *key; int ok; size_t len; } rows[] = {
		{ "0123456789abcdef0123456789abcde", 0, 0 },         /* 31 */
		{ "0123456789abcdef0123456789abcde\n", 0, 0 },       /* 31 + newline */
		{ "0123456789abcdef0123456789abcde\r\n", 0, 0 },
		{ "", 0, 0 },
		{ "0123456789abcdef0123456789abcdef", 1, 32 },
		{ "0123456789abcdef0123456789abcdef\n", 1, 32 },
		{ "0123456789abcdef0123456789abcdef\r\n\n", 1, 32 },
		{ "0123456789abcdef0123456789abcdef0123456789abcdef", 1, 48 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct config cfg;
		char err[256] = "";
		int rc = load_key("HS256", rows[i].key, strlen(rows[i].key), &cfg, err, sizeof err);
		if (rc != (rows[i].ok ? 0 : -1))
			fail_msg("secret row %zu: rc %d (%s)", i, rc, err);
		if (rows[i].ok && (cfg.jwt_key_len != rows[i].len ||
		                   memcmp(cfg.jwt_key, rows[i].key, rows[i].len) != 0))
			fail_msg("secret row %zu: key of %zu bytes", i, cfg.jwt_key_len);
		if (!rows[i].ok && strstr(err, "at least 32 bytes") == NULL)
			fail_msg("secret row %zu: error \"%s\"", i, err);
		config_free(&cfg);
	}
}

/* A binary secret keeps its bytes, NUL included; only trailing newlines go. */
static void test_binary_secret(void **state)
{
	unsigned char key[40];
	struct config cfg;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)(i * 37);   /* key[0] is NUL */
	key[sizeof key - 1] = 'x';
	assert_int_equal(load_key("HS256", key, sizeof key, &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.jwt_key_len, sizeof key);
	assert_memory_equal(cfg.jwt_key, key, sizeof key);
	config_free(&cfg);
	assert_null(cfg.jwt_key);
}

/* A key's public half as PEM text (caller frees). */
static char *public_pem(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, key), 1);
	n = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)n);
	BIO_free(bio);
	EVP_PKEY_free(key);
	assert_non_null(out);
	return out;
}

/* A PEM public key is kept byte for byte, trailing newline included, and is
 * not held to the HMAC rule. */
static void test_pem_key_verbatim(void **state)
{
	char *pem = public_pem(EVP_EC_gen("P-256"));
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load_key("ES256", pem, strlen(pem), &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.jwt_key_len, strlen(pem));
	assert_memory_equal(cfg.jwt_key, pem, strlen(pem));
	config_free(&cfg);
	free(pem);
}

/* RS256 and ES256 need a PEM public key of their kind (an RSA key; a P-256
 * key): anything else is refused at start, instead of a desk that runs and
 * answers every token 401 "bad signature". */
static void test_public_key_kind(void **state)
{
	char *rsa = public_pem(EVP_RSA_gen(2048)), *p256 = public_pem(EVP_EC_gen("P-256"));
	char *p384 = public_pem(EVP_EC_gen("P-384"));
	const char *secret = "0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *broken = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
	const struct { const char *alg, *key; int ok; } rows[] = {
		{ "RS256", rsa, 1 },   { "ES256", p256, 1 },
		{ "RS256", p256, 0 },  { "ES256", rsa, 0 },   { "ES256", p384, 0 },
		{ "RS256", secret, 0 }, { "ES256", secret, 0 },
		{ "RS256", broken, 0 }, { "ES256", broken, 0 },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct config cfg;
		char err[256] = "";
		int rc = load_key(rows[i].alg, rows[i].key, strlen(rows[i].key), &cfg, err, sizeof err);
		if (rc != (rows[i].ok ? 0 : -1))
			fail_msg("key row %zu (%s): rc %d (%s)", i, rows[i].alg, rc, err);
		if (!rows[i].ok && strstr(err, rows[i].alg) == NULL)
			fail_msg("key row %zu: error \"%s\" does not name %s", i, err, rows[i].alg);
		config_free(&cfg);
	}
	free(rsa);
	free(p256);
	free(p384);
}

/* Key confusion by configuration (PITFALLS.md, libjwt 1.10): jwt.alg left at
 * its default HS256 with jwt.key_file naming the portal's public key would
 * make that public PEM the HMAC secret, and anyone could mint tokens with
 * it. A PEM under HS256 is refused at start, whatever its kind. */
static void test_hs256_refuses_pem(void **state)
{
	static const char *const pems[] = {
		"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEabcdefghijklmnopqrstuvwxyz\n"
		"-----END PUBLIC KEY-----\n",
		"-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAabcdefghijklmnopqrstuvwxyz0123456789\n"
		"-----END RSA PUBLIC KEY-----\n",
		"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUabcdefghijklmnopqrstuvwxyz\n"
		"-----END CERTIFICATE-----\n",
		/* blank lines or a comment before the armour change nothing */
		"\n# portal signing key\n-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
		"-----END PUBLIC KEY-----\n",
	};
	(void)state;
	for (size_t i = 0; i < COUNT(pems); i++) {
		struct config cfg;
		char err[256] = "";
		int rc = load_key("HS256", pems[i], strlen(pems[i]), &cfg, err, sizeof err);
		if (rc != -1 || strstr(err, "PEM") == NULL)
			fail_msg("PEM row %zu under HS256: rc %d (%s)", i, rc, err);
		config_free(&cfg);
	}
}

static void test_missing_key_file(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
	assert_int_equal(config_load_secrets(&cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "jwt.key_file: not set"));
	config_free(&cfg);

	setenv("REFUNDD_JWT_KEY_FILE", "/nonexistent/jwt-secret", 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
	assert_int_equal(config_load_secrets(&cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/jwt-secret"));
	assert_null(cfg.jwt_key);
	config_free(&cfg);
}

static void test_passwords(void **state)
{
	static const struct { const char *file, *want; } rows[] = {
		{ "s3cret\n", "s3cret" }, { "s3cret\r\n", "s3cret" }, { "s3cret", "s3cret" },
		{ "s3cret\n\n", "s3cret" }, { "pa ss\tword \n", "pa ss\tword " }, { "\n", "" },
	};
	static const char secret[] = "0123456789abcdef0123456789abcdef";
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		struct config cfg;
		char err[256] = "";
		setenv("REFUNDD_DB_PASSWORD_FILE", temp_text(rows[i].file), 1);
		setenv("REFUNDD_DB_OWNER_PASSWORD_FILE", temp_text(rows[i].file), 1);
		assert_int_equal(load_key("HS256", secret, strlen(secret), &cfg, err, sizeof err), 0);
		assert_non_null(cfg.db_password);
		if (strcmp(cfg.db_password, rows[i].want) != 0)
			fail_msg("password row %zu: \"%s\", want \"%s\"", i, cfg.db_password, rows[i].want);
		assert_null(cfg.db_owner_password);   /* read only when migrating */
		assert_int_equal(config_load_owner_secret(&cfg, err, sizeof err), 0);
		assert_string_equal(cfg.db_owner_password, rows[i].want);
		config_free(&cfg);
		teardown(state);
	}
}

static void test_password_file_optional_or_missing(void **state)
{
	static const char secret[] = "0123456789abcdef0123456789abcdef";
	struct config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(load_key("HS256", secret, strlen(secret), &cfg, err, sizeof err), 0);
	assert_null(cfg.db_password);              /* no file named: no password */
	config_free(&cfg);
	setenv("REFUNDD_DB_PASSWORD_FILE", "/nonexistent/pw", 1);
	assert_int_equal(load_key("HS256", secret, strlen(secret), &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/pw"));
	config_free(&cfg);
}

static void test_read_file_limit(void **state)
{
	const char *path = temp_text("abcdefgh");
	unsigned char *buf = NULL;
	size_t len = 0;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_read_file(path, 8, &buf, &len, err, sizeof err), 0);
	assert_int_equal(len, 8);
	assert_string_equal((char *)buf, "abcdefgh");
	free(buf);
	buf = NULL;
	assert_int_equal(config_read_file(path, 7, &buf, &len, err, sizeof err), -1);
	assert_non_null(strstr(err, "file too large"));
	assert_null(buf);
	assert_int_equal(config_read_file("/tmp", 7, &buf, &len, err, sizeof err), -1);
	assert_null(buf);
}

/* [webhook]: the real schedule by default (1 s doubling to 1 h, 24 h),
 * overridable for tests; a URL needs http(s) and a secret of 32 bytes or
 * more, read with the other secrets (before privileges are dropped). */
static void test_webhook(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
	assert_string_equal(cfg.webhook_url, "");
	assert_int_equal(cfg.webhook_retry_base_ms, 1000);
	assert_int_equal(cfg.webhook_retry_cap_ms, 3600000);
	assert_int_equal(cfg.webhook_give_up_s, 86400);
	load_text("file", "[webhook]\nurl = https://portal.example/h\nsecret_file = /s\n"
	          "retry_base_ms = 100\nretry_cap_ms = 400\ngive_up = 3\n", 0, NULL, &cfg);
	assert_string_equal(cfg.webhook_url, "https://portal.example/h");
	assert_int_equal(cfg.webhook_retry_cap_ms, 400);
	load_text("ftp", "[webhook]\nurl = ftp://x/\nsecret_file = /s\n", -1, "webhook.url", &cfg);
	load_text("no secret", "[webhook]\nurl = https://x/\n", -1, "webhook.secret_file", &cfg);
	load_text("cap < base", "[webhook]\nurl = https://x/\nsecret_file = /s\n"
	          "retry_base_ms = 500\nretry_cap_ms = 400\n", -1, "retry_cap_ms", &cfg);

	setenv("REFUNDD_WEBHOOK_URL", "http://127.0.0.1:9/hook", 1);
	setenv("REFUNDD_WEBHOOK_SECRET_FILE", temp_text("0123456789abcdef0123456789abcde\n"), 1);
	setenv("REFUNDD_JWT_KEY_FILE", temp_text("0123456789abcdef0123456789abcdef"), 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
	assert_int_equal(config_load_secrets(&cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "at least 32 bytes"));
	config_free(&cfg);
	setenv("REFUNDD_WEBHOOK_SECRET_FILE", temp_text("0123456789abcdef0123456789abcdef\n"), 1);
	assert_int_equal(config_load(&cfg, NULL, err, sizeof err), 0);
	assert_int_equal(config_load_secrets(&cfg, err, sizeof err), 0);
	assert_int_equal(cfg.webhook_secret_len, 32);
	assert_memory_equal(cfg.webhook_secret, "0123456789abcdef0123456789abcdef", 32);
	config_free(&cfg);
	assert_null(cfg.webhook_secret);
}

/* [provider.NAME] statement_columns: read per provider, checked at load
 * by the statement reader's own parser; a provider not listed gets the
 * documented default. */
static void test_provider_sections(void **state)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "[provider.aliyun]\nstatement_columns = ref=a\n", "statement_columns" },
		{ "[provider.aliyun]\ncolumns = ref=a, amount=b\n", "unknown setting [provider.aliyun] columns" },
		{ "[provider.Ali-Yun]\nstatement_columns = ref=a, amount=b\n", "statement_columns" },
		{ "[provider.]\nstatement_columns = ref=a, amount=b\n", "statement_columns" },
	};
	struct config cfg;

	(void)state;
	load_text("providers", "[provider.aliyun]\nstatement_columns = ref=InstanceId, amount=RefundAmount\n"
	          "[provider.huaweicloud]\nstatement_columns = ref=r, amount=a, fee=f, date=d\n"
	          "[provider.aliyun]\nstatement_columns = ref=X, amount=Y\n", 0, NULL, &cfg);
	assert_int_equal(cfg.n_providers, 2);
	assert_string_equal(config_statement_columns(&cfg, "aliyun"), "ref=X, amount=Y");
	assert_string_equal(config_statement_columns(&cfg, "huaweicloud"), "ref=r, amount=a, fee=f, date=d");
	assert_string_equal(config_statement_columns(&cfg, "other"), "ref=ref, amount=amount, fee=fee, date=date");
	for (size_t i = 0; i < COUNT(bad); i++)
		load_text(bad[i].text, bad[i].text, -1, bad[i].err, &cfg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_full_file),
		T(test_refusals),
		T(test_refusal_names_file_and_line),
		T(test_env_refusal_names_variable),
		T(test_case_and_comments),
		T(test_provider_sections),
		T(test_missing_file),
		T(test_numbers),
		T(test_empty_number),
		T(test_long_string),
		T(test_jwt_alg),
		T(test_portal_url),
		T(test_env_beats_file),
		T(test_file_without_env),
		T(test_env_refused),
		T(test_hs256_secret_length),
		T(test_binary_secret),
		T(test_pem_key_verbatim),
		T(test_hs256_refuses_pem),
		T(test_public_key_kind),
		T(test_missing_key_file),
		T(test_passwords),
		T(test_password_file_optional_or_missing),
		T(test_read_file_limit),
		T(test_webhook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
