/* fuzz_auth.c -- libFuzzer target for the bearer path (DESIGN.md §2,
 * PITFALLS.md "libjwt 1.10.2"): auth_parse_bearer and auth_verify with a
 * fixed HS256 verifier. The first byte picks what the rest is (mod 3):
 *   '0'  an Authorization header value: auth_parse_bearer, then auth_verify
 *        on the token it yields;
 *   '1'  a raw token for auth_verify;
 *   '2'  a claims payload, signed here under {"alg":"HS256"} with the fixed
 *        secret, so the fuzzer gets past the signature to the claim checks.
 * Besides the sanitizers, an accepted token must carry exactly one known
 * role and a non-empty NUL-free sub. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"

#define NOW INT64_C(1750000000)

static const unsigned char secret[] = "fuzz-secret-0123456789-0123456789-abcdef";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unpadded base64url of n bytes at out (room for 4 * (n / 3 + 1) + 1). */
static size_t b64url(const unsigned char *in, size_t n, char *out)
{
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	size_t o = 0;

	for (int i = 0; i < len && out[i] != '='; i++)
		out[o++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	out[o] = '\0';
	return o;
}

/* header.payload.signature over the claims in [p, p + n); heap, or NULL. */
static char *sign_claims(const uint8_t *p, size_t n)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	char *tok = malloc(4 * ((n + sizeof header) / 3 + 2) + 128);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t o;

	if (tok == NULL)
		return NULL;
	o = b64url((const unsigned char *)header, sizeof header - 1, tok);
	tok[o++] = '.';
	o += b64url(p, n, tok + o);
	if (HMAC(EVP_sha256(), secret, (int)(sizeof secret - 1), (unsigned char *)tok, o,
	         mac, &mac_len) == NULL) {
		free(tok);
		return NULL;
	}
	tok[o++] = '.';
	b64url(mac, mac_len, tok + o);
	return tok;
}

static void check_accepted(enum auth_err rc, const struct auth_claims *c)
{
	if (rc >= AUTH__MAX)
		abort();
	if (rc != AUTH_OK)
		return;
	if (c->sub[0] == '\0' || strnlen(c->sub, sizeof c->sub) == sizeof c->sub)
		abort();
	if (auth_role_parse(auth_role_name(c->role)) != c->role || c->role == AUTH_ROLE_NONE)
		abort();
}

static void verify(const char *tok, size_t len)
{
	static const struct auth_verifier v = {
		JWT_PIN_HS256, secret, sizeof secret - 1, "https://portal.example", "refundd", 30,
	};
	struct auth_claims c;

	check_accepted(auth_verify(&v, tok, len, NOW, &c), &c);
}

static void fuzz_header(const uint8_t *p, size_t n)
{
	char *hdr = malloc(n + 1);
	const char *tok = NULL;
	size_t len = 0;

	if (hdr == NULL)
		return;
	memcpy(hdr, p, n);
	hdr[n] = '\0';
	if (auth_parse_bearer(hdr, &tok, &len) == AUTH_OK) {
		if (len == 0 || len > AUTH_TOKEN_MAX || tok + len != hdr + strlen(hdr))
			abort();
		verify(tok, len);
	}
	free(hdr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_header(data + 1, size - 1);
		break;
	case 1:
		/* exact-size copy, so a read past len is an ASan report */
		tok = malloc(size - 1 ? size - 1 : 1);
		if (tok != NULL) {
			memcpy(tok, data + 1, size - 1);
			verify(tok, size - 1);
			free(tok);
		}
		break;
	default:
		if ((tok = sign_claims(data + 1, size - 1)) != NULL) {
			verify(tok, strlen(tok));
			free(tok);
		}
	}
	return 0;
}
