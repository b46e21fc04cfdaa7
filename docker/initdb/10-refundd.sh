#!/bin/bash
# 10-refundd.sh -- run once by the postgres image (postgres:15 or
# docker/postgres.Dockerfile) on an empty data directory, mounted at
# /docker-entrypoint-initdb.d. Creates what scripts/lib.sh pg_create_db
# creates for local runs: the schema owner refundd_owner (runs migrations),
# the least-privilege login refundd_app (serves; migrations grant it what it
# needs) and the database refundd. The passwords come from the same secret
# files refundd reads, and never appear on a command line. It also adds
# conf/postgresql.conf (mounted at /etc/refundd/postgresql.conf by the
# compose file) to the cluster's settings; the image's entrypoint restarts
# the server after the init scripts, which applies them.
set -euo pipefail
if [ -r /etc/refundd/postgresql.conf ]; then
	cat /etc/refundd/postgresql.conf >> "$PGDATA/postgresql.conf"
fi
owner_file=${REFUNDD_DB_OWNER_PASSWORD_FILE:-/run/secrets/db_owner_password}
app_file=${REFUNDD_DB_PASSWORD_FILE:-/run/secrets/db_app_password}
for f in "$owner_file" "$app_file"; do
	[ -s "$f" ] || { echo "10-refundd.sh: $f is missing or empty" >&2; exit 1; }
done
psql -X -q -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
	-v owner_file="$owner_file" -v app_file="$app_file" <<'SQL'
\set owner_pw `head -n1 :'owner_file' | tr -d '\r\n'`
\set app_pw `head -n1 :'app_file' | tr -d '\r\n'`
CREATE ROLE refundd_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE refundd_app LOGIN PASSWORD :'app_pw' NOINHERIT;
CREATE DATABASE refundd OWNER refundd_owner;
\connect refundd
ALTER SCHEMA public OWNER TO refundd_owner;
SQL
