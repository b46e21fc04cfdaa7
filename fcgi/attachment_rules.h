/* attachment_rules.h -- what evidence refundd accepts (DESIGN.md §8
 * "Evidence"), as pure functions: the three file types and their first
 * bytes, the file name a customer may give, and the Content-Disposition
 * a download goes out with. No FastCGI, no database. */
#ifndef REFUNDD_ATTACHMENT_RULES_H
#define REFUNDD_ATTACHMENT_RULES_H

#include <stdbool.h>
#include <stddef.h>

#define ATTACH_MAX_BYTES   (5L * 1024 * 1024)  /* each file: 5 MiB */
#define ATTACH_MAX_COUNT   5                   /* files per refund request */
#define ATTACH_NAME_MAX    255                 /* bytes of UTF-8 */

enum attach_type { ATTACH_PNG, ATTACH_JPEG, ATTACH_PDF, ATTACH__MAX };

/* The Content-Type header (parameters after ';' ignored, case-insensitive)
 * as one of the three; false for anything else. */
bool        attach_type_parse(const char *content_type, enum attach_type *out);
const char *attach_type_name(enum attach_type t);
/* True when the bytes begin as a file of type t must: the PNG signature,
 * JPEG's SOI marker followed by a marker, or "%PDF-". */
bool        attach_magic_ok(enum attach_type t, const void *data, size_t len);

enum attach_name_err {
	ATTACH_NAME_OK,
	ATTACH_NAME_EMPTY,
	ATTACH_NAME_TOO_LONG,
	ATTACH_NAME_BAD_UTF8,
	ATTACH_NAME_CONTROL,     /* C0, DEL, C1, a bidi override, a line separator, an invisible */
	ATTACH_NAME_PATH,        /* '/', '\\', "." or ".." */
};
/* A file name as shown to staff and sent back in downloads: 1..255 bytes
 * of valid UTF-8, no control or bidi-override characters (U+202A..U+202E,
 * U+2066..U+2069 can make "txt.exe" look like "exe.txt"), no path
 * separators, not "." or "..", no leading or trailing space. */
enum attach_name_err attach_name_check(const char *name, size_t len);
const char *attach_name_err_text(enum attach_name_err e);

/* The name a download is saved under: name itself when it ends in an
 * extension of type t (case-insensitive: .png; .jpg .jpeg .jpe .jfif;
 * .pdf), else name with t's extension added. The bytes were checked to be
 * of t, the name was not: "x.html" holding a PNG-and-HTML polyglot would
 * otherwise be saved as a page that opens outside the download's sandbox.
 * Returns 0, or -1 when buf (ATTACH_DOWNLOAD_NAME_SIZE is enough) is too
 * small. */
#define ATTACH_DOWNLOAD_NAME_SIZE (ATTACH_NAME_MAX + 6)
int attach_download_name(const char *name, enum attach_type t, char *buf, size_t len);

/* The header value for a download of name (already checked):
 *   attachment; filename="<ASCII fallback>"; filename*=UTF-8''<pct-encoded>
 * (RFC 6266 §4.3, RFC 8187). Returns 0, or -1 when buf is too small. */
int attach_content_disposition(const char *name, char *buf, size_t len);

/* The upload as an Idempotency-Key binds it (idempotency.h): its refund,
 * name, type and the SHA-256 of its bytes, as text. 0, or -1 when buf
 * (ATTACH_REQUEST_TEXT_SIZE is enough) is too small or hashing failed. */
#define ATTACH_REQUEST_TEXT_SIZE (96 + ATTACH_NAME_MAX + 64)
int attach_request_text(const char *refund_id, const char *name, enum attach_type t,
                        const void *data, size_t len, char *buf, size_t buf_len);

#endif
