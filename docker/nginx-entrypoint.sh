#!/bin/bash
# refundd-nginx -- the nginx image's entrypoint: renders conf/nginx.conf's
# @PLACEHOLDERS@ (as scripts/lib.sh nginx_start does for local runs) into
# /run/refundd-nginx and runs nginx in the foreground, logs on stdout/stderr.
#   refundd-nginx               render and serve
#   refundd-nginx healthcheck   GET / from the running nginx, 0 on 200
#   refundd-nginx CMD...        anything else runs as is
set -euo pipefail

host=${NGINX_LISTEN_HOST:-0.0.0.0}
port=${NGINX_PORT:-8080}
rd=/run/refundd-nginx

# With a certificate (NGINX_TLS_CERT, NGINX_TLS_KEY) NGINX_PORT is HTTPS and
# NGINX_HTTP_PORT only redirects: the check asks the redirect (no TLS
# client in the image), else GET / itself.
if [ "${1:-}" = healthcheck ]; then
	[ "$host" = 0.0.0.0 ] && host=127.0.0.1
	want=200
	[ -n "${NGINX_TLS_CERT:-}" ] && port=${NGINX_HTTP_PORT:-8080} && want=301
	exec 3<>"/dev/tcp/$host/$port"
	printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	IFS= read -r -t 4 line <&3
	case "$line" in "HTTP/1."?" $want "*) exit 0 ;; esac
	echo "GET / answered: $line" >&2
	exit 1
fi
[ $# -gt 0 ] && exec "$@"

mkdir -p "$rd/nginx-tmp"
ln -sf /dev/stderr "$rd/nginx-error.log"
ln -sf /dev/stdout "$rd/nginx-access.log"
NGINX_RUNDIR=$rd NGINX_WWW=/usr/share/refundd/www NGINX_UPSTREAM=${REFUNDD_UPSTREAM:-refundd:9000} \
NGINX_LISTEN_HOST=$host NGINX_PORT=$port NGINX_RATE=${REFUNDD_RATE:-100} \
NGINX_BURST=${REFUNDD_BURST:-200} NGINX_MAX_BODY=${REFUNDD_MAX_BODY:-64k} \
NGINX_API_TIMEOUT=${REFUNDD_API_TIMEOUT:-30s} \
	nginx-render /usr/share/refundd/nginx.conf.template "$rd/nginx.conf"
exec nginx -c "$rd/nginx.conf" -p "$rd" -e stderr -g 'daemon off;'
