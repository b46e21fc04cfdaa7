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

if [ "${1:-}" = healthcheck ]; then
	[ "$host" = 0.0.0.0 ] && host=127.0.0.1
	exec 3<>"/dev/tcp/$host/$port"
	printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	IFS= read -r -t 4 line <&3
	case "$line" in "HTTP/1."?" 200 "*) exit 0 ;; esac
	echo "GET / answered: $line" >&2
	exit 1
fi
[ $# -gt 0 ] && exec "$@"

upstream=${REFUNDD_UPSTREAM:-refundd:9000}
for v in "$host" "$port" "$upstream" "${REFUNDD_RATE:-100}" "${REFUNDD_BURST:-200}" "${REFUNDD_MAX_BODY:-64k}" "${REFUNDD_API_TIMEOUT:-30s}"; do
	# values go into sed and nginx.conf: no spaces, quotes, ; { } or |
	case "$v" in *[!A-Za-z0-9._:/\[\]-]*|"") echo "refundd-nginx: bad setting '$v'" >&2; exit 1 ;; esac
done
mkdir -p "$rd/nginx-tmp"
ln -sf /dev/stderr "$rd/nginx-error.log"
ln -sf /dev/stdout "$rd/nginx-access.log"
sed -e "s|@USER_LINE@||" -e "s|@RUNDIR@|$rd|g" -e "s|@PORT@|$port|" \
    -e "s|@LISTEN_HOST@|$host|" -e "s|@WWW@|/usr/share/refundd/www|" \
    -e "s|@UPSTREAM@|$upstream|" -e "s|@RATE@|${REFUNDD_RATE:-100}|" \
    -e "s|@BURST@|${REFUNDD_BURST:-200}|" -e "s|@MAX_BODY@|${REFUNDD_MAX_BODY:-64k}|" \
    -e "s|@API_TIMEOUT@|${REFUNDD_API_TIMEOUT:-30s}|" \
    /usr/share/refundd/nginx.conf.template > "$rd/nginx.conf"
exec nginx -c "$rd/nginx.conf" -p "$rd" -e stderr -g 'daemon off;'
