/* localzone.c -- see localzone.h. */
#include "localzone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static bool name_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+';
}

bool localzone_name_ok(const char *name)
{
	size_t len, i;

	if (name == NULL)
		return false;
	len = strnlen(name, LOCALZONE_NAME_MAX + 1);
	if (len == 0 || len > LOCALZONE_NAME_MAX || name[0] == '/' || name[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		bool empty_component = name[i] == '/' && name[i + 1] == '/';

		if (empty_component || (name[i] != '/' && !name_char_ok(name[i])))
			return false;
	}
	return true;
}

/* A regular file that starts with the TZif magic (RFC 8536): what glibc
 * will load rather than falling back to UTC. */
static int check_zone_file(const char *path, const char *name, char *err, size_t errlen)
{
	char magic[4];
	struct stat st;
	FILE *f;
	size_t got;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "unknown time zone \"%s\" (no file %s)", name, path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "time zone \"%s\": %s is not a zone file", name, path);
		return -1;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "time zone \"%s\": %s: %s", name, path, strerror(errno));
		return -1;
	}
	got = fread(magic, 1, sizeof magic, f);
	(void)fclose(f);   /* read only */
	if (got != sizeof magic || memcmp(magic, "TZif", sizeof magic) != 0) {
		snprintf(err, errlen, "time zone \"%s\": %s is not a zone file (no TZif magic)",
		         name, path);
		return -1;
	}
	return 0;
}

int localzone_set(const char *name, char *err, size_t errlen)
{
	/* ':' + directory + '/' + name + NUL */
	char tz[1 + sizeof LOCALZONE_DIR + LOCALZONE_NAME_MAX + 1];

	if (!localzone_name_ok(name)) {
		snprintf(err, errlen, "\"%s\" is not a time zone name (like Asia/Shanghai)",
		         name ? name : "(null)");
		return -1;
	}
	/* Transition times in the right/ files count leap seconds; our instants
	 * (and PostgreSQL's) are POSIX seconds, which do not. */
	if (strncmp(name, "right/", 6) == 0) {
		snprintf(err, errlen, "time zone \"%s\": leap-second zones are not supported", name);
		return -1;
	}
	snprintf(tz, sizeof tz, ":%s/%s", LOCALZONE_DIR, name);
	if (check_zone_file(tz + 1, name, err, errlen) != 0)
		return -1;
	/* The absolute path makes glibc read exactly the file checked above,
	 * whatever TZDIR says. */
	if (setenv("TZ", tz, 1) != 0) {
		snprintf(err, errlen, "setenv TZ: %s", strerror(errno));
		return -1;
	}
	tzset();
	return 0;
}
