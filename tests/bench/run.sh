#!/usr/bin/env bash
# tests/bench/run.sh -- DESIGN.md §6 "Performance": drives the stack through
# nginx with wrk and prints requests/s and p50/p99 latency per endpoint next
# to two yardsticks measured in the same run:
#   static  nginx serving www/index.html (nginx alone, no FastCGI),
#   bare    nginx -> tests/bench/bare_fcgi.c, a libfcgi thread pool with the
#           same thread count as refundd that answers a fixed JSON body
#           (FastCGI alone, no routing, JWT, database or log line).
# It builds refundd (Release, build-release/) and the bare responder, starts
# its own PostgreSQL (demo data loaded), refundd, the bare responder and
# nginx in a temporary run dir on a free loopback port, and stops them all
# on exit. No pass/fail on timing: it exits non-zero only if something
# crashes, a socket error happens, or an endpoint answers non-2xx.
#
# Environment:
#   BENCH_SECONDS=5        seconds per wrk run
#   BENCH_CONNECTIONS=16   connection counts to measure, e.g. "16 64"
#   BENCH_WRK_THREADS=2    wrk threads
#   BENCH_WARMUP=1         seconds of warm-up per endpoint (0: none)
#   REFUNDD_SERVER_THREADS refundd's (and the bare responder's) thread
#                          count; default: threads in conf/refundd.conf
#   KEEP_RUNDIR=1          keep the run dir (logs, wrk output) afterwards
source "$(dirname "$0")/../../scripts/lib.sh"

DURATION=${BENCH_SECONDS:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
WARMUP=${BENCH_WARMUP:-1}
BIN=$REPO/build-release/refundd

# The bare responder gets refundd's thread count, whichever way it is set.
conf_threads=$(awk -F= '/^\[/{s=$0} s=="[server]" && $1~/^[ \t]*threads[ \t]*$/{gsub(/[ \t]/,"",$2); print $2}' \
	"$REPO/conf/refundd.conf")
export REFUNDD_SERVER_THREADS=${REFUNDD_SERVER_THREADS:-${conf_threads:-4}}
THREADS=$REFUNDD_SERVER_THREADS

ensure_packages "${PACKAGES[@]}" wrk
ensure_service_user

RD=$(mktemp -d /tmp/refundd-bench.XXXXXX)
make_rundir "$RD"
BARE_PID=
cleanup() {
	nginx_stop "$RD" || true
	if [ -n "$BARE_PID" ] && kill -TERM "$BARE_PID" 2>/dev/null; then
		for _ in $(seq 30); do kill -0 "$BARE_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$BARE_PID" 2>/dev/null || true
		wait "$BARE_PID" 2>/dev/null || true
	fi
	refundd_stop "$RD" || true
	pg_stop "$RD" || true
	[ "${KEEP_RUNDIR:-0}" = 1 ] && log "kept $RD" || rm -rf "$RD"
}
trap cleanup EXIT

log "building refundd (Release) in build-release and the bare FastCGI responder"
build_tree "$REPO/build-release" -DCMAKE_BUILD_TYPE=Release
cc -O2 -Wall -Wextra -Werror -o "$RD/bare_fcgi" "$REPO/tests/bench/bare_fcgi.c" -lfcgi -lpthread

log "starting PostgreSQL, refundd ($THREADS threads), bare_fcgi and nginx in $RD"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
pg_init "$RD"
pg_start "$RD"
pg_create_db "$RD"
ensure_jwt_secret "$RD"
refundd_start "$RD" "$BIN"
load_demo "$RD"

# The bare responder runs as refundd does: as SERVICE_USER when we are root,
# its socket in a directory only it and nginx's workers reach.
mkdir -p "$RD/bare"
BARE_SOCK=$RD/bare/bare.sock
if is_root; then
	chown "$SERVICE_USER:" "$RD/bare" && chmod 0750 "$RD/bare"
	setpriv --reuid="$SERVICE_USER" --regid="$SERVICE_USER" --init-groups \
		"$RD/bare_fcgi" "$BARE_SOCK" "$THREADS" 2>>"$RD/bare.log" &
else
	"$RD/bare_fcgi" "$BARE_SOCK" "$THREADS" 2>>"$RD/bare.log" &
fi
BARE_PID=$!
for _ in $(seq 50); do [ -S "$BARE_SOCK" ] && break; sleep 0.1; done
[ -S "$BARE_SOCK" ] || { cat "$RD/bare.log" >&2; exit 1; }

# nginx: conf/nginx.conf as lib.sh renders it (rate limit out of the way),
# then /__bare added before `location / {` and the configuration reloaded.
REFUNDD_RATE=1000000 REFUNDD_BURST=1000000 nginx_start "$RD" "$PORT"
wait_health "$URL" || { tail -20 "$RD/refundd.log" >&2; exit 1; }
sed -i "/^[[:space:]]*location \/ {/i\\        location = /__bare { include /etc/nginx/fastcgi_params; fastcgi_pass unix:$BARE_SOCK; }\\n" \
	"$RD/nginx.conf"
nginx -q -c "$RD/nginx.conf" -p "$RD" -e "$RD/nginx-error.log" -s reload
for _ in $(seq 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/__bare")" = 200 ] && break
	sleep 0.1
done

TOK_CUSTOMER=$("$BIN" token --sub demo-alice --role customer --ttl 7200)
TOK_SUPPORT=$("$BIN" token --sub demo-support --role support --ttl 7200)

# name | path | token (empty: none). The first two are the yardsticks.
ENDPOINTS=(
	"static|/index.html|"
	"bare|/__bare|"
	"health|/api/v1/health|"
	"me|/api/v1/me|$TOK_CUSTOMER"
	"quote|/api/v1/orders/DEMO-API-1/quote|$TOK_CUSTOMER"
	"queue|/api/v1/queue|$TOK_SUPPORT"
)

# Exact numbers from wrk itself (latency in microseconds).
cat > "$RD/report.lua" <<'LUA'
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
LUA

FAILED=()
alive() {
	kill -0 "$(cat "$RD/refundd.pid")" 2>/dev/null || { FAILED+=("refundd died"); return 1; }
	kill -0 "$BARE_PID" 2>/dev/null || { FAILED+=("bare_fcgi died"); return 1; }
	[ -f "$RD/nginx.pid" ] && kill -0 "$(cat "$RD/nginx.pid")" 2>/dev/null || { FAILED+=("nginx died"); return 1; }
}

# Every endpoint must answer 2xx before it is measured.
for ep in "${ENDPOINTS[@]}"; do
	IFS='|' read -r name path tok <<<"$ep"
	hdr=(); [ -n "$tok" ] && hdr=(-H "Authorization: Bearer $tok")
	code=$(curl -s -o "$RD/check.out" -w '%{http_code}' "${hdr[@]}" "$URL$path")
	if [[ $code != 2?? ]]; then
		log "$name ($path) answered $code before the benchmark:"; head -c 500 "$RD/check.out" >&2; echo >&2
		exit 1
	fi
done

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

# The route refundd logs for a path (its pattern, not the id).
route_of() { case $1 in /api/v1/orders/*/quote) echo '/api/v1/orders/{id}/quote';; *) echo "$1";; esac; }

# run_wrk NAME PATH TOKEN CONNS SECONDS -- one wrk run. Sets
#   W_RPS W_P50 W_P99   requests/s, p50 and p99 latency (ms) as wrk saw them
#   W_APP               median time refundd logged for the request ("us", in
#                       ms): the handler without nginx and FastCGI; "-" else
#   W_CPU_NGINX W_CPU_APP W_CPU_PG   CPU microseconds per request spent in
#                       nginx's workers, in the FastCGI process (refundd or
#                       bare_fcgi) and in our PostgreSQL cluster
# and records failures (socket errors, non-2xx) in FAILED. Not in a subshell.
run_wrk() {
	local name=$1 path=$2 tok=$3 conns=$4 secs=$5 out hdr=() app_pid=
	W_RPS=0 W_P50=0 W_P99=0 W_APP=- W_CPU_NGINX=- W_CPU_APP=- W_CPU_PG=-
	case $path in /api/*) app_pid=$(cat "$RD/refundd.pid");; /__bare) app_pid=$BARE_PID;; esac
	[ -n "$tok" ] && hdr=(-H "Authorization: Bearer $tok")
	out=$RD/wrk-$name-c$conns.txt
	local logstart n0 a0 p0 n1 a1 p1
	logstart=$(wc -l <"$RD/refundd.log")
	n0=$(cpu_ticks $(nginx_pids)) a0=$(cpu_ticks $app_pid) p0=$(cpu_ticks $(pg_pids))
	if ! wrk -t"$WRK_THREADS" -c"$conns" -d"${secs}s" --latency -s "$RD/report.lua" \
		"${hdr[@]}" "$URL$path" >"$out" 2>&1; then
		FAILED+=("$name c$conns: wrk failed"); cat "$out" >&2; return
	fi
	n1=$(cpu_ticks $(nginx_pids)) a1=$(cpu_ticks $app_pid) p1=$(cpu_ticks $(pg_pids))
	local line; line=$(grep '^BENCH ' "$out" || true)
	[ -n "$line" ] || { FAILED+=("$name c$conns: no wrk summary"); cat "$out" >&2; return; }
	local reqs dur p50 p99 econn eread ewrite estatus etimeout
	read -r _ reqs dur p50 p99 econn eread ewrite estatus etimeout <<<"$line"
	# wrk counts a status over 399 here; the check before the runs saw 2xx.
	if grep -q 'Non-2xx or 3xx responses' "$out" || [ "$estatus" != 0 ]; then
		FAILED+=("$name c$conns: $(grep 'Non-2xx' "$out" | tr -s ' ' | sed 's/^ //') of $reqs")
	fi
	if [ "$econn$eread$ewrite$etimeout" != 0000 ]; then
		FAILED+=("$name c$conns: socket errors connect $econn, read $eread, write $ewrite, timeout $etimeout")
	fi
	[ "$reqs" -gt 0 ] || return 0
	read -r W_RPS W_P50 W_P99 W_CPU_NGINX W_CPU_APP W_CPU_PG < <(
		awk -v r="$reqs" -v d="$dur" -v a="$p50" -v b="$p99" -v t="$TCK" -v app="$app_pid" \
		    -v n=$((n1 - n0)) -v c=$((a1 - a0)) -v g=$((p1 - p0)) 'BEGIN {
			us = 1e6 / t / r
			printf "%.0f %.2f %.2f %.0f %s %s\n", r / (d / 1e6), a / 1000, b / 1000, n * us,
				(app == "" ? "-" : sprintf("%.0f", c * us)), (app == "" ? "-" : sprintf("%.0f", g * us)) }')
	if [[ $path == /api/* ]]; then
		W_APP=$(tail -n +"$((logstart + 1))" "$RD/refundd.log" |
			grep -F "\"route\":\"$(route_of "$path")\"" | grep -o '"us":[0-9]*' | cut -d: -f2 | sort -n |
			awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)] / 1000; else print "-" }')
	fi
}

if [ "$WARMUP" != 0 ]; then
	log "warming up (${WARMUP}s per endpoint)"
	for ep in "${ENDPOINTS[@]}"; do
		IFS='|' read -r name path tok <<<"$ep"
		run_wrk "warmup-$name" "$path" "$tok" 16 "$WARMUP"
	done
fi

declare -A ROW
for c in $CONNECTIONS; do
	for ep in "${ENDPOINTS[@]}"; do
		IFS='|' read -r name path tok <<<"$ep"
		log "wrk -t$WRK_THREADS -c$c -d${DURATION}s $path"
		run_wrk "$name" "$path" "$tok" "$c" "$DURATION"
		ROW[$name.$c]="$W_RPS $W_P50 $W_P99 $W_APP $W_CPU_NGINX $W_CPU_APP $W_CPU_PG"
		alive || break 2
	done
done

echo
printf 'refundd and bare_fcgi %s threads, nginx 2 workers, wrk -t%s, %ss per run; %s cores, load average %s\n' \
	"$THREADS" "$WRK_THREADS" "$DURATION" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
fmt='%-36s %5s %7s %7s %7s %6s %6s %7s %6s %6s %6s\n'
printf "$fmt" '' '' '' '' '' 'vs' 'vs' 'in app' 'CPU us' 'per' 'req'
printf "$fmt" endpoint conns 'req/s' 'p50 ms' 'p99 ms' static bare 'p50 ms' nginx app pg
for c in $CONNECTIONS; do
	for ep in "${ENDPOINTS[@]}"; do
		IFS='|' read -r name path _ <<<"$ep"
		[ -n "${ROW[$name.$c]:-}" ] || continue
		read -r rps p50 p99 app cn ca cp <<<"${ROW[$name.$c]}"
		label="GET $path"
		case $name in static) label="$label (yardstick 1)";; bare) label="$label (yardstick 2)";; esac
		read -r vs_s vs_b < <(awk -v r="$rps" -v s="$(cut -d' ' -f1 <<<"${ROW[static.$c]:-0}")" \
			-v y="$(cut -d' ' -f1 <<<"${ROW[bare.$c]:-0}")" 'BEGIN {
				print (s > 0 ? sprintf("%.2f", r / s) : "-"), (y > 0 ? sprintf("%.2f", r / y) : "-") }')
		printf "$fmt" "$label" "$c" "$rps" "$p50" "$p99" "$vs_s" "$vs_b" "$app" "$cn" "$ca" "$cp"
	done
done
cat <<'TXT'
vs static, vs bare: requests/s over the yardstick's at the same connection count.
in app p50: median time refundd logged per request ("us": routing, JWT, handler,
  database; not nginx, not the FastCGI transport). CPU us per req: CPU time of
  nginx's workers, of the FastCGI process (refundd or bare_fcgi) and of this run's
  PostgreSQL, over the requests served (wrk's own CPU is not counted).
TXT
echo

alive || true
# refundd logs one JSON line per request; anything at level error is worth a look.
errors=$(grep -c '"level":"error"' "$RD/refundd.log" || true)
[ "${errors:-0}" = 0 ] || { log "refundd logged $errors errors:"; grep '"level":"error"' "$RD/refundd.log" | sort | uniq -c | sort -rn | head -5 >&2; }

nginx_stop "$RD"
if ! refundd_stop "$RD"; then FAILED+=("refundd exited non-zero on SIGTERM"); tail -5 "$RD/refundd.log" >&2; fi

if [ ${#FAILED[@]} -gt 0 ]; then
	log "FAILED: $(IFS=';'; echo "${FAILED[*]}")"
	exit 1
fi
log "done (no failures; timings are informational)"
