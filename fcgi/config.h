/* config.h -- refundd settings: read once at start from an INI file, then
 * REFUNDD_<SECTION>_<KEY> environment variables, then secret files.
 * After config_load() returns the struct is never written again, so every
 * thread may read it without locks (the only global state we allow). */
#ifndef REFUNDD_CONFIG_H
#define REFUNDD_CONFIG_H

#include <stddef.h>

#define CONFIG_TRUSTED_KEYS_MAX 16

enum jwt_pin { JWT_PIN_HS256, JWT_PIN_RS256, JWT_PIN_ES256 };

#define CONFIG_PROVIDERS_MAX 16

struct config {
	/* [server] */
	char   listen[256];       /* unix socket path, host:port, or "inherit" */
	int    threads;
	char   user[64];          /* drop to this user when started as root */
	long   max_body;          /* bytes; bigger bodies get 413 */
	/* [db] */
	char   db_conninfo[1024];
	char   db_password_file[512];
	int    db_statement_timeout_ms;
	char   db_owner_conninfo[1024];      /* for migrate; empty: conninfo */
	char   db_owner_password_file[512];
	/* [jwt] */
	char   jwt_alg[8];
	char   jwt_key_file[512];
	char   jwt_issuer[256];   /* empty: iss not checked */
	char   jwt_audience[256]; /* empty: aud not checked */
	int    jwt_leeway_s;
	/* [audit] */
	char   audit_key_file[512];      /* Ed25519 private key (PEM); empty: no checkpoints */
	char   audit_trusted_keys_file[512]; /* earlier public keys (hex), after a rotation */
	int    audit_seal_interval_ms;   /* how often the sealer looks for new events */
	int    audit_checkpoint_interval_s;
	int    audit_unsealed_grace_s;   /* verify fails on events unsealed longer */
	/* [webhook] every outbox event POSTed to the portal, signed (webhook.h) */
	char   webhook_url[1024];          /* empty: no webhooks sent by this process */
	char   webhook_secret_file[512];   /* HMAC-SHA256 secret, at least 32 bytes */
	int    webhook_timeout_ms;         /* whole request */
	int    webhook_connect_timeout_ms;
	int    webhook_poll_interval_ms;   /* how often the sender looks for due rows */
	int    webhook_retry_base_ms;      /* first retry delay; doubles per failure */
	int    webhook_retry_cap_ms;       /* ... up to this */
	int    webhook_give_up_s;          /* failed this long after the first attempt */
	/* [app] */
	char   timezone[64];     /* becomes the process's TZ (localzone.h) */
	char   sql_dir[512];
	/* the reseller's sign-in page the desk's pages link back to when a
	 * token has expired; not used by refundd itself, only checked here and
	 * served to the pages by GET /api/v1/config. Empty: no link. */
	char   portal_url[512];
	/* [provider.NAME] statement_columns = ref=..., amount=..., fee=..., date=...:
	 * which columns of NAME's refund statement hold what (statement.h);
	 * a provider not listed uses STATEMENT_DEFAULT_COLUMNS. */
	struct config_provider {
		char name[32];
		char statement_columns[256];
	} providers[CONFIG_PROVIDERS_MAX];
	int    n_providers;
	/* derived and loaded by config_load() */
	enum jwt_pin jwt_pin;
	unsigned char *jwt_key;   /* secret or PEM public key; owned here */
	size_t jwt_key_len;
	char  *db_password;       /* NULL when no password file; owned here */
	unsigned char *audit_key; /* PEM private key, or NULL; owned here */
	size_t audit_key_len;
	/* raw Ed25519 public keys whose checkpoints verify besides audit_key's */
	unsigned char audit_trusted[CONFIG_TRUSTED_KEYS_MAX][32];
	int    audit_trusted_count;
	char  *db_owner_password; /* read only by `refundd migrate` */
	unsigned char *webhook_secret; /* when webhook_url is set; owned here */
	size_t webhook_secret_len;
};

/* Defaults, then the file (NULL or missing path: defaults only when
 * optional), then the environment. Returns 0, or -1 with err filled. */
int  config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Reads the JWT key and DB password files named in cfg. */
int  config_load_secrets(struct config *cfg, char *err, size_t errlen);
/* Reads the owner's password file (for migrations only). */
int  config_load_owner_secret(struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);
/* The statement_columns setting of provider name, or the default. */
const char *config_statement_columns(const struct config *cfg, const char *name);
/* Reads a whole file (at most max bytes) into a NUL-terminated heap buffer. */
int  config_read_file(const char *path, size_t max, unsigned char **out,
                      size_t *outlen, char *err, size_t errlen);

#endif
