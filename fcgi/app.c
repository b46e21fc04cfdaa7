/* app.c -- small helpers every handler uses to answer. */
#include "app.h"

#include <stdarg.h>
#include <stdio.h>

enum app_err app_fail(struct app_ctx *c, enum app_err err, const char *code,
                      const char *fmt, ...)
{
	va_list ap;

	c->problem.err = err;
	c->problem.code = code;
	va_start(ap, fmt);
	vsnprintf(c->problem.detail, sizeof c->problem.detail, fmt, ap);
	va_end(ap);
	return err;
}

enum app_err app_fail_with(struct app_ctx *c, enum app_err err, const char *code,
                           json_t *extra, const char *detail)
{
	json_decref(c->problem.extra);
	c->problem.extra = extra;
	return app_fail(c, err, code, "%s", detail);
}

enum app_err app_reply(struct app_ctx *c, int status, json_t *body)
{
	if (http_respond_json(c->resp, status, body) != 0)
		return app_fail(c, ERR_INTERNAL, NULL, "could not encode the response");
	return ERR_NONE;
}

struct db_identity app_identity(const struct app_ctx *c)
{
	struct db_identity who = {
		c->who.sub, auth_role_name(c->who.role), c->req->request_id,
		c->req->remote_addr ? c->req->remote_addr : "",
	};
	return who;
}

const char *app_param(const struct app_ctx *c, int i)
{
	return i < c->match->nparams ? c->match->params[i] : "";
}

int app_is_staff(const struct app_ctx *c)
{
	return (c->who.role & AUTH_ROLES_STAFF) != 0;
}
