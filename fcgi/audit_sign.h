/* audit_sign.h -- Ed25519 signatures over audit checkpoints (OpenSSL).
 * Pure: no database, no files; the key arrives as PEM bytes read once at
 * start (config_load_secrets). A checkpoint's message is fixed text, so
 * anyone holding a copy of the row and the public key can check it. */
#ifndef REFUNDD_AUDIT_SIGN_H
#define REFUNDD_AUDIT_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#define AUDIT_SIGN_KEY_LEN 32
#define AUDIT_SIGN_SIG_LEN 64

enum audit_sign_err {
	AUDIT_SIGN_OK = 0,
	AUDIT_SIGN_BAD_KEY,        /* not a PEM Ed25519 private key */
	AUDIT_SIGN_BAD_SIGNATURE,  /* does not verify */
	AUDIT_SIGN_FAILED,         /* OpenSSL could not do it (memory) */
};

/* "refundd-audit-checkpoint/v1 <position> <head hash hex> <unix seconds>".
 * Returns the length, or -1 if buf is too small or the hash is not 64 hex. */
int audit_sign_message(char *buf, size_t len, long long position,
                       const char *head_hex, long long unix_s);
/* The raw 32-byte public key of a PEM private key. */
enum audit_sign_err audit_sign_public_key(const unsigned char *pem, size_t pem_len,
                                          unsigned char pub[AUDIT_SIGN_KEY_LEN]);
enum audit_sign_err audit_sign(const unsigned char *pem, size_t pem_len,
                               const char *msg, size_t msg_len,
                               unsigned char sig[AUDIT_SIGN_SIG_LEN]);
enum audit_sign_err audit_sign_verify(const unsigned char pub[AUDIT_SIGN_KEY_LEN],
                                      const char *msg, size_t msg_len,
                                      const unsigned char sig[AUDIT_SIGN_SIG_LEN]);
const char *audit_sign_err_text(enum audit_sign_err err);
/* Keys and signatures travel as hex (the checkpoints' columns, the trusted
 * keys file): exactly 2n hex digits of either case at hex (len bytes) into
 * out[n]; nothing else (no sign, blank or prefix). */
bool audit_sign_unhex(unsigned char *out, size_t n, const char *hex, size_t len);

#endif
