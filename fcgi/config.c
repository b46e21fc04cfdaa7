/* config.c -- settings from conf/refundd.conf (parsed by inih), overridden
 * by REFUNDD_<SECTION>_<KEY> environment variables, then validated.
 * Every key is one row of the table below; there is no other way in. */
#include "config.h"
#include "audit_sign.h"
#include "statement.h"
#include "webhook.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_type { KEY_STRING, KEY_INT, KEY_LONG };

struct config_key {
	const char   *section;
	const char   *name;
	enum key_type type;
	size_t        offset;
	size_t        size;       /* buffer size for strings */
	long          min, max;   /* for numbers */
};

#define STR(sec, key, field) \
	{ sec, key, KEY_STRING, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0 }
#define NUM(sec, key, type, field, lo, hi) \
	{ sec, key, type, offsetof(struct config, field), 0, lo, hi }

static const struct config_key keys[] = {
	STR("server", "listen", listen),
	NUM("server", "threads", KEY_INT, threads, 1, 256),
	STR("server", "user", user),
	NUM("server", "max_body", KEY_LONG, max_body, 256, 16L * 1024 * 1024),
	STR("db", "conninfo", db_conninfo),
	STR("db", "password_file", db_password_file),
	STR("db", "owner_conninfo", db_owner_conninfo),
	STR("db", "owner_password_file", db_owner_password_file),
	NUM("db", "statement_timeout_ms", KEY_INT, db_statement_timeout_ms, 10, 600000),
	STR("jwt", "alg", jwt_alg),
	STR("jwt", "key_file", jwt_key_file),
	STR("jwt", "issuer", jwt_issuer),
	STR("jwt", "audience", jwt_audience),
	NUM("jwt", "leeway", KEY_INT, jwt_leeway_s, 0, 3600),
	STR("audit", "signing_key_file", audit_key_file),
	STR("audit", "trusted_keys_file", audit_trusted_keys_file),
	NUM("audit", "seal_interval_ms", KEY_INT, audit_seal_interval_ms, 10, 1000),
	NUM("audit", "checkpoint_interval", KEY_INT, audit_checkpoint_interval_s, 1, 86400),
	NUM("audit", "unsealed_grace", KEY_INT, audit_unsealed_grace_s, 1, 3600),
	STR("webhook", "url", webhook_url),
	STR("webhook", "secret_file", webhook_secret_file),
	NUM("webhook", "timeout_ms", KEY_INT, webhook_timeout_ms, 100, 60000),
	NUM("webhook", "connect_timeout_ms", KEY_INT, webhook_connect_timeout_ms, 100, 60000),
	NUM("webhook", "poll_interval_ms", KEY_INT, webhook_poll_interval_ms, 10, 60000),
	NUM("webhook", "retry_base_ms", KEY_INT, webhook_retry_base_ms, 1, 3600000),
	NUM("webhook", "retry_cap_ms", KEY_INT, webhook_retry_cap_ms, 1, 86400000),
	NUM("webhook", "give_up", KEY_INT, webhook_give_up_s, 1, 30L * 86400),
	STR("app", "timezone", timezone),
	STR("app", "sql_dir", sql_dir),
	STR("app", "portal_url", portal_url),
};

struct load_state {
	struct config *cfg;
	char *err;
	size_t errlen;
	int failed;
};

static void set_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->listen, sizeof cfg->listen, "var/run/refundd.sock");
	cfg->threads = 4;
	cfg->max_body = 64L * 1024;
	snprintf(cfg->db_conninfo, sizeof cfg->db_conninfo, "dbname=refundd");
	cfg->db_statement_timeout_ms = 5000;
	snprintf(cfg->jwt_alg, sizeof cfg->jwt_alg, "HS256");
	cfg->jwt_leeway_s = 30;
	cfg->audit_seal_interval_ms = 200;
	cfg->audit_checkpoint_interval_s = 60;
	cfg->audit_unsealed_grace_s = 5;
	cfg->webhook_timeout_ms = 10000;
	cfg->webhook_connect_timeout_ms = 3000;
	cfg->webhook_poll_interval_ms = 500;
	cfg->webhook_retry_base_ms = 1000;          /* 1 s doubling ... */
	cfg->webhook_retry_cap_ms = 3600 * 1000;    /* ... to 1 h ... */
	cfg->webhook_give_up_s = 86400;             /* ... for 24 h */
	snprintf(cfg->timezone, sizeof cfg->timezone, "Asia/Shanghai");
	snprintf(cfg->sql_dir, sizeof cfg->sql_dir, "sql");
}

static const struct config_key *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcasecmp(keys[i].section, section) == 0 &&
		    strcasecmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Strict integer parse: the whole string, in range, errno saved. strtol
 * alone would also take leading blanks and a '+' sign. */
static int parse_long(const char *s, long min, long max, long *out)
{
	int saved = errno;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	int bad = errno != 0 || end == s || *end != '\0' || v < min || v > max ||
	          !(isdigit((unsigned char)s[0]) || s[0] == '-');
	errno = saved;
	if (bad)
		return -1;
	*out = v;
	return 0;
}

static int set_value(struct config *cfg, const struct config_key *k,
                     const char *value, char *err, size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	long v;

	if (k->type == KEY_STRING) {
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "%s.%s: value too long (max %zu)",
			         k->section, k->name, k->size - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	}
	if (parse_long(value, k->min, k->max, &v) != 0) {
		snprintf(err, errlen, "%s.%s: '%s' is not an integer in [%ld, %ld]",
		         k->section, k->name, value, k->min, k->max);
		return -1;
	}
	if (k->type == KEY_INT)
		*(int *)(void *)field = (int)v;
	else
		*(long *)(void *)field = v;
	return 0;
}

/* [provider.NAME] sections: one per provider, with statement_columns,
 * checked by the statement reader's own parser so that a typo stops
 * refundd at start rather than the first import. */
static int provider_entry(struct load_state *st, const char *section, const char *name,
                          const char *value)
{
	const char *prov = section + strlen("provider.");
	struct config *cfg = st->cfg;
	struct statement_columns cols;
	int i;

	if (strcasecmp(name, "statement_columns") != 0) {
		snprintf(st->err, st->errlen, "unknown setting [%s] %s", section, name);
		return -1;
	}
	if (prov[0] == '\0' || strlen(prov) >= sizeof cfg->providers[0].name ||
	    strspn(prov, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(prov) ||
	    strlen(value) >= sizeof cfg->providers[0].statement_columns ||
	    statement_columns_parse(value, &cols) != STATEMENT_OK) {
		snprintf(st->err, st->errlen, "[%s] statement_columns: give ref=..., amount=... "
		         "(fee=..., date=... optional) for a provider named [a-z0-9_]", section);
		return -1;
	}
	for (i = 0; i < cfg->n_providers && strcmp(cfg->providers[i].name, prov) != 0; i++)
		;
	if (i == CONFIG_PROVIDERS_MAX) {
		snprintf(st->err, st->errlen, "more than %d [provider.*] sections", CONFIG_PROVIDERS_MAX);
		return -1;
	}
	snprintf(cfg->providers[i].name, sizeof cfg->providers[i].name, "%s", prov);
	snprintf(cfg->providers[i].statement_columns, sizeof cfg->providers[i].statement_columns,
	         "%s", value);
	if (i == cfg->n_providers)
		cfg->n_providers++;
	return 0;
}

const char *config_statement_columns(const struct config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_providers; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			return cfg->providers[i].statement_columns;
	return STATEMENT_DEFAULT_COLUMNS;
}

static int on_ini_entry(void *user, const char *section, const char *name,
                        const char *value)
{
	struct load_state *st = user;
	const struct config_key *k = find_key(section, name);

	if (st->failed)
		return 0;
	if (k == NULL && strncasecmp(section, "provider.", 9) == 0) {
		st->failed = provider_entry(st, section, name, value) != 0;
		return !st->failed;
	}
	if (k == NULL) {
		snprintf(st->err, st->errlen, "unknown setting [%s] %s", section, name);
		st->failed = 1;
		return 0;
	}
	if (set_value(st->cfg, k, value, st->err, st->errlen) != 0) {
		st->failed = 1;
		return 0;
	}
	return 1;
}

/* "where: what was wrong", where being FILE:LINE or a variable's name. */
static void prefix_error(char *err, size_t errlen, const char *where, int line)
{
	char what[512];

	snprintf(what, sizeof what, "%s", err);
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", where, line, what);
	else
		snprintf(err, errlen, "%s: %s", where, what);
}

/* REFUNDD_SERVER_THREADS overrides [server] threads, and so on. */
static int apply_env(struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char name[96];
		int n = snprintf(name, sizeof name, "REFUNDD_%s_%s",
		                 keys[i].section, keys[i].name);
		for (int j = 0; j < n; j++)
			name[j] = (char)toupper((unsigned char)name[j]);
		const char *v = getenv(name);
		if (v != NULL && set_value(cfg, &keys[i], v, err, errlen) != 0) {
			prefix_error(err, errlen, name, 0);
			return -1;
		}
	}
	return 0;
}

/* app.portal_url goes into GET /api/v1/config and an href on the pages: an
 * http(s) address and nothing that would need escaping in JSON or HTML. */
static int validate_portal_url(const char *url, char *err, size_t errlen)
{
	if (url[0] == '\0')
		return 0;
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		snprintf(err, errlen, "app.portal_url: not an http(s) address");
		return -1;
	}
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("\"'<>\\`", *p) != NULL) {
			snprintf(err, errlen, "app.portal_url: character 0x%02x not allowed",
			         (unsigned char)*p);
			return -1;
		}
	}
	return 0;
}

/* Only http(s), and a secret to sign with (checked again when it is read). */
static int validate_webhook(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->webhook_url[0] == '\0')
		return 0;
	if (!webhook_url_ok(cfg->webhook_url)) {
		snprintf(err, errlen, "webhook.url: not an http(s) address");
		return -1;
	}
	if (cfg->webhook_secret_file[0] == '\0') {
		snprintf(err, errlen, "webhook.secret_file: needed when webhook.url is set");
		return -1;
	}
	if (cfg->webhook_retry_cap_ms < cfg->webhook_retry_base_ms) {
		snprintf(err, errlen, "webhook.retry_cap_ms: below webhook.retry_base_ms");
		return -1;
	}
	return 0;
}

static int validate(struct config *cfg, char *err, size_t errlen)
{
	if (strcmp(cfg->jwt_alg, "HS256") == 0)
		cfg->jwt_pin = JWT_PIN_HS256;
	else if (strcmp(cfg->jwt_alg, "RS256") == 0)
		cfg->jwt_pin = JWT_PIN_RS256;
	else if (strcmp(cfg->jwt_alg, "ES256") == 0)
		cfg->jwt_pin = JWT_PIN_ES256;
	else {
		snprintf(err, errlen, "jwt.alg: '%s' is not HS256, RS256 or ES256",
		         cfg->jwt_alg);
		return -1;
	}
	if (cfg->listen[0] == '\0') {
		snprintf(err, errlen, "server.listen: empty");
		return -1;
	}
	if (validate_webhook(cfg, err, errlen) != 0)
		return -1;
	return validate_portal_url(cfg->portal_url, err, errlen);
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct load_state st = { cfg, err, errlen, 0 };

	set_defaults(cfg);
	if (path != NULL) {
		int rc = ini_parse(path, on_ini_entry, &st);
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot open", path);
			return -1;
		}
		if (st.failed) {
			/* inih gives the line of the first refused entry: put the
			 * file and it before what was wrong, as for a syntax error. */
			prefix_error(err, errlen, path, rc);
			return -1;
		}
		if (rc > 0) {
			snprintf(err, errlen, "%s:%d: syntax error", path, rc);
			return -1;
		}
	}
	if (apply_env(cfg, err, errlen) != 0)
		return -1;
	return validate(cfg, err, errlen);
}

int config_read_file(const char *path, size_t max, unsigned char **out,
                     size_t *outlen, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto err;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		snprintf(err, errlen, "%s: %s", path,
		         ferror(f) ? "read error" : "file too large");
		goto err;
	}
	(void)fclose(f);   /* read only: nothing left to lose */
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
err:
	free(buf);
	(void)fclose(f);
	return -1;
}

/* Secret files usually end with a newline that is not part of the secret. */
static void chomp(unsigned char *buf, size_t *len)
{
	while (*len > 0 && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		buf[--*len] = '\0';
}

/* PEM armour anywhere in the file (RFC 7468 allows text before it). */
static bool holds_pem(const unsigned char *buf, size_t len)
{
	static const char armour[] = "-----BEGIN ";
	const size_t n = sizeof armour - 1;

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, armour, n) == 0)
			return true;
	return false;
}

/* RS256 needs an RSA public key, ES256 a P-256 one, as PEM: what libjwt
 * verifies with (PEM_read_bio_PUBKEY). Anything else would start a desk
 * that answers every token 401 "bad signature". */
static bool public_key_fits(enum jwt_pin pin, const unsigned char *pem, size_t len)
{
	BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	char group[32] = "";
	bool ok = false;

	if (key != NULL && pin == JWT_PIN_RS256)
		ok = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
	else if (key != NULL && pin == JWT_PIN_ES256)
		ok = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
		     EVP_PKEY_get_group_name(key, group, sizeof group, NULL) == 1 &&
		     strcmp(group, "prime256v1") == 0;
	EVP_PKEY_free(key);
	BIO_free(bio);
	return ok;
}

/* A password file, if one is named: its first line, without the newline. */
static int read_password(const char *path, char **out, char *err, size_t errlen)
{
	unsigned char *pw = NULL;
	size_t len;

	*out = NULL;
	if (path[0] == '\0')
		return 0;
	if (config_read_file(path, 4096, &pw, &len, err, errlen) != 0)
		return -1;
	chomp(pw, &len);
	*out = (char *)pw;
	return 0;
}

int config_load_owner_secret(struct config *cfg, char *err, size_t errlen)
{
	return read_password(cfg->db_owner_password_file, &cfg->db_owner_password,
	                     err, errlen);
}

/* The checkpoint signing key is checked at start, not at the first
 * checkpoint: a wrong file should stop refundd, not the proof. */
static int load_audit_key(struct config *cfg, char *err, size_t errlen)
{
	unsigned char pub[AUDIT_SIGN_KEY_LEN];

	if (cfg->audit_key_file[0] == '\0')
		return 0;
	if (config_read_file(cfg->audit_key_file, (size_t)16 * 1024, &cfg->audit_key,
	                     &cfg->audit_key_len, err, errlen) != 0)
		return -1;
	if (audit_sign_public_key(cfg->audit_key, cfg->audit_key_len, pub) != AUDIT_SIGN_OK) {
		snprintf(err, errlen, "%s: audit.signing_key_file must hold a PEM Ed25519 private key",
		         cfg->audit_key_file);
		return -1;
	}
	return 0;
}

/* The public keys of earlier signing keys (after a rotation), one per line
 * as hex (a checkpoint's public_key); blank lines and '#' comments pass.
 * Their checkpoints stay in the insert-only table for good, and verify
 * would otherwise count each as forged. */
static int load_trusted_keys(struct config *cfg, char *err, size_t errlen)
{
	const char *path = cfg->audit_trusted_keys_file;
	unsigned char *text = NULL;
	size_t len = 0;
	int line = 0, rc = -1;

	cfg->audit_trusted_count = 0;
	if (path[0] == '\0')
		return 0;
	if (config_read_file(path, (size_t)16 * 1024, &text, &len, err, errlen) != 0)
		return -1;
	for (char *at = (char *)text, *end; *at != '\0'; at = *end ? end + 1 : end) {
		end = at + strcspn(at, "\n");
		size_t n = (size_t)(end - at);
		line++;
		while (n > 0 && (at[n - 1] == '\r' || at[n - 1] == ' ' || at[n - 1] == '\t'))
			n--;
		if (n == 0 || at[0] == '#')
			continue;
		if (cfg->audit_trusted_count == CONFIG_TRUSTED_KEYS_MAX) {
			snprintf(err, errlen, "%s:%d: more than %d keys", path, line, CONFIG_TRUSTED_KEYS_MAX);
			goto out;
		}
		if (!audit_sign_unhex(cfg->audit_trusted[cfg->audit_trusted_count++], AUDIT_SIGN_KEY_LEN, at, n)) {
			snprintf(err, errlen, "%s:%d: not an Ed25519 public key (64 hex digits)", path, line);
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	return rc;
}

/* Read before privileges are dropped, like every secret. */
static int load_webhook_secret(struct config *cfg, char *err, size_t errlen)
{
	if (cfg->webhook_url[0] == '\0')
		return 0;
	if (config_read_file(cfg->webhook_secret_file, 4096, &cfg->webhook_secret,
	                     &cfg->webhook_secret_len, err, errlen) != 0)
		return -1;
	chomp(cfg->webhook_secret, &cfg->webhook_secret_len);
	if (cfg->webhook_secret_len < 32) {
		snprintf(err, errlen, "%s: a webhook secret needs at least 32 bytes",
		         cfg->webhook_secret_file);
		return -1;
	}
	return 0;
}

int config_load_secrets(struct config *cfg, char *err, size_t errlen)
{
	/* libjwt decodes any token as alg "none" when given no key
	 * (../shared/PITFALLS.md): refuse to start without one. */
	if (cfg->jwt_key_file[0] == '\0') {
		snprintf(err, errlen, "jwt.key_file: not set; refusing to start without a key");
		return -1;
	}
	if (config_read_file(cfg->jwt_key_file, (size_t)64 * 1024, &cfg->jwt_key,
	                     &cfg->jwt_key_len, err, errlen) != 0)
		return -1;
	if (cfg->jwt_pin == JWT_PIN_HS256) {
		chomp(cfg->jwt_key, &cfg->jwt_key_len);
		/* jwt.alg left at HS256 beside the portal's public key would make
		 * that public PEM the HMAC secret: anyone could mint tokens with
		 * it (key confusion, ../shared/PITFALLS.md "libjwt 1.10.2"). */
		if (holds_pem(cfg->jwt_key, cfg->jwt_key_len)) {
			snprintf(err, errlen, "%s: holds a PEM key, but jwt.alg is HS256 (an HMAC "
			         "secret); set jwt.alg to RS256 or ES256 for a public key",
			         cfg->jwt_key_file);
			return -1;
		}
		if (cfg->jwt_key_len < 32) {
			snprintf(err, errlen, "%s: an HS256 secret needs at least 32 bytes",
			         cfg->jwt_key_file);
			return -1;
		}
	} else if (!public_key_fits(cfg->jwt_pin, cfg->jwt_key, cfg->jwt_key_len)) {
		snprintf(err, errlen, "%s: jwt.alg %s needs a PEM public key (%s)", cfg->jwt_key_file,
		         cfg->jwt_pin == JWT_PIN_RS256 ? "RS256" : "ES256",
		         cfg->jwt_pin == JWT_PIN_RS256 ? "RSA" : "EC P-256");
		return -1;
	}
	if (load_audit_key(cfg, err, errlen) != 0 || load_trusted_keys(cfg, err, errlen) != 0 ||
	    load_webhook_secret(cfg, err, errlen) != 0)
		return -1;
	return read_password(cfg->db_password_file, &cfg->db_password, err, errlen);
}

void config_free(struct config *cfg)
{
	free(cfg->jwt_key);
	free(cfg->db_password);
	free(cfg->db_owner_password);
	free(cfg->audit_key);
	free(cfg->webhook_secret);
	cfg->audit_key = NULL;
	cfg->webhook_secret = NULL;
	cfg->jwt_key = NULL;
	cfg->db_password = NULL;
	cfg->db_owner_password = NULL;
}
