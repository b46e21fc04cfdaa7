# docker/postgres.Dockerfile -- Debian's PostgreSQL 15 on the same base, for
# machines where the postgres:15 image cannot be pulled (compose.hostnet.yaml).
# It follows the postgres:15 image's interface as far as refundd uses it:
# PGDATA, POSTGRES_USER, POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD),
# POSTGRES_DB, /docker-entrypoint-initdb.d/*.sh|*.sql run once on an empty
# data directory, `postgres -c name=value ...` as the command. Differences:
# runs as the postgres user from the start (no gosu), and local (unix
# socket) connections use peer authentication, not trust.
#   docker build --network host -f docker/postgres.Dockerfile -t refundd/postgres:15 .

FROM scratch AS files
COPY docker/postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

FROM debian:bookworm-slim
# No cluster from the package's postinst: the entrypoint makes one in PGDATA.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data \
 && install -d -o postgres -g postgres -m 2775 /var/run/postgresql \
 && mkdir -p /docker-entrypoint-initdb.d
COPY --from=files / /
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
# PGPORT, when set, moves both the server and this check.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["pg_isready", "-q", "-h", "127.0.0.1"]
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
