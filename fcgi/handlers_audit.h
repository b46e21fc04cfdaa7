/* handlers_audit.h -- the audit trail, its proof and its signed checkpoints. */
#ifndef REFUNDD_HANDLERS_AUDIT_H
#define REFUNDD_HANDLERS_AUDIT_H

#include "app.h"

enum app_err handle_audit_list(struct app_ctx *c);
enum app_err handle_audit_verify(struct app_ctx *c);
enum app_err handle_audit_checkpoints_list(struct app_ctx *c);
enum app_err handle_audit_checkpoint_create(struct app_ctx *c);

#endif
