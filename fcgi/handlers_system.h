/* handlers_system.h -- health, identity, metrics and the pages' configuration. */
#ifndef REFUNDD_HANDLERS_SYSTEM_H
#define REFUNDD_HANDLERS_SYSTEM_H

#include "app.h"

enum app_err handle_health(struct app_ctx *c);
enum app_err handle_me(struct app_ctx *c);
enum app_err handle_config(struct app_ctx *c);
enum app_err handle_metrics(struct app_ctx *c);

#endif
