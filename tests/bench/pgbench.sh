#!/usr/bin/env bash
# tests/bench/pgbench.sh -- what POST /refunds' transaction costs PostgreSQL
# and the client in each shape of round trips (tests/bench/README.md, "The
# write path in few round trips"): pgbench runs tests/bench/pgbench/submit-*.sql
# against a database with the migrations, the demo data and
# tests/bench/seed.sql (BENCH_REQUESTS refund requests), each for
# PGBENCH_SECONDS at each client count, the variants taking turns for
# PGBENCH_ROUNDS rounds, and prints the medians of transactions/s, mean
# latency and PostgreSQL CPU per transaction. Every transaction submits a
# refund for a fresh order; all four scripts run the same twelve statements:
#   separate   one round trip per statement (12)
#   pipeline7  libpq pipeline mode as refundd groups them now (7)
#   pipeline2  pipeline mode, the fewest round trips the logic allows (2):
#              the quote is computed in C between the reads and the writes
#   function2  the two halves as two PL/pgSQL functions (2)
# and, to tell what each part of the work costs, two kinds of yardstick:
#   pipeline2-no-PART[-PART...]  pipeline2 without the statements marked
#              "-- part PART" in it (audit, notices, answer, key), made in the
#              run dir: what the submission costs without them
#   floor      one small insert and its commit: a write transaction's least
# It starts its own PostgreSQL in a temporary run dir and removes it on exit.
#
# Environment:
#   PGBENCH_SECONDS=5        seconds per run
#   PGBENCH_ROUNDS=3         rounds (the variants take turns; medians printed)
#   PGBENCH_CLIENTS="1 4 8"  client counts
#   PGBENCH_VARIANTS="separate pipeline7 pipeline2 function2"
#                            (the README's ablation: PGBENCH_VARIANTS="pipeline2
#                            pipeline2-no-notices pipeline2-no-answer-key
#                            pipeline2-no-audit-notices-answer-key floor")
#   BENCH_REQUESTS=100000    refund requests seeded
#   BENCH_RUNDIR_PREFIX=/tmp/refundd-pgbench   where the run dir is made
#   KEEP_RUNDIR=1            keep the run dir afterwards
source "$(dirname "$0")/../../scripts/lib.sh"

SECONDS_EACH=${PGBENCH_SECONDS:-5}
ROUNDS=${PGBENCH_ROUNDS:-3}
CLIENTS=${PGBENCH_CLIENTS:-1 4 8}
VARIANTS=${PGBENCH_VARIANTS:-separate pipeline7 pipeline2 function2}
REQUESTS=${BENCH_REQUESTS:-100000}
BIN=$REPO/build-release/refundd
PGBENCH=$PGBIN/pgbench
DIR=$REPO/tests/bench/pgbench

ensure_packages "${PACKAGES[@]}"
RD=$(mktemp -d "${BENCH_RUNDIR_PREFIX:-/tmp/refundd-pgbench}.XXXXXX")
make_rundir "$RD"
cleanup() {
	pg_stop "$RD" || true
	[ "${KEEP_RUNDIR:-0}" = 1 ] && log "kept $RD" || rm -rf "$RD"
}
trap cleanup EXIT

# script_for VARIANT: writes its pgbench script to $RD/submit-VARIANT.sql. A
# pipeline2-no-a-b is submit-pipeline2.sql without its statements marked
# "-- part a" and "-- part b" (each up to its line ending in ";").
script_for() {
	local v=$1 parts part
	case $v in
	pipeline2-no-*)
		parts=${v#pipeline2-no-}
		for part in ${parts//-/ }; do
			grep -q "^-- part $part\$" "$DIR/submit-pipeline2.sql" ||
				{ log "$v: submit-pipeline2.sql marks no part $part"; exit 1; }
		done
		awk -v drop=" ${parts//-/ } " '
			/^-- part / { skip = index(drop, " " $3 " ") > 0; if (skip) next }
			skip { if (/;$/) skip = 0; next }
			{ print }' "$DIR/submit-pipeline2.sql" >"$RD/submit-$v.sql" ;;
	*) cp "$DIR/submit-$v.sql" "$RD/submit-$v.sql" ;;
	esac
}
for v in $VARIANTS; do script_for "$v"; done

log "building refundd (Release) for its migrations"
build_tree "$REPO/build-release" -DCMAKE_BUILD_TYPE=Release
pg_init "$RD"
pg_start "$RD"
pg_create_db "$RD"
(refundd_env "$RD" && "$BIN" migrate >/dev/null)
load_demo "$RD"
# Enough orders for the fastest variant at every client count.
ORDERS=$((3000 * SECONDS_EACH * ROUNDS * $(wc -w <<<"$CLIENTS") * $(wc -w <<<"$VARIANTS") + 1000))
log "seeding $REQUESTS refund requests and $ORDERS orders to submit for"
psql_super "$RD" -d refundd -v requests="$REQUESTS" -v approve_pool=1000 -v payout_pool=1000 \
	-v submit_accounts=1 -v submit_orders=1 -f "$REPO/tests/bench/seed.sql"
psql_super "$RD" -d refundd -v orders="$ORDERS" -f "$DIR/setup.sql"
psql_super "$RD" -d refundd -c 'VACUUM (ANALYZE) orders' -c CHECKPOINT

TCK=$(getconf CLK_TCK)
PG_PID=$(head -1 "$RD/pg/postmaster.pid")
# CPU ticks of the cluster: the postmaster with its reaped children (the
# backends of finished pgbench runs: cutime, cstime) plus the live ones.
pg_ticks() {
	local t p v
	t=$(sed 's/.*) //' "/proc/$PG_PID/stat" | awk '{ print $12 + $13 + $14 + $15 }')
	for p in $(pgrep -P "$PG_PID" || true); do
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

declare -A ROW
for r in $(seq "$ROUNDS"); do
for c in $CLIENTS; do
	for v in $VARIANTS; do
		log "round $r: pgbench -c$c -T$SECONDS_EACH submit-$v.sql"
		kids=$(pgrep -c -P "$PG_PID" || true)
		t0=$(pg_ticks)
		out=$(cd "$DIR" && PGPASSWORD=$(cat "$RD/secrets/pg-superuser") "$PGBENCH" -n -M prepared \
			-c "$c" -j "$((c < 2 ? c : 2))" -T "$SECONDS_EACH" -h "$RD/pg-socket" -U postgres \
			-f "$RD/submit-$v.sql" refundd 2>&1) || { echo "$out" >&2; exit 1; }
		# the backends' CPU reaches the postmaster once it has reaped them
		for _ in $(seq 50); do [ "$(pgrep -c -P "$PG_PID" || true)" -le "$kids" ] && break; sleep 0.1; done
		sleep 0.2
		t1=$(pg_ticks)
		tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
		failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
		[ "${failed:-0}" = 0 ] || { echo "$out" >&2; log "$v: $failed failed transactions"; exit 1; }
		tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
		lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
		ROW[$v.$c]+="$tps $lat $(awk -v d=$((t1 - t0)) -v t="$TCK" -v n="$tx" 'BEGIN { printf "%.0f", d * 1e6 / t / n }');"
	done
done
done
# median COLUMN "a b c;a b c;...": the median of one column over the rounds
median() { tr ';' '\n' <<<"$2" | awk -v k="$1" 'NF { print $k }' | sort -g |
	awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo
printf 'pgbench -M prepared, %ss per run, median of %s rounds; %s cores (%s), load average %s; %s refund requests\n' \
	"$SECONDS_EACH" "$ROUNDS" "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$(psql_super "$RD" -d refundd -At -c 'SELECT count(*) FROM refund_requests')"
fmt='%-38s %8s %8s %10s %12s\n'
printf "$fmt" variant clients 'tx/s' 'mean ms' 'pg CPU us/tx'
for c in $CLIENTS; do
	for v in $VARIANTS; do
		printf "$fmt" "$v" "$c" "$(median 1 "${ROW[$v.$c]}")" "$(median 2 "${ROW[$v.$c]}")" \
			"$(median 3 "${ROW[$v.$c]}")"
	done
done
echo "Every transaction also takes one round trip for nextval() before it (all variants alike)."
