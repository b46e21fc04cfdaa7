#!/bin/bash
# docker-entrypoint.sh of docker/postgres.Dockerfile: a small subset of the
# postgres:15 image's entrypoint. On an empty PGDATA: initdb (superuser
# POSTGRES_USER with the password from POSTGRES_PASSWORD_FILE or
# POSTGRES_PASSWORD, scram-sha-256 over TCP, peer over the unix socket),
# then a server on the unix socket only runs /docker-entrypoint-initdb.d/*.sh
# and *.sql once. Then `postgres ARGS...` in the foreground.
set -euo pipefail

say() { printf 'postgres-entrypoint: %s\n' "$*" >&2; }

if [ "${1:-postgres}" != postgres ]; then
	exec "$@"
fi
[ $# -gt 0 ] && shift
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-postgres}
# Local connections use peer authentication, so the superuser has the name of
# the OS user the server runs as.
[ "$user" = "$(id -un)" ] || { say "POSTGRES_USER must be $(id -un) in this image"; exit 1; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
		pw=$(cat "$POSTGRES_PASSWORD_FILE")
	else
		pw=${POSTGRES_PASSWORD:-}
	fi
	[ -n "$pw" ] || { say "set POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD) for the superuser"; exit 1; }
	say "initialising $PGDATA"
	pwfile=$(mktemp)
	printf '%s\n' "$pw" > "$pwfile"
	unset pw POSTGRES_PASSWORD
	initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
		--auth-local=peer --auth-host=scram-sha-256 >/dev/null
	rm -f "$pwfile"
	# Other containers connect over the network; every role needs its password.
	echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
	{
		echo "listen_addresses = '*'"
		echo "timezone = 'UTC'"
		echo "log_timezone = 'UTC'"
	} >> "$PGDATA/postgresql.conf"

	# The init scripts talk to a server that listens on its socket only, so
	# nothing can connect over TCP (or see it ready) before they are done.
	pg_ctl -D "$PGDATA" -w -t 60 -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" start >/dev/null
	export PGHOST=/var/run/postgresql PGUSER=$user
	if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
		psql -X -q -v ON_ERROR_STOP=1 -d postgres -v db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			say "running $f"
			if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
		*.sql)
			say "running $f"
			psql -X -q -v ON_ERROR_STOP=1 -d "${POSTGRES_DB:-postgres}" -f "$f" ;;
		*) ;;
		esac
	done
	unset PGHOST PGUSER
	pg_ctl -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
	say "initialised"
fi

exec postgres "$@"
