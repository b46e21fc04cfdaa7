# scripts/lib.sh -- the steps scripts/run, scripts/test and the container
# entrypoint share: packages, build, a private PostgreSQL cluster, refundd
# and nginx. Sourced, never run. Every function works as root (services
# then run as unprivileged users) and as a normal user (sudo for apt).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin
SERVICE_USER=refundd          # refundd and nginx workers when started as root

# Debian packages to build, run and test the stack.
PACKAGES=(build-essential cmake pkg-config libfcgi-dev libjwt-dev libjansson-dev
          libinih-dev libpq-dev libssl-dev libcurl4-openssl-dev libcmocka-dev postgresql-15
          postgresql-client-15 nginx curl openssl ca-certificates tzdata procps valgrind
          python3 python3-prometheus-client libcsv-dev)

# Node.js runs the API and browser tests; the machine may bring its own.
ensure_node() {
	command -v node >/dev/null && command -v npm >/dev/null && return 0
	ensure_packages nodejs npm
}

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }
as_root() { if is_root; then "$@"; else sudo -n "$@"; fi; }

# Installs what is missing (apt-get update first, as a fresh machine needs).
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_service_user() {
	is_root || return 0
	id -u "$SERVICE_USER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
}

# build_tree DIR [cmake args...]
build_tree() {
	local dir=$1; shift
	cmake -S "$REPO" -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j2 -- --no-print-directory >/dev/null
}

# Runs a command as the user that owns the cluster (never root: initdb refuses).
as_pg() {
	# from / : postgres may not enter the checkout, and says so on every call
	if is_root; then (cd / && su -s /bin/sh postgres -c "$(printf '%q ' "$@")"); else "$@"; fi
}

random_secret() { head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48; }

# pg_init RUNDIR: a cluster under RUNDIR/pg, reachable only by its unix socket
# in RUNDIR/pg-socket, with password authentication for every role.
# The passwords are the invoking user's alone (0600 in a 0700 folder): the
# socket is open to every local user, so a readable superuser password was
# the whole database, audit trail included, for anyone on the machine.
# refundd reads its own before it drops privileges.
pg_init() {
	local rd=$1
	# runs made before the passwords were private: make them so
	[ -d "$rd/secrets" ] && chmod -R go-rwx "$rd/secrets"
	[ -f "$rd/pg/PG_VERSION" ] && return 0
	log "creating a PostgreSQL cluster in $rd/pg"
	mkdir -p "$rd/pg" "$rd/pg-socket"
	(umask 077 && mkdir -p "$rd/secrets" &&
		random_secret > "$rd/secrets/pg-superuser" &&
		random_secret > "$rd/secrets/pg-owner" &&
		random_secret > "$rd/secrets/pg-app" &&
		cp "$rd/secrets/pg-superuser" "$rd/pwfile.tmp")
	if is_root; then
		chown postgres "$rd/pg" "$rd/pg-socket" "$rd/pwfile.tmp"
	fi
	as_pg "$PGBIN/initdb" -D "$rd/pg" -U postgres --auth=scram-sha-256 \
		--pwfile="$rd/pwfile.tmp" -E UTF8 --locale=C.UTF-8 >/dev/null
	rm -f "$rd/pwfile.tmp"
	cat >> "$rd/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$rd/pg-socket'
fsync = on
max_connections = 200
timezone = 'UTC'
CONF
	cat "$REPO/conf/postgresql.conf" >> "$rd/pg/postgresql.conf"
}

pg_start() {
	local rd=$1
	as_pg "$PGBIN/pg_ctl" -D "$rd/pg" -l "$rd/pg/server.log" -w -t 60 start >/dev/null
}

pg_stop() {
	local rd=$1
	[ -f "$rd/pg/postmaster.pid" ] || return 0
	as_pg "$PGBIN/pg_ctl" -D "$rd/pg" -m fast -w -t 60 stop >/dev/null || true
}

# psql as the superuser: psql_super RUNDIR [psql args...]
psql_super() {
	local rd=$1; shift
	PGPASSWORD=$(cat "$rd/secrets/pg-superuser") psql -X -q -v ON_ERROR_STOP=1 \
		-h "$rd/pg-socket" -U postgres "$@"
}

# Roles and database: the owner runs migrations, the app role only serves.
pg_create_db() {
	local rd=$1
	psql_super "$rd" -d postgres \
		-v owner_pw="$(cat "$rd/secrets/pg-owner")" -v app_pw="$(cat "$rd/secrets/pg-app")" <<'SQL'
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'refundd_owner') AS need_roles \gset
\if :need_roles
CREATE ROLE refundd_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE refundd_app LOGIN PASSWORD :'app_pw' NOINHERIT;
\endif
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = 'refundd') AS need_db \gset
\if :need_db
CREATE DATABASE refundd OWNER refundd_owner;
\endif
SQL
	psql_super "$rd" -d refundd -c 'ALTER SCHEMA public OWNER TO refundd_owner'
}

# load_demo_queue RUNDIR URL BINARY: a dozen refund requests in every state,
# made through the API of the running stack (scripts/demo-queue.mjs).
load_demo_queue() {
	node "$REPO/scripts/demo-queue.mjs" "$2" "$1" "$3"
}

# The environment refundd reads (conf/refundd.conf plus these overrides).
refundd_env() {
	local rd=$1
	export REFUNDD_CONFIG=$REPO/conf/refundd.conf
	export REFUNDD_SERVER_LISTEN=$rd/run/refundd.sock
	export REFUNDD_SERVER_USER=$(is_root && echo "$SERVICE_USER" || true)
	export REFUNDD_DB_CONNINFO="host=$rd/pg-socket dbname=refundd user=refundd_app"
	export REFUNDD_DB_PASSWORD_FILE=$rd/secrets/pg-app
	export REFUNDD_DB_OWNER_CONNINFO="host=$rd/pg-socket dbname=refundd user=refundd_owner"
	export REFUNDD_DB_OWNER_PASSWORD_FILE=$rd/secrets/pg-owner
	export REFUNDD_JWT_KEY_FILE=$rd/jwt-secret
	export REFUNDD_AUDIT_SIGNING_KEY_FILE=$rd/audit-signing.pem
	export REFUNDD_APP_SQL_DIR=$REPO/sql
}

# Makes the secrets of a local run: the HS256 secret (at least 32 random
# bytes) and the Ed25519 key that signs audit checkpoints.
ensure_jwt_secret() {
	local rd=$1
	[ -s "$rd/jwt-secret" ] || (umask 077 && random_secret > "$rd/jwt-secret")
	[ -s "$rd/audit-signing.pem" ] ||
		(umask 077 && openssl genpkey -algorithm ed25519 -out "$rd/audit-signing.pem")
}

# refundd_start RUNDIR BINARY [NAME]: in the background, scripts/entrypoint.sh
# (the container's entrypoint too) waits for the database, migrates, then
# execs `BINARY serve`, which keeps the pid recorded here. NAME (default
# refundd) names its socket run/NAME.sock, NAME.pid and NAME.log, so a second
# instance can serve the same database (scripts/test's two-instance check).
refundd_start() {
	local rd=$1 bin=$2 name=${3:-refundd}
	mkdir -p "$rd/run"
	is_root && chown "$SERVICE_USER" "$rd/run" && chmod 0750 "$rd/run"
	refundd_env "$rd"
	local sock=$rd/run/$name.sock
	rm -f "$sock"   # so the wait below sees the new one
	REFUNDD_SERVER_LISTEN=$sock REFUNDD_BIN=$bin "$REPO/scripts/entrypoint.sh" >>"$rd/$name.log" 2>&1 &
	echo $! > "$rd/$name.pid"
	local i
	for i in $(seq 100); do
		[ -S "$sock" ] && return 0
		kill -0 "$(cat "$rd/$name.pid")" 2>/dev/null || break
		sleep 0.1
	done
	tail -5 "$rd/$name.log" >&2
	return 1
}

# refundd_stop RUNDIR [NAME]: SIGTERM, wait; returns refundd's exit status.
refundd_stop() {
	local rd=$1 name=${2:-refundd} pid
	[ -f "$rd/$name.pid" ] || return 0
	pid=$(cat "$rd/$name.pid"); rm -f "$rd/$name.pid"
	kill -TERM "$pid" 2>/dev/null || return 0
	local rc=0
	wait "$pid" 2>/dev/null || rc=$?
	# wait only works for our own children; otherwise poll.
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	return $rc
}

# load_demo RUNDIR: the demo policies, orders and holidays (sql/demo/).
load_demo() {
	local rd=$1 f
	for f in "$REPO"/sql/demo/*.sql; do
		[ -e "$f" ] && psql_super "$rd" -d refundd -f "$f"
	done
	return 0
}

# nginx_start RUNDIR PORT: renders conf/nginx.conf (scripts/nginx-render)
# and starts nginx. REFUNDD_UPSTREAM: refundd
# instances, comma-separated (default the one at RUNDIR/run/refundd.sock). With REFUNDD_TLS_CERT and
# REFUNDD_TLS_KEY, PORT is HTTPS and REFUNDD_HTTP_PORT redirects to it.
nginx_start() {
	local rd=$1 port=$2 www=$REPO/www user=""
	mkdir -p "$rd/nginx-tmp"
	if is_root; then
		# the workers run as SERVICE_USER, which may not reach into the checkout
		rm -rf "$rd/www" && cp -r "$REPO/www" "$rd/www" && chmod -R a+rX "$rd/www"
		www=$rd/www
		user=$SERVICE_USER
	fi
	NGINX_RUNDIR=$rd NGINX_WWW=$www NGINX_UPSTREAM=${REFUNDD_UPSTREAM:-unix:$rd/run/refundd.sock} NGINX_PORT=$port \
	NGINX_USER=$user NGINX_RATE=${REFUNDD_RATE:-100} NGINX_BURST=${REFUNDD_BURST:-200} \
	NGINX_API_TIMEOUT=${REFUNDD_API_TIMEOUT:-30s} NGINX_TLS_CERT=${REFUNDD_TLS_CERT:-} \
	NGINX_TLS_KEY=${REFUNDD_TLS_KEY:-} NGINX_HTTP_PORT=${REFUNDD_HTTP_PORT:-} \
		"$REPO/scripts/nginx-render" "$REPO/conf/nginx.conf" "$rd/nginx.conf"
	nginx -q -c "$rd/nginx.conf" -p "$rd" -e "$rd/nginx-error.log"
}

nginx_stop() {
	local rd=$1
	[ -f "$rd/nginx.pid" ] || return 0
	nginx -q -c "$rd/nginx.conf" -p "$rd" -e "$rd/nginx-error.log" -s quit 2>/dev/null || true
	local i
	for i in $(seq 50); do [ -f "$rd/nginx.pid" ] || return 0; sleep 0.1; done
}

# The other web servers (conf/apache.conf, conf/lighttpd.conf): the same
# site as conf/nginx.conf, each started with a configuration of its own in
# RUNDIR, so the system's /etc/apache2 and /etc/lighttpd are never read.
# As root their workers run as SERVICE_USER (like nginx_start's), serving a
# copy of www/ it can read.
WEB_MODULES_APACHE=/usr/lib/apache2/modules

# web_seconds 30s|1m|5: nginx's time (REFUNDD_API_TIMEOUT) in seconds.
web_seconds() {
	case $1 in *m) echo $(( ${1%m} * 60 )) ;; *s) echo "${1%s}" ;; *) echo "$1" ;; esac
}

# web_render RUNDIR PORT TEMPLATE OUT [USER_LINES]: the @NAME@ placeholders
# these templates share.
web_render() {
	local rd=$1 port=$2 www=$REPO/www
	is_root && www=$rd/www
	sed -e "s|@RUNDIR@|$rd|g" -e "s|@PORT@|$port|g" -e "s|@LISTEN_HOST@|127.0.0.1|g" \
	    -e "s|@WWW@|$www|g" -e "s|@SOCKET@|$rd/run/refundd.sock|g" \
	    -e "s|@MODULES@|$WEB_MODULES_APACHE|g" -e "s|@MAX_BODY@|65536|g" \
	    -e "s|@RATE@|${REFUNDD_RATE:-100}|g" -e "s|@BURST@|${REFUNDD_BURST:-200}|g" \
	    -e "s|@API_TIMEOUT@|$(web_seconds "${REFUNDD_API_TIMEOUT:-30s}")|g" \
	    -e "s|^@USER_LINES@$|${5:-}|" "$3" > "$4"
}

web_prepare() {
	local rd=$1
	if is_root; then
		rm -rf "$rd/www" && cp -r "$REPO/www" "$rd/www" && chmod -R a+rX "$rd/www"
	fi
}

# stop_pidfile PIDFILE: SIGTERM to the pid in it, then wait until it is gone.
stop_pidfile() {
	local pid i
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kill -TERM "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$1"
}

# apache_start RUNDIR PORT: renders conf/apache.conf and its limits
# (conf/apache-limits.lua) and starts Apache httpd 2.4.
apache_start() {
	local rd=$1 port=$2 users=""
	is_root && users="User $SERVICE_USER\nGroup $SERVICE_USER"
	mkdir -p "$rd/apache-run"
	web_prepare "$rd"
	web_render "$rd" "$port" "$REPO/conf/apache.conf" "$rd/apache.conf" "$users"
	web_render "$rd" "$port" "$REPO/conf/apache-limits.lua" "$rd/apache-limits.lua"
	/usr/sbin/apache2 -f "$rd/apache.conf" -k start
}

apache_stop() { stop_pidfile "$1/apache.pid"; }

# lighttpd_start RUNDIR PORT: renders conf/lighttpd.conf and its Lua hooks
# (conf/lighttpd-*.lua) and starts lighttpd.
lighttpd_start() {
	local rd=$1 port=$2 f users=""
	is_root && users="server.username = \"$SERVICE_USER\"\nserver.groupname = \"$SERVICE_USER\""
	# lighttpd opens its logs after it gives up root: a folder of its own
	mkdir -p "$rd/lighttpd/tmp"
	is_root && chown -R "$SERVICE_USER" "$rd/lighttpd"
	web_prepare "$rd"
	web_render "$rd" "$port" "$REPO/conf/lighttpd.conf" "$rd/lighttpd.conf" "$users"
	for f in "$REPO"/conf/lighttpd-*.lua; do
		web_render "$rd" "$port" "$f" "$rd/$(basename "$f")"
	done
	lighttpd -f "$rd/lighttpd.conf"
}

lighttpd_stop() { stop_pidfile "$1/lighttpd.pid"; }

# wait_health URL: until /api/v1/health answers 200 (30 s at most).
wait_health() {
	local url=$1 i
	for i in $(seq 150); do
		curl -fsS -o /dev/null "$url/api/v1/health" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

# A directory every service user can traverse (a root-owned checkout under
# a 0700 temporary folder is not).
make_rundir() {
	local rd=$1
	mkdir -p "$rd"
	chmod 0755 "$rd"
}

# Run directly, the file calls one of its functions: tests use
# `bash scripts/lib.sh pg_stop RUNDIR` to take the database away.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then "$@"; fi
