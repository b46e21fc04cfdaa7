/* handlers_attachments.h -- evidence on a refund request (DESIGN.md §8):
 * POST /api/v1/refunds/{id}/attachments?name= (the owner, while open) and
 * GET /api/v1/refunds/{id}/attachments/{aid} (the owner and staff). */
#ifndef REFUNDD_HANDLERS_ATTACHMENTS_H
#define REFUNDD_HANDLERS_ATTACHMENTS_H

#include "app.h"

enum app_err handle_attachment_upload(struct app_ctx *c);
enum app_err handle_attachment_get(struct app_ctx *c);

#endif
