/* workdays.h -- business days in the reseller's calendar: the time zone
 * from the configuration (the process's TZ, localzone.h) and the holiday
 * table from the database. */
#ifndef REFUNDD_WORKDAYS_H
#define REFUNDD_WORKDAYS_H

#include "app.h"

enum workdays_err {
	WORKDAYS_OK = 0,
	WORKDAYS_RANGE    /* the calendar cannot answer (a date out of its range) */
};

/* The holidays and make-up working days of the coming years, read as a
 * step of the caller's pipeline (start_text and params must live until it
 * ran); then *out = start + n business days (calendar_add_business_days)
 * from its result, as often as the caller needs. */
struct db_step    workdays_step(int64_t start, char start_text[24], const char *params[1]);
enum workdays_err workdays_add_with(const PGresult *res, int64_t start, int n, int64_t *out);

#endif
