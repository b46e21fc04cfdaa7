/* auth.c -- bearer token verification on top of libjwt 1.10.
 *
 * libjwt 1.10 verifies a signature with whatever algorithm the token names
 * and validates no claim (../shared/PITFALLS.md, "libjwt 1.10.2"). So we:
 *   1. cap the length before anything decodes it;
 *   2. decode header and payload ourselves with jansson, refusing duplicate
 *      keys (libjwt lets the last "role" win) and any alg but the pinned one
 *      (spelled exactly: libjwt also accepts "hs256");
 *   3. let libjwt check the signature with the configured key, then compare
 *      jwt_get_alg() with the pin again (no HS256-with-public-key confusion);
 *   4. check exp, nbf, iat, iss, aud, sub and role from our own parse. */
#include "auth.h"

#include <jansson.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const err_text[AUTH__MAX] = {
	[AUTH_OK] = "ok",
	[AUTH_MISSING] = "missing bearer token",
	[AUTH_NOT_BEARER] = "Authorization is not a single Bearer token",
	[AUTH_TOO_LONG] = "token too long",
	[AUTH_MALFORMED] = "malformed token",
	[AUTH_DUPLICATE_CLAIM] = "duplicate key in token",
	[AUTH_WRONG_ALG] = "token algorithm not accepted",
	[AUTH_BAD_SIGNATURE] = "bad signature",
	[AUTH_EXPIRED] = "token expired",
	[AUTH_NOT_YET_VALID] = "token not yet valid",
	[AUTH_ISSUED_IN_FUTURE] = "token issued in the future",
	[AUTH_WRONG_ISSUER] = "wrong issuer",
	[AUTH_WRONG_AUDIENCE] = "wrong audience",
	[AUTH_BAD_CLAIM] = "required claim missing or of the wrong type",
	[AUTH_UNKNOWN_ROLE] = "unknown role",
	[AUTH_CRITICAL_HEADER] = "token has critical header extensions",
};

static const struct { enum auth_role role; const char *name; } roles[] = {
	{ AUTH_ROLE_CUSTOMER, "customer" },   { AUTH_ROLE_SUPPORT, "support" },
	{ AUTH_ROLE_SUPERVISOR, "supervisor" }, { AUTH_ROLE_FINANCE, "finance" },
	{ AUTH_ROLE_ADMIN, "admin" },         { AUTH_ROLE_SYSTEM, "system" },
};

const char *auth_err_text(enum auth_err err)
{
	return err < AUTH__MAX ? err_text[err] : "invalid token";
}

const char *auth_role_name(enum auth_role role)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "none";
}

enum auth_role auth_role_parse(const char *name)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(roles[i].name, name) == 0)
			return roles[i].role;
	return AUTH_ROLE_NONE;
}

enum auth_err auth_parse_bearer(const char *header, const char **token, size_t *len)
{
	static const char scheme[] = "Bearer ";
	size_t n;

	if (header == NULL || *header == '\0')
		return AUTH_MISSING;
	/* The scheme is case-insensitive (RFC 9110 §11.1): "bearer" too. */
	if (strncasecmp(header, scheme, sizeof scheme - 1) != 0)
		return AUTH_NOT_BEARER;
	header += sizeof scheme - 1;
	n = strlen(header);
	if (n > AUTH_TOKEN_MAX)
		return AUTH_TOO_LONG;
	/* nginx joins two Authorization headers into "Bearer a, Bearer b"
	 * (PITFALLS.md): a token never holds ',' or ' ', so refuse both. */
	if (n == 0 || strpbrk(header, ", \t") != NULL)
		return AUTH_NOT_BEARER;
	*token = header;
	*len = n;
	return AUTH_OK;
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-') return 62;
	if (c == '_') return 63;
	return -1;
}

/* Unpadded base64url (RFC 7515 §2) into out (>= n*3/4+1 bytes). */
static int b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}

static json_t *decode_part(const char *s, size_t n, int *duplicate)
{
	unsigned char buf[AUTH_TOKEN_MAX];
	json_error_t jerr;
	size_t len;

	if (n == 0 || n >= sizeof buf || b64url_decode(s, n, buf, &len) != 0)
		return NULL;
	/* JSON_REJECT_DUPLICATES: {"role":"customer","role":"admin"} must not
	 * quietly become an admin (PITFALLS.md). */
	json_t *obj = json_loadb((const char *)buf, len,
	                         JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL && json_error_code(&jerr) == json_error_duplicate_key)
		*duplicate = 1;
	if (obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static const char *pin_name(enum jwt_pin pin)
{
	return pin == JWT_PIN_RS256 ? "RS256" : pin == JWT_PIN_ES256 ? "ES256" : "HS256";
}

static jwt_alg_t pin_alg(enum jwt_pin pin)
{
	return pin == JWT_PIN_RS256 ? JWT_ALG_RS256 :
	       pin == JWT_PIN_ES256 ? JWT_ALG_ES256 : JWT_ALG_HS256;
}

/* An integer claim: a JSON integer, not a float or a string. */
static int int_claim(json_t *payload, const char *name, int64_t *out)
{
	json_t *v = json_object_get(payload, name);
	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 1;
}

static enum auth_err check_times(const struct auth_verifier *v, json_t *p,
                                 int64_t now, struct auth_claims *out)
{
	int64_t nbf = 0;
	int has;

	if (int_claim(p, "exp", &out->exp) != 1)
		return AUTH_BAD_CLAIM;
	if (now - v->leeway_s >= out->exp)   /* exp + leeway could overflow */
		return AUTH_EXPIRED;
	has = int_claim(p, "nbf", &nbf);
	if (has < 0)
		return AUTH_BAD_CLAIM;
	if (has && now + v->leeway_s < nbf)
		return AUTH_NOT_YET_VALID;
	has = int_claim(p, "iat", &out->iat);
	if (has < 0)
		return AUTH_BAD_CLAIM;
	if (has && out->iat > now + v->leeway_s)
		return AUTH_ISSUED_IN_FUTURE;
	return AUTH_OK;
}

/* aud may be a string or an array of strings (RFC 7519 §4.1.3). */
static int audience_matches(json_t *aud, const char *want)
{
	size_t i;
	json_t *item;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (!json_is_array(aud))
		return 0;
	json_array_foreach(aud, i, item)
		if (json_is_string(item) && strcmp(json_string_value(item), want) == 0)
			return 1;
	return 0;
}

static enum auth_err check_identity(const struct auth_verifier *v, json_t *p,
                                    struct auth_claims *out)
{
	json_t *iss = json_object_get(p, "iss");
	json_t *aud = json_object_get(p, "aud");
	json_t *sub = json_object_get(p, "sub");
	json_t *role = json_object_get(p, "role");

	if (v->issuer && v->issuer[0] &&
	    (!json_is_string(iss) || strcmp(json_string_value(iss), v->issuer) != 0))
		return AUTH_WRONG_ISSUER;
	if (v->audience && v->audience[0] && !audience_matches(aud, v->audience))
		return AUTH_WRONG_AUDIENCE;
	if (!json_is_string(sub) || !json_is_string(role))
		return AUTH_BAD_CLAIM;
	if (json_string_length(sub) == 0 || json_string_length(sub) >= sizeof out->sub)
		return AUTH_BAD_CLAIM;
	memcpy(out->sub, json_string_value(sub), json_string_length(sub) + 1);
	out->role = auth_role_parse(json_string_value(role));
	return out->role == AUTH_ROLE_NONE ? AUTH_UNKNOWN_ROLE : AUTH_OK;
}

static enum auth_err check_header(const struct auth_verifier *v, const char *tok,
                                  size_t n, json_t **payload)
{
	const char *dot1 = memchr(tok, '.', n);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - tok)) : NULL;
	json_t *head, *alg;
	enum auth_err rc = AUTH_OK;
	int duplicate = 0;

	if (dot2 == NULL || memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - tok)))
		return AUTH_MALFORMED;
	head = decode_part(tok, (size_t)(dot1 - tok), &duplicate);
	*payload = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), &duplicate);
	if (head == NULL || *payload == NULL)
		rc = duplicate ? AUTH_DUPLICATE_CLAIM : AUTH_MALFORMED;
	else if (!json_is_string(alg = json_object_get(head, "alg")) ||
	         strcmp(json_string_value(alg), pin_name(v->pin)) != 0)
		rc = AUTH_WRONG_ALG;
	/* RFC 7515 §4.1.11: extensions named in "crit" must be understood;
	 * we understand none. */
	else if (json_object_get(head, "crit") != NULL)
		rc = AUTH_CRITICAL_HEADER;
	json_decref(head);
	return rc;
}

static enum auth_err check_signature(const struct auth_verifier *v, const char *token)
{
	jwt_t *jwt = NULL;
	enum auth_err rc = AUTH_OK;

	/* Never without a key: jwt_decode(.., NULL, 0) accepts alg "none". */
	if (v->key == NULL || v->key_len == 0)
		return AUTH_BAD_SIGNATURE;
	/* libjwt 1.10 decodes an empty RS256/ES256 signature into malloc(0)
	 * and libb64 then writes a byte past it (valgrind, test_auth.c). */
	if (strrchr(token, '.')[1] == '\0')
		return AUTH_BAD_SIGNATURE;
	if (jwt_decode(&jwt, token, v->key, (int)v->key_len) != 0)
		rc = AUTH_BAD_SIGNATURE;
	else if (jwt_get_alg(jwt) != pin_alg(v->pin))
		rc = AUTH_WRONG_ALG;
	jwt_free(jwt);
	return rc;
}

enum auth_err auth_verify(const struct auth_verifier *v, const char *token,
                          size_t len, int64_t now, struct auth_claims *out)
{
	json_t *payload = NULL;
	char copy[AUTH_TOKEN_MAX + 1];
	enum auth_err rc;

	memset(out, 0, sizeof *out);
	if (len > AUTH_TOKEN_MAX)
		return AUTH_TOO_LONG;
	if (len == 0 || memchr(token, '\0', len) != NULL)
		return AUTH_MALFORMED;
	memcpy(copy, token, len);
	copy[len] = '\0';
	rc = check_header(v, copy, len, &payload);
	if (rc == AUTH_OK)
		rc = check_signature(v, copy);
	if (rc == AUTH_OK)
		rc = check_times(v, payload, now, out);
	if (rc == AUTH_OK)
		rc = check_identity(v, payload, out);
	json_decref(payload);
	return rc;
}

char *auth_mint_hs256(const unsigned char *key, size_t key_len, const char *sub,
                      const char *role, int64_t now, int64_t ttl_s,
                      const char *issuer, const char *audience)
{
	jwt_t *jwt = NULL;
	char *out = NULL;

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "sub", sub) == 0 &&
	    jwt_add_grant(jwt, "role", role) == 0 &&
	    jwt_add_grant_int(jwt, "iat", (long)now) == 0 &&
	    jwt_add_grant_int(jwt, "exp", (long)(now + ttl_s)) == 0 &&
	    (issuer == NULL || !*issuer || jwt_add_grant(jwt, "iss", issuer) == 0) &&
	    (audience == NULL || !*audience || jwt_add_grant(jwt, "aud", audience) == 0) &&
	    jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) == 0)
		out = jwt_encode_str(jwt);
	jwt_free(jwt);
	return out;
}
