/* localzone.h -- the process time zone: app.timezone becomes TZ once, at
 * start-up, before any thread exists. From then on glibc's localtime_r
 * answers calendar.c's "which UTC offset applies at this instant" (it is
 * thread-safe: after the first tzset it only reads the loaded zone under
 * glibc's own lock, and nobody changes TZ again).
 *
 * Why a check before glibc: for a name it cannot load, tzset silently falls
 * back -- "Mars/Olympus" or "Asia/shanghai" become UTC, and "XYZ3" is read as
 * a POSIX rule, UTC-3 -- and business days would quietly be counted in the
 * wrong zone. localzone_set refuses such names instead, so refundd does not
 * start. */
#ifndef REFUNDD_LOCALZONE_H
#define REFUNDD_LOCALZONE_H

#include <stdbool.h>
#include <stddef.h>

#define LOCALZONE_DIR "/usr/share/zoneinfo"
/* Longest accepted name; fits config.h's timezone[64]. The longest IANA
 * name today, "America/Argentina/ComodRivadavia", has 32 bytes. */
#define LOCALZONE_NAME_MAX 63

/* An IANA-shaped name: '/'-separated non-empty components of
 * [A-Za-z0-9_+-], at most LOCALZONE_NAME_MAX bytes. No '.', so no "..";
 * no leading '/', so always below LOCALZONE_DIR. */
bool localzone_name_ok(const char *name);

/* Checks name, that LOCALZONE_DIR/name is a regular TZif file and not a
 * leap-second ("right/") zone, then sets TZ to that file and calls tzset.
 * Returns 0, or -1 with a readable cause in err and TZ left unchanged.
 * Not thread-safe (setenv): call it before any thread starts. */
int localzone_set(const char *name, char *err, size_t errlen);

#endif
