#!/usr/bin/env bash
# tests/api/setup.sh -- the npm packages the API tests need (package-lock.json:
# yaml to read docs/openapi.yaml, ajv + ajv-formats to validate every JSON
# answer against it, @seriousme/openapi-schema-validator to check the
# document itself) into tests/api/node_modules. scripts/test calls it before
# the API tests; it does nothing when they are already installed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# The lock's packages, each checked by its installed version.
current() {
	node -e '
		const fs = require("fs");
		const lock = JSON.parse(fs.readFileSync(process.argv[1] + "/package-lock.json", "utf8"));
		for (const [p, v] of Object.entries(lock.packages)) {
			if (!p) continue;
			const f = process.argv[1] + "/" + p + "/package.json";
			if (!fs.existsSync(f) || JSON.parse(fs.readFileSync(f, "utf8")).version !== v.version)
				process.exit(1);
		}' "$HERE" 2>/dev/null
}

current && exit 0
command -v npm >/dev/null || { log "npm is missing"; exit 1; }
log "installing the API tests' npm packages (npm ci)"
cd "$HERE"
npm ci --no-audit --no-fund --loglevel=error
