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
/* The same with binary values: parameter i is lengths[i] raw bytes when
 * formats[i] is 1 (a bytea), text otherwise; with binary_result every
 * column comes back in binary (bytea and text: their raw bytes, so read
 * them with PQgetlength; cast numbers to text in the statement). */
enum app_err db_exec_bin(struct db *db, const struct db_stmt *st, int nparams,
                         const char *const *params, const int *lengths,
                         const int *formats, int binary_result, PGresult **out);
/* Runs a prepared statement and hands its rows to fn one at a time as they
 * arrive (libpq single-row mode): a scan of 100 000 rows never sits in
 * memory whole. row is valid only during the call (one row: row 0). fn
 * returning non-zero stops the calls (the rest is read and dropped); that
 * value comes back as ERR_INTERNAL. */
typedef int (*db_row_fn)(void *ctx, const PGresult *row);
enum app_err db_stream(struct db *db, const struct db_stmt *st, int nparams,
                       const char *const *params, db_row_fn fn, void *ctx);
/* Several statements in one round trip (libpq pipeline mode): each step's
 * result lands in its res (PQclear it; NULL when the step failed or did
 * not run). Stops at the first failure and returns its error; the steps
 * after it are not run. Steps may be db_stmt_begin / db_stmt_commit. */
struct db_step {
	const struct db_stmt *st;
	int                   nparams;
	const char *const    *params;
	PGresult             *res;
};
enum app_err db_pipeline(struct db *db, struct db_step *steps, int n);
void         db_steps_clear(struct db_step *steps, int n);
extern const struct db_stmt db_stmt_begin, db_stmt_commit;

/* BEGIN and the caller's identity, then the steps (may be none), in one
 * round trip. On failure the transaction is rolled back. */
enum app_err db_begin_with(struct db *db, const struct db_identity *who,
                           struct db_step *steps, int n);
enum app_err db_begin(struct db *db, const struct db_identity *who);
enum app_err db_commit(struct db *db);
/* The last statement of a transaction and COMMIT in one round trip. */
enum app_err db_exec_commit(struct db *db, const struct db_stmt *st, int nparams,
                            const char *const *params, PGresult **out);
void         db_rollback(struct db *db);
/* Called after every request: a connection left inside a transaction by a
 * failed handler is rolled back before the next request uses it. */
void         db_after_request(struct db *db);
const char  *db_constraint(const struct db *db);
/* What the last db_exec/db_exec_bin on this connection came to: SQL
 * modules return their own error values, and a handler that gets "the
 * database failed" from one asks here how (unavailable, timeout, ...). */
enum app_err db_last_error(const struct db *db);

/* Small result readers: NULL / 0 / "" for SQL NULL. */
void         db_copy(char *dst, size_t len, const PGresult *res, int row, int col);
const char  *db_text(const PGresult *res, int row, int col);
long long    db_int(const PGresult *res, int row, int col);
int          db_bool(const PGresult *res, int row, int col);

#endif
