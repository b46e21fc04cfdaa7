/* reports.h -- the SQL of GET /api/v1/reports/refunds: one statement per
 * report, a row per group. Errors come back as values. */
#ifndef REFUNDD_REPORTS_H
#define REFUNDD_REPORTS_H

#include <stdint.h>
#include "db.h"

enum report_group {
	REPORT_REASON_CODE, REPORT_PRODUCT_TYPE, REPORT_PROVIDER, REPORT_POLICY_VERSION,
	REPORT_ASSIGNEE, REPORT_WEEK, REPORT_MONTH, REPORT_GROUP__MAX
};

/* The columns of a report row after column 0 (the row as JSON text), in
 * order: the CSV header. */
#define REPORT_COLUMNS 14
extern const char *const report_columns[REPORT_COLUMNS];

enum reports_err {
	REPORTS_OK = 0,
	REPORTS_DB,              /* the database failed: db_last_error() says how */
};

const char *report_group_name(enum report_group g);
/* -1 for an unknown name. */
int report_group_parse(const char *s, enum report_group *out);

/* The requests submitted in [from, to) (unix s), a row per group and
 * currency; calendar questions in time zone tz. *out: column 0 the row as
 * JSON, 1..14 the values of report_columns as text ("" for null). */
enum reports_err reports_refunds(struct db *db, enum report_group group, int64_t from,
                                 int64_t to, const char *tz, PGresult **out);

#endif
