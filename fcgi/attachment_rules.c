/* attachment_rules.c -- see attachment_rules.h. */
#include "attachment_rules.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "http.h"

static const struct {
	const char          *name;
	const unsigned char *magic;
	size_t               magic_len;
} types[ATTACH__MAX] = {
	/* PNG spec §5.2: the 8-byte signature. */
	[ATTACH_PNG]  = { "image/png", (const unsigned char *)"\x89PNG\r\n\x1a\n", 8 },
	/* JPEG (ITU T.81 B.1.1.2): SOI FFD8, then the next marker's FF. */
	[ATTACH_JPEG] = { "image/jpeg", (const unsigned char *)"\xff\xd8\xff", 3 },
	/* PDF (ISO 32000 §7.5.2): the header line begins "%PDF-". */
	[ATTACH_PDF]  = { "application/pdf", (const unsigned char *)"%PDF-", 5 },
};

bool attach_type_parse(const char *ct, enum attach_type *out)
{
	if (ct == NULL)
		return false;
	size_t n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	for (int t = 0; t < ATTACH__MAX; t++) {
		if (strlen(types[t].name) == n && strncasecmp(ct, types[t].name, n) == 0) {
			*out = (enum attach_type)t;
			return true;
		}
	}
	return false;
}

const char *attach_type_name(enum attach_type t)
{
	return t < ATTACH__MAX ? types[t].name : "application/octet-stream";
}

bool attach_magic_ok(enum attach_type t, const void *data, size_t len)
{
	if (t >= ATTACH__MAX || data == NULL || len < types[t].magic_len)
		return false;
	return memcmp(data, types[t].magic, types[t].magic_len) == 0;
}

/* The code point starting at s (valid UTF-8 assumed); *n gets its length. */
static unsigned decode_one(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) { *n = 1; return s[0]; }
	if (s[0] < 0xE0) { *n = 2; return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu); }
	if (s[0] < 0xF0) {
		*n = 3;
		return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
	}
	*n = 4;
	return ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
	       (s[3] & 0x3Fu);
}

/* Controls, the bidirectional embeddings, overrides and isolates (they
 * reorder what staff read: "gnp.exe" behind U+202E), the line and
 * paragraph separators (a line break to anything that renders them), and
 * the invisible characters no name needs (zero-width space, word joiner,
 * byte order mark): each makes a name read as something other than it is.
 * The joiners (U+200C/D, for Persian, Indic scripts and emoji) and the
 * direction marks (U+200E/F, mixed-direction text) stay: they reorder
 * nothing. */
static bool forbidden_cp(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200B ||
	       (cp >= 0x2028 && cp <= 0x202E) || cp == 0x2060 ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

enum attach_name_err attach_name_check(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;

	if (name == NULL || len == 0)
		return ATTACH_NAME_EMPTY;
	if (len > ATTACH_NAME_MAX)
		return ATTACH_NAME_TOO_LONG;
	if (!http_utf8_valid(name, len))
		return ATTACH_NAME_BAD_UTF8;
	for (size_t i = 0, n; i < len; i += n) {
		unsigned cp = decode_one(s + i, &n);
		if (forbidden_cp(cp))
			return ATTACH_NAME_CONTROL;
		if (cp == '/' || cp == '\\')
			return ATTACH_NAME_PATH;
	}
	if ((len == 1 && name[0] == '.') || (len == 2 && memcmp(name, "..", 2) == 0))
		return ATTACH_NAME_PATH;
	if (name[0] == ' ' || name[len - 1] == ' ')
		return ATTACH_NAME_CONTROL;
	return ATTACH_NAME_OK;
}

const char *attach_name_err_text(enum attach_name_err e)
{
	switch (e) {
	case ATTACH_NAME_OK:       return "ok";
	case ATTACH_NAME_EMPTY:    return "name the file: ?name=<file name>";
	case ATTACH_NAME_TOO_LONG: return "the file name is longer than 255 bytes";
	case ATTACH_NAME_BAD_UTF8: return "the file name is not valid UTF-8";
	case ATTACH_NAME_CONTROL:  return "the file name has control characters or leading/trailing spaces";
	case ATTACH_NAME_PATH:     return "the file name must not contain '/' or '\\' or be '.' or '..'";
	}
	return "invalid file name";
}

/* The extensions a saved file of each type may keep; the first is added
 * to a name that has none of them. */
static const char *const extensions[ATTACH__MAX][5] = {
	[ATTACH_PNG]  = { ".png", NULL },
	[ATTACH_JPEG] = { ".jpg", ".jpeg", ".jpe", ".jfif", NULL },
	[ATTACH_PDF]  = { ".pdf", NULL },
};

static bool has_extension(const char *name, size_t n, enum attach_type t)
{
	for (const char *const *e = extensions[t]; *e; e++) {
		size_t k = strlen(*e);
		if (n > k && strcasecmp(name + n - k, *e) == 0)
			return true;
	}
	return false;
}

int attach_download_name(const char *name, enum attach_type t, char *buf, size_t len)
{
	size_t n = strlen(name);
	int w;

	if (t >= ATTACH__MAX)
		return -1;
	w = has_extension(name, n, t) ? snprintf(buf, len, "%s", name)
	                              : snprintf(buf, len, "%s%s", name, extensions[t][0]);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* RFC 8187 §3.2.1 attr-char: sent as is; every other byte is %XX. */
static bool attr_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$&+-.^_`|~", c) != NULL);
}

/* The quoted-string fallback for old clients: letters, digits and a few
 * harmless marks; everything else is '_'. No '"', '\\' or '%' (RFC 6266
 * §4.3 advises against '%' and escapes), and no ';', '=' or '*', so that
 * not even a naive parser finds a parameter inside the quotes. */
static char fallback_char(unsigned char c)
{
	bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	             (c != 0 && strchr(" !#$&'()+,-.@[]^_`{}~", c) != NULL);
	return (char)(plain ? c : '_');
}

int attach_content_disposition(const char *name, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), o;
	int w = snprintf(buf, len, "attachment; filename=\"");

	if (w < 0 || (size_t)w >= len)
		return -1;
	o = (size_t)w;
	for (size_t i = 0; i < n && o + 1 < len; i++)
		buf[o++] = fallback_char(s[i]);
	w = snprintf(buf + o, len - o, "\"; filename*=UTF-8''");
	if (w < 0 || (size_t)w >= len - o)
		return -1;
	o += (size_t)w;
	for (size_t i = 0; i < n; i++) {
		if (o + 4 > len)
			return -1;
		if (attr_char(s[i]))
			buf[o++] = (char)s[i];
		else {
			buf[o++] = '%';
			buf[o++] = hex[s[i] >> 4];
			buf[o++] = hex[s[i] & 0xF];
		}
	}
	buf[o] = '\0';
	return 0;
}

int attach_request_text(const char *refund_id, const char *name, enum attach_type t,
                        const void *data, size_t len, char *buf, size_t buf_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1)
		return -1;
	for (size_t i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	int n = snprintf(buf, buf_len, "POST /api/v1/refunds/%s/attachments\n%s\n%s\n%s",
	                 refund_id, name, attach_type_name(t), hex);
	return n < 0 || (size_t)n >= buf_len ? -1 : 0;
}
