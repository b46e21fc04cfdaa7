/* workdays.h -- business days in the reseller's calendar: the time zone
 * from the configuration (the process's TZ, localzone.h) and the holiday
 * table from the database. */
#ifndef REFUNDD_WORKDAYS_H
#define REFUNDD_WORKDAYS_H

#include "app.h"

/* *out = start + n business days (calendar_add_business_days), with the
 * holidays and make-up working days of the coming years. */
enum app_err workdays_add(struct app_ctx *c, int64_t start, int n, int64_t *out);
/* workdays_add in two halves, for a caller that sends the holiday query in
 * a pipeline with others: the step (start_text and params must live until
 * it ran), then the business days from its result. */
struct db_step workdays_step(int64_t start, char start_text[24], const char *params[1]);
enum app_err   workdays_add_with(struct app_ctx *c, const PGresult *res, int64_t start, int n,
                                 int64_t *out);

#endif
