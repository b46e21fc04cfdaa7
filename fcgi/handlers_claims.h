/* handlers_claims.h -- provider claims, statement import and the margin
 * report (DESIGN.md §8). */
#ifndef REFUNDD_HANDLERS_CLAIMS_H
#define REFUNDD_HANDLERS_CLAIMS_H

#include "app.h"

enum app_err handle_claims_list(struct app_ctx *c);
enum app_err handle_claim_filed(struct app_ctx *c);
enum app_err handle_statement_import(struct app_ctx *c);
enum app_err handle_margin_report(struct app_ctx *c);

#endif
