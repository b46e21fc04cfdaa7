#!/usr/bin/env bash
# tests/web/run.sh -- refundd behind the other web servers: Apache httpd 2.4
# (conf/apache.conf, mod_proxy_fcgi) and lighttpd (conf/lighttpd.conf,
# mod_fastcgi), each started on a free port in front of the running refundd,
# with the foundation API tests (tests/api/foundation.test.mjs: limits,
# headers, request id, errors), the server's own problems
# (tests/web/upstream.test.mjs: 413, 429, 502/503, 504) and the browser
# smoke test (tests/browser/smoke.test.mjs) through it, then stopped.
# Needs the environment scripts/test exports (or `scripts/dev-stack env`):
# REFUNDD_RUNDIR (run/refundd.sock, jwt-secret), REFUNDD_BIN,
# REFUNDD_THREADS. Installs apache2, lighttpd and lighttpd-modules-lua when
# missing. Ports: REFUNDD_APACHE_PORT, REFUNDD_LIGHTTPD_PORT (default: free
# ones). Only some servers: REFUNDD_WEB_SERVERS="apache lighttpd".
# Exits non-zero when a test fails or a server does not start.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib.sh"
: "${REFUNDD_RUNDIR:?set REFUNDD_RUNDIR (run through scripts/test or eval scripts/dev-stack env)}"
RD=$REFUNDD_RUNDIR
[ -S "$RD/run/refundd.sock" ] || { log "no refundd socket in $RD/run"; exit 1; }

ensure_packages apache2 lighttpd lighttpd-modules-lua
ensure_node
ensure_service_user
# The API tests' npm packages, where the checkout has them (tests/api/setup.sh).
if [ -f "$REPO/tests/api/setup.sh" ]; then bash "$REPO/tests/api/setup.sh"; fi
# The limits scripts/test gives nginx, so the rate limit test behaves alike.
export REFUNDD_RATE=${REFUNDD_RATE:-200} REFUNDD_BURST=${REFUNDD_BURST:-400}

STARTED=()
cleanup() {
	local s
	for s in "${STARTED[@]}"; do "${s}_stop" "$RD" || true; done
}
trap cleanup EXIT

FAILED=()
for server in ${REFUNDD_WEB_SERVERS:-apache lighttpd}; do
	case $server in
	apache) port=${REFUNDD_APACHE_PORT:-$(free_port)} ;;
	lighttpd) port=${REFUNDD_LIGHTTPD_PORT:-$(free_port)} ;;
	*) log "unknown web server $server"; exit 2 ;;
	esac
	url=http://127.0.0.1:$port
	log "$server at $url"
	"${server}_stop" "$RD"   # a leftover of an interrupted run
	if ! "${server}_start" "$RD" "$port" || ! wait_health "$url"; then
		log "$server did not start"
		tail -20 "$RD/apache-error.log" "$RD/lighttpd/error.log" 2>/dev/null || true
		FAILED+=("$server-start")
		continue
	fi
	STARTED+=("$server")
	log "foundation API tests through $server"
	REFUNDD_URL=$url node --test --test-concurrency=1 "$REPO/tests/api/foundation.test.mjs" ||
		FAILED+=("$server-api")
	log "$server's own problems: 413, 429, refundd gone or silent"
	REFUNDD_URL=$url REFUNDD_WEB_SERVER=$server node --test "$REPO/tests/web/upstream.test.mjs" ||
		FAILED+=("$server-problems")
	log "browser smoke test through $server"
	REFUNDD_URL=$url REFUNDD_WEB_SERVER=$server bash "$REPO/tests/browser/run.sh" smoke.test.mjs ||
		FAILED+=("$server-browser")
	"${server}_stop" "$RD"
	STARTED=()
done

if [ ${#FAILED[@]} -gt 0 ]; then
	log "web servers FAILED: ${FAILED[*]}"
	exit 1
fi
log "web servers (${REFUNDD_WEB_SERVERS:-apache lighttpd}): all tests passed"
