/* migrate.h -- applies sql/NNN_name.sql in order, once each. */
#ifndef REFUNDD_MIGRATE_H
#define REFUNDD_MIGRATE_H

#include <stddef.h>

/* Connects with conninfo (the schema owner, not the application role),
 * applies every file of dir not yet recorded in schema_migrations, each in
 * its own transaction, and stops at a recorded file whose checksum has
 * changed. Prints one line per applied file to stdout. 0 or -1 + err. */
int migrate_run(const char *conninfo, const char *password, const char *dir,
                char *err, size_t errlen);

#endif
