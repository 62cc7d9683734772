# PostgreSQL from Debian's packages, on the debootstrapped base (base-image.sh), as the postgres user.
# The entrypoint makes the cluster on first start from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB.
ARG BASE=halyard/base-bookworm:latest

FROM ${BASE}
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
RUN ln -s "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)" /usr/local/lib/postgresql-bin \
 && install -d -o postgres -g postgres -m 700 /var/lib/postgresql/data \
 && install -d -o postgres -g postgres -m 2775 /run/postgresql
ENV PATH=/usr/local/lib/postgresql-bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=10 CMD ["pg_isready", "-q", "-h", "127.0.0.1"]
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]
