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
# nginx's certificate and key. Put the real ones here before facing a
# network; without them, a self-signed pair for localhost (browsers warn).
if [ ! -s "$dir/tls_cert" ] || [ ! -s "$dir/tls_key" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$dir/tls_key" -out "$dir/tls_cert" 2>/dev/null
	chmod 0644 "$dir/tls_cert" "$dir/tls_key"
	echo "made $dir/tls_cert and $dir/tls_key (self-signed, localhost)"
fi
