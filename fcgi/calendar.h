/* calendar.h -- calendar questions in the reseller's time zone (DESIGN.md
 * §3): local civil date and time of an instant, "N business days later"
 * for a refund request's due_at (weekends, holidays and make-up working
 * days), the local calendar month around an instant (monthly_limit), and
 * "N calendar days later" for refund window ends.
 *
 * The zone is the process's: TZ, set once at start-up from app.timezone by
 * localzone.h, read through glibc's localtime_r (UTC offsets only; the
 * dates are this file's own integer arithmetic). Otherwise no I/O and no
 * state: the holiday table comes from the caller (the database). Instants
 * are Unix seconds (UTC); a "day number" is days since 1970-01-01 of a civil
 * (proleptic Gregorian) date, whatever the zone. */
#ifndef REFUNDD_CALENDAR_H
#define REFUNDD_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Instants accepted and produced: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define CALENDAR_MIN_UTC          INT64_C(-62135596800)
#define CALENDAR_MAX_UTC          INT64_C(253402300799)
/* Largest n for calendar_add_business_days (ten years of business days). */
#define CALENDAR_MAX_BUSINESS_DAYS 3660

enum calendar_err {
	CAL_OK = 0,
	CAL_ERR_ARG,        /* NULL pointer or bad enum: a caller bug */
	CAL_ERR_RANGE,      /* instant, n or result outside the supported range */
	CAL_ERR_DATE,       /* no such civil date (2026-02-30) or malformed text */
	CAL_ERR_HOLIDAYS,   /* holiday table not strictly ascending, or bad kind */
	CAL_ERR__MAX
};

/* The local wall-clock reading of an instant. */
struct calendar_local {
	int64_t year;
	int     month;        /* 1..12 */
	int     day;          /* 1..31 */
	int     hour, minute, second;
	int     weekday;      /* 0 = Sunday .. 6 = Saturday */
	int64_t day_number;   /* days since 1970-01-01 of the local date */
	int32_t second_of_day;
	int32_t utc_offset;   /* seconds east of UTC in effect */
};

/* An entry of the holiday table (PUT /api/v1/holidays). A HOLIDAY is never a
 * business day, even on a weekday; a WORKDAY is always one, even on a
 * Saturday or Sunday: China moves weekends around public holidays
 * ("调休"), e.g. Saturday 2026-10-10 is a working day after National Day. */
enum calendar_day_kind {
	CALENDAR_HOLIDAY = 0,
	CALENDAR_WORKDAY,
	CALENDAR_DAY_KIND__MAX
};

struct calendar_day {
	int64_t                day_number;  /* local date, days since 1970-01-01 */
	enum calendar_day_kind kind;
};

/* Caller-owned, sorted strictly ascending by day_number (one entry per date). */
struct calendar_holidays {
	const struct calendar_day *days;
	size_t                     count;
};

/* Civil arithmetic (H. Hinnant's algorithms), defined for every int64 year
 * that does not overflow; no validation. */
int64_t calendar_days_from_civil(int64_t year, int month, int day);
void    calendar_civil_from_days(int64_t day_number, int64_t *year, int *month, int *day);
int     calendar_weekday(int64_t day_number);   /* 0 = Sunday */
bool    calendar_is_leap_year(int64_t year);
int     calendar_days_in_month(int64_t year, int month);

/* Validating: years 1..9999, a real month and day. */
enum calendar_err calendar_date(int64_t year, int month, int day, int64_t *day_number);
/* Exactly "YYYY-MM-DD" (ten characters, nothing after). */
enum calendar_err calendar_parse_date(const char *text, int64_t *day_number);
/* "holiday" / "workday"; NULL for an invalid kind. */
const char *calendar_day_kind_name(enum calendar_day_kind kind);
bool        calendar_day_kind_parse(const char *name, enum calendar_day_kind *out);

enum calendar_err calendar_to_local(int64_t utc, struct calendar_local *out);

/* The instant at which the local clock reads second_of_day (0..86399) on
 * day_number. A reading that does not exist (spring-forward gap) is moved
 * forward by the length of the gap (02:30 -> 03:30 CEST); one that exists
 * twice (fall-back overlap) gives the earlier instant. Midnight therefore
 * always maps to the first instant of the local day. */
enum calendar_err calendar_from_local(int64_t day_number, int32_t second_of_day,
                                      int64_t *utc);

/* CAL_ERR_HOLIDAYS unless strictly ascending with valid kinds. NULL or an
 * empty table is valid (weekends only). */
enum calendar_err calendar_holidays_check(const struct calendar_holidays *holidays);
/* Monday..Friday unless listed as HOLIDAY, plus days listed as WORKDAY.
 * holidays may be NULL; it must have passed calendar_holidays_check. */
bool calendar_is_business_day(const struct calendar_holidays *holidays, int64_t day_number);

/* due_at: "n business days after start" means
 *   1. Anchor. If start's local date is a business day, the anchor is start.
 *      Otherwise the anchor is 00:00 local on the first business day after
 *      it: the clock starts when the office opens, so a request sent on
 *      Saturday gets all of Monday, and a later submission never gets an
 *      earlier due time than an earlier one (monotonic).
 *   2. The result is the anchor's local time of day on the n-th business day
 *      after the anchor's date (through calendar_from_local, so a DST gap
 *      moves it forward). n = 0 gives the anchor itself.
 * Example (Asia/Shanghai): Friday 15:00 + 1 = Monday 15:00; Saturday 10:00
 * + 1 = Tuesday 00:00; Wednesday 2026-09-30 10:00 + 3 = Saturday 2026-10-10
 * 10:00 (National Day holiday, then a make-up working Saturday).
 * n in 0..CALENDAR_MAX_BUSINESS_DAYS; holidays may be NULL and is checked. */
enum calendar_err calendar_add_business_days(const struct calendar_holidays *holidays,
                                             int64_t start, int n, int64_t *out);

/* The same local time of day n calendar days later (n may be negative), e.g.
 * window_ends_at = paid_at + window_days. In a zone with DST this differs
 * from start + n * 86400 by the change of offset. */
enum calendar_err calendar_add_days(int64_t start, int n, int64_t *out);

/* The local calendar month containing instant, as the half-open UTC
 * interval [*start, *end): *start is the first instant of the month's first
 * local day, *end the first instant of the next month's. */
enum calendar_err calendar_month_bounds(int64_t instant, int64_t *start, int64_t *end);

/* Stable, never NULL. */
const char *calendar_strerror(enum calendar_err e);

#endif
