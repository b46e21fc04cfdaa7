#!/usr/bin/env bash
# tests/browser/run.sh -- the browser tests of www/ (customer form, staff
# queue) in headless Chromium, driven by playwright-core under node --test.
# scripts/test calls it with the stack running and REFUNDD_URL (nginx),
# REFUNDD_RUNDIR (holds jwt-secret) and REFUNDD_BIN set. It installs what is
# missing: Debian's chromium (and a CJK font, so screenshots are readable)
# and the npm packages of package-lock.json (playwright-core, axe-core for
# the accessibility audit) into tests/browser/node_modules.
# Screenshots: $REFUNDD_SHOTS (default $REFUNDD_RUNDIR/screenshots).
# tests/browser/run.sh [FILE.test.mjs...]: only those files.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${REFUNDD_URL:?set REFUNDD_URL (run through scripts/test)}"
: "${REFUNDD_RUNDIR:?set REFUNDD_RUNDIR (run through scripts/test)}"

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
installed fonts-noto-cjk || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

if [ ! -f "$HERE/node_modules/playwright-core/package.json" ] ||
   [ ! -f "$HERE/node_modules/axe-core/axe.min.js" ]; then
	command -v npm >/dev/null || { log "npm is missing"; exit 1; }
	log "installing playwright-core and axe-core (npm ci)"
	(cd "$HERE" && { npm ci --no-audit --no-fund --loglevel=error ||
	                 npm install --no-audit --no-fund --loglevel=error; })
fi

cd "$HERE"
# Arguments: test files to run instead of all of them.
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(*.test.mjs)
exec node --test --test-concurrency=1 "${files[@]}"
