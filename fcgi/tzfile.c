/* tzfile.c -- reads a compiled IANA zone (TZif, RFC 8536) into struct
 * tz_zone and answers "which UTC offset applies at this instant". The only
 * I/O is in tz_load_dir/read_zone_file; parsing and lookups are pure. */
#include "tzfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZIF_HEADER_LEN   44
#define TZIF_FILE_MAX     (1024 * 1024)  /* fat zone files are under 4 KiB */
#define TZIF_TIME_MAX     100000         /* transitions; real zones have < 2000 */
#define TZIF_TYPE_MAX     256            /* type indices are one byte */
#define TZ_OFFSET_LIMIT   (26 * 3600)    /* RFC 8536 §3.2: [-89999, 93599] */
#define TZ_FOOTER_MAX     255
#define SECS_PER_DAY      86400
/* Far beyond any calendar question, near enough that no sum overflows. */
#define TZ_RULE_CLAMP     ((int64_t)1 << 50)

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void zone_clear(struct tz_zone *zone)
{
	memset(zone, 0, sizeof *zone);
}

static void copy_name(struct tz_zone *zone, const char *name)
{
	snprintf(zone->name, sizeof zone->name, "%s", name ? name : "");
}

/* ---- civil arithmetic ----------------------------------------------------
 * Private copies of calendar.c's helpers: calendar.c depends on this module,
 * and this one must link without it (tests, fuzz target). Algorithms from
 * H. Hinnant, "chrono-Compatible Low-Level Date Algorithms". */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t year_from_days(int64_t days)
{
	int64_t z = days + 719468, era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	return yoe + era * 400 + (mp >= 10);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return (m == 2 && is_leap(y)) ? 29 : len[m - 1];
}

static int weekday_of(int64_t days)
{
	int64_t w = (days + 4) % 7;    /* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w);
}

/* ---- zone names ---------------------------------------------------------- */

static bool name_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' || c == '/';
}

enum tz_err tz_name_check(const char *name)
{
	size_t len, i;

	if (name == NULL)
		return TZ_ERR_ARG;
	len = strnlen(name, TZ_NAME_MAX + 1);
	if (len == 0 || len > TZ_NAME_MAX)
		return TZ_ERR_NAME;
	if (name[0] == '/' || name[len - 1] == '/')
		return TZ_ERR_NAME;
	for (i = 0; i < len; i++) {
		/* '.' is never in an IANA name, so refusing it refuses ".." too. */
		if (!name_char_ok(name[i]))
			return TZ_ERR_NAME;
		if (name[i] == '/' && name[i + 1] == '/')
			return TZ_ERR_NAME;
	}
	return TZ_OK;
}

/* ---- POSIX TZ strings (footer) --------------------------------------------- */

/* Digits at *s, at most max_digits of them, value into *out. */
static bool posix_number(const char **s, int max_digits, int *out)
{
	int n = 0, value = 0;

	while (**s >= '0' && **s <= '9' && n < max_digits) {
		value = value * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	*out = value;
	return n > 0 && !(**s >= '0' && **s <= '9');
}

/* "CET" (3+ letters) or "<+0330>" (3+ of [A-Za-z0-9+-] in angle brackets). */
static bool posix_zone_name(const char **s)
{
	const char *p = *s;
	bool quoted = *p == '<';
	size_t n = 0;

	if (quoted)
		p++;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (quoted && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))) {
		p++;
		n++;
	}
	if (n < 3 || (quoted && *p != '>'))
		return false;
	*s = p + quoted;
	return true;
}

/* Consumes c at *s if it is there. */
static bool accept_char(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

/* An optional ":nn" (0..59); absent gives 0. */
static bool posix_sexagesimal(const char **s, int *out)
{
	*out = 0;
	if (!accept_char(s, ':'))
		return true;
	return posix_number(s, 2, out) && *out <= 59;
}

/* [+-]hh[:mm[:ss]] with hh <= max_hours, into signed seconds. */
static bool posix_hms(const char **s, int max_hours, int32_t *out)
{
	int sign = 1, h, m, sec;

	if (accept_char(s, '-'))
		sign = -1;
	else
		(void)accept_char(s, '+');
	if (!posix_number(s, 3, &h) || h > max_hours)
		return false;
	if (!posix_sexagesimal(s, &m) || !posix_sexagesimal(s, &sec))
		return false;
	*out = sign * (h * 3600 + m * 60 + sec);
	return true;
}

static bool posix_month_week(const char **s, struct tz_rule_date *d)
{
	d->kind = TZ_RULE_MONTH_WEEK;
	if (!posix_number(s, 2, &d->month) || d->month < 1 || d->month > 12 ||
	    !accept_char(s, '.'))
		return false;
	if (!posix_number(s, 1, &d->week) || d->week < 1 || d->week > 5 ||
	    !accept_char(s, '.'))
		return false;
	return posix_number(s, 1, &d->weekday) && d->weekday <= 6;
}

/* "Jn", "n" or "Mm.w.d", then an optional "/time" (default 02:00). */
static bool posix_rule_date(const char **s, struct tz_rule_date *d)
{
	bool ok;

	memset(d, 0, sizeof *d);
	if (accept_char(s, 'M')) {
		ok = posix_month_week(s, d);
	} else if (accept_char(s, 'J')) {
		d->kind = TZ_RULE_JULIAN_1;
		ok = posix_number(s, 3, &d->day) && d->day >= 1 && d->day <= 365;
	} else {
		d->kind = TZ_RULE_JULIAN_0;
		ok = posix_number(s, 3, &d->day) && d->day <= 365;
	}
	d->time = 2 * 3600;
	if (ok && accept_char(s, '/'))
		ok = posix_hms(s, 167, &d->time);
	return ok;
}

static bool posix_dst_part(const char **s, struct tz_posix_rule *r)
{
	int32_t west;

	if (!posix_zone_name(s))
		return false;
	r->has_dst = true;
	r->dst_offset = r->std_offset + 3600;
	if (**s != ',' && **s != '\0') {
		if (!posix_hms(s, 24, &west))
			return false;
		r->dst_offset = -west;
	}
	if (!accept_char(s, ',') || !posix_rule_date(s, &r->dst_start))
		return false;
	if (!accept_char(s, ',') || !posix_rule_date(s, &r->dst_end))
		return false;
	return **s == '\0';
}

enum tz_err tz_parse_posix(const char *s, struct tz_posix_rule *out)
{
	struct tz_posix_rule r;
	int32_t west;

	if (s == NULL || out == NULL)
		return TZ_ERR_ARG;
	memset(&r, 0, sizeof r);
	memset(out, 0, sizeof *out);
	if (*s == '\0')
		return TZ_OK;
	if (!posix_zone_name(&s) || !posix_hms(&s, 24, &west))
		return TZ_ERR_FORMAT;
	r.present = true;
	r.std_offset = -west;   /* POSIX counts hours west of Greenwich */
	if (*s != '\0' && !posix_dst_part(&s, &r))
		return TZ_ERR_FORMAT;
	*out = r;
	return TZ_OK;
}

/* Local day (days since 1970-01-01) on which rule date d falls in year y. */
static int64_t rule_day(const struct tz_rule_date *d, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), first, day;

	if (d->kind == TZ_RULE_JULIAN_1)
		return jan1 + d->day - 1 + (is_leap(y) && d->day >= 60);
	if (d->kind == TZ_RULE_JULIAN_0)
		return jan1 + d->day;
	first = days_from_civil(y, d->month, 1);
	day = first + (d->weekday - weekday_of(first) + 7) % 7 + 7 * (d->week - 1);
	while (day - first >= days_in_month(y, d->month))
		day -= 7;    /* week 5 means "the last one" */
	return day;
}

static int32_t posix_offset_at(const struct tz_posix_rule *r, int64_t utc)
{
	int64_t year, start, end;
	bool dst;

	if (!r->has_dst)
		return r->std_offset;
	if (utc > TZ_RULE_CLAMP)
		utc = TZ_RULE_CLAMP;
	if (utc < -TZ_RULE_CLAMP)
		utc = -TZ_RULE_CLAMP;
	year = year_from_days(floor_div(utc + r->std_offset, SECS_PER_DAY));
	start = rule_day(&r->dst_start, year) * SECS_PER_DAY + r->dst_start.time - r->std_offset;
	end = rule_day(&r->dst_end, year) * SECS_PER_DAY + r->dst_end.time - r->dst_offset;
	/* Southern hemisphere zones start DST late in the year and end it early. */
	if (start < end)
		dst = utc >= start && utc < end;
	else
		dst = utc < end || utc >= start;
	return dst ? r->dst_offset : r->std_offset;
}

/* ---- TZif ------------------------------------------------------------------ */

struct tzif_header {
	char     version;     /* 0 (v1), '2', '3', '4' */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be_time(const unsigned char *p, size_t time_size)
{
	uint64_t v;

	if (time_size == 4)
		return (int32_t)be32(p);
	v = (uint64_t)be32(p) << 32 | be32(p + 4);
	return (int64_t)v;
}

static enum tz_err read_header(const unsigned char *p, size_t len,
                               struct tzif_header *h, char *err, size_t errlen)
{
	if (len < TZIF_HEADER_LEN || memcmp(p, "TZif", 4) != 0) {
		set_err(err, errlen, "not a TZif file (no \"TZif\" header)");
		return TZ_ERR_FORMAT;
	}
	h->version = (char)p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return TZ_OK;
}

/* RFC 8536 §3.1 limits on the counts, plus our own sanity bounds. */
static enum tz_err check_counts(const struct tzif_header *h, char *err, size_t errlen)
{
	if (h->typecnt == 0 || h->typecnt > TZIF_TYPE_MAX || h->charcnt == 0 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt) || h->timecnt > TZIF_TIME_MAX ||
	    h->leapcnt > TZIF_TIME_MAX || h->charcnt > TZIF_FILE_MAX) {
		set_err(err, errlen, "TZif header counts out of range");
		return TZ_ERR_FORMAT;
	}
	return TZ_OK;
}

/* Bytes of the data block that follows a header (RFC 8536 §3.2). */
static size_t block_len(const struct tzif_header *h, size_t time_size)
{
	return (size_t)h->timecnt * (time_size + 1) + (size_t)h->typecnt * 6 +
	       h->charcnt + (size_t)h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
}

/* The UTC offset of each local time type, validated. */
static enum tz_err read_types(const struct tzif_header *h, const unsigned char *p,
                              int32_t *utoff, char *err, size_t errlen)
{
	uint32_t i;

	for (i = 0; i < h->typecnt; i++, p += 6) {
		int32_t off = (int32_t)be32(p);

		if (off <= -TZ_OFFSET_LIMIT || off >= TZ_OFFSET_LIMIT || p[4] > 1 ||
		    p[5] >= h->charcnt) {
			set_err(err, errlen, "TZif local time type %u is invalid", (unsigned)i);
			return TZ_ERR_FORMAT;
		}
		utoff[i] = off;
	}
	return TZ_OK;
}

static enum tz_err alloc_transitions(struct tz_zone *zone, size_t n)
{
	if (n == 0)
		return TZ_OK;
	zone->transition_at = calloc(n, sizeof *zone->transition_at);
	zone->offset_after = calloc(n, sizeof *zone->offset_after);
	if (zone->transition_at == NULL || zone->offset_after == NULL)
		return TZ_ERR_NOMEM;
	zone->transition_count = n;
	return TZ_OK;
}

static enum tz_err read_transitions(struct tz_zone *zone, const struct tzif_header *h,
                                    const unsigned char *p, size_t time_size,
                                    const int32_t *utoff, char *err, size_t errlen)
{
	const unsigned char *index = p + (size_t)h->timecnt * time_size;
	uint32_t i;

	for (i = 0; i < h->timecnt; i++) {
		int64_t at = be_time(p + (size_t)i * time_size, time_size);

		if (index[i] >= h->typecnt || (i > 0 && at <= zone->transition_at[i - 1])) {
			set_err(err, errlen, "TZif transition %u is out of order or has a bad type",
			        (unsigned)i);
			return TZ_ERR_FORMAT;
		}
		zone->transition_at[i] = at;
		zone->offset_after[i] = utoff[index[i]];
	}
	return TZ_OK;
}

static enum tz_err read_block(struct tz_zone *zone, const struct tzif_header *h,
                              const unsigned char *p, size_t time_size,
                              char *err, size_t errlen)
{
	int32_t utoff[TZIF_TYPE_MAX];
	size_t types_at = (size_t)h->timecnt * (time_size + 1);
	enum tz_err rc;

	if (h->leapcnt != 0) {
		/* Our arithmetic is POSIX time (no leap seconds); so is the database's
		 * default build. The "right/" zones count leap seconds: refuse them. */
		set_err(err, errlen, "leap-second zones (right/...) are not supported");
		return TZ_ERR_UNSUPPORTED;
	}
	rc = read_types(h, p + types_at, utoff, err, errlen);
	if (rc == TZ_OK && (rc = alloc_transitions(zone, h->timecnt)) == TZ_ERR_NOMEM)
		set_err(err, errlen, "out of memory for %u transitions", (unsigned)h->timecnt);
	if (rc == TZ_OK)
		rc = read_transitions(zone, h, p, time_size, utoff, err, errlen);
	if (rc == TZ_OK)
		zone->offset_before_first = utoff[0];
	return rc;
}

/* RFC 8536 §3.3: "\n" TZ-string "\n" right after the v2+ data block. */
static enum tz_err read_footer(struct tz_zone *zone, const unsigned char *p, size_t len,
                               char *err, size_t errlen)
{
	char text[TZ_FOOTER_MAX + 1];
	const unsigned char *nl;
	size_t n;

	if (len < 2 || p[0] != '\n' || (nl = memchr(p + 1, '\n', len - 1)) == NULL) {
		set_err(err, errlen, "TZif footer missing or not newline-enclosed");
		return TZ_ERR_FORMAT;
	}
	n = (size_t)(nl - (p + 1));
	if (n > TZ_FOOTER_MAX || memchr(p + 1, '\0', n) != NULL) {
		set_err(err, errlen, "TZif footer too long or contains NUL");
		return TZ_ERR_FORMAT;
	}
	memcpy(text, p + 1, n);
	text[n] = '\0';
	if (tz_parse_posix(text, &zone->rule) != TZ_OK) {
		set_err(err, errlen, "TZif footer \"%s\" is not a valid POSIX TZ string", text);
		return TZ_ERR_FORMAT;
	}
	return TZ_OK;
}

/* Reads the header at buf[*pos] and checks its block fits; advances *pos past
 * the header. */
static enum tz_err header_at(const unsigned char *buf, size_t len, size_t *pos,
                             size_t time_size, struct tzif_header *h,
                             char *err, size_t errlen)
{
	enum tz_err rc = read_header(buf + *pos, len - *pos, h, err, errlen);

	if (rc == TZ_OK)
		rc = check_counts(h, err, errlen);
	if (rc != TZ_OK)
		return rc;
	*pos += TZIF_HEADER_LEN;
	if (block_len(h, time_size) > len - *pos) {
		set_err(err, errlen, "TZif file truncated");
		return TZ_ERR_FORMAT;
	}
	return TZ_OK;
}

static enum tz_err parse_tzif(struct tz_zone *zone, const unsigned char *buf, size_t len,
                              char *err, size_t errlen)
{
	struct tzif_header h;
	size_t pos = 0;
	enum tz_err rc = header_at(buf, len, &pos, 4, &h, err, errlen);

	if (rc != TZ_OK)
		return rc;
	if (h.version == 0)    /* version 1: 32-bit times only, no footer */
		return read_block(zone, &h, buf + pos, 4, err, errlen);
	/* v2+: skip the 32-bit block; the 64-bit one repeats it without the
	 * 1901..2038 limit (RFC 8536 §4: readers SHOULD use it). */
	pos += block_len(&h, 4);
	rc = header_at(buf, len, &pos, 8, &h, err, errlen);
	if (rc == TZ_OK)
		rc = read_block(zone, &h, buf + pos, 8, err, errlen);
	if (rc == TZ_OK)
		rc = read_footer(zone, buf + pos + block_len(&h, 8),
		                 len - pos - block_len(&h, 8), err, errlen);
	return rc;
}

enum tz_err tz_parse(struct tz_zone *zone, const char *name,
                     const unsigned char *buf, size_t len, char *err, size_t errlen)
{
	enum tz_err rc;

	if (zone == NULL)
		return TZ_ERR_ARG;
	zone_clear(zone);
	if (buf == NULL) {
		set_err(err, errlen, "no TZif data");
		return TZ_ERR_ARG;
	}
	rc = parse_tzif(zone, buf, len, err, errlen);
	if (rc != TZ_OK) {
		tz_free(zone);
		return rc;
	}
	copy_name(zone, name);
	return TZ_OK;
}

/* ---- loading ------------------------------------------------------------- */

static enum tz_err open_zone_file(const char *path, const char *name, int *fd,
                                  char *err, size_t errlen)
{
	char reason[128] = "";
	int e;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd >= 0)
		return TZ_OK;
	e = errno;
	if (e == ENOENT || e == ENOTDIR) {
		set_err(err, errlen, "unknown time zone \"%s\" (no file %s)", name, path);
		return TZ_ERR_NOT_FOUND;
	}
	(void)strerror_r(e, reason, sizeof reason);   /* XSI variant: thread-safe */
	set_err(err, errlen, "cannot open %s: %s", path, reason);
	return TZ_ERR_IO;
}

static enum tz_err read_all(int fd, unsigned char *buf, size_t size, const char *path,
                            char *err, size_t errlen)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_err(err, errlen, "cannot read %s", path);
			return TZ_ERR_IO;
		}
		got += (size_t)n;
	}
	return TZ_OK;
}

static enum tz_err read_zone_file(const char *path, const char *name,
                                  unsigned char **buf, size_t *len,
                                  char *err, size_t errlen)
{
	struct stat st;
	int fd;
	enum tz_err rc = open_zone_file(path, name, &fd, err, errlen);

	if (rc != TZ_OK)
		return rc;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		set_err(err, errlen, "unknown time zone \"%s\" (%s is not a zone file)", name, path);
		rc = TZ_ERR_NOT_FOUND;
	} else if (st.st_size < TZIF_HEADER_LEN || st.st_size > TZIF_FILE_MAX) {
		set_err(err, errlen, "%s: size %lld is not that of a zone file", path,
		        (long long)st.st_size);
		rc = TZ_ERR_FORMAT;
	} else if ((*buf = malloc((size_t)st.st_size)) == NULL) {
		set_err(err, errlen, "out of memory reading %s", path);
		rc = TZ_ERR_NOMEM;
	} else {
		*len = (size_t)st.st_size;
		rc = read_all(fd, *buf, *len, path, err, errlen);
	}
	close(fd);
	return rc;
}

enum tz_err tz_load_dir(struct tz_zone *zone, const char *dir, const char *name,
                        char *err, size_t errlen)
{
	char path[4096];
	unsigned char *buf = NULL;
	size_t len = 0;
	enum tz_err rc;

	if (zone == NULL || dir == NULL || name == NULL) {
		set_err(err, errlen, "tz_load: NULL argument");
		return TZ_ERR_ARG;
	}
	zone_clear(zone);
	if (tz_name_check(name) != TZ_OK) {
		/* Do not echo the name: it may hold control bytes bound for a log. */
		set_err(err, errlen, "invalid time zone name: expected an IANA name such as "
		        "Asia/Shanghai (letters, digits, '_', '-', '+', single '/')");
		return TZ_ERR_NAME;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
		set_err(err, errlen, "zoneinfo path too long");
		return TZ_ERR_ARG;
	}
	rc = read_zone_file(path, name, &buf, &len, err, errlen);
	if (rc == TZ_OK && (rc = tz_parse(zone, name, buf, len, err, errlen)) != TZ_OK)
		tz_free(zone);
	free(buf);
	return rc;
}

enum tz_err tz_load(struct tz_zone *zone, const char *name, char *err, size_t errlen)
{
	return tz_load_dir(zone, TZ_DEFAULT_DIR, name, err, errlen);
}

enum tz_err tz_fixed(struct tz_zone *zone, const char *name, int32_t offset)
{
	if (zone == NULL)
		return TZ_ERR_ARG;
	zone_clear(zone);
	if (offset <= -TZ_OFFSET_LIMIT || offset >= TZ_OFFSET_LIMIT)
		return TZ_ERR_ARG;
	copy_name(zone, name);
	zone->offset_before_first = offset;
	return TZ_OK;
}

/* ---- lookups ------------------------------------------------------------- */

/* Index of the last transition at or before utc; requires at[0] <= utc. */
static size_t last_transition_at_or_before(const struct tz_zone *zone, int64_t utc)
{
	size_t lo = 0, hi = zone->transition_count;   /* answer in [lo, hi) */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (zone->transition_at[mid] <= utc)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int32_t tz_offset_at(const struct tz_zone *zone, int64_t utc)
{
	size_t n = zone->transition_count;

	if (n == 0)
		return zone->rule.present ? posix_offset_at(&zone->rule, utc)
		                          : zone->offset_before_first;
	if (utc < zone->transition_at[0])
		return zone->offset_before_first;
	if (utc >= zone->transition_at[n - 1] && zone->rule.present)
		return posix_offset_at(&zone->rule, utc);
	return zone->offset_after[last_transition_at_or_before(zone, utc)];
}

void tz_free(struct tz_zone *zone)
{
	if (zone == NULL)
		return;
	free(zone->transition_at);
	free(zone->offset_after);
	zone_clear(zone);
}

const char *tz_strerror(enum tz_err e)
{
	static const char *const text[TZ_ERR__MAX] = {
		[TZ_OK] = "ok",
		[TZ_ERR_ARG] = "invalid argument",
		[TZ_ERR_NAME] = "invalid time zone name",
		[TZ_ERR_NOT_FOUND] = "unknown time zone",
		[TZ_ERR_IO] = "cannot read time zone file",
		[TZ_ERR_FORMAT] = "malformed time zone file",
		[TZ_ERR_UNSUPPORTED] = "unsupported time zone file",
		[TZ_ERR_NOMEM] = "out of memory",
	};

	return ((unsigned)e < TZ_ERR__MAX && text[e]) ? text[e] : "unknown error";
}
