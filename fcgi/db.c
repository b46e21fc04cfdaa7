/* db.c -- the per-thread PostgreSQL connection (PITFALLS.md, "PostgreSQL
 * from a threaded worker"): one PGconn per thread, statements prepared per
 * connection and again after a reconnect, statement_timeout set at connect
 * so a slow query answers 503 long before nginx gives up, and a ROLLBACK
 * after any request that left a transaction open. Error text from the
 * server goes to the log, never into a response. */
#include "db.h"
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_MAX_PREPARED 192
#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  5000

struct db {
	const struct config  *cfg;
	PGconn               *conn;
	const struct db_stmt *prepared[DB_MAX_PREPARED];
	int                   nprepared;
	long long             retry_at_ms;   /* no connect attempt before this */
	int                   backoff_ms;
	char                  constraint[64];
	enum app_err          last_err;     /* of the last db_exec/db_pipeline */
};

static const struct db_stmt set_identity = {
	"db_set_identity",
	"SELECT set_config('refundd.sub', $1, true), set_config('refundd.role', $2, true),"
	" set_config('refundd.request_id', $3, true), set_config('refundd.client_addr', $4, true)"
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct db *db_new(const struct config *cfg)
{
	struct db *db = calloc(1, sizeof *db);
	if (db != NULL) {
		db->cfg = cfg;
		db->backoff_ms = BACKOFF_MIN_MS;
	}
	return db;
}

static void disconnect(struct db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
}

void db_free(struct db *db)
{
	if (db == NULL)
		return;
	disconnect(db);
	free(db);
}

static int connect_now(struct db *db)
{
	char options[64];
	snprintf(options, sizeof options, "-c statement_timeout=%d -c TimeZone=UTC",
	         db->cfg->db_statement_timeout_ms);
	const char *keys[] = { "dbname", "password", "connect_timeout",
	                       "application_name", "options", NULL };
	const char *vals[] = { db->cfg->db_conninfo, db->cfg->db_password, "2",
	                       "refundd", options, NULL };
	if (db->cfg->db_password == NULL)
		keys[1] = "connect_timeout", vals[1] = "2";
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	log_event("error", "db_connect", PQerrorMessage(db->conn));
	disconnect(db);
	return -1;
}

enum app_err db_ready(struct db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return ERR_NONE;
	if (db->conn != NULL)
		disconnect(db);
	if (now_ms() < db->retry_at_ms)
		return ERR_DB_UNAVAILABLE;
	if (connect_now(db) != 0) {
		db->retry_at_ms = now_ms() + db->backoff_ms;
		db->backoff_ms = db->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
		                                                     : db->backoff_ms * 2;
		return ERR_DB_UNAVAILABLE;
	}
	db->backoff_ms = BACKOFF_MIN_MS;
	return ERR_NONE;
}

/* Maps a failed result to our error kinds; remembers the constraint for
 * handlers that turn a violation into a domain code. */
static enum app_err classify(struct db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

	snprintf(db->constraint, sizeof db->constraint, "%s", cons ? cons : "");
	if (PQstatus(db->conn) != CONNECTION_OK || state == NULL ||
	    strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return ERR_DB_UNAVAILABLE;
	if (strcmp(state, "57014") == 0)
		return ERR_DB_TIMEOUT;
	/* PostgreSQL rolled back a deadlock's victim or a serialization
	 * failure: nothing is wrong with the request, and the same request
	 * again succeeds. A 409 (or a handler's reading of ERR_CONFLICT as a
	 * broken constraint) would tell the client not to retry. */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return ERR_DB_BUSY;
	if (strncmp(state, "23", 2) == 0)
		return ERR_CONFLICT;
	if (strncmp(state, "22", 2) == 0)
		return ERR_VALIDATION;
	return ERR_INTERNAL;
}

static bool lost_while_idle(struct db *db, bool was_idle);

static int is_prepared(const struct db *db, const struct db_stmt *st)
{
	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return 1;
	return 0;
}

static enum app_err prepare(struct db *db, const struct db_stmt *st)
{
	PGresult *res;
	enum app_err err = ERR_NONE;

	if (is_prepared(db, st))
		return ERR_NONE;
	if (db->nprepared == DB_MAX_PREPARED)
		return ERR_INTERNAL;
	bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	res = PQprepare(db->conn, st->name, st->sql, 0, NULL);
	if (PQresultStatus(res) == PGRES_FATAL_ERROR && lost_while_idle(db, idle)) {
		PQclear(res);
		res = PQprepare(db->conn, st->name, st->sql, 0, NULL);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_event("error", st->name, PQresultErrorMessage(res));
		err = classify(db, res);
	} else
		db->prepared[db->nprepared++] = st;
	PQclear(res);
	return err;
}

/* A connection the server closed (PostgreSQL restarted) still reads
 * CONNECTION_OK until it is used. When the first use fails that way outside
 * a transaction, reconnecting and trying once more is safe: refundd writes
 * only inside transactions (db_begin), so the failed statement was a read
 * or BEGIN itself, and nothing was committed. */
static bool lost_while_idle(struct db *db, bool was_idle)
{
	if (!was_idle || db->conn == NULL || PQstatus(db->conn) != CONNECTION_BAD)
		return false;
	disconnect(db);
	return db_ready(db) == ERR_NONE;
}

/* Binary parameters and results (db_exec_bin); NULL: all text. */
struct bin_args {
	const int *lengths;
	const int *formats;
	int        result_format;
};

static PGresult *exec_prepared(struct db *db, const struct db_stmt *st, int nparams,
                               const char *const *params, const struct bin_args *b,
                               enum app_err *err)
{
	static const struct bin_args text = { NULL, NULL, 0 };
	bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	PGresult *res;

	if (b == NULL)
		b = &text;
	res = PQexecPrepared(db->conn, st->name, nparams, params, b->lengths, b->formats,
	                     b->result_format);
	if (PQresultStatus(res) == PGRES_FATAL_ERROR && lost_while_idle(db, idle)) {
		PQclear(res);
		if ((*err = prepare(db, st)) != ERR_NONE)
			return NULL;
		res = PQexecPrepared(db->conn, st->name, nparams, params, b->lengths, b->formats,
		                     b->result_format);
	}
	return res;
}

static enum app_err exec_with(struct db *db, const struct db_stmt *st, int nparams,
                              const char *const *params, const struct bin_args *b,
                              PGresult **out)
{
	enum app_err err;
	PGresult *res;

	*out = NULL;
	if ((err = db_ready(db)) != ERR_NONE || (err = prepare(db, st)) != ERR_NONE)
		return err;
	if ((res = exec_prepared(db, st, nparams, params, b, &err)) == NULL)
		return err;
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		*out = res;
		return ERR_NONE;
	default:
		err = classify(db, res);
		if (err == ERR_INTERNAL || err == ERR_DB_UNAVAILABLE)
			log_event("error", st->name, PQresultErrorMessage(res));
		PQclear(res);
		return err;
	}
}

enum app_err db_exec(struct db *db, const struct db_stmt *st, int nparams,
                     const char *const *params, PGresult **out)
{
	return db->last_err = exec_with(db, st, nparams, params, NULL, out);
}

enum app_err db_exec_bin(struct db *db, const struct db_stmt *st, int nparams,
                         const char *const *params, const int *lengths,
                         const int *formats, int binary_result, PGresult **out)
{
	struct bin_args b = { lengths, formats, binary_result ? 1 : 0 };
	return db->last_err = exec_with(db, st, nparams, params, &b, out);
}

/* Reads the stream to its end; the first failure wins. */
static enum app_err drain(struct db *db, const struct db_stmt *st, db_row_fn fn, void *ctx)
{
	enum app_err err = ERR_NONE;
	PGresult *res;

	while ((res = PQgetResult(db->conn)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
			if (err == ERR_NONE && fn(ctx, res) != 0)
				err = ERR_INTERNAL;
			break;
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			break;
		default:
			if (err == ERR_NONE) {
				err = classify(db, res);
				log_event("error", st->name, PQresultErrorMessage(res));
			}
		}
		PQclear(res);
	}
	return err;
}

enum app_err db_stream(struct db *db, const struct db_stmt *st, int nparams,
                       const char *const *params, db_row_fn fn, void *ctx)
{
	enum app_err err;

	if ((err = db_ready(db)) != ERR_NONE || (err = prepare(db, st)) != ERR_NONE)
		return db->last_err = err;
	if (PQsendQueryPrepared(db->conn, st->name, nparams, params, NULL, NULL, 0) != 1) {
		log_event("error", st->name, PQerrorMessage(db->conn));
		disconnect(db);
		return db->last_err = ERR_DB_UNAVAILABLE;
	}
	/* Can fail only when called too late; the rows then come in one result,
	 * which drain() would not hand over: say so rather than answer nothing. */
	if (PQsetSingleRowMode(db->conn) != 1) {
		drain(db, st, fn, ctx);
		return db->last_err = ERR_INTERNAL;
	}
	return db->last_err = drain(db, st, fn, ctx);
}

/* Prepared like any statement: the extended protocol takes transaction
 * control too, which is what lets them ride in a pipeline. */
const struct db_stmt db_stmt_begin = { "db_begin", "BEGIN" };
const struct db_stmt db_stmt_commit = { "db_commit", "COMMIT" };

void db_steps_clear(struct db_step *steps, int n)
{
	for (int i = 0; i < n; i++) {
		PQclear(steps[i].res);
		steps[i].res = NULL;
	}
}

/* Reads one step's results (a result, then NULL); remembers the first error. */
static enum app_err collect(struct db *db, struct db_step *step, enum app_err err)
{
	PGresult *res;

	while ((res = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if ((st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) && step->res == NULL) {
			step->res = res;
			continue;
		}
		if (st == PGRES_FATAL_ERROR && err == ERR_NONE) {
			err = classify(db, res);
			if (err == ERR_INTERNAL || err == ERR_DB_UNAVAILABLE)
				log_event("error", step->st->name, PQresultErrorMessage(res));
		} else if (st == PGRES_PIPELINE_ABORTED && err == ERR_NONE)
			err = ERR_INTERNAL;
		PQclear(res);
	}
	return err;
}

/* One round trip: send every step, one Sync, then read in order. */
static enum app_err run_pipeline(struct db *db, struct db_step *steps, int n)
{
	enum app_err err = ERR_NONE;
	int sent = 0;

	if (PQenterPipelineMode(db->conn) != 1)
		return ERR_INTERNAL;
	for (; sent < n; sent++)
		if (PQsendQueryPrepared(db->conn, steps[sent].st->name, steps[sent].nparams,
		                        steps[sent].params, NULL, NULL, 0) != 1)
			break;
	if (PQpipelineSync(db->conn) != 1 || sent < n) {
		disconnect(db);   /* the pipeline state is unknown: start afresh */
		return ERR_DB_UNAVAILABLE;
	}
	for (int i = 0; i < n; i++)
		err = collect(db, &steps[i], err);
	PGresult *sync = PQgetResult(db->conn);
	bool synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
	PQclear(sync);
	if (!synced || PQexitPipelineMode(db->conn) != 1) {
		disconnect(db);
		return err != ERR_NONE ? err : ERR_DB_UNAVAILABLE;
	}
	if (err != ERR_NONE)
		db_steps_clear(steps, n);
	return err;
}

static enum app_err pipeline(struct db *db, struct db_step *steps, int n)
{
	enum app_err err;

	for (int i = 0; i < n; i++)
		steps[i].res = NULL;
	if ((err = db_ready(db)) != ERR_NONE)
		return err;
	for (int i = 0; i < n; i++)
		if ((err = prepare(db, steps[i].st)) != ERR_NONE)
			return err;
	bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	err = run_pipeline(db, steps, n);
	/* As in exec_prepared: a server that went away while we were idle is
	 * found only now, and nothing was committed; try once more. */
	if (err != ERR_DB_UNAVAILABLE || !idle)
		return err;
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_BAD)
		disconnect(db);
	if (db->conn != NULL || db_ready(db) != ERR_NONE)
		return err;
	for (int i = 0; i < n; i++)
		if ((err = prepare(db, steps[i].st)) != ERR_NONE)
			return err;
	return run_pipeline(db, steps, n);
}

/* Remembered like db_exec's, for db_last_error(). */
enum app_err db_pipeline(struct db *db, struct db_step *steps, int n)
{
	return db->last_err = pipeline(db, steps, n);
}

enum app_err db_begin_with(struct db *db, const struct db_identity *who,
                           struct db_step *steps, int n)
{
	const char *params[4] = { who->sub, who->role, who->request_id, who->client_addr };
	struct db_step all[8] = { { &db_stmt_begin, 0, NULL, NULL }, { &set_identity, 4, params, NULL } };
	enum app_err err;

	if (n > 6)
		return ERR_INTERNAL;
	for (int i = 0; i < n; i++)
		all[2 + i] = steps[i];
	err = db_pipeline(db, all, 2 + n);
	for (int i = 0; i < n; i++)
		steps[i].res = all[2 + i].res;
	PQclear(all[0].res);
	PQclear(all[1].res);
	if (err != ERR_NONE)
		db_rollback(db);
	return err;
}

enum app_err db_begin(struct db *db, const struct db_identity *who)
{
	return db_begin_with(db, who, NULL, 0);
}

enum app_err db_commit(struct db *db)
{
	struct db_step step = { &db_stmt_commit, 0, NULL, NULL };
	enum app_err err = db_pipeline(db, &step, 1);

	PQclear(step.res);
	return err;
}

enum app_err db_exec_commit(struct db *db, const struct db_stmt *st, int nparams,
                            const char *const *params, PGresult **out)
{
	struct db_step steps[2] = { { st, nparams, params, NULL }, { &db_stmt_commit, 0, NULL, NULL } };
	enum app_err err = db_pipeline(db, steps, 2);

	PQclear(steps[1].res);
	*out = steps[0].res;
	return err;
}

void db_rollback(struct db *db)
{
	if (db->conn != NULL && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}

void db_after_request(struct db *db)
{
	if (db->conn == NULL)
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_INTRANS ||
	    PQtransactionStatus(db->conn) == PQTRANS_INERROR)
		db_rollback(db);
}

const char *db_constraint(const struct db *db) { return db->constraint; }
enum app_err db_last_error(const struct db *db) { return db->last_err; }

void db_copy(char *dst, size_t len, const PGresult *res, int row, int col)
{
	const char *v = db_text(res, row, col);
	snprintf(dst, len, "%s", v ? v : "");
}

const char *db_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

long long db_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int db_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}
