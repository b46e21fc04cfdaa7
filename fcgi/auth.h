/* auth.h -- verifying the bearer JWT of every call (DESIGN.md §2).
 * libjwt 1.10 checks signatures only; every claim check is ours. */
#ifndef REFUNDD_AUTH_H
#define REFUNDD_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

enum auth_role {
	AUTH_ROLE_NONE       = 0,
	AUTH_ROLE_CUSTOMER   = 1 << 0,
	AUTH_ROLE_SUPPORT    = 1 << 1,
	AUTH_ROLE_SUPERVISOR = 1 << 2,
	AUTH_ROLE_FINANCE    = 1 << 3,
	AUTH_ROLE_ADMIN      = 1 << 4,
	AUTH_ROLE_SYSTEM     = 1 << 5,
};
#define AUTH_ROLES_STAFF (AUTH_ROLE_SUPPORT | AUTH_ROLE_SUPERVISOR | AUTH_ROLE_FINANCE | AUTH_ROLE_ADMIN)
#define AUTH_ROLES_ANY   (AUTH_ROLES_STAFF | AUTH_ROLE_CUSTOMER | AUTH_ROLE_SYSTEM)

enum auth_err {
	AUTH_OK = 0,
	AUTH_MISSING,          /* no Authorization header */
	AUTH_NOT_BEARER,       /* another scheme, or two headers joined by nginx */
	AUTH_TOO_LONG,
	AUTH_MALFORMED,        /* not three base64url parts of JSON objects */
	AUTH_DUPLICATE_CLAIM,
	AUTH_WRONG_ALG,
	AUTH_BAD_SIGNATURE,
	AUTH_EXPIRED,
	AUTH_NOT_YET_VALID,
	AUTH_ISSUED_IN_FUTURE,
	AUTH_WRONG_ISSUER,
	AUTH_WRONG_AUDIENCE,
	AUTH_BAD_CLAIM,        /* exp, sub or role missing or of the wrong type */
	AUTH_UNKNOWN_ROLE,
	AUTH_CRITICAL_HEADER,  /* a "crit" header: extensions we do not implement */
	AUTH__MAX
};

/* A token is refused before decoding when longer than this: libjwt sizes
 * stack buffers by the token (PITFALLS.md: ~400 KB crashed a thread). */
#define AUTH_TOKEN_MAX 8192

struct auth_verifier {
	enum jwt_pin         pin;
	const unsigned char *key;       /* HS256 secret or PEM public key */
	size_t               key_len;
	const char          *issuer;    /* NULL or "": not checked */
	const char          *audience;  /* NULL or "": not checked */
	int                  leeway_s;
};

struct auth_claims {
	char           sub[128];
	enum auth_role role;
	int64_t        exp;
	int64_t        iat;             /* 0 when absent */
};

const char    *auth_err_text(enum auth_err err);
const char    *auth_role_name(enum auth_role role);
enum auth_role auth_role_parse(const char *name);

/* "Bearer <token>" -> the token (points into header). */
enum auth_err auth_parse_bearer(const char *header, const char **token, size_t *len);
enum auth_err auth_verify(const struct auth_verifier *v, const char *token,
                          size_t len, int64_t now, struct auth_claims *out);
/* Mints an HS256 token for local runs and tests; free() the result. */
char *auth_mint_hs256(const unsigned char *key, size_t key_len, const char *sub,
                      const char *role, int64_t now, int64_t ttl_s,
                      const char *issuer, const char *audience);

#endif
