#!/bin/sh
# docker/secrets.sh -- makes the compose secrets in docker/secrets/ (random,
# 48 characters) unless they exist. The folder is private to you (0700); the
# files are 0644 because compose mounts them as they are and the containers'
# users (refundd 10001, postgres) must read them.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)/secrets
mkdir -p "$dir"
chmod 0700 "$dir"
for name in db_superuser_password db_owner_password db_app_password jwt_secret; do
	f=$dir/$name
	[ -s "$f" ] && continue
	head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48 > "$f"
	echo >> "$f"
	chmod 0644 "$f"
	echo "made $f"
done
# The Ed25519 key that signs audit checkpoints (a PEM file, not a password).
f=$dir/audit_signing_key
if [ ! -s "$f" ]; then
	openssl genpkey -algorithm ed25519 -out "$f"
	chmod 0644 "$f"
	echo "made $f"
fi
