#!/bin/sh
# refundd-healthcheck -- the refundd image's HEALTHCHECK. refundd speaks
# FastCGI, not HTTP, so this sends one real FastCGI request, GET
# /api/v1/health, to refundd's listening socket with cgi-fcgi (libfcgi-bin),
# exactly as nginx would, and is healthy only if refundd answers
# "Status: 200" (the handler answers 503 when PostgreSQL is unreachable).
# cgi-fcgi passes its environment as the FastCGI parameters, hence env -i.
set -eu
listen=${REFUNDD_SERVER_LISTEN:-0.0.0.0:9000}
case "$listen" in
0.0.0.0:*) addr=127.0.0.1:${listen##*:} ;;   # listening everywhere: ask on loopback
inherit) echo "listen = inherit: no address to check" >&2; exit 1 ;;
*) addr=$listen ;;                            # host:port or a unix socket path
esac
out=$(env -i REQUEST_METHOD=GET REQUEST_URI=/api/v1/health SCRIPT_NAME=/api/v1/health \
	SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 HTTP_X_REQUEST_ID=docker-healthcheck \
	timeout 4 cgi-fcgi -bind -connect "$addr" 2>&1) || true
status=$(printf '%s\n' "$out" | sed -n '1s/^Status: \([0-9]*\).*/\1/p')
if [ "$status" = 200 ]; then
	exit 0
fi
printf 'GET /api/v1/health via FastCGI %s: %s\n' "$addr" "$(printf '%s' "$out" | head -c 300)" >&2
exit 1
