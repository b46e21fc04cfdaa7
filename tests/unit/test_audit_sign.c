/* test_audit_sign.c -- cmocka tests of fcgi/audit_sign.c: the checkpoint
 * message's exact text, RFC 8032's Ed25519 test vector 1 (so we sign what
 * every other Ed25519 implementation signs), and refusals: a tampered
 * message, signature or key, and keys that are not Ed25519 private keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "audit_sign.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* RFC 8032 section 7.1, TEST 1: the secret key as PKCS#8 PEM. */
static const char rfc8032_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
	"-----END PRIVATE KEY-----\n";
static const char rfc8032_public[] =
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char rfc8032_sig_empty[] =
	"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065"
	"224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/* An RSA key is a private key, but not ours to sign with. */
static const char rsa_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEA0f1Z2Fjs8cTyTw36\n"
	"CJ6BlWdJGE/Q7DRtkWRnnkuflIAKMG6oQ03N6TAQMHg4ragdvW+XMYH1RKtJfS1H\n"
	"EmAPmQIDAQABAkABdTfVd7CVcR+ZiuhMfQU7S09Hmu5BZY/JLaBGihHejw3HYAEt\n"
	"q5EfJNFhOLF6xjnBDiV3xh1Nczs8QkDCnyaBAiEA/j65k9pvezrwyAqBiA7txhtc\n"
	"boPcWKBhHNHQohPE+ykCIQDTcGwwKW8Js1hOUK7XLc28v/NbXEysE/RElkUAxmRu\n"
	"8QIgeKFcPcm7cVWy3scVVG/44zEiNxF7X9WgniLzAaOtp5kCIEFypSprSOGZ0BW9\n"
	"x8D3fp2UVQHMmjcRniS01vscbe4hAiEApZhHPGkQHY2QnFMDxmsbQ27et+rczlWR\n"
	"5LXTJzPbgDc=\n"
	"-----END PRIVATE KEY-----\n";

static void from_hex(unsigned char *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

static const char head[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void message_text(void **state)
{
	struct { long long position; const char *hash; long long unix_s; const char *want; } rows[] = {
		{ 1, head, 0, "refundd-audit-checkpoint/v1 1 " "0123456789abcdef0123456789abcdef"
		              "0123456789abcdef0123456789abcdef 0" },
		{ 4242, head, 1796170000, "refundd-audit-checkpoint/v1 4242 "
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1796170000" },
		{ 0, head, 1, NULL },                        /* positions start at 1 */
		{ 1, "0123", 1, NULL },                      /* not a sha256 */
		{ 1, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", 1, NULL },
		{ 1, NULL, 1, NULL },
	};
	char buf[160];

	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		int n = audit_sign_message(buf, sizeof buf, rows[i].position, rows[i].hash, rows[i].unix_s);
		if (rows[i].want == NULL) {
			if (n != -1)
				fail_msg("row %zu: accepted [%s]", i, buf);
			continue;
		}
		if (n != (int)strlen(rows[i].want) || strcmp(buf, rows[i].want) != 0)
			fail_msg("row %zu: got [%s], want [%s]", i, buf, rows[i].want);
	}
	assert_int_equal(audit_sign_message(buf, 20, 1, head, 1), -1);   /* buffer too small */
}

static void rfc8032_vector(void **state)
{
	unsigned char pub[AUDIT_SIGN_KEY_LEN], want_pub[AUDIT_SIGN_KEY_LEN];
	unsigned char sig[AUDIT_SIGN_SIG_LEN], want_sig[AUDIT_SIGN_SIG_LEN];

	(void)state;
	from_hex(want_pub, rfc8032_public, sizeof want_pub);
	from_hex(want_sig, rfc8032_sig_empty, sizeof want_sig);
	assert_int_equal(audit_sign_public_key((const unsigned char *)rfc8032_pem,
	                                       strlen(rfc8032_pem), pub), AUDIT_SIGN_OK);
	assert_memory_equal(pub, want_pub, sizeof pub);
	assert_int_equal(audit_sign((const unsigned char *)rfc8032_pem, strlen(rfc8032_pem),
	                            "", 0, sig), AUDIT_SIGN_OK);
	assert_memory_equal(sig, want_sig, sizeof sig);
	assert_int_equal(audit_sign_verify(want_pub, "", 0, want_sig), AUDIT_SIGN_OK);
}

static void tampering_is_refused(void **state)
{
	const unsigned char *key = (const unsigned char *)rfc8032_pem;
	char msg[160], other[160];
	unsigned char pub[AUDIT_SIGN_KEY_LEN], sig[AUDIT_SIGN_SIG_LEN], bad[AUDIT_SIGN_SIG_LEN];
	int n = audit_sign_message(msg, sizeof msg, 7, head, 1796170000);
	int m = audit_sign_message(other, sizeof other, 8, head, 1796170000);

	(void)state;
	assert_true(n > 0 && m > 0);
	assert_int_equal(audit_sign_public_key(key, strlen(rfc8032_pem), pub), AUDIT_SIGN_OK);
	assert_int_equal(audit_sign(key, strlen(rfc8032_pem), msg, (size_t)n, sig), AUDIT_SIGN_OK);
	assert_int_equal(audit_sign_verify(pub, msg, (size_t)n, sig), AUDIT_SIGN_OK);
	/* another position, one flipped bit in the signature, another key */
	assert_int_equal(audit_sign_verify(pub, other, (size_t)m, sig), AUDIT_SIGN_BAD_SIGNATURE);
	for (size_t i = 0; i < sizeof sig; i += 13) {
		memcpy(bad, sig, sizeof bad);
		bad[i] ^= 0x01;
		if (audit_sign_verify(pub, msg, (size_t)n, bad) != AUDIT_SIGN_BAD_SIGNATURE)
			fail_msg("byte %zu flipped: still verifies", i);
	}
	pub[0] ^= 0x01;
	assert_int_not_equal(audit_sign_verify(pub, msg, (size_t)n, sig), AUDIT_SIGN_OK);
}

static void keys_that_are_not_ours(void **state)
{
	const char *rows[] = { "", "not a key", rsa_pem,
		"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v\n-----END PRIVATE KEY-----\n",
		/* the public half is no signing key */
		"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
		"-----END PUBLIC KEY-----\n" };
	unsigned char pub[AUDIT_SIGN_KEY_LEN], sig[AUDIT_SIGN_SIG_LEN];

	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		const unsigned char *k = (const unsigned char *)rows[i];
		if (audit_sign_public_key(k, strlen(rows[i]), pub) != AUDIT_SIGN_BAD_KEY ||
		    audit_sign(k, strlen(rows[i]), "x", 1, sig) != AUDIT_SIGN_BAD_KEY)
			fail_msg("row %zu accepted as a signing key", i);
	}
	assert_string_equal(audit_sign_err_text(AUDIT_SIGN_BAD_KEY), "not a PEM Ed25519 private key");
}

/* Hex as keys and signatures travel: exactly 2n digits, either case. */
static void unhex_strictly(void **state)
{
	static const struct { const char *in; bool ok; unsigned char first; } rows[] = {
		{ "00ff", true, 0x00 },
		{ "A0fF", true, 0xa0 },
		{ "0", false, 0 },
		{ "00ff00", false, 0 },
		{ "0g00", false, 0 },
		{ "+0ff", false, 0 },
		{ " 0ff", false, 0 },
		{ "0x0f", false, 0 },
		{ "", false, 0 },
	};
	unsigned char out[2];

	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		memset(out, 0x55, sizeof out);
		bool ok = audit_sign_unhex(out, sizeof out, rows[i].in, strlen(rows[i].in));
		if (ok != rows[i].ok || (ok && out[0] != rows[i].first))
			fail_msg("row %zu (%s): ok %d first %02x", i, rows[i].in, ok, out[0]);
	}
	assert_true(audit_sign_unhex(out, 2, "00ff", 4) && out[1] == 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(message_text),
		cmocka_unit_test(unhex_strictly),
		cmocka_unit_test(rfc8032_vector),
		cmocka_unit_test(tampering_is_refused),
		cmocka_unit_test(keys_that_are_not_ours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
