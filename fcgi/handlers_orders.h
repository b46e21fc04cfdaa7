/* handlers_orders.h -- orders synced from billing, and their quotes. */
#ifndef REFUNDD_HANDLERS_ORDERS_H
#define REFUNDD_HANDLERS_ORDERS_H

#include "app.h"

enum app_err handle_orders_list(struct app_ctx *c);
enum app_err handle_order_get(struct app_ctx *c);
enum app_err handle_order_quote(struct app_ctx *c);
enum app_err handle_order_cancel(struct app_ctx *c);
enum app_err handle_order_put(struct app_ctx *c);
enum app_err handle_order_usage(struct app_ctx *c);

#endif
