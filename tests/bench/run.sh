#!/usr/bin/env bash
# tests/bench/run.sh -- DESIGN.md §6 "Performance": drives the stack through
# nginx with wrk and prints requests/s and p50/p99 latency per endpoint next
# to two yardsticks measured in the same run (reads first, at refundd's
# configured thread count; then the write endpoints at each thread count of
# BENCH_WRITE_THREADS, the bare responder measured again at each):
#   static  nginx serving www/index.html (nginx alone, no FastCGI),
#   bare    nginx -> tests/bench/bare_fcgi.c, a libfcgi thread pool with the
#           same thread count as refundd that answers a fixed JSON body
#           (FastCGI alone, no routing, JWT, database or log line).
# It builds refundd (Release, build-release/) and the bare responder, starts
# its own PostgreSQL (demo data and tests/bench/seed.sql: BENCH_REQUESTS
# refund requests, pools of requests to approve and to pay, fresh accounts
# and orders to submit for), refundd, the bare responder and nginx in a
# temporary run dir on a free loopback port, and stops them all on exit.
# Each write request acts on its own refund or order (tests/bench/bench.lua).
# It prints refundd's resident memory after each write thread count. No
# pass/fail on timing: it exits non-zero only if something crashes, a socket
# error happens, or an endpoint answers non-2xx.
#
# Environment:
#   BENCH_SECONDS=5        seconds per wrk run
#   BENCH_CONNECTIONS=16   connection counts to measure, e.g. "16 64"
#   BENCH_WRK_THREADS=2    wrk threads
#   BENCH_WARMUP=1         seconds of warm-up per endpoint (0: none)
#   REFUNDD_SERVER_THREADS refundd's (and the bare responder's) thread
#                          count for the reads; default: threads in
#                          conf/refundd.conf
#   BENCH_WRITE_THREADS="2 4 8"  thread counts for the write endpoints
#   BENCH_REQUESTS=100000  refund requests seeded (pools included)
#   BENCH_WRITE_RATE=1500  writes/s the pools are sized for (each run needs
#                          one request, order or refund, per write)
#   BENCH_ACCOUNTS=1024    customer accounts POST /refunds is spread over
#   KEEP_RUNDIR=1          keep the run dir (logs, wrk output) afterwards
#   BENCH_RUNDIR_PREFIX=/tmp/refundd-bench   where the run dir is made
#   BENCH_PORT             nginx's loopback port (default: a free one)
#   BENCH_ONLY="submit detail"  measure only these rows (names: health me quote
#                          queue detail submit approve payout) and the yardsticks
#   BENCH_PG_STATS=1       load pg_stat_statements and print the statements
#                          that took PostgreSQL the longest
#   BENCH_PERF=1           record every measured run with `perf record -a -g`
#                          (cpu-clock) into RUNDIR/perf-NAME.data and print
#                          where the machine's CPU went: by program, and the
#                          top functions of PostgreSQL (implies KEEP_RUNDIR;
#                          needs root or kernel.perf_event_paranoid <= 0)
source "$(dirname "$0")/../../scripts/lib.sh"

DURATION=${BENCH_SECONDS:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
WARMUP=${BENCH_WARMUP:-1}
WRITE_THREADS=${BENCH_WRITE_THREADS:-2 4 8}
REQUESTS=${BENCH_REQUESTS:-100000}
WRITE_RATE=${BENCH_WRITE_RATE:-1500}
ACCOUNTS=${BENCH_ACCOUNTS:-1024}
BIN=$REPO/build-release/refundd
LUA=$REPO/tests/bench/bench.lua

# The bare responder gets refundd's thread count, whichever way it is set.
conf_threads=$(awk -F= '/^\[/{s=$0} s=="[server]" && $1~/^[ \t]*threads[ \t]*$/{gsub(/[ \t]/,"",$2); print $2}' \
	"$REPO/conf/refundd.conf")
export REFUNDD_SERVER_THREADS=${REFUNDD_SERVER_THREADS:-${conf_threads:-4}}
THREADS=$REFUNDD_SERVER_THREADS
ensure_packages "${PACKAGES[@]}" wrk
[ "${BENCH_PERF:-0}" = 1 ] && ensure_packages linux-perf
ensure_service_user

# The run dir lives in /tmp/refundd-bench.*; BENCH_RUNDIR_PREFIX moves it.
RD=$(mktemp -d "${BENCH_RUNDIR_PREFIX:-/tmp/refundd-bench}.XXXXXX")
make_rundir "$RD"
BARE_PID=
stop_bare() {
	if [ -n "$BARE_PID" ] && kill -TERM "$BARE_PID" 2>/dev/null; then
		for _ in $(seq 30); do kill -0 "$BARE_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$BARE_PID" 2>/dev/null || true
		wait "$BARE_PID" 2>/dev/null || true
	fi
	BARE_PID=
}
cleanup() {
	nginx_stop "$RD" || true
	stop_bare
	refundd_stop "$RD" || true
	pg_stop "$RD" || true
	[ "${KEEP_RUNDIR:-0}" = 1 ] && log "kept $RD" || rm -rf "$RD"
}
trap cleanup EXIT

log "building refundd (Release) in build-release and the bare FastCGI responder"
build_tree "$REPO/build-release" -DCMAKE_BUILD_TYPE=Release
cc -O2 -Wall -Wextra -Werror -o "$RD/bare_fcgi" "$REPO/tests/bench/bare_fcgi.c" -lfcgi -lpthread

log "starting PostgreSQL, refundd ($THREADS threads), bare_fcgi and nginx in $RD"
PORT=${BENCH_PORT:-$(free_port)}
URL=http://127.0.0.1:$PORT
pg_init "$RD"
# track = all: statements inside functions and triggers too (the sealer's,
# the triggers' own); track_planning: how often each statement is planned.
[ "${BENCH_PG_STATS:-0}" = 1 ] && printf '%s\n' "shared_preload_libraries = 'pg_stat_statements'" \
	"pg_stat_statements.track = all" "pg_stat_statements.track_planning = on" >> "$RD/pg/postgresql.conf"
pg_start "$RD"
pg_create_db "$RD"
[ "${BENCH_PG_STATS:-0}" = 1 ] && psql_super "$RD" -d refundd -c 'CREATE EXTENSION pg_stat_statements'
ensure_jwt_secret "$RD"
refundd_start "$RD" "$BIN"
load_demo "$RD"

# Pools: every write run (warm-up included) takes one refund or order per
# request, so each pool holds BENCH_WRITE_RATE requests per second of runs.
write_runs=$(($(wc -w <<<"$WRITE_THREADS") * $(wc -w <<<"$CONNECTIONS")))
POOL=$((WRITE_RATE * (DURATION + WARMUP) * write_runs + 100))
[ "$REQUESTS" -ge $((2 * POOL)) ] || REQUESTS=$((2 * POOL))
SUBMIT_ORDERS=$((POOL / ACCOUNTS + 2))
log "seeding $REQUESTS refund requests ($POOL to approve, $POOL to pay) and $((ACCOUNTS * SUBMIT_ORDERS)) orders to submit for"
psql_super "$RD" -d refundd -v requests="$REQUESTS" -v approve_pool="$POOL" -v payout_pool="$POOL" \
	-v submit_accounts="$ACCOUNTS" -v submit_orders="$SUBMIT_ORDERS" -f "$REPO/tests/bench/seed.sql"
sql() { psql_super "$RD" -d refundd -At -c "$1"; }
# A refund desk that has been running holds its working set in shared
# buffers; a freshly seeded one need not, and a page not yet there is a pread
# from the OS cache (BENCH_PERF shows those, and the page faults of first
# touching fresh shared memory, when a table is read cold). So the tables,
# their TOAST and every index are read into shared buffers (pg_prewarm)
# before the runs: ~110 MB, well inside conf/postgresql.conf's 512 MB. It
# did not change the rates measured so far (tests/bench/README.md, fourth
# session); it takes what the seeding left in memory out of the comparison.
log "reading the database into shared buffers (pg_prewarm)"
psql_super "$RD" -d refundd -q -c 'CREATE EXTENSION IF NOT EXISTS pg_prewarm' -At -c "
	SELECT pg_size_pretty(sum(pg_prewarm(c.oid)) * current_setting('block_size')::bigint)
	FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
	JOIN pg_class owner ON owner.oid IN (c.oid, i.indrelid) OR owner.reltoastrelid IN (c.oid, i.indrelid)
	WHERE owner.relnamespace = 'public'::regnamespace AND owner.relkind = 'r'
	  AND c.relkind IN ('r', 'i', 't') AND c.relpersistence = 'p'" |
	sed 's/^/   prewarmed: /' >&2
FIRST_ID=$(sql "SELECT id FROM refund_requests WHERE order_id = 'BR-1'")
LAST_ID=$((FIRST_ID + REQUESTS - 1))
AP_FIRST=$FIRST_ID AP_LAST=$((FIRST_ID + POOL - 1))
PAY_FIRST=$((FIRST_ID + POOL)) PAY_LAST=$((FIRST_ID + 2 * POOL - 1))
[ "$(sql "SELECT id FROM refund_requests WHERE order_id = 'BR-$REQUESTS'")" = "$LAST_ID" ] ||
	{ log "seeded ids are not contiguous"; exit 1; }
for i in $(seq 0 $((ACCOUNTS - 1))); do
	"$BIN" token --sub "bench-s$i" --role customer --ttl 7200
done > "$RD/tokens"

# The bare responder runs as refundd does: as SERVICE_USER when we are root,
# its socket in a directory only it and nginx's workers reach.
mkdir -p "$RD/bare"
BARE_SOCK=$RD/bare/bare.sock
if is_root; then chown "$SERVICE_USER:" "$RD/bare" && chmod 0750 "$RD/bare"; fi
start_bare() {
	rm -f "$BARE_SOCK"
	if is_root; then
		setpriv --reuid="$SERVICE_USER" --regid="$SERVICE_USER" --init-groups \
			"$RD/bare_fcgi" "$BARE_SOCK" "$1" 2>>"$RD/bare.log" &
	else
		"$RD/bare_fcgi" "$BARE_SOCK" "$1" 2>>"$RD/bare.log" &
	fi
	BARE_PID=$!
	for _ in $(seq 50); do [ -S "$BARE_SOCK" ] && return 0; sleep 0.1; done
	cat "$RD/bare.log" >&2
	return 1
}
start_bare "$THREADS"

# nginx: conf/nginx.conf as lib.sh renders it (rate limit out of the way),
# then /__bare added before `location / {` and the configuration reloaded.
REFUNDD_RATE=1000000 REFUNDD_BURST=1000000 nginx_start "$RD" "$PORT"
wait_health "$URL" || { tail -20 "$RD/refundd.log" >&2; exit 1; }
sed -i "/^[[:space:]]*location \/ {/i\\        location = /__bare { include /etc/nginx/fastcgi_params; fastcgi_pass unix:$BARE_SOCK; }\\n" \
	"$RD/nginx.conf"
nginx -q -c "$RD/nginx.conf" -p "$RD" -e "$RD/nginx-error.log" -s reload
wait_bare() {
	for _ in $(seq 50); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/__bare")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}
wait_bare

# servers_at THREADS: refundd and bare_fcgi restarted with that many threads.
CUR_THREADS=$THREADS
servers_at() {
	[ "$1" = "$CUR_THREADS" ] && return 0
	log "restarting refundd and bare_fcgi with $1 threads"
	refundd_stop "$RD" || FAILED+=("refundd exited non-zero on SIGTERM")
	stop_bare
	export REFUNDD_SERVER_THREADS=$1
	refundd_start "$RD" "$BIN"
	start_bare "$1"
	wait_health "$URL" && wait_bare || { tail -20 "$RD/refundd.log" >&2; exit 1; }
	CUR_THREADS=$1
}

TOK_CUSTOMER=$("$BIN" token --sub demo-alice --role customer --ttl 7200)
TOK_SUPPORT=$("$BIN" token --sub bench-support --role support --ttl 7200)
TOK_FINANCE=$("$BIN" token --sub bench-finance --role finance --ttl 7200)

# name|method|path|token|route refundd logs|bench.lua mode (empty: a fixed
# request). Static and bare are the yardsticks.
READS=(
	"static|GET|/index.html|||"
	"bare|GET|/__bare|||"
	"health|GET|/api/v1/health||/api/v1/health|"
	"me|GET|/api/v1/me|$TOK_CUSTOMER|/api/v1/me|"
	"quote|GET|/api/v1/orders/DEMO-API-1/quote|$TOK_CUSTOMER|/api/v1/orders/{id}/quote|"
	"queue|GET|/api/v1/queue|$TOK_SUPPORT|/api/v1/queue|"
	"detail|GET|/api/v1/refunds/{id}|$TOK_SUPPORT|/api/v1/refunds/{id}|detail"
)
WRITES=(
	"bare|GET|/__bare|||"
	"submit|POST|/api/v1/refunds||/api/v1/refunds|submit"
	"approve|POST|/api/v1/refunds/{id}/approve|$TOK_SUPPORT|/api/v1/refunds/{id}/approve|approve"
	"payout|POST|/api/v1/refunds/{id}/payout|$TOK_FINANCE|/api/v1/refunds/{id}/payout|payout"
)
# BENCH_ONLY="submit queue": those rows and the yardsticks, nothing else.
only() {
	local ep name keep=()
	for ep in "$@"; do
		IFS='|' read -r name _ <<<"$ep"
		if [ -z "${BENCH_ONLY:-}" ] || [[ " static bare ${BENCH_ONLY} " == *" $name "* ]]; then
			keep+=("$ep")
		fi
	done
	printf '%s\n' "${keep[@]}"
}
mapfile -t READS < <(only "${READS[@]}")
mapfile -t WRITES < <(only "${WRITES[@]}")

# Exact numbers from wrk itself (latency in microseconds), for the fixed
# requests; bench.lua prints the same line.
cat > "$RD/report.lua" <<'LUA'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
LUA

# The next unused refund of a pool and the next unused order number of the
# submitting accounts, read from the database before every run: whatever
# earlier runs (and checks) used is skipped.
next_id() { sql "SELECT coalesce(max(id) + 1, $2) FROM refund_requests WHERE id BETWEEN $2 AND $3 AND status <> '$1'"; }
next_k() { sql "SELECT coalesce(max(split_part(order_id, '-', 3)::int) + 1, 0) FROM refund_requests WHERE order_id LIKE 'BS-%'"; }
# lua_args MODE: bench.lua's arguments for this run.
lua_args() {
	case $1 in
	detail) echo "detail $WRK_THREADS $FIRST_ID $LAST_ID";;
	approve) echo "approve $WRK_THREADS $(next_id in_review "$AP_FIRST" "$AP_LAST") $AP_LAST";;
	payout) echo "payout $WRK_THREADS $(next_id approved "$PAY_FIRST" "$PAY_LAST") $PAY_LAST";;
	submit) echo "submit $WRK_THREADS $RD/tokens $ACCOUNTS $(next_k)";;
	esac
}

FAILED=()
PERF_RUNS=()
[ "${BENCH_PERF:-0}" = 1 ] && KEEP_RUNDIR=1
alive() {
	kill -0 "$(cat "$RD/refundd.pid")" 2>/dev/null || { FAILED+=("refundd died"); return 1; }
	kill -0 "$BARE_PID" 2>/dev/null || { FAILED+=("bare_fcgi died"); return 1; }
	[ -f "$RD/nginx.pid" ] && kill -0 "$(cat "$RD/nginx.pid")" 2>/dev/null || { FAILED+=("nginx died"); return 1; }
}

# check ENDPOINT: one request by curl, which must answer 2xx (a write uses
# up one refund or order, which the next run skips).
check() {
	local name method path tok route mode hdr=() body=() code args
	IFS='|' read -r name method path tok route mode <<<"$1"
	[ -n "$tok" ] && hdr=(-H "Authorization: Bearer $tok")
	case $mode in
	detail) path=/api/v1/refunds/$FIRST_ID;;
	approve|payout) read -r _ _ args _ <<<"$(lua_args "$mode")"; path=${path/\{id\}/$args}
		body=(-H 'Content-Type: application/json' --data '{}');;
	submit) args=$(next_k)
		hdr=(-H "Authorization: Bearer $(head -1 "$RD/tokens")" -H "Idempotency-Key: bench-check-$args"
		     -H 'Content-Type: application/json')
		body=(--data "{\"order_id\":\"BS-0-$args\",\"reason_code\":\"changed_mind\",\"payout_method\":\"original_route\"}");;
	esac
	code=$(curl -s -o "$RD/check.out" -w '%{http_code}' -X "$method" "${hdr[@]}" "${body[@]}" "$URL$path")
	if [[ $code != 2?? ]]; then
		log "$name ($method $path) answered $code before the benchmark:"; head -c 500 "$RD/check.out" >&2; echo >&2
		exit 1
	fi
}

# CPU time (user + system, clock ticks) of the given processes, all their
# threads included; a process that is gone counts 0.
cpu_ticks() {
	local t=0 p v
	for p in "$@"; do
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
TCK=$(getconf CLK_TCK)
PG_PID=$(head -1 "$RD/pg/postmaster.pid")
nginx_pids() { pgrep -P "$(cat "$RD/nginx.pid")" || true; }
pg_pids() { echo "$PG_PID"; pgrep -P "$PG_PID" || true; }

# run_wrk NAME ENDPOINT CONNS SECONDS -- one wrk run. Sets
#   W_RPS W_P50 W_P99   requests/s, p50 and p99 latency (ms) as wrk saw them
#   W_APP               median time refundd logged for the request ("us", in
#                       ms): the handler without nginx and FastCGI; "-" else
#   W_CPU_NGINX W_CPU_APP W_CPU_PG   CPU microseconds per request spent in
#                       nginx's workers, in the FastCGI process (refundd or
#                       bare_fcgi) and in our PostgreSQL cluster
# and records failures (socket errors, non-2xx) in FAILED. Not in a subshell.
run_wrk() {
	local label=$1 conns=$3 secs=$4 out hdr=() app_pid= script=$RD/report.lua lua=()
	local name method path tok route mode
	IFS='|' read -r name method path tok route mode <<<"$2"
	W_RPS=0 W_P50=0 W_P99=0 W_APP=- W_CPU_NGINX=- W_CPU_APP=- W_CPU_PG=-
	case $path in /api/*) app_pid=$(cat "$RD/refundd.pid");; /__bare) app_pid=$BARE_PID;; esac
	[ -n "$tok" ] && hdr=(-H "Authorization: Bearer $tok")
	if [ -n "$mode" ]; then
		script=$LUA
		read -r -a lua <<<"$(lua_args "$mode")"
		lua=(-- "${lua[@]}")
		path=/
	fi
	out=$RD/wrk-$label-c$conns.txt
	local logstart n0 a0 p0 n1 a1 p1
	logstart=$(wc -l <"$RD/refundd.log")
	n0=$(cpu_ticks $(nginx_pids)) a0=$(cpu_ticks $app_pid) p0=$(cpu_ticks $(pg_pids))
	local perf=()
	if [ "${BENCH_PERF:-0}" = 1 ] && [[ $label != warmup-* ]]; then
		perf=(perf record -q -a -g -e cpu-clock -F 499 -o "$RD/perf-$label.data" --)
		PERF_RUNS+=("$label")
	fi
	if ! "${perf[@]}" wrk -t"$WRK_THREADS" -c"$conns" -d"${secs}s" --latency -s "$script" \
		"${hdr[@]}" "$URL$path" "${lua[@]}" >"$out" 2>&1; then
		FAILED+=("$label c$conns: wrk failed"); cat "$out" >&2; return
	fi
	n1=$(cpu_ticks $(nginx_pids)) a1=$(cpu_ticks $app_pid) p1=$(cpu_ticks $(pg_pids))
	local line; line=$(grep '^BENCH ' "$out" || true)
	[ -n "$line" ] || { FAILED+=("$label c$conns: no wrk summary"); cat "$out" >&2; return; }
	local reqs dur p50 p99 econn eread ewrite estatus etimeout
	read -r _ reqs dur p50 p99 econn eread ewrite estatus etimeout <<<"$line"
	# wrk counts a status over 399 here; the check before the runs saw 2xx.
	if grep -q 'Non-2xx or 3xx responses' "$out" || [ "$estatus" != 0 ]; then
		FAILED+=("$label c$conns: $(grep 'Non-2xx' "$out" | tr -s ' ' | sed 's/^ //') of $reqs")
		tail -n +"$((logstart + 1))" "$RD/refundd.log" |
			sed -n 's/.*"status":\([45][0-9][0-9]\).*"code":"\([a-z_]*\)".*/\1 \2/p' |
			sort | uniq -c | sort -rn | head -3 >&2
	fi
	if [ "$econn$eread$ewrite$etimeout" != 0000 ]; then
		FAILED+=("$label c$conns: socket errors connect $econn, read $eread, write $ewrite, timeout $etimeout")
	fi
	[ "$reqs" -gt 0 ] || return 0
	read -r W_RPS W_P50 W_P99 W_CPU_NGINX W_CPU_APP W_CPU_PG < <(
		awk -v r="$reqs" -v d="$dur" -v a="$p50" -v b="$p99" -v t="$TCK" -v app="$app_pid" \
		    -v n=$((n1 - n0)) -v c=$((a1 - a0)) -v g=$((p1 - p0)) 'BEGIN {
			us = 1e6 / t / r
			# a backend that ended during the run takes its ticks along
			if (g < 0) g = 0
			printf "%.0f %.2f %.2f %.0f %s %s\n", r / (d / 1e6), a / 1000, b / 1000, n * us,
				(app == "" ? "-" : sprintf("%.0f", c * us)), (app == "" ? "-" : sprintf("%.0f", g * us)) }')
	if [ -n "$route" ]; then
		W_APP=$(tail -n +"$((logstart + 1))" "$RD/refundd.log" |
			grep -F "\"method\":\"$method\",\"route\":\"$route\"" | grep -o '"us":[0-9]*' | cut -d: -f2 | sort -n |
			awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)] / 1000; else print "-" }')
	fi
}

declare -A ROW
KEYS=()
RSS=()
# measure THREADS ENDPOINT...: check, warm up and measure each endpoint at
# every connection count; rows keyed THREADS.NAME.CONNS.
measure() {
	local t=$1 ep name c; shift
	for ep in "$@"; do check "$ep"; done
	if [ "$WARMUP" != 0 ]; then
		log "warming up (${WARMUP}s per endpoint, $t threads)"
		for ep in "$@"; do
			IFS='|' read -r name _ <<<"$ep"
			run_wrk "warmup-$name-t$t" "$ep" 16 "$WARMUP"
		done
	fi
	for c in $CONNECTIONS; do
		for ep in "$@"; do
			IFS='|' read -r name method path _ <<<"$ep"
			log "wrk -t$WRK_THREADS -c$c -d${DURATION}s $method $path ($t threads)"
			run_wrk "$name-t$t" "$ep" "$c" "$DURATION"
			ROW[$t.$name.$c]="$W_RPS $W_P50 $W_P99 $W_APP $W_CPU_NGINX $W_CPU_APP $W_CPU_PG"
			KEYS+=("$t|$name|$c|$method $path")
			alive || return 1
		done
	done
}

status=0
measure "$THREADS" "${READS[@]}" || status=1
for t in $WRITE_THREADS; do
	[ $status = 0 ] || break
	servers_at "$t"
	measure "$t" "${WRITES[@]}" || status=1
	pid=$(cat "$RD/refundd.pid")
	RSS+=("$t threads: VmRSS $(awk '/^VmRSS/ { print $2, $3 }' "/proc/$pid/status"), peak VmHWM $(awk '/^VmHWM/ { print $2, $3 }' "/proc/$pid/status")")
done

echo
printf 'nginx 2 workers, wrk -t%s, %ss per run; %s cores (%s), load average %s; %s refund requests\n' \
	"$WRK_THREADS" "$DURATION" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$(sql 'SELECT count(*) FROM refund_requests')"
fmt='%-40s %4s %5s %7s %7s %7s %6s %6s %7s %6s %6s %6s\n'
printf "$fmt" '' '' '' '' '' '' 'vs' 'vs' 'in app' 'CPU us' 'per' 'req'
printf "$fmt" endpoint thr conns 'req/s' 'p50 ms' 'p99 ms' static bare 'p50 ms' nginx app pg
for k in "${KEYS[@]}"; do
	IFS='|' read -r t name c label <<<"$k"
	read -r rps p50 p99 app cn ca cp <<<"${ROW[$t.$name.$c]}"
	case $name in static) label="$label (yardstick 1)";; bare) label="$label (yardstick 2)";; esac
	read -r vs_s vs_b < <(awk -v r="$rps" -v s="$(cut -d' ' -f1 <<<"${ROW[$THREADS.static.$c]:-0}")" \
		-v y="$(cut -d' ' -f1 <<<"${ROW[$t.bare.$c]:-0}")" 'BEGIN {
			print (s > 0 ? sprintf("%.2f", r / s) : "-"), (y > 0 ? sprintf("%.2f", r / y) : "-") }')
	printf "$fmt" "$label" "$t" "$c" "$rps" "$p50" "$p99" "$vs_s" "$vs_b" "$app" "$cn" "$ca" "$cp"
done
cat <<'TXT'
thr: refundd's and bare_fcgi's threads. vs static, vs bare: requests/s over the
  yardstick's at the same connection count (bare: and thread count), same run.
in app p50: median time refundd logged per request ("us": routing, JWT, handler,
  database; not nginx, not the FastCGI transport). CPU us per req: CPU time of
  nginx's workers, of the FastCGI process (refundd or bare_fcgi) and of this run's
  PostgreSQL, over the requests served (wrk's own CPU is not counted).
TXT
for r in "${RSS[@]}"; do echo "refundd resident memory after the write runs at $r"; done
echo
if [ "${BENCH_PG_STATS:-0}" = 1 ]; then
	echo "PostgreSQL's statements by total execution time (pg_stat_statements, whole run, seeding included):"
	psql_super "$RD" -d refundd -P pager=off -c "SELECT calls, plans, round(total_exec_time::numeric, 0) AS total_ms,
		round(mean_exec_time::numeric, 3) AS mean_ms, round(mean_plan_time::numeric, 3) AS plan_ms,
		left(regexp_replace(query, '\s+', ' ', 'g'), 80) AS query
		FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 30"
fi
# perf_summary LABEL: where the machine's CPU went during one measured run.
perf_summary() {
	local data=$RD/perf-$1.data
	echo "perf, $1: the machine's CPU by program, then PostgreSQL's top functions (self):"
	{ perf report -q -i "$data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v '^$' | head -6
	  perf report -q -i "$data" --no-children --comm postgres --sort dso,sym --stdio -g none 2>/dev/null |
		grep -v '^$' | head -15; } || true
	echo
}
for label in "${PERF_RUNS[@]}"; do perf_summary "$label"; done

alive || true
# refundd logs one JSON line per request; anything at level error is worth a look.
errors=$(grep -c '"level":"error"' "$RD/refundd.log" || true)
[ "${errors:-0}" = 0 ] || { log "refundd logged $errors errors:"; grep '"level":"error"' "$RD/refundd.log" | sort | uniq -c | sort -rn | head -5 >&2; }

nginx_stop "$RD"
if ! refundd_stop "$RD"; then FAILED+=("refundd exited non-zero on SIGTERM"); tail -5 "$RD/refundd.log" >&2; fi

if [ ${#FAILED[@]} -gt 0 ] || [ $status != 0 ]; then
	log "FAILED: $(IFS=';'; echo "${FAILED[*]}")"
	exit 1
fi
log "done (no failures; timings are informational)"
