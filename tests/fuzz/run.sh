#!/usr/bin/env bash
# tests/fuzz/run.sh -- the fuzz stage of scripts/test (DESIGN.md §6, STYLE.md
# 13): builds the libFuzzer targets tests/fuzz/fuzz_*.c with clang, ASan and
# UBSan in build-fuzz/, replays every input kept in tests/fuzz/regression/<t>/,
# then fuzzes each target for FUZZ_SECONDS (default 10) from its seed corpus
# tests/fuzz/corpus/<t>/, FUZZ_JOBS (default 2, one per core) targets side by
# side, in waves: 7 targets take 4 waves, about 45 s. Exits non-zero on
# any crash, sanitizer report, leak or timeout, or when a field table in
# fcgi/ is not registered with FIELD_TABLE (fuzz_validate would miss it). A failing input is left in
# build-fuzz/fuzz-artifacts/<t>/: once the bug is fixed, copy it into
# tests/fuzz/regression/<t>/ so it is replayed for ever.
#
# Installs clang and libclang-rt-14-dev (libFuzzer) with apt when missing.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUZZ_DIR=$REPO/tests/fuzz
BUILD=${FUZZ_BUILD_DIR:-$REPO/build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
FUZZ_JOBS=${FUZZ_JOBS:-2}
TARGETS=(fuzz_auth fuzz_http fuzz_router fuzz_attachment fuzz_validate fuzz_config fuzz_policy fuzz_statement)

log() { printf '[fuzz] %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# True when clang can link a libFuzzer binary.
can_link_fuzzer() {
	local tmp
	tmp=$(mktemp -d)
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		>"$tmp/probe.c"
	local rc=1
	if command -v clang >/dev/null &&
		clang -fsanitize=fuzzer,address "$tmp/probe.c" -o "$tmp/probe" 2>/dev/null; then
		rc=0
	fi
	rm -rf "$tmp"
	return $rc
}

ensure_clang() {
	can_link_fuzzer && return 0
	log "installing clang and libclang-rt-14-dev"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev
	can_link_fuzzer || { log "clang still cannot link -fsanitize=fuzzer"; return 1; }
}

# A build tree configured by another compiler cannot be switched: start over.
build_targets() {
	if [ -f "$BUILD/CMakeCache.txt" ] &&
		! grep -q '^CMAKE_C_COMPILER:.*clang' "$BUILD/CMakeCache.txt"; then
		rm -rf "$BUILD"
	fi
	mkdir -p "$BUILD"
	if ! { CC=clang cmake -S "$REPO" -B "$BUILD" -DFUZZ=ON -DSANITIZE=ON &&
		cmake --build "$BUILD" -j2 --target "${TARGETS[@]}"; } >"$BUILD/fuzz-build.log" 2>&1; then
		tail -40 "$BUILD/fuzz-build.log" >&2
		return 1
	fi
}

# Runs each kept input once; any report fails the stage.
replay() {
	local t=$1 files
	shopt -s nullglob
	files=("$FUZZ_DIR/regression/$t"/*)
	shopt -u nullglob
	[ ${#files[@]} -gt 0 ] || return 0
	if ! "$BUILD/$t" -runs=1 "${files[@]}" >"$BUILD/fuzz-logs/$t.replay.log" 2>&1; then
		log "$t: a regression input fails"
		tail -40 "$BUILD/fuzz-logs/$t.replay.log" >&2
		return 1
	fi
	log "$t: ${#files[@]} regression inputs pass"
}

# Fuzzes one target in the background; new inputs go to build-fuzz only.
start_fuzzing() {
	local t=$1 max_len=4096
	[ "$t" = fuzz_auth ] && max_len=9000   # past AUTH_TOKEN_MAX
	mkdir -p "$BUILD/fuzz-corpus/$t" "$BUILD/fuzz-artifacts/$t"
	"$BUILD/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$max_len" -print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz-artifacts/$t/" \
		"$BUILD/fuzz-corpus/$t" "$FUZZ_DIR/corpus/$t" \
		>"$BUILD/fuzz-logs/$t.log" 2>&1 &
	PIDS[$t]=$!
}

finish_fuzzing() {
	local t=$1
	if wait "${PIDS[$t]}"; then
		log "$t: $(grep -m1 -o 'Done [0-9]* runs in [0-9]* second(s)' "$BUILD/fuzz-logs/$t.log" || echo done)"
		return 0
	fi
	log "$t: FAILED; input kept in $BUILD/fuzz-artifacts/$t/"
	grep -E -A30 'ERROR: |runtime error|==ERROR|deadly signal|Test unit written' \
		"$BUILD/fuzz-logs/$t.log" | head -60 >&2 || tail -40 "$BUILD/fuzz-logs/$t.log" >&2
	return 1
}

# fuzz_validate reaches the tables through validate.h's FIELD_TABLE
# registry: every `struct field_spec name[...] = {` needs one.
check_tables_registered() {
	local f t missing=0
	for f in "$REPO"/fcgi/*.c; do
		# names repeat (several function-local "fields"): compare counts
		for t in $(grep -oE 'struct field_spec [a-z_0-9]+\[' "$f" | sed -E 's/.* ([a-z_0-9]+)\[/\1/' | sort -u); do
			if [ "$(grep -cE "struct field_spec $t\[" "$f")" != "$(grep -cF "FIELD_TABLE($t);" "$f")" ]; then
				log "$(basename "$f"): a field table $t has no FIELD_TABLE($t); after it"
				missing=1
			fi
		done
	done
	return $missing
}

main() {
	local failed=0 t i wave
	declare -gA PIDS=()
	check_tables_registered || failed=1
	ensure_clang
	log "building ${TARGETS[*]} in $BUILD"
	build_targets
	mkdir -p "$BUILD/fuzz-logs"
	for t in "${TARGETS[@]}"; do
		replay "$t" || failed=1
	done
	log "fuzzing each target for ${FUZZ_SECONDS}s, $FUZZ_JOBS at a time"
	for ((i = 0; i < ${#TARGETS[@]}; i += FUZZ_JOBS)); do
		wave=("${TARGETS[@]:i:FUZZ_JOBS}")
		for t in "${wave[@]}"; do
			start_fuzzing "$t"
		done
		for t in "${wave[@]}"; do
			finish_fuzzing "$t" || failed=1
		done
	done
	return $failed
}

main "$@"
