/* db.h -- one PostgreSQL connection per worker thread: lazy connect with
 * backoff, statements prepared on first use, transactions that carry the
 * caller's identity. All SQL text lives in per-entity tables of
 * struct db_stmt (sql_*.c); nothing builds SQL from strings. */
#ifndef REFUNDD_DB_H
#define REFUNDD_DB_H

#include <libpq-fe.h>
#include "config.h"
#include "http.h"

struct db_stmt {
	const char *name;   /* unique prepared-statement name */
	const char *sql;    /* $1..$n parameters only */
};

/* Who is acting, handed to the database inside the transaction
 * (set_config(..., true)) so triggers and audit rows can read it. */
struct db_identity {
	const char *sub;
	const char *role;
	const char *request_id;
	const char *client_addr;
};

struct db;

struct db   *db_new(const struct config *cfg);
void         db_free(struct db *db);
/* Connects if needed; ERR_DB_UNAVAILABLE while PostgreSQL is down (with
 * backoff between attempts, so a request never waits on a dead server). */
enum app_err db_ready(struct db *db);
/* Runs a prepared statement. On success *out holds the result (PQclear it).
 * On failure *out is NULL and db_constraint() names a violated constraint. */
enum app_err db_exec(struct db *db, const struct db_stmt *st, int nparams,
                     const char *const *params, PGresult **out);
enum app_err db_begin(struct db *db, const struct db_identity *who);
enum app_err db_commit(struct db *db);
void         db_rollback(struct db *db);
/* Called after every request: a connection left inside a transaction by a
 * failed handler is rolled back before the next request uses it. */
void         db_after_request(struct db *db);
const char  *db_constraint(const struct db *db);

/* Small result readers: NULL / 0 / "" for SQL NULL. */
void         db_copy(char *dst, size_t len, const PGresult *res, int row, int col);
const char  *db_text(const PGresult *res, int row, int col);
long long    db_int(const PGresult *res, int row, int col);
int          db_bool(const PGresult *res, int row, int col);

#endif
