#!/usr/bin/env bash
# tests/docker/smoke.sh -- builds the three images of docker/ and smoke-tests
# them as a stack, on a private Docker engine that this script starts and
# removes again (recipe: shared/PITFALLS.md, "Docker on these machines"):
#   - dockerd with no bridge and no iptables, vfs storage, every root under
#     one temporary folder; Debian's client /usr/bin/docker talks to it
#   - debian:bookworm-slim made with mmdebstrap when the engine lacks it
#     (no registry is reached: builds use --network host and never --pull)
#   - db, refundd and nginx with --network host on free loopback ports, as
#     docker/compose.hostnet.yaml runs them; no container gets an address
#   - checks through the container nginx with curl
# Without root or passwordless sudo (or without the packages) it prints a
# SKIP line with the reason and exits 0. Called by scripts/test when present.
#
# Adding a check: write a function t_NAME that calls `req METHOD PATH [curl
# args...]` and `expect CODE [BODY_REGEX...]`, and add a `check` line for it
# in the list near the end. Tokens: `token SUB ROLE`.
source "$(dirname "$0")/../../scripts/lib.sh"

T0=$SECONDS
skip() { printf 'SKIP: docker smoke test: %s\n' "$*"; exit 0; }
stage() { log "docker: $* ($((SECONDS - T0)) s)"; }

if ! is_root && ! sudo -n true 2>/dev/null; then
	skip "not root and no passwordless sudo, so no Docker engine can be started here"
fi
ensure_packages docker.io mmdebstrap curl ||
	skip "could not install docker.io, mmdebstrap and curl from Debian"

TMP=$(mktemp -d /tmp/refundd-docker.XXXXXX)
chmod 0755 "$TMP"
SOCK=$TMP/docker.sock
PREFIX=refundd-smoke
IMAGES=("$PREFIX/refundd:test" "$PREFIX/nginx:test" "$PREFIX/postgres:15")
CONTAINERS=("$PREFIX-nginx-tls" "$PREFIX-nginx" "$PREFIX-refundd" "$PREFIX-db")
ENGINE_UP=0

# Debian's client (20.10, BuildKit built in), whatever `docker` comes first
# on PATH, with a configuration of its own.
mkdir -p "$TMP/client"
dk() {
	as_root env DOCKER_HOST="unix://$SOCK" DOCKER_BUILDKIT=1 DOCKER_CONFIG="$TMP/client" \
		/usr/bin/docker "$@"
}

stop_pid_file() {   # stop_pid_file FILE: SIGTERM the process it names, wait, SIGKILL
	local f=$1 pid i
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	as_root kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 150); do
		as_root kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	as_root kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	set +e
	# REFUNDD_SMOKE_LOGS=DIR keeps the build, engine and container logs.
	if [ -n "${REFUNDD_SMOKE_LOGS:-}" ]; then
		mkdir -p "$REFUNDD_SMOKE_LOGS"
		cp "$TMP"/*.log "$REFUNDD_SMOKE_LOGS"/ 2>/dev/null
		[ "$ENGINE_UP" = 1 ] && for c in "${CONTAINERS[@]}"; do
			dk logs "$c" >"$REFUNDD_SMOKE_LOGS/$c.log" 2>&1
		done
	fi
	if [ "$ENGINE_UP" = 1 ]; then
		dk rm -f -v "${CONTAINERS[@]}" >/dev/null 2>&1
		dk rmi -f "${IMAGES[@]}" debian:bookworm-slim >/dev/null 2>&1
		dk builder prune -af >/dev/null 2>&1
	fi
	stop_pid_file "$TMP/pid"
	# dockerd stops the containerd it started; make sure.
	stop_pid_file "$TMP/exec/containerd/containerd.pid"
	as_root umount "$TMP/exec/netns/default" 2>/dev/null
	# Nothing may stay mounted below the folder before it is removed.
	findmnt -rn -o TARGET | grep -F "$TMP/" | sort -r | while read -r m; do
		as_root umount -l "$m"
	done
	as_root rm -rf --one-file-system "$TMP"
	log "docker: $((SECONDS - T0)) s in all, clean-up included"
}
trap cleanup EXIT

# --- the engine ---------------------------------------------------------------
stage "starting a private dockerd in $TMP"
as_root /usr/sbin/dockerd --bridge=none --iptables=false --ip6tables=false \
	--storage-driver=vfs --data-root "$TMP/root" --exec-root "$TMP/exec" \
	--pidfile "$TMP/pid" --host "unix://$SOCK" >"$TMP/dockerd.log" 2>&1 &
DOCKERD_LAUNCHER=$!
for i in $(seq 120); do
	dk version >/dev/null 2>&1 && { ENGINE_UP=1; break; }
	kill -0 "$DOCKERD_LAUNCHER" 2>/dev/null || break
	sleep 0.5
done
if [ "$ENGINE_UP" != 1 ]; then
	tail -15 "$TMP/dockerd.log" >&2
	skip "dockerd did not start (log above)"
fi

fail_now() {
	log "docker: FAILED: $*"
	for c in "${CONTAINERS[@]}"; do
		dk inspect "$c" >/dev/null 2>&1 || continue
		echo "--- logs of $c" >&2
		dk logs --tail 30 "$c" 2>&1 | sed 's/^/    /' >&2
	done
	exit 1
}

# --- the base image -----------------------------------------------------------
if ! dk image inspect debian:bookworm-slim >/dev/null 2>&1; then
	stage "making debian:bookworm-slim with mmdebstrap"
	sources=/etc/apt/sources.list.d/debian.sources
	[ -f "$sources" ] || sources=http://deb.debian.org/debian
	# merged-usr hook: without it mmdebstrap pulls in perl (PITFALLS.md).
	# The dpkg and apt options stay in the image (/etc/*/99mmdebstrap), as
	# upstream's slim image has them: no man pages, docs or translations
	# (75 MB), no Translation indexes, and dpkg without an fsync per file.
	slim=()
	for p in man/'*' doc/'*' locale/'*' info/'*' groff/'*' lintian/'*' linda/'*'; do
		slim+=("--dpkgopt=path-exclude=/usr/share/$p")
	done
	as_root mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		"${slim[@]}" --dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt=force-unsafe-io --aptopt='Acquire::Languages "none"' bookworm - "$sources" \
		2>"$TMP/mmdebstrap.log" |
		dk import --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null ||
		{ tail -20 "$TMP/mmdebstrap.log" >&2; fail_now "mmdebstrap | docker import"; }
fi

# --- the images (built side by side: downloads overlap the compile) ----------
stage "building the images"
build() {   # build TAG DOCKERFILE
	dk build --network host --progress plain -f "$REPO/docker/$2" -t "$1" "$REPO" \
		>"$TMP/build-${2%%.*}.log" 2>&1
}
build "${IMAGES[0]}" Dockerfile & b1=$!
build "${IMAGES[1]}" nginx.Dockerfile & b2=$!
build "${IMAGES[2]}" postgres.Dockerfile & b3=$!
for b in "$b1:Dockerfile" "$b2:nginx.Dockerfile" "$b3:postgres.Dockerfile"; do
	if ! wait "${b%%:*}"; then
		f=${b#*:}
		tail -30 "$TMP/build-${f%%.*}.log" >&2
		fail_now "docker build -f docker/$f"
	fi
done
dk image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "^$PREFIX/" | sed 's/^/    /' >&2

# --- the stack ----------------------------------------------------------------
DB_PORT=$(free_port); FCGI_PORT=$(free_port); HTTP_PORT=$(free_port)
while [ "$FCGI_PORT" = "$DB_PORT" ]; do FCGI_PORT=$(free_port); done
while [ "$HTTP_PORT" = "$DB_PORT" ] || [ "$HTTP_PORT" = "$FCGI_PORT" ]; do HTTP_PORT=$(free_port); done
URL=http://127.0.0.1:$HTTP_PORT

# Secret files as compose mounts them: read-only files in /run/secrets.
mkdir -p "$TMP/secrets"
for s in db_superuser_password db_owner_password db_app_password jwt_secret; do
	random_secret > "$TMP/secrets/$s"
	chmod 0644 "$TMP/secrets/$s"
done
openssl genpkey -algorithm ed25519 -out "$TMP/secrets/audit_signing_key"
chmod 0644 "$TMP/secrets/audit_signing_key"
# nginx's certificate, as docker/secrets.sh makes one for localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
	-keyout "$TMP/secrets/tls_key" -out "$TMP/secrets/tls_cert" 2>/dev/null
chmod 0644 "$TMP/secrets/tls_key" "$TMP/secrets/tls_cert"
secret() { printf -- '--volume=%s:/run/secrets/%s:ro' "$TMP/secrets/$1" "$1"; }

# wait_healthy CONTAINER SECONDS: until its HEALTHCHECK says healthy.
wait_healthy() {
	local c=$1 i state
	for i in $(seq $(($2 * 2))); do
		state=$(dk inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$c" 2>/dev/null)
		case "$state" in
		"running healthy") return 0 ;;
		exited*|dead*) fail_now "$c exited" ;;
		esac
		sleep 0.5
	done
	fail_now "$c not healthy after $2 s (state: $state)"
}

stage "starting db (127.0.0.1:$DB_PORT), refundd (127.0.0.1:$FCGI_PORT), nginx ($URL)"
# What compose.yaml + compose.hostnet.yaml give each service, with checks
# every 2 s instead of every 5-15 s.
dk run -d --name "$PREFIX-db" --network host --health-interval 2s \
	-e PGPORT="$DB_PORT" \
	-e POSTGRES_PASSWORD_FILE=/run/secrets/db_superuser_password \
	-e REFUNDD_DB_OWNER_PASSWORD_FILE=/run/secrets/db_owner_password \
	-e REFUNDD_DB_PASSWORD_FILE=/run/secrets/db_app_password \
	"$(secret db_superuser_password)" "$(secret db_owner_password)" "$(secret db_app_password)" \
	--volume "$REPO/docker/initdb:/docker-entrypoint-initdb.d:ro" \
	--volume "$REPO/conf/postgresql.conf:/etc/refundd/postgresql.conf:ro" \
	"${IMAGES[2]}" postgres -c listen_addresses=127.0.0.1 >/dev/null
dk run -d --name "$PREFIX-refundd" --network host --health-interval 2s \
	--read-only --cap-drop ALL --security-opt no-new-privileges \
	-e REFUNDD_SERVER_LISTEN="127.0.0.1:$FCGI_PORT" \
	-e REFUNDD_DB_CONNINFO="host=127.0.0.1 port=$DB_PORT dbname=refundd user=refundd_app" \
	-e REFUNDD_DB_OWNER_CONNINFO="host=127.0.0.1 port=$DB_PORT dbname=refundd user=refundd_owner" \
	"$(secret db_owner_password)" "$(secret db_app_password)" "$(secret jwt_secret)" \
	"$(secret audit_signing_key)" "${IMAGES[0]}" >/dev/null
dk run -d --name "$PREFIX-nginx" --network host --health-interval 2s \
	--read-only --tmpfs /run/refundd-nginx:uid=33,gid=33,mode=0750 \
	--cap-drop ALL --security-opt no-new-privileges \
	-e NGINX_LISTEN_HOST=127.0.0.1 -e NGINX_PORT="$HTTP_PORT" \
	-e REFUNDD_UPSTREAM="127.0.0.1:$FCGI_PORT" \
	"${IMAGES[1]}" >/dev/null
wait_healthy "$PREFIX-db" 90
wait_healthy "$PREFIX-refundd" 60
wait_healthy "$PREFIX-nginx" 30

# --- checks -------------------------------------------------------------------
PASSED=0
FAILED=()
# The init script added conf/postgresql.conf and the server was restarted
# after it: the running server has its shared_buffers.
t_pg_settings() {
	local want got
	want=$(sed -n "s/^shared_buffers *= *//p" "$REPO/conf/postgresql.conf")
	got=$(dk exec "$PREFIX-db" psql -X -At -U postgres -d postgres -c 'SHOW shared_buffers') || return 1
	[ "$got" = "$want" ] || { printf '        shared_buffers %s, want %s\n' "$got" "$want"; return 1; }
}
check() {   # check NAME FUNCTION
	if "$2"; then
		PASSED=$((PASSED + 1)); printf '  ok    %s\n' "$1"
	else
		FAILED+=("$1"); printf '  FAIL  %s\n' "$1"
	fi
}
req() {     # req METHOD PATH [curl args...]: sets STATUS, BODY, HEADERS
	REQ="$1 $2"
	STATUS=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' --max-time 10 \
		-X "$1" "${@:3}" "$URL$2") || STATUS=000
	BODY=$(cat "$TMP/body" 2>/dev/null); HEADERS=$(cat "$TMP/headers" 2>/dev/null)
}
expect() {  # expect CODE [BODY_REGEX...]: the last req answered CODE, body matches
	local code=$1 re; shift
	if [ "$STATUS" != "$code" ]; then
		printf '        %s: HTTP %s, want %s: %s\n' "$REQ" "$STATUS" "$code" "$(head -c 300 <<<"$BODY")"
		return 1
	fi
	for re in "$@"; do
		grep -qE -- "$re" <<<"$BODY" ||
			{ printf '        body does not match %s: %s\n' "$re" "$(head -c 300 <<<"$BODY")"; return 1; }
	done
}
token() { dk exec "$PREFIX-refundd" refundd token --sub "$1" --role "$2" --ttl 600; }
psql_db() { dk exec "$PREFIX-db" psql -X -q -At -d refundd "$@"; }

CUSTOMER=$(token smoke-alice customer) || fail_now "refundd token in the container"
OTHER=$(token smoke-bob customer)
SYSTEM=$(token smoke-billing system)
SUPPORT=$(token smoke-agent support)
ADMIN=$(token smoke-admin admin)
PAID_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ORDER='{"account":"smoke-alice","provider":"aliyun","product_type":"api_credits",
 "product_name":"API credits 1000","billing_mode":"one_time","status":"paid",
 "amount_paid":10000,"currency":"CNY","payment_method":"alipay",
 "paid_at":"'$PAID_AT'","quantity":1000}'

t_health()  { req GET /api/v1/health; expect 200 '"status": *"ok"' '"db": *"ok"'; }
t_me()      { req GET /api/v1/me -H "Authorization: Bearer $CUSTOMER"
              expect 200 '"sub": *"smoke-alice"' '"role": *"customer"'; }
t_no_token(){ req GET /api/v1/me; expect 401 &&
              grep -qi '^www-authenticate: Bearer' <<<"$HEADERS"; }
t_bad_token(){ req GET /api/v1/me -H "Authorization: Bearer ${CUSTOMER%?}x"; expect 401; }
t_config()  { req GET /api/v1/config
              expect 200 '"timezone": *"Asia/Shanghai"' '"providers": *\["aliyun", *"huaweicloud"\]' \
                     '"code": *"JPY", *"exponent": *0'; }
t_static()  { req GET /; expect 200 && grep -qi '^content-security-policy:' <<<"$HEADERS"; }
t_migrated() {
	local want have
	want=$(find "$REPO/sql" -maxdepth 1 -name '[0-9][0-9][0-9]_*.sql' | wc -l)
	have=$(psql_db -c 'SELECT count(*) FROM schema_migrations')
	[ "$want" = "$have" ] || { echo "        $have migrations recorded, $want in sql/"; return 1; }
}
t_non_root() {
	local u c
	u=$(dk exec "$PREFIX-refundd" sh -c 'stat -c %u /proc/1') c=$(dk exec "$PREFIX-refundd" cat /proc/1/comm)
	[ "$u" != 0 ] && [ "$c" = refundd ] || { echo "        pid 1: uid $u, $c"; return 1; }
	u=$(dk exec "$PREFIX-nginx" sh -c 'stat -c %u /proc/1')
	[ "$u" != 0 ] || { echo "        nginx runs as root"; return 1; }
}
t_no_compiler() { ! dk exec "$PREFIX-refundd" sh -c 'command -v cc || command -v gcc || command -v cmake'; }
t_demo_data() {   # the policies come with the demo data, loaded as docker/README.md says
	local f
	for f in "$REPO"/sql/demo/*.sql; do
		[ -e "$f" ] || continue
		dk exec -i "$PREFIX-db" psql -X -q -v ON_ERROR_STOP=1 -U postgres -d refundd <"$f" >/dev/null || return 1
	done
}
t_order_put() { req PUT /api/v1/orders/SMOKE-1 -H "Authorization: Bearer $SYSTEM" \
                    -H 'Content-Type: application/json' --data-binary "$ORDER"
                expect 201 '"id": *"SMOKE-1"'; }
t_order_get() { req GET /api/v1/orders/SMOKE-1 -H "Authorization: Bearer $CUSTOMER"
                expect 200 '"account": *"smoke-alice"' '"amount_paid": *10000'; }
t_quote()     { req GET /api/v1/orders/SMOKE-1/quote -H "Authorization: Bearer $CUSTOMER"
                expect 200 '"eligible": *true' '"decision": *"full"' '"amount": *10000'; }
t_quote_other() { req GET /api/v1/orders/SMOKE-1/quote -H "Authorization: Bearer $OTHER"; expect 404; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" <<<"$BODY"; }
REFUND='{"order_id":"SMOKE-1","reason_code":"changed_mind","reason_text":"smoke test",
 "payout_method":"original_route","expected_amount":10000}'
t_refund_submit() {
	req POST /api/v1/refunds -H "Authorization: Bearer $CUSTOMER" -H 'Idempotency-Key: smoke-1' \
		-H 'Content-Type: application/json' --data-binary "$REFUND"
	expect 201 '"status": *"submitted"' && REFUND_ID=$(json_field id) && [ -n "$REFUND_ID" ]
}
t_refund_replay() {   # the same Idempotency-Key and body: the first answer again
	req POST /api/v1/refunds -H "Authorization: Bearer $CUSTOMER" -H 'Idempotency-Key: smoke-1' \
		-H 'Content-Type: application/json' --data-binary "$REFUND"
	expect 201 && [ "$(json_field id)" = "$REFUND_ID" ]
}
t_refund_review() {
	req POST "/api/v1/refunds/$REFUND_ID/claim" -H "Authorization: Bearer $SUPPORT"
	expect 200 '"status": *"in_review"' || return 1
	req POST "/api/v1/refunds/$REFUND_ID/approve" -H "Authorization: Bearer $SUPPORT" \
		-H 'Content-Type: application/json' --data-binary '{"amount":10000,"note":"smoke test"}'
	expect 200 '"status": *"approved"'
}
t_audit_verify() { req GET /api/v1/audit/verify -H "Authorization: Bearer $ADMIN"; expect 200 '"ok": *true'; }
t_restart() {   # SIGTERM ends refundd promptly; migrations are re-run at start, idempotently
	local t=$SECONDS
	dk stop -t 20 "$PREFIX-refundd" >/dev/null
	[ $((SECONDS - t)) -lt 10 ] || { echo "        docker stop took $((SECONDS - t)) s"; return 1; }
	[ "$(dk inspect -f '{{.State.ExitCode}}' "$PREFIX-refundd")" = 0 ] ||
		{ echo "        exit code $(dk inspect -f '{{.State.ExitCode}}' "$PREFIX-refundd")"; return 1; }
	dk start "$PREFIX-refundd" >/dev/null
	wait_healthy "$PREFIX-refundd" 60
	t_health && t_migrated && t_order_get
}

stage "smoke tests through nginx at $URL"
# The image as compose.yaml runs it: HTTPS on one port, a redirect on another.
t_tls() {
	local https http i code
	https=$(free_port); http=$(free_port)
	dk run -d --name "$PREFIX-nginx-tls" --network host --health-interval 2s \
		--read-only --tmpfs /run/refundd-nginx:uid=33,gid=33,mode=0750 \
		--cap-drop ALL --security-opt no-new-privileges \
		-e NGINX_LISTEN_HOST=127.0.0.1 -e NGINX_PORT="$https" -e NGINX_HTTP_PORT="$http" \
		-e NGINX_TLS_CERT=/run/secrets/tls_cert -e NGINX_TLS_KEY=/run/secrets/tls_key \
		"$(secret tls_cert)" "$(secret tls_key)" \
		-e REFUNDD_UPSTREAM="127.0.0.1:$FCGI_PORT" "${IMAGES[1]}" >/dev/null || return 1
	wait_healthy "$PREFIX-nginx-tls" 30 || return 1
	code=$(curl -sS -o "$TMP/tls-body" -D "$TMP/tls-headers" -w '%{http_code}' --max-time 10 \
		--cacert "$TMP/secrets/tls_cert" "https://127.0.0.1:$https/api/v1/health") || return 1
	[ "$code" = 200 ] || { echo "        HTTPS health: $code"; return 1; }
	grep -qi '^strict-transport-security: max-age=63072000' "$TMP/tls-headers" ||
		{ echo "        no HSTS"; return 1; }
	code=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 10 \
		"http://127.0.0.1:$http/staff.html?x=1")
	[ "$code" = "301 https://127.0.0.1:$https/staff.html?x=1" ] ||
		{ echo "        plain HTTP answered: $code"; return 1; }
	dk rm -f "$PREFIX-nginx-tls" >/dev/null
}
t_plain_refused() {
	local out
	out=$(dk run --rm --network host -e NGINX_LISTEN_HOST=0.0.0.0 -e NGINX_PORT="$(free_port)" \
		-e REFUNDD_UPSTREAM="127.0.0.1:$FCGI_PORT" "${IMAGES[1]}" 2>&1) &&
		{ echo "        nginx started: $out"; return 1; }
	grep -q 'in clear' <<<"$out" || { echo "        $out"; return 1; }
}

check "GET /api/v1/health through nginx: 200, database ok"   t_health
check "db: conf/postgresql.conf applied (shared_buffers)"     t_pg_settings
check "GET / (www/) with the security headers"                t_static
check "GET /api/v1/config: the pages' zone, providers, currencies" t_config
check "GET /api/v1/me with a token from 'refundd token': 200" t_me
check "GET /api/v1/me without a token: 401 + WWW-Authenticate" t_no_token
check "GET /api/v1/me with a tampered token: 401"             t_bad_token
check "every sql/NNN_*.sql recorded in schema_migrations"     t_migrated
check "demo data (sql/demo) loads with psql in the db container" t_demo_data
check "PUT /api/v1/orders/SMOKE-1 as system: 201"             t_order_put
check "GET /api/v1/orders/SMOKE-1 as its customer: 200"       t_order_get
check "GET /api/v1/orders/SMOKE-1/quote: full refund in the window" t_quote
check "another customer's quote: 404"                         t_quote_other
check "POST /api/v1/refunds: 201 submitted"                   t_refund_submit
check "the same Idempotency-Key again: the same refund"       t_refund_replay
check "support claims and approves it: approved"              t_refund_review
check "GET /api/v1/audit/verify as admin: the chain holds"    t_audit_verify
# Payouts (finance) go here once fcgi/routes.c has them.
check "refundd is pid 1 (entrypoint exec'd), nobody runs as root" t_non_root
check "the refundd image has no compiler"                     t_no_compiler
check "docker stop: exit 0 within 10 s; start: migrate again, healthy, order kept" t_restart
check "nginx with a certificate: HTTPS with HSTS, plain HTTP redirects" t_tls
check "nginx without one refuses plain HTTP beyond loopback"      t_plain_refused

stage "stopping"
echo "smoke: $PASSED passed, ${#FAILED[@]} failed"
[ ${#FAILED[@]} -eq 0 ] || fail_now "${FAILED[*]}"
