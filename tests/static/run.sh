#!/usr/bin/env bash
# tests/static/run.sh -- the static analysis stage of scripts/test: cppcheck
# and clang-tidy over fcgi/*.c. Any finding fails the stage.
#
#   cppcheck   --enable=warning,style,performance,portability, C11, the build's
#              -D defines, suppressions in tests/static/cppcheck-suppressions.txt
#              (each with its reason) or inline `// cppcheck-suppress id`.
#   clang-tidy the checks in the repository's .clang-tidy (each disabled one says
#              why there; all enabled ones are errors), against the real
#              compile commands exported by cmake into build-static/.
#
# Installs cppcheck and clang-tidy with apt when missing (scripts/lib.sh).
# Environment: STATIC_BUILD_DIR (default build-static), STATIC_JOBS (default 2).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib.sh
source "$HERE/../../scripts/lib.sh"   # sets REPO
BUILD=${STATIC_BUILD_DIR:-$REPO/build-static}
JOBS=${STATIC_JOBS:-2}

say() { printf '[static] %s\n' "$*" >&2; }

run_cppcheck() {
	local out=$BUILD/cppcheck.txt
	# Only the configuration the build compiles (-D as CMakeLists.txt has
	# them); system and library headers are left out on purpose (cppcheck's
	# advice: its --library=posix knows the libc functions).
	cppcheck -q --std=c11 --language=c --library=posix \
		--enable=warning,style,performance,portability \
		--inline-suppr --suppressions-list="$HERE/cppcheck-suppressions.txt" \
		--error-exitcode=1 -j"$JOBS" \
		-I "$REPO/fcgi" -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
		-DREFUNDD_VERSION='"0"' \
		--template='{file}:{line}: {severity}: {message} [{id}]' \
		"$REPO"/fcgi/*.c >"$out" 2>&1 && return 0
	cat "$out" >&2
	return 1
}

run_clang_tidy() {
	local out=$BUILD/clang-tidy.txt
	cmake -S "$REPO" -B "$BUILD" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$BUILD/cmake.log" 2>&1 ||
		{ cat "$BUILD/cmake.log" >&2; return 1; }
	# One file per process, JOBS side by side; xargs fails if any one does.
	if printf '%s\n' "$REPO"/fcgi/*.c |
		xargs -P"$JOBS" -n1 clang-tidy -p "$BUILD" --quiet >"$out" 2>"$out.err"; then
		return 0
	fi
	cat "$out" >&2
	grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' \
		"$out.err" >&2 || true
	return 1
}

main() {
	local failed=0 t0=$SECONDS
	ensure_packages cppcheck clang-tidy
	mkdir -p "$BUILD"
	if run_cppcheck; then say "cppcheck: clean"; else say "cppcheck: FINDINGS"; failed=1; fi
	if run_clang_tidy; then say "clang-tidy: clean"; else say "clang-tidy: FINDINGS"; failed=1; fi
	say "done in $((SECONDS - t0))s"
	return $failed
}

main "$@"
