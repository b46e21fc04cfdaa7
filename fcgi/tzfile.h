/* tzfile.h -- one IANA time zone (e.g. "Asia/Shanghai") loaded from the
 * compiled zoneinfo database (TZif, RFC 8536) into a plain struct, so that
 * calendar questions ("business days", "this month", DESIGN.md §3) can be
 * answered in the reseller's zone without setenv("TZ")/localtime, which are
 * process-global and not thread-safe.
 *
 * Load once at start-up (tz_load does file I/O), then share the zone
 * read-only between threads: tz_offset_at and the rest are pure.
 *
 * Beyond the last transition in the file the zone follows the file's footer
 * (a POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3"), which we parse and
 * evaluate rather than relying on the file to list transitions far enough:
 * "slim" zone files (zic -b slim) stop listing them once the rule is regular,
 * for Europe/Berlin as early as 1996. */
#ifndef REFUNDD_TZFILE_H
#define REFUNDD_TZFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
/* Longest accepted zone name; fits config.h's timezone[64]. The longest
 * IANA name today is 32 characters. */
#define TZ_NAME_MAX 63

enum tz_err {
	TZ_OK = 0,
	TZ_ERR_ARG,          /* NULL pointer or value out of range: a caller bug */
	TZ_ERR_NAME,         /* not an acceptable zone name ("..", "/x", odd bytes) */
	TZ_ERR_NOT_FOUND,    /* no such zone file (or it is not a regular file) */
	TZ_ERR_IO,           /* open/read failed for another reason */
	TZ_ERR_FORMAT,       /* not a valid TZif file or footer TZ string */
	TZ_ERR_UNSUPPORTED,  /* valid but not for us: leap-second ("right/") zones */
	TZ_ERR_NOMEM,
	TZ_ERR__MAX
};

/* When a POSIX TZ rule switches, e.g. "M3.5.0/3": last Sunday of March, 03:00. */
enum tz_rule_kind {
	TZ_RULE_JULIAN_1,    /* "Jn": day n of 1..365, February 29 never counted */
	TZ_RULE_JULIAN_0,    /* "n": day n of 0..365, February 29 counted */
	TZ_RULE_MONTH_WEEK   /* "Mm.w.d": weekday d (0 = Sunday) of week w (5 = last) of month m */
};

struct tz_rule_date {
	enum tz_rule_kind kind;
	int     day;         /* TZ_RULE_JULIAN_1 / TZ_RULE_JULIAN_0 */
	int     month;       /* TZ_RULE_MONTH_WEEK: 1..12 */
	int     week;        /* 1..5 */
	int     weekday;     /* 0..6 */
	int32_t time;        /* seconds after local midnight, -167 h .. +167 h (RFC 8536 §3.3.1) */
};

/* The footer rule. Offsets are seconds EAST of UTC (POSIX strings count west). */
struct tz_posix_rule {
	bool    present;     /* false: v1 file or empty footer, last offset holds */
	int32_t std_offset;
	bool    has_dst;
	int32_t dst_offset;
	struct tz_rule_date dst_start;  /* in local standard time */
	struct tz_rule_date dst_end;    /* in local daylight time */
};

struct tz_zone {
	char     name[TZ_NAME_MAX + 1];
	size_t   transition_count;
	int64_t *transition_at;       /* UTC seconds, strictly ascending; owned */
	int32_t *offset_after;        /* seconds east of UTC from transition_at[i]; owned */
	int32_t  offset_before_first; /* RFC 8536: time type 0 */
	struct tz_posix_rule rule;    /* used at and after the last transition when present */
};

/* True when name is a plausible IANA name: components of [A-Za-z0-9_+-]
 * separated by single '/', no leading or trailing '/', no '.', so no "..". */
enum tz_err tz_name_check(const char *name);

/* Loads TZ_DEFAULT_DIR/name. zone need not be initialised; on failure it is
 * left empty (tz_free is still safe) and err holds a readable cause. */
enum tz_err tz_load(struct tz_zone *zone, const char *name, char *err, size_t errlen);
/* The same from another zoneinfo directory (tests, unusual installs). */
enum tz_err tz_load_dir(struct tz_zone *zone, const char *dir, const char *name,
                        char *err, size_t errlen);
/* Pure: parses the bytes of a TZif file (v1, v2, v3 or v4; the 64-bit block
 * when present). name is only copied into zone->name. Exposed for fuzzing. */
enum tz_err tz_parse(struct tz_zone *zone, const char *name,
                     const unsigned char *buf, size_t len, char *err, size_t errlen);
/* Pure: parses a POSIX TZ string as found in a TZif footer. "" gives
 * present = false. A DST part without ",start,end" rules is refused: the
 * POSIX default is implementation-defined and real footers always have them. */
enum tz_err tz_parse_posix(const char *s, struct tz_posix_rule *out);

/* A zone with one fixed offset (e.g. "UTC", 0); no allocation, but tz_free
 * is safe. TZ_ERR_ARG when |offset| >= 26 h. */
enum tz_err tz_fixed(struct tz_zone *zone, const char *name, int32_t offset);

/* Seconds east of UTC in effect at the UTC instant utc. */
int32_t tz_offset_at(const struct tz_zone *zone, int64_t utc);

void tz_free(struct tz_zone *zone);
/* Stable, never NULL. */
const char *tz_strerror(enum tz_err e);

#endif
