/* audit_sign.c -- see audit_sign.h. Ed25519 signs the message itself (no
 * digest first), hence EVP_DigestSign with a NULL md and the one-shot calls. */
#include "audit_sign.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

int audit_sign_message(char *buf, size_t len, long long position,
                       const char *head_hex, long long unix_s)
{
	if (head_hex == NULL || strlen(head_hex) != 64 ||
	    strspn(head_hex, "0123456789abcdef") != 64 || position < 1)
		return -1;
	int n = snprintf(buf, len, "refundd-audit-checkpoint/v1 %lld %s %lld",
	                 position, head_hex, unix_s);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

static EVP_PKEY *load_private(const unsigned char *pem, size_t pem_len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (key != NULL && EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

enum audit_sign_err audit_sign_public_key(const unsigned char *pem, size_t pem_len,
                                          unsigned char pub[AUDIT_SIGN_KEY_LEN])
{
	EVP_PKEY *key = load_private(pem, pem_len);
	size_t n = AUDIT_SIGN_KEY_LEN;
	enum audit_sign_err err = AUDIT_SIGN_OK;

	if (key == NULL)
		return AUDIT_SIGN_BAD_KEY;
	if (EVP_PKEY_get_raw_public_key(key, pub, &n) != 1 || n != AUDIT_SIGN_KEY_LEN)
		err = AUDIT_SIGN_FAILED;
	EVP_PKEY_free(key);
	return err;
}

enum audit_sign_err audit_sign(const unsigned char *pem, size_t pem_len,
                               const char *msg, size_t msg_len,
                               unsigned char sig[AUDIT_SIGN_SIG_LEN])
{
	EVP_PKEY *key = load_private(pem, pem_len);
	EVP_MD_CTX *ctx = NULL;
	size_t n = AUDIT_SIGN_SIG_LEN;
	enum audit_sign_err err = AUDIT_SIGN_FAILED;

	if (key == NULL)
		return AUDIT_SIGN_BAD_KEY;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &n, (const unsigned char *)msg, msg_len) != 1 ||
	    n != AUDIT_SIGN_SIG_LEN)
		goto out;
	err = AUDIT_SIGN_OK;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return err;
}

enum audit_sign_err audit_sign_verify(const unsigned char pub[AUDIT_SIGN_KEY_LEN],
                                      const char *msg, size_t msg_len,
                                      const unsigned char sig[AUDIT_SIGN_SIG_LEN])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	                                            AUDIT_SIGN_KEY_LEN);
	EVP_MD_CTX *ctx = NULL;
	enum audit_sign_err err = AUDIT_SIGN_FAILED;

	if (key == NULL || (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		goto out;
	err = EVP_DigestVerify(ctx, sig, AUDIT_SIGN_SIG_LEN, (const unsigned char *)msg,
	                       msg_len) == 1 ? AUDIT_SIGN_OK : AUDIT_SIGN_BAD_SIGNATURE;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return err;
}

const char *audit_sign_err_text(enum audit_sign_err err)
{
	switch (err) {
	case AUDIT_SIGN_OK: return "ok";
	case AUDIT_SIGN_BAD_KEY: return "not a PEM Ed25519 private key";
	case AUDIT_SIGN_BAD_SIGNATURE: return "signature does not verify";
	case AUDIT_SIGN_FAILED: break;
	}
	return "signing failed";
}

/* Strict: sscanf's %x would take a sign or blanks as well. */
static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool audit_sign_unhex(unsigned char *out, size_t n, const char *hex, size_t len)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}
