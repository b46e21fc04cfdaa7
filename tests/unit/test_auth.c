/* test_auth.c -- cmocka tests of fcgi/auth.c with real tokens made here:
 * HS256 through libjwt or by hand (OpenSSL HMAC, for headers and payloads
 * libjwt would never write), and RS256/ES256 signed by libjwt with key pairs
 * generated in-process by OpenSSL 3. Every refusal of DESIGN.md §2 and of
 * PITFALLS.md "libjwt 1.10.2" has a row: expiry and its leeway edge, nbf,
 * iat, iss, aud, alg none and "hs256", key confusion, wrong signatures,
 * claims of the wrong type, duplicate keys, malformed and over-long tokens,
 * and the Authorization header forms nginx can hand us.
 *
 * JSON in the tables uses ' for " to stay readable; quote() swaps them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "auth.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

#define NOW INT64_C(1750000000)
#define ISSUER "https://portal.example"
#define AUDIENCE "refundd"
#define LEEWAY 30

/* Claim pieces for the tables (NOW = 1750000000, leeway 30). */
#define SUB  "'sub':'alice'"
#define ROLE "'role':'customer'"
#define EXP  "'exp':1750000600"
#define IAT  "'iat':1750000000"
#define ISS  "'iss':'https://portal.example'"
#define AUD  "'aud':'refundd'"
#define GOOD "{" SUB "," ROLE "," EXP "," IAT "," ISS "," AUD "}"
#define HS_HEADER "{'alg':'HS256','typ':'JWT'}"

static const unsigned char hs_secret[] = "refundd-test-secret-0123456789-abcdefghij";
static const unsigned char other_secret[] = "another-secret-of-32-bytes-or-more!!";

/* Generated once for the whole run: RSA-2048 and P-256 pairs as PEM. */
static struct {
	char *rsa_priv, *rsa_pub, *ec_priv, *ec_pub;
} keys;

/* ---- building tokens ------------------------------------------------- */

static char *quote(const char *s)
{
	char *out = strdup(s);
	assert_non_null(out);
	for (char *p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

/* Unpadded base64url of n bytes (RFC 7515 §2), appended at out. */
static size_t b64url(const unsigned char *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	int o = 0;

	for (int i = 0; i < len; i++) {
		if (out[i] == '=')
			break;
		out[o++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	out[o] = '\0';
	return (size_t)o;
}

/* header.payload from literal JSON (raw, not quote()d). */
static char *signing_input(const char *header, const char *payload)
{
	size_t hn = strlen(header), pn = strlen(payload);
	char *out = malloc((hn + pn) * 4 / 3 + 16);
	size_t o;

	assert_non_null(out);
	o = b64url((const unsigned char *)header, hn, out);
	out[o++] = '.';
	b64url((const unsigned char *)payload, pn, out + o);
	return out;
}

/* A token signed by hand with HMAC-SHA256 under key (NULL: empty signature),
 * whatever the header claims. header and payload are quote()d first. */
static char *hand_token(const char *header_q, const char *payload_q,
                        const void *key, size_t key_len)
{
	char *header = quote(header_q), *payload = quote(payload_q);
	char *input = signing_input(header, payload);
	size_t n = strlen(input);
	char *tok = malloc(n + 64);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	assert_non_null(tok);
	memcpy(tok, input, n);
	tok[n++] = '.';
	tok[n] = '\0';
	if (key != NULL) {
		assert_non_null(HMAC(EVP_sha256(), key, (int)key_len,
		                     (const unsigned char *)input, strlen(input), mac, &mac_len));
		b64url(mac, mac_len, tok + n);
	}
	free(header);
	free(payload);
	free(input);
	return tok;
}

static char *hs_token(const char *payload_q)
{
	return hand_token(HS_HEADER, payload_q, hs_secret, sizeof hs_secret - 1);
}

/* A token made by libjwt itself: alg and key as given, claims from JSON. */
static char *lib_token(jwt_alg_t alg, const void *key, size_t key_len, const char *claims_q)
{
	char *claims = quote(claims_q);
	jwt_t *jwt = NULL;
	char *tok = NULL;

	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grants_json(jwt, claims), 0);
	assert_int_equal(jwt_set_alg(jwt, alg, key, (int)key_len), 0);
	tok = jwt_encode_str(jwt);
	assert_non_null(tok);
	jwt_free(jwt);
	free(claims);
	return tok;
}

static char *rs_token(const char *claims_q)
{
	return lib_token(JWT_ALG_RS256, keys.rsa_priv, strlen(keys.rsa_priv), claims_q);
}

static char *es_token(const char *claims_q)
{
	return lib_token(JWT_ALG_ES256, keys.ec_priv, strlen(keys.ec_priv), claims_q);
}

/* Changes one character in the middle of the signature (where all six bits
 * of a base64url character count). */
static void flip_signature(char *tok)
{
	char *sig = strrchr(tok, '.') + 1;
	size_t mid = strlen(sig) / 2;
	sig[mid] = sig[mid] == 'A' ? 'B' : 'A';
}

/* ---- verifiers ------------------------------------------------------- */

static struct auth_verifier verifier(enum jwt_pin pin)
{
	struct auth_verifier v = { pin, hs_secret, sizeof hs_secret - 1, ISSUER, AUDIENCE, LEEWAY };

	if (pin == JWT_PIN_RS256) {
		v.key = (const unsigned char *)keys.rsa_pub;
		v.key_len = strlen(keys.rsa_pub);
	} else if (pin == JWT_PIN_ES256) {
		v.key = (const unsigned char *)keys.ec_pub;
		v.key_len = strlen(keys.ec_pub);
	}
	return v;
}

static enum auth_err verify_at(const struct auth_verifier *v, const char *tok,
                               int64_t now, struct auth_claims *out)
{
	return auth_verify(v, tok, strlen(tok), now, out);
}

/* Verifies tok (freed here) and names the case when the answer differs. */
static void expect_verify(const char *what, const struct auth_verifier *v, char *tok,
                          enum auth_err want)
{
	struct auth_claims c;
	enum auth_err got = verify_at(v, tok, NOW, &c);

	if (got != want)
		fail_msg("%s: got \"%s\", want \"%s\"", what, auth_err_text(got), auth_err_text(want));
	free(tok);
}

/* ---- key generation (group setup) ------------------------------------ */

static char *pem_of(EVP_PKEY *key, int private)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	assert_non_null(bio);
	assert_int_equal(private ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
	                         : PEM_write_bio_PUBKEY(bio, key), 1);
	n = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)n);
	BIO_free(bio);
	return out;
}

static int make_keys(void **state)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");

	(void)state;
	if (rsa == NULL || ec == NULL)
		return -1;
	keys.rsa_priv = pem_of(rsa, 1);
	keys.rsa_pub = pem_of(rsa, 0);
	keys.ec_priv = pem_of(ec, 1);
	keys.ec_pub = pem_of(ec, 0);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	return keys.rsa_pub && keys.ec_pub && keys.rsa_priv && keys.ec_priv ? 0 : -1;
}

static int free_keys(void **state)
{
	(void)state;
	free(keys.rsa_priv);
	free(keys.rsa_pub);
	free(keys.ec_priv);
	free(keys.ec_pub);
	return 0;
}

/* ---- acceptances ----------------------------------------------------- */

static void expect_alice(const struct auth_claims *c, enum auth_role role)
{
	assert_string_equal(c->sub, "alice");
	assert_int_equal(c->role, role);
	assert_int_equal(c->exp, NOW + 600);
}

/* HS256 made with libjwt's own calls, as the reseller's portal would. */
static void test_accept_hs256_libjwt(void **state)
{
	struct auth_verifier v = verifier(JWT_PIN_HS256);
	struct auth_claims c;
	jwt_t *jwt = NULL;
	char *tok;

	(void)state;
	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grant(jwt, "sub", "alice"), 0);
	assert_int_equal(jwt_add_grant(jwt, "role", "finance"), 0);
	assert_int_equal(jwt_add_grant(jwt, "iss", ISSUER), 0);
	assert_int_equal(jwt_add_grant(jwt, "aud", AUDIENCE), 0);
	assert_int_equal(jwt_add_grant_int(jwt, "exp", (long)(NOW + 600)), 0);
	assert_int_equal(jwt_add_grant_int(jwt, "iat", (long)NOW), 0);
	assert_int_equal(jwt_add_grant_int(jwt, "nbf", (long)NOW), 0);
	assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS256, hs_secret, sizeof hs_secret - 1), 0);
	tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	assert_non_null(tok);
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_OK);
	expect_alice(&c, AUTH_ROLE_FINANCE);
	assert_int_equal(c.iat, NOW);
	free(tok);
}

static void test_accept_rs256_es256(void **state)
{
	struct auth_verifier rs = verifier(JWT_PIN_RS256), es = verifier(JWT_PIN_ES256);
	struct auth_claims c;
	char *tok;

	(void)state;
	tok = rs_token(GOOD);
	assert_int_equal(verify_at(&rs, tok, NOW, &c), AUTH_OK);
	expect_alice(&c, AUTH_ROLE_CUSTOMER);
	free(tok);
	tok = es_token("{" SUB ",'role':'admin'," EXP "," ISS ",'aud':['x','refundd']}");
	assert_int_equal(verify_at(&es, tok, NOW, &c), AUTH_OK);
	expect_alice(&c, AUTH_ROLE_ADMIN);
	assert_int_equal(c.iat, 0);   /* absent */
	free(tok);
}

/* Without a configured issuer or audience those claims are not checked. */
static void test_accept_unchecked_iss_aud(void **state)
{
	struct auth_verifier v = verifier(JWT_PIN_HS256);
	struct auth_claims c;
	char *tok = hs_token("{" SUB "," ROLE "," EXP ",'iss':'anyone','aud':7}");

	(void)state;
	v.issuer = NULL;
	v.audience = "";
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_OK);
	free(tok);
}

/* auth_mint_hs256 (the `refundd token` command) makes what auth_verify takes. */
static void test_mint_round_trip(void **state)
{
	struct auth_verifier v = verifier(JWT_PIN_HS256);
	struct auth_claims c;
	char *tok;

	(void)state;
	tok = auth_mint_hs256(hs_secret, sizeof hs_secret - 1, "alice", "support",
	                      NOW, 600, ISSUER, AUDIENCE);
	assert_non_null(tok);
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_OK);
	expect_alice(&c, AUTH_ROLE_SUPPORT);
	assert_int_equal(c.iat, NOW);
	assert_int_equal(verify_at(&v, tok, NOW + 600 + LEEWAY, &c), AUTH_EXPIRED);
	v.key = other_secret;
	v.key_len = sizeof other_secret - 1;
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_BAD_SIGNATURE);
	free(tok);
	/* no iss/aud minted: refused where they are configured, fine where not */
	tok = auth_mint_hs256(hs_secret, sizeof hs_secret - 1, "bob", "system", NOW, 60, NULL, "");
	v = verifier(JWT_PIN_HS256);
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_WRONG_ISSUER);
	v.issuer = v.audience = NULL;
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_OK);
	assert_string_equal(c.sub, "bob");
	assert_int_equal(c.role, AUTH_ROLE_SYSTEM);
	free(tok);
	tok = auth_mint_hs256(hs_secret, sizeof hs_secret - 1, "bob", "root", NOW, 60, NULL, NULL);
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_UNKNOWN_ROLE);
	free(tok);
}

/* ---- claims ---------------------------------------------------------- */

static const struct {
	const char *name, *payload;
	enum auth_err want;
	enum auth_role role;       /* when accepted */
} claim_rows[] = {
	{ "valid", GOOD, AUTH_OK, AUTH_ROLE_CUSTOMER },
	{ "support", "{" SUB ",'role':'support'," EXP "," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_SUPPORT },
	{ "supervisor", "{" SUB ",'role':'supervisor'," EXP "," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_SUPERVISOR },
	{ "finance", "{" SUB ",'role':'finance'," EXP "," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_FINANCE },
	{ "admin", "{" SUB ",'role':'admin'," EXP "," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_ADMIN },
	{ "system", "{" SUB ",'role':'system'," EXP "," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_SYSTEM },
	{ "unknown claims ignored", "{" SUB "," ROLE "," EXP "," ISS "," AUD ",'x':{'y':[1]}}", AUTH_OK, AUTH_ROLE_CUSTOMER },
	/* exp and its leeway edge: valid while now < exp + leeway */
	{ "expired long ago", "{" SUB "," ROLE ",'exp':1700000000," ISS "," AUD "}", AUTH_EXPIRED, 0 },
	{ "exp at the leeway edge", "{" SUB "," ROLE ",'exp':1749999970," ISS "," AUD "}", AUTH_EXPIRED, 0 },
	{ "exp 1 s inside leeway", "{" SUB "," ROLE ",'exp':1749999971," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_CUSTOMER },
	{ "exp now", "{" SUB "," ROLE ",'exp':1750000000," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_CUSTOMER },
	{ "exp 0", "{" SUB "," ROLE ",'exp':0," ISS "," AUD "}", AUTH_EXPIRED, 0 },
	{ "exp negative", "{" SUB "," ROLE ",'exp':-9223372036854775808," ISS "," AUD "}", AUTH_EXPIRED, 0 },
	{ "exp int64 max", "{" SUB "," ROLE ",'exp':9223372036854775807," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_CUSTOMER },
	{ "exp beyond int64", "{" SUB "," ROLE ",'exp':9223372036854775808," ISS "," AUD "}", AUTH_MALFORMED, 0 },
	{ "exp missing", "{" SUB "," ROLE "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "exp float", "{" SUB "," ROLE ",'exp':1.7500006e9," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "exp float .0", "{" SUB "," ROLE ",'exp':1750000600.0," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "exp string", "{" SUB "," ROLE ",'exp':'1750000600'," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "exp null", "{" SUB "," ROLE ",'exp':null," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "exp true", "{" SUB "," ROLE ",'exp':true," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	/* nbf: valid once now + leeway >= nbf */
	{ "nbf past", "{" SUB "," ROLE "," EXP ",'nbf':1749990000," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_CUSTOMER },
	{ "nbf at the leeway edge", "{" SUB "," ROLE "," EXP ",'nbf':1750000030," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_CUSTOMER },
	{ "nbf beyond leeway", "{" SUB "," ROLE "," EXP ",'nbf':1750000031," ISS "," AUD "}", AUTH_NOT_YET_VALID, 0 },
	{ "nbf far future", "{" SUB "," ROLE "," EXP ",'nbf':1750000500," ISS "," AUD "}", AUTH_NOT_YET_VALID, 0 },
	{ "nbf float", "{" SUB "," ROLE "," EXP ",'nbf':1.0," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "nbf string", "{" SUB "," ROLE "," EXP ",'nbf':'0'," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	/* iat: not in the future beyond leeway */
	{ "iat at the leeway edge", "{" SUB "," ROLE "," EXP ",'iat':1750000030," ISS "," AUD "}", AUTH_OK, AUTH_ROLE_CUSTOMER },
	{ "iat in the future", "{" SUB "," ROLE "," EXP ",'iat':1750000031," ISS "," AUD "}", AUTH_ISSUED_IN_FUTURE, 0 },
	{ "iat string", "{" SUB "," ROLE "," EXP ",'iat':'now'," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	/* iss */
	{ "wrong iss", "{" SUB "," ROLE "," EXP ",'iss':'https://evil.example'," AUD "}", AUTH_WRONG_ISSUER, 0 },
	{ "iss with a slash", "{" SUB "," ROLE "," EXP ",'iss':'https://portal.example/'," AUD "}", AUTH_WRONG_ISSUER, 0 },
	{ "iss missing", "{" SUB "," ROLE "," EXP "," AUD "}", AUTH_WRONG_ISSUER, 0 },
	{ "iss number", "{" SUB "," ROLE "," EXP ",'iss':1," AUD "}", AUTH_WRONG_ISSUER, 0 },
	{ "iss array", "{" SUB "," ROLE "," EXP ",'iss':['https://portal.example']," AUD "}", AUTH_WRONG_ISSUER, 0 },
	/* aud: a string or an array of strings */
	{ "aud array", "{" SUB "," ROLE "," EXP "," ISS ",'aud':['billing','refundd']}", AUTH_OK, AUTH_ROLE_CUSTOMER },
	{ "wrong aud", "{" SUB "," ROLE "," EXP "," ISS ",'aud':'billing'}", AUTH_WRONG_AUDIENCE, 0 },
	{ "wrong aud case", "{" SUB "," ROLE "," EXP "," ISS ",'aud':'Refundd'}", AUTH_WRONG_AUDIENCE, 0 },
	{ "wrong aud array", "{" SUB "," ROLE "," EXP "," ISS ",'aud':['billing','portal']}", AUTH_WRONG_AUDIENCE, 0 },
	{ "empty aud array", "{" SUB "," ROLE "," EXP "," ISS ",'aud':[]}", AUTH_WRONG_AUDIENCE, 0 },
	{ "aud array of non-strings", "{" SUB "," ROLE "," EXP "," ISS ",'aud':[1,null,{}]}", AUTH_WRONG_AUDIENCE, 0 },
	{ "aud nested array", "{" SUB "," ROLE "," EXP "," ISS ",'aud':[['refundd']]}", AUTH_WRONG_AUDIENCE, 0 },
	{ "aud missing", "{" SUB "," ROLE "," EXP "," ISS "}", AUTH_WRONG_AUDIENCE, 0 },
	{ "aud object", "{" SUB "," ROLE "," EXP "," ISS ",'aud':{'refundd':1}}", AUTH_WRONG_AUDIENCE, 0 },
	/* role */
	{ "role missing", "{" SUB "," EXP "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "role unknown", "{" SUB ",'role':'root'," EXP "," ISS "," AUD "}", AUTH_UNKNOWN_ROLE, 0 },
	{ "role case", "{" SUB ",'role':'Customer'," EXP "," ISS "," AUD "}", AUTH_UNKNOWN_ROLE, 0 },
	{ "role empty", "{" SUB ",'role':''," EXP "," ISS "," AUD "}", AUTH_UNKNOWN_ROLE, 0 },
	{ "role none", "{" SUB ",'role':'none'," EXP "," ISS "," AUD "}", AUTH_UNKNOWN_ROLE, 0 },
	{ "role number", "{" SUB ",'role':1," EXP "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "role array", "{" SUB ",'role':['admin']," EXP "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "role null", "{" SUB ",'role':null," EXP "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "duplicate role", "{" SUB ",'role':'customer','role':'admin'," EXP "," ISS "," AUD "}", AUTH_DUPLICATE_CLAIM, 0 },
	{ "duplicate sub", "{" SUB ",'sub':'mallory'," ROLE "," EXP "," ISS "," AUD "}", AUTH_DUPLICATE_CLAIM, 0 },
	/* sub */
	{ "sub missing", "{" ROLE "," EXP "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "sub number", "{'sub':42," ROLE "," EXP "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "sub object", "{'sub':{'id':'alice'}," ROLE "," EXP "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "sub empty", "{'sub':''," ROLE "," EXP "," ISS "," AUD "}", AUTH_BAD_CLAIM, 0 },
	{ "sub with NUL", "{'sub':'alice\\u0000x'," ROLE "," EXP "," ISS "," AUD "}", AUTH_MALFORMED, 0 },
	/* payloads that are not one JSON object */
	{ "payload array", "[1,2]", AUTH_MALFORMED, 0 },
	{ "payload string", "'alice'", AUTH_MALFORMED, 0 },
	{ "payload number", "42", AUTH_MALFORMED, 0 },
	{ "payload null", "null", AUTH_MALFORMED, 0 },
	{ "payload empty", "", AUTH_MALFORMED, 0 },
	{ "payload cut", "{" SUB "," ROLE, AUTH_MALFORMED, 0 },
	{ "payload trailing data", GOOD " {}", AUTH_MALFORMED, 0 },
	{ "payload not JSON", "sub=alice", AUTH_MALFORMED, 0 },
};

/* Each payload signed correctly with HS256, so only the claims decide. */
static void test_claims(void **state)
{
	struct auth_verifier v = verifier(JWT_PIN_HS256);

	(void)state;
	for (size_t i = 0; i < COUNT(claim_rows); i++) {
		struct auth_claims c;
		char *tok = hs_token(claim_rows[i].payload);
		enum auth_err got = verify_at(&v, tok, NOW, &c);
		if (got != claim_rows[i].want)
			fail_msg("claims row %zu (%s): got \"%s\", want \"%s\"", i, claim_rows[i].name,
			         auth_err_text(got), auth_err_text(claim_rows[i].want));
		if (got == AUTH_OK && (c.role != claim_rows[i].role || strcmp(c.sub, "alice") != 0))
			fail_msg("claims row %zu (%s): role %d sub %s", i, claim_rows[i].name,
			         c.role, c.sub);
		free(tok);
	}
}

/* With no leeway, exp == now is already expired and nbf == now is valid. */
static void test_leeway_zero(void **state)
{
	static const struct { const char *payload; enum auth_err want; } rows[] = {
		{ "{" SUB "," ROLE ",'exp':1750000000}", AUTH_EXPIRED },
		{ "{" SUB "," ROLE ",'exp':1750000001}", AUTH_OK },
		{ "{" SUB "," ROLE ",'exp':1750000001,'nbf':1750000000}", AUTH_OK },
		{ "{" SUB "," ROLE ",'exp':1750000001,'nbf':1750000001}", AUTH_NOT_YET_VALID },
		{ "{" SUB "," ROLE ",'exp':1750000001,'iat':1750000001}", AUTH_ISSUED_IN_FUTURE },
	};
	struct auth_verifier v = verifier(JWT_PIN_HS256);

	(void)state;
	v.leeway_s = 0;
	v.issuer = v.audience = NULL;
	for (size_t i = 0; i < COUNT(rows); i++) {
		char what[32];
		snprintf(what, sizeof what, "leeway 0 row %zu", i);
		expect_verify(what, &v, hs_token(rows[i].payload), rows[i].want);
	}
}

/* sub fills struct auth_claims.sub[128]: 127 bytes fit, 128 are refused. */
static void test_sub_length(void **state)
{
	struct auth_verifier v = verifier(JWT_PIN_HS256);
	char payload[512], sub[200];
	struct auth_claims c;

	(void)state;
	v.issuer = v.audience = NULL;
	for (size_t n = 126; n <= 129; n++) {
		memset(sub, 's', n);
		sub[n] = '\0';
		snprintf(payload, sizeof payload, "{'sub':'%s'," ROLE "," EXP "}", sub);
		char *tok = hs_token(payload);
		enum auth_err got = verify_at(&v, tok, NOW, &c);
		if (got != (n < sizeof c.sub ? AUTH_OK : AUTH_BAD_CLAIM))
			fail_msg("sub of %zu bytes: %s", n, auth_err_text(got));
		if (got == AUTH_OK)
			assert_string_equal(c.sub, sub);
		free(tok);
	}
}

/* ---- headers, algorithms and signatures ------------------------------ */

static const struct {
	const char *name, *header;
	int signed_hs;             /* 0: empty signature */
	enum auth_err want;
} header_rows[] = {
	{ "control", HS_HEADER, 1, AUTH_OK },
	{ "no typ", "{'alg':'HS256'}", 1, AUTH_OK },
	{ "alg none", "{'alg':'none','typ':'JWT'}", 0, AUTH_WRONG_ALG },
	{ "alg none with a MAC", "{'alg':'none'}", 1, AUTH_WRONG_ALG },
	{ "alg None", "{'alg':'None'}", 0, AUTH_WRONG_ALG },
	{ "alg lower case", "{'alg':'hs256','typ':'JWT'}", 1, AUTH_WRONG_ALG },
	{ "alg HS512", "{'alg':'HS512'}", 1, AUTH_WRONG_ALG },
	{ "alg RS256", "{'alg':'RS256'}", 1, AUTH_WRONG_ALG },
	{ "alg with a space", "{'alg':'HS256 '}", 1, AUTH_WRONG_ALG },
	{ "alg missing", "{'typ':'JWT'}", 1, AUTH_WRONG_ALG },
	{ "alg number", "{'alg':256}", 1, AUTH_WRONG_ALG },
	{ "alg null", "{'alg':null}", 1, AUTH_WRONG_ALG },
	{ "alg array", "{'alg':['HS256']}", 1, AUTH_WRONG_ALG },
	{ "alg twice", "{'alg':'HS256','alg':'none'}", 1, AUTH_DUPLICATE_CLAIM },
	{ "header array", "['HS256']", 1, AUTH_MALFORMED },
	{ "header string", "'HS256'", 1, AUTH_MALFORMED },
	{ "header null", "null", 1, AUTH_MALFORMED },
	{ "header empty", "", 1, AUTH_MALFORMED },
	{ "header cut", "{'alg':'HS256'", 1, AUTH_MALFORMED },
	{ "crit extension", "{'alg':'HS256','crit':['exp2'],'exp2':1}", 1, AUTH_CRITICAL_HEADER },
	{ "crit empty", "{'alg':'HS256','crit':[]}", 1, AUTH_CRITICAL_HEADER },
	{ "crit with alg none", "{'alg':'none','crit':['b64']}", 0, AUTH_WRONG_ALG },
};

static void test_headers(void **state)
{
	struct auth_verifier v = verifier(JWT_PIN_HS256);

	(void)state;
	for (size_t i = 0; i < COUNT(header_rows); i++) {
		char what[64];
		snprintf(what, sizeof what, "header row %zu (%s)", i, header_rows[i].name);
		expect_verify(what, &v, hand_token(header_rows[i].header, GOOD,
		              header_rows[i].signed_hs ? hs_secret : NULL, sizeof hs_secret - 1),
		              header_rows[i].want);
	}
}

/* Key confusion (PITFALLS.md): libjwt alone accepts an HS256 token whose
 * HMAC key is our public key PEM; auth_verify must not. */
static void test_key_confusion(void **state)
{
	struct auth_verifier rs = verifier(JWT_PIN_RS256), es = verifier(JWT_PIN_ES256);
	char *tok = hand_token(HS_HEADER, GOOD, keys.rsa_pub, strlen(keys.rsa_pub));
	jwt_t *jwt = NULL;

	(void)state;
	/* the trap is real: libjwt decodes it with the RSA public key */
	assert_int_equal(jwt_decode(&jwt, tok, (const unsigned char *)keys.rsa_pub,
	                            (int)strlen(keys.rsa_pub)), 0);
	assert_int_equal(jwt_get_alg(jwt), JWT_ALG_HS256);
	jwt_free(jwt);
	expect_verify("HS256 keyed with the RS256 PEM", &rs, tok, AUTH_WRONG_ALG);
	expect_verify("HS256 keyed with the ES256 PEM", &es,
	              hand_token(HS_HEADER, GOOD, keys.ec_pub, strlen(keys.ec_pub)), AUTH_WRONG_ALG);
	expect_verify("libjwt HS256 keyed with the RS256 PEM", &rs,
	              lib_token(JWT_ALG_HS256, keys.rsa_pub, strlen(keys.rsa_pub), GOOD), AUTH_WRONG_ALG);
}

static void test_algorithm_pinned(void **state)
{
	struct auth_verifier hs = verifier(JWT_PIN_HS256), rs = verifier(JWT_PIN_RS256),
	                     es = verifier(JWT_PIN_ES256);

	(void)state;
	expect_verify("ES256 token, RS256 configured", &rs, es_token(GOOD), AUTH_WRONG_ALG);
	expect_verify("RS256 token, ES256 configured", &es, rs_token(GOOD), AUTH_WRONG_ALG);
	expect_verify("RS256 token, HS256 configured", &hs, rs_token(GOOD), AUTH_WRONG_ALG);
	expect_verify("HS256 token, RS256 configured", &rs, hs_token(GOOD), AUTH_WRONG_ALG);
	expect_verify("alg none, RS256 configured", &rs,
	              hand_token("{'alg':'none'}", GOOD, NULL, 0), AUTH_WRONG_ALG);
	expect_verify("lower-case rs256, RS256 configured", &rs,
	              hand_token("{'alg':'rs256'}", GOOD, hs_secret, sizeof hs_secret - 1),
	              AUTH_WRONG_ALG);
	/* the right header over a signature that is not RSA at all */
	expect_verify("RS256 header, HMAC signature", &rs,
	              hand_token("{'alg':'RS256'}", GOOD, hs_secret, sizeof hs_secret - 1),
	              AUTH_BAD_SIGNATURE);
	/* libjwt itself would write past a malloc(0) here (valgrind sees it) */
	expect_verify("ES256 header, no signature", &es,
	              hand_token("{'alg':'ES256'}", GOOD, NULL, 0), AUTH_BAD_SIGNATURE);
}

static void test_bad_signatures(void **state)
{
	struct auth_verifier hs = verifier(JWT_PIN_HS256), rs = verifier(JWT_PIN_RS256),
	                     es = verifier(JWT_PIN_ES256), nokey = verifier(JWT_PIN_HS256);
	char *tok;

	(void)state;
	tok = hs_token(GOOD);
	flip_signature(tok);
	expect_verify("HS256 flipped", &hs, tok, AUTH_BAD_SIGNATURE);
	tok = rs_token(GOOD);
	flip_signature(tok);
	expect_verify("RS256 flipped", &rs, tok, AUTH_BAD_SIGNATURE);
	tok = es_token(GOOD);
	flip_signature(tok);
	expect_verify("ES256 flipped", &es, tok, AUTH_BAD_SIGNATURE);
	expect_verify("other secret", &hs,
	              hand_token(HS_HEADER, GOOD, other_secret, sizeof other_secret - 1),
	              AUTH_BAD_SIGNATURE);
	expect_verify("HS256, no signature", &hs, hand_token(HS_HEADER, GOOD, NULL, 0),
	              AUTH_BAD_SIGNATURE);
	expect_verify("RS256, no signature", &rs, hand_token("{'alg':'RS256'}", GOOD, NULL, 0),
	              AUTH_BAD_SIGNATURE);
	tok = hs_token(GOOD);
	tok[strlen(tok) - 1] = '\0';
	expect_verify("signature cut short", &hs, tok, AUTH_BAD_SIGNATURE);
	nokey.key = NULL;
	nokey.key_len = 0;
	expect_verify("no key configured", &nokey, hs_token(GOOD), AUTH_BAD_SIGNATURE);
}

/* The payload of a customer token swapped for an admin one, signature kept. */
static void test_tampered_payload(void **state)
{
	struct auth_verifier hs = verifier(JWT_PIN_HS256);
	char *good = hs_token(GOOD);
	char *evil = hs_token("{" SUB ",'role':'admin'," EXP "," IAT "," ISS "," AUD "}");
	char *sig = strrchr(good, '.');
	char *tok = malloc(strlen(evil) + strlen(sig) + 1);

	(void)state;
	assert_non_null(tok);
	*strrchr(evil, '.') = '\0';
	sprintf(tok, "%s%s", evil, sig);
	expect_verify("payload swapped", &hs, tok, AUTH_BAD_SIGNATURE);
	free(good);
	free(evil);
}

/* ---- structure and length -------------------------------------------- */

static void test_structure(void **state)
{
	struct auth_verifier v = verifier(JWT_PIN_HS256);
	char *good = hs_token(GOOD);
	size_t n = strlen(good);
	char buf[1024];
	struct auth_claims c;
	const char *dot = strchr(good, '.');

	(void)state;
	assert_true(n + 8 < sizeof buf);
	static const char *const raw[] = {
		"abc", "abc.def", "..", "...", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9..sig",
		".eyJzdWIiOiJhIn0.sig", "!!!.???.sig",
	};
	for (size_t i = 0; i < COUNT(raw); i++)
		if (verify_at(&v, raw[i], NOW, &c) != AUTH_MALFORMED)
			fail_msg("raw row %zu (%s) not malformed", i, raw[i]);
	assert_int_equal(auth_verify(&v, good, 0, NOW, &c), AUTH_MALFORMED);
	/* four parts */
	snprintf(buf, sizeof buf, "%s.x", good);
	assert_int_equal(verify_at(&v, buf, NOW, &c), AUTH_MALFORMED);
	snprintf(buf, sizeof buf, "%s.", good);
	assert_int_equal(verify_at(&v, buf, NOW, &c), AUTH_MALFORMED);
	/* base64url only: '+', '/', '=' and blanks are not in its alphabet */
	static const char bad_chars[] = "+/= \t%";
	for (size_t i = 0; i < sizeof bad_chars - 1; i++) {
		memcpy(buf, good, n + 1);
		buf[3] = bad_chars[i];
		if (verify_at(&v, buf, NOW, &c) != AUTH_MALFORMED)
			fail_msg("header char '%c' accepted", bad_chars[i]);
		memcpy(buf, good, n + 1);
		buf[(size_t)(dot - good) + 3] = bad_chars[i];
		if (verify_at(&v, buf, NOW, &c) != AUTH_MALFORMED)
			fail_msg("payload char '%c' accepted", bad_chars[i]);
	}
	/* a base64url length of 4k+1 cannot be */
	snprintf(buf, sizeof buf, "eyJhbGciOiJIUzI1NiJ9A%s", dot);
	assert_int_equal(verify_at(&v, buf, NOW, &c), AUTH_MALFORMED);
	/* a NUL inside the given length */
	memcpy(buf, good, n + 1);
	buf[5] = '\0';
	assert_int_equal(auth_verify(&v, buf, n, NOW, &c), AUTH_MALFORMED);
	/* the length given is what counts, not the NUL */
	memcpy(buf, good, n);
	memcpy(buf + n, ".xyz", 5);
	assert_int_equal(auth_verify(&v, buf, n, NOW, &c), AUTH_OK);
	free(good);
}

/* A valid token padded with a large claim to exactly total bytes. */
static char *token_of_length(size_t total)
{
	static char note[AUTH_TOKEN_MAX];
	char payload[AUTH_TOKEN_MAX + 256];

	for (size_t k = 5900; k < sizeof note - 1; k++) {
		memset(note, 'n', k);
		note[k] = '\0';
		snprintf(payload, sizeof payload, "{" SUB "," ROLE "," EXP "," ISS "," AUD ",'note':'%s'}", note);
		char *tok = hs_token(payload);
		if (strlen(tok) == total)
			return tok;
		free(tok);
	}
	fail_msg("no token of %zu bytes", total);
	return NULL;
}

/* AUTH_TOKEN_MAX bytes are verified; one more is refused before decoding
 * (libjwt sizes stack buffers by the token: PITFALLS.md). */
static void test_length_cap(void **state)
{
	struct auth_verifier v = verifier(JWT_PIN_HS256);
	struct auth_claims c;
	char *tok;
	char *junk = malloc(AUTH_TOKEN_MAX * 64);

	(void)state;
	tok = token_of_length(AUTH_TOKEN_MAX);
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_OK);
	free(tok);
	tok = token_of_length(AUTH_TOKEN_MAX + 1);
	assert_int_equal(verify_at(&v, tok, NOW, &c), AUTH_TOO_LONG);
	free(tok);
	assert_non_null(junk);
	memset(junk, 'a', AUTH_TOKEN_MAX * 64);
	assert_int_equal(auth_verify(&v, junk, AUTH_TOKEN_MAX * 64, NOW, &c), AUTH_TOO_LONG);
	free(junk);
}

/* ---- the Authorization header ---------------------------------------- */

static void test_parse_bearer(void **state)
{
	static const struct {
		const char *header;
		enum auth_err want;
		const char *token;
	} rows[] = {
		{ NULL, AUTH_MISSING, NULL },
		{ "", AUTH_MISSING, NULL },
		{ "Bearer abc.def.ghi", AUTH_OK, "abc.def.ghi" },
		{ "Bearer x", AUTH_OK, "x" },
		{ "bearer abc.def.ghi", AUTH_OK, "abc.def.ghi" },
		{ "BEARER x", AUTH_OK, "x" },
		{ "Basic dXNlcjpwYXNz", AUTH_NOT_BEARER, NULL },
		{ "Basic x", AUTH_NOT_BEARER, NULL },
		{ "Bearer", AUTH_NOT_BEARER, NULL },
		{ "Bearer ", AUTH_NOT_BEARER, NULL },
		{ "Bearer  ", AUTH_NOT_BEARER, NULL },
		{ "Bearer a, Bearer b", AUTH_NOT_BEARER, NULL },
		{ "Bearer a,Bearer b", AUTH_NOT_BEARER, NULL },
		{ "Bearer a,", AUTH_NOT_BEARER, NULL },
		{ "Bearer  abc", AUTH_NOT_BEARER, NULL },
		{ "Bearer abc def", AUTH_NOT_BEARER, NULL },
		{ "Bearer abc ", AUTH_NOT_BEARER, NULL },
		{ "Bearer\tabc", AUTH_NOT_BEARER, NULL },
		{ "Bearer abc\t", AUTH_NOT_BEARER, NULL },
		{ " Bearer abc", AUTH_NOT_BEARER, NULL },
		{ "BearerX abc", AUTH_NOT_BEARER, NULL },
		{ "Token abc", AUTH_NOT_BEARER, NULL },
		{ "Digest username=\"a\"", AUTH_NOT_BEARER, NULL },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		const char *tok = NULL;
		size_t len = 0;
		enum auth_err got = auth_parse_bearer(rows[i].header, &tok, &len);
		if (got != rows[i].want)
			fail_msg("bearer row %zu (%s): got \"%s\", want \"%s\"", i,
			         rows[i].header ? rows[i].header : "NULL", auth_err_text(got),
			         auth_err_text(rows[i].want));
		if (got == AUTH_OK && (len != strlen(rows[i].token) ||
		                       strncmp(tok, rows[i].token, len) != 0))
			fail_msg("bearer row %zu: token \"%.*s\"", i, (int)len, tok);
	}
}

static void test_parse_bearer_length(void **state)
{
	static char header[7 + AUTH_TOKEN_MAX + 2];
	const char *tok = NULL;
	size_t len = 0;

	(void)state;
	memcpy(header, "Bearer ", 7);
	memset(header + 7, 'a', AUTH_TOKEN_MAX);
	header[7 + AUTH_TOKEN_MAX] = '\0';
	assert_int_equal(auth_parse_bearer(header, &tok, &len), AUTH_OK);
	assert_int_equal(len, AUTH_TOKEN_MAX);
	assert_ptr_equal(tok, header + 7);
	header[7 + AUTH_TOKEN_MAX] = 'a';
	header[7 + AUTH_TOKEN_MAX + 1] = '\0';
	assert_int_equal(auth_parse_bearer(header, &tok, &len), AUTH_TOO_LONG);
}

/* ---- names ----------------------------------------------------------- */

static void test_roles_and_texts(void **state)
{
	static const struct { enum auth_role role; const char *name; } rows[] = {
		{ AUTH_ROLE_CUSTOMER, "customer" }, { AUTH_ROLE_SUPPORT, "support" },
		{ AUTH_ROLE_SUPERVISOR, "supervisor" }, { AUTH_ROLE_FINANCE, "finance" },
		{ AUTH_ROLE_ADMIN, "admin" }, { AUTH_ROLE_SYSTEM, "system" },
	};
	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		assert_string_equal(auth_role_name(rows[i].role), rows[i].name);
		assert_int_equal(auth_role_parse(rows[i].name), rows[i].role);
	}
	assert_int_equal(auth_role_parse("root"), AUTH_ROLE_NONE);
	assert_int_equal(auth_role_parse(""), AUTH_ROLE_NONE);
	assert_string_equal(auth_role_name(AUTH_ROLE_NONE), "none");
	assert_string_equal(auth_role_name(AUTH_ROLE_ADMIN | AUTH_ROLE_SYSTEM), "none");
	for (int e = 0; e < AUTH__MAX; e++) {
		const char *t = auth_err_text((enum auth_err)e);
		if (t == NULL || t[0] == '\0')
			fail_msg("auth_err %d has no text", e);
	}
	assert_string_equal(auth_err_text(AUTH__MAX), "invalid token");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_hs256_libjwt),
		cmocka_unit_test(test_accept_rs256_es256),
		cmocka_unit_test(test_accept_unchecked_iss_aud),
		cmocka_unit_test(test_mint_round_trip),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_leeway_zero),
		cmocka_unit_test(test_sub_length),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_key_confusion),
		cmocka_unit_test(test_algorithm_pinned),
		cmocka_unit_test(test_bad_signatures),
		cmocka_unit_test(test_tampered_payload),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_length_cap),
		cmocka_unit_test(test_parse_bearer),
		cmocka_unit_test(test_parse_bearer_length),
		cmocka_unit_test(test_roles_and_texts),
	};
	return cmocka_run_group_tests(tests, make_keys, free_keys);
}
