/* handlers_reports.h -- GET /api/v1/reports/refunds. */
#ifndef REFUNDD_HANDLERS_REPORTS_H
#define REFUNDD_HANDLERS_REPORTS_H

#include "app.h"

enum app_err handle_report_refunds(struct app_ctx *c);

#endif
