/* webhook.c -- see webhook.h. */
#include "webhook.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#define T_MAX_DIGITS 24

/* EVP_MAC (OpenSSL 3): HMAC_CTX is deprecated there, and the one-shot
 * HMAC() would need "t." and the body copied into one buffer. */
static bool hmac_sha256(const unsigned char *key, size_t key_len, const char *a, size_t a_len,
                        const char *b, size_t b_len, unsigned char mac[32])
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", digest, 0),
	                        OSSL_PARAM_construct_end() };
	EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
	size_t n = 0;
	bool ok = ctx != NULL && EVP_MAC_init(ctx, key, key_len, params) == 1 &&
	          EVP_MAC_update(ctx, (const unsigned char *)a, a_len) == 1 &&
	          EVP_MAC_update(ctx, (const unsigned char *)b, b_len) == 1 &&
	          EVP_MAC_final(ctx, mac, &n, 32) == 1 && n == 32;

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(alg);
	return ok;
}

bool webhook_sign(const unsigned char *secret, size_t secret_len, int64_t t,
                  const char *body, size_t body_len, char *out, size_t outlen)
{
	unsigned char mac[32];
	char ts[T_MAX_DIGITS];
	int tn = snprintf(ts, sizeof ts, "%" PRId64 ".", t);

	if (tn <= 0 || outlen < WEBHOOK_SIGNATURE_MAX ||
	    !hmac_sha256(secret, secret_len, ts, (size_t)tn, body, body_len, mac))
		return false;
	int n = snprintf(out, outlen, "t=%" PRId64 ",v1=", t);
	for (size_t i = 0; i < sizeof mac; i++)
		snprintf(out + n + 2 * i, 3, "%02x", mac[i]);
	return true;
}

enum webhook_next webhook_next_attempt(const struct webhook_schedule *s, int failures,
                                       int64_t elapsed_ms, int64_t *delay_ms)
{
	int64_t delay = s->base_ms;

	/* Doubling stops at the cap, so no shift can overflow. */
	for (int i = 1; i < failures && delay < s->cap_ms; i++)
		delay *= 2;
	if (delay > s->cap_ms)
		delay = s->cap_ms;
	if (failures < 1 || elapsed_ms < 0 || elapsed_ms >= s->give_up_ms)
		return WEBHOOK_GIVE_UP;
	/* A step that would pass the window lands on its end: the last
	 * attempt comes when give_up is up, not up to a cap earlier. */
	if (elapsed_ms + delay > s->give_up_ms)
		delay = s->give_up_ms - elapsed_ms;
	*delay_ms = delay;
	return WEBHOOK_RETRY;
}

bool webhook_url_ok(const char *url)
{
	size_t skip = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;

	if (skip == 0 || url[skip] == '\0' || strchr("/?#@:", url[skip]) != NULL)
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("\"'<>\\`{}|^", *p) != NULL)
			return false;
	return true;
}
