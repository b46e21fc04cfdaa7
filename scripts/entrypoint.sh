#!/bin/sh
# scripts/entrypoint.sh -- how refundd starts, in the container image and in
# scripts/run / scripts/test alike (scripts/lib.sh refundd_start):
#   1. wait until PostgreSQL accepts connections (pg_isready, bounded),
#   2. `refundd migrate` as the schema owner (append-only, idempotent,
#      serialised by an advisory lock, so several containers may start together),
#   3. `exec refundd serve`: refundd takes this process id, so SIGTERM from
#      `docker stop` or refundd_stop reaches it directly.
# Any other arguments run instead (`entrypoint.sh refundd token --sub S --role R`).
#
# Environment (everything else is refundd's own REFUNDD_<SECTION>_<KEY>):
#   REFUNDD_BIN      the binary (default: refundd on PATH)
#   REFUNDD_DB_WAIT  seconds to wait for the database (default 60)
# The database is the one `migrate` uses: REFUNDD_DB_OWNER_CONNINFO, else
# REFUNDD_DB_CONNINFO, else libpq's defaults. Passwords are not needed to
# ask whether the server accepts connections, and none are read here.
set -eu

bin=${REFUNDD_BIN:-refundd}
say() { printf 'refundd-entrypoint: %s\n' "$*" >&2; }

case "${1:-serve}" in
serve) ;;
*) exec "$@" ;;
esac

# Stop promptly if asked to while still waiting (a shell as pid 1 ignores
# SIGTERM without a trap).
trap 'say "stopped while starting"; exit 143' TERM INT

# pg_isready: the Debian wrapper on PATH, else the binary of a PostgreSQL
# client installation (the image copies only that one binary).
pg_isready=$(command -v pg_isready 2>/dev/null || true)
if [ -z "$pg_isready" ]; then
	for p in /usr/lib/postgresql/*/bin/pg_isready; do
		[ -x "$p" ] && pg_isready=$p
	done
fi

conninfo=${REFUNDD_DB_OWNER_CONNINFO:-${REFUNDD_DB_CONNINFO:-}}
wait_s=${REFUNDD_DB_WAIT:-60}
if [ -n "$pg_isready" ]; then
	start=$(date +%s)
	said=0
	while :; do
		rc=0
		if [ -n "$conninfo" ]; then
			"$pg_isready" -q -t 2 -d "$conninfo" || rc=$?
		else
			"$pg_isready" -q -t 2 || rc=$?
		fi
		[ "$rc" = 0 ] && break
		# 3: no attempt was made (a malformed conninfo): waiting won't help.
		[ "$rc" = 3 ] && { say "pg_isready cannot use the connection settings"; exit 1; }
		if [ $(( $(date +%s) - start )) -ge "$wait_s" ]; then
			say "the database did not accept connections within ${wait_s}s"
			exit 1
		fi
		[ "$said" = 1 ] || { say "waiting for the database"; said=1; }
		sleep 1
	done
else
	say "pg_isready not found; not waiting for the database"
fi

"$bin" migrate
trap - TERM INT
exec "$bin" serve
