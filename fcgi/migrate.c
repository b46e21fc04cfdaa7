/* migrate.c -- `refundd migrate`. Landed migrations are never edited
 * (append-only), so a recorded file whose sha256 differs is an error, not
 * something to re-apply. A session advisory lock keeps two containers that
 * start together from applying the same file twice. Migration files are
 * trusted DDL from the repository: the one place SQL text is executed
 * without parameters. */
#include "migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MIGRATE_LOCK_KEY "727572" /* arbitrary, constant */

static int is_migration_name(const char *name)
{
	size_t n = strlen(name);
	return n > 8 && name[0] >= '0' && name[0] <= '9' && name[1] >= '0' &&
	       name[1] <= '9' && name[2] >= '0' && name[2] <= '9' && name[3] == '_' &&
	       strcmp(name + n - 4, ".sql") == 0;
}

static int select_migration(const struct dirent *d)
{
	return is_migration_name(d->d_name);
}

static void sha256_hex(const unsigned char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out + (size_t)2 * i, 3, "%02x", md[i]);
}

static int exec_ok(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

/* 1: recorded with the same checksum, 0: not recorded, -1: error. */
static int recorded(PGconn *conn, const char *name, const char *sum, char *err, size_t errlen)
{
	const char *params[1] = { name };
	PGresult *res = PQexecParams(conn,
		"SELECT checksum FROM schema_migrations WHERE name = $1", 1, NULL, params,
		NULL, NULL, 0);
	int rc = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	else if (PQntuples(res) == 0)
		rc = 0;
	else if (strcmp(PQgetvalue(res, 0, 0), sum) == 0)
		rc = 1;
	else
		snprintf(err, errlen, "%s has changed since it was applied (recorded "
		         "sha256 %.12s…, file %.12s…); add a new migration instead",
		         name, PQgetvalue(res, 0, 0), sum);
	PQclear(res);
	return rc;
}

static int apply_one(PGconn *conn, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[1024], sum[65] = "";
	unsigned char *text = NULL;
	size_t len = 0;
	int rc = -1;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (config_read_file(path, (size_t)4 * 1024 * 1024, &text, &len, err, errlen) != 0)
		return -1;
	sha256_hex(text, len, sum);
	int seen = recorded(conn, name, sum, err, errlen);
	if (seen != 0) {
		free(text);
		return seen == 1 ? 0 : -1;
	}
	const char *params[2] = { name, sum };
	if (exec_ok(conn, "BEGIN", err, errlen) == 0 &&
	    exec_ok(conn, (const char *)text, err, errlen) == 0) {
		PGresult *res = PQexecParams(conn,
			"INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
			2, NULL, params, NULL, NULL, 0);
		rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
		if (rc != 0)
			snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		PQclear(res);
	}
	if (rc == 0)
		rc = exec_ok(conn, "COMMIT", err, errlen);
	if (rc != 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		size_t used = strlen(err);
		snprintf(err + used, errlen - used, " (in %s)", name);
	} else
		printf("applied %s\n", name);
	free(text);
	return rc;
}

static int apply_all(PGconn *conn, const char *dir, char *err, size_t errlen)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, select_migration, alphasort), rc = 0;

	if (n < 0) {
		snprintf(err, errlen, "%s: cannot list migrations", dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (rc == 0)
			rc = apply_one(conn, dir, list[i]->d_name, err, errlen);
		free(list[i]);
	}
	free(list);
	return rc;
}

int migrate_run(const char *conninfo, const char *password, const char *dir,
                char *err, size_t errlen)
{
	const char *keys[] = { "dbname", "password", "application_name", NULL };
	const char *vals[] = { conninfo, password, "refundd-migrate", NULL };
	PGconn *conn;
	int rc = -1;

	if (password == NULL)
		keys[1] = "application_name", vals[1] = "refundd-migrate", keys[2] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(conn));
		goto out;
	}
	if (exec_ok(conn, "SET client_min_messages = warning", err, errlen) != 0 ||
	    exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err, errlen) != 0 ||
	    exec_ok(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                  " name text PRIMARY KEY, checksum text NOT NULL,"
	                  " applied_at timestamptz NOT NULL DEFAULT now())", err, errlen) != 0)
		goto out;
	rc = apply_all(conn, dir, err, errlen);
out:
	PQfinish(conn);
	return rc;
}
