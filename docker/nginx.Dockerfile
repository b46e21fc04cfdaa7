# docker/nginx.Dockerfile -- the nginx in front of refundd: Debian's nginx on
# the same base, serving www/ and passing /api/ to refundd over FastCGI, with
# the site rendered at start from conf/nginx.conf (the template scripts/lib.sh
# renders for local runs). Runs as www-data, listens on an unprivileged port.
#   docker build --network host -f docker/nginx.Dockerfile -t refundd/nginx:local .
#
# Environment (defaults for compose.yaml):
#   NGINX_LISTEN_HOST  0.0.0.0       address to listen on (127.0.0.1 with host networking)
#   NGINX_PORT         8080
#   REFUNDD_UPSTREAM   refundd:9000  host:port of refundd, or unix:/path/to/refundd.sock
#   REFUNDD_RATE       100           requests per second per client address on /api/
#   REFUNDD_BURST      200
#   REFUNDD_MAX_BODY   64k           keep it equal to refundd's server.max_body
#   REFUNDD_API_TIMEOUT 30s          how long nginx waits for refundd's answer
#   NGINX_TLS_CERT, NGINX_TLS_KEY    PEM files (secrets): NGINX_PORT serves HTTPS
#   NGINX_HTTP_PORT    8080          with a certificate: plain HTTP, redirecting
# Without a certificate the image serves plain HTTP on a loopback address
# only (host networking, local runs) and refuses to start on any other.

# The site files, in a scratch stage so that they land in one small layer.
FROM scratch AS files
COPY conf/nginx.conf /usr/share/refundd/nginx.conf.template
COPY www /usr/share/refundd/www
COPY docker/nginx-entrypoint.sh /usr/local/bin/refundd-nginx
COPY scripts/nginx-render /usr/local/bin/nginx-render

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
 && install -d -o www-data -g www-data -m 0750 /run/refundd-nginx
COPY --from=files / /
USER www-data:www-data
EXPOSE 8080 8443
# nginx itself: a static page over HTTP (bash's /dev/tcp, no curl in the
# image). A refundd outage shows as 502 on /api/ and in refundd's own check.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["refundd-nginx", "healthcheck"]
ENTRYPOINT ["refundd-nginx"]
